"""The product of tests/bot for the end-to-end tests, and the application-database fixtures of
tests/db (a fresh, migrated database per test, on every backend those fixtures cover) for the
schedule store's."""

from pathlib import Path

import pytest

# The whole product (sandbox Telegram, sandbox Bot API, the bot) for the end-to-end tests.
from tests.bot.conftest import api, product  # noqa: F401 (fixtures)

# Every fixture there (the database and what it is built from), whichever backends they cover.
from tests.db.conftest import *  # noqa: F403


@pytest.fixture
def db_where(request: pytest.FixtureRequest, db_path: Path) -> Path | str:
    """Where ``db`` lives, for more connections to it: tests/db's backend choice where it has one."""
    try:
        where: Path | str = request.getfixturevalue("db_target")
    except pytest.FixtureLookupError:
        return db_path
    return where
