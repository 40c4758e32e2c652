"""Fixtures of the accounts tests: the application database on both backends (tests/db's fixtures)."""

from __future__ import annotations

from tests.db.conftest import clock, db, db_path, db_target

__all__ = ["clock", "db", "db_path", "db_target"]
