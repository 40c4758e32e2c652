"""Fixtures of the application-database tests: a fresh, migrated database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db import Database, SqliteJobQueue, open_database

from .support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "app.db"


@pytest.fixture(params=["sqlite", "postgres"])
def db_target(request: pytest.FixtureRequest, db_path: Path) -> Path | str:
    """Where the application database lives: every test using it runs on both backends."""
    if request.param == "sqlite":
        return db_path
    url: str = request.getfixturevalue("postgres_url")
    assert url.startswith("postgresql://")
    return url


@pytest.fixture
async def db(db_target: Path | str, clock: FakeClock) -> AsyncIterator[Database]:
    database = await open_database(db_target, clock=clock)
    yield database
    await database.close()


@pytest.fixture
async def other(db_target: Path | str, clock: FakeClock, db: Database) -> AsyncIterator[Database]:
    """A second process's handle on the same database (``db`` created it first)."""
    database = await open_database(db_target, clock=clock)
    yield database
    await database.close()


@pytest.fixture
def queue(db: Database, tmp_path: Path) -> SqliteJobQueue:
    """Limits high enough to stay out of the way; limit tests build their own."""
    return SqliteJobQueue(db, work_root=tmp_path / "work", max_running=100, max_running_per_user=100)
