"""A user's own choices (/settings): for now the time zone their archives' dates are written in."""

from __future__ import annotations

from .connect import Database

DEFAULT_TIME_ZONE = "UTC"


class UserSettings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def time_zone(self, user_id: int) -> str:
        """The user's zone name; UTC until they choose one. The caller checks names before storing."""
        row = await self._db.fetchone("SELECT time_zone FROM user_settings WHERE user_id = ?", (user_id,))
        return DEFAULT_TIME_ZONE if row is None else row["time_zone"]

    async def set_time_zone(self, user_id: int, name: str) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT INTO user_settings (user_id, time_zone, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, "
                "changed_at = excluded.changed_at",
                (user_id, name, self._db.now()),
            )
