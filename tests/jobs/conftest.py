"""The jobs tests use the application-database fixtures: a fresh, migrated database and queue per test."""

from tests.db.conftest import clock, db, db_path, db_target, queue

__all__ = ["clock", "db", "db_path", "db_target", "queue"]
