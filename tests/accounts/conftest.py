"""Fixtures of the accounts tests: the application database on both backends (tests/db's fixtures)
and the sandbox Bot API (tests/bot's)."""

from __future__ import annotations

from tests.bot.conftest import api
from tests.db.conftest import clock, db, db_path, db_target

__all__ = ["api", "clock", "db", "db_path", "db_target"]
