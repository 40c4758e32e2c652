"""A user's own choices: the time zone their archives' dates are written in (/settings), and the
files their archives download (the export screen's media row)."""

from __future__ import annotations

from dataclasses import dataclass

from .backend import Database

DEFAULT_TIME_ZONE = "UTC"


@dataclass(frozen=True)
class MediaChoice:
    """Kinds of files to download (names of exporter.options.MEDIA_TYPES) and the largest, in bytes."""

    kinds: tuple[str, ...]
    max_file_size: int


class UserSettings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def time_zone(self, user_id: int) -> str:
        """The user's zone name; UTC until they choose one. The caller checks names before storing."""
        row = await self._db.fetchone("SELECT time_zone FROM user_settings WHERE user_id = ?", (user_id,))
        return DEFAULT_TIME_ZONE if row is None else str(row["time_zone"])

    async def set_time_zone(self, user_id: int, name: str) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT INTO user_settings (user_id, time_zone, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, "
                "changed_at = excluded.changed_at",
                (user_id, name, self._db.now()),
            )

    async def media(self, user_id: int) -> MediaChoice | None:
        """The user's last media choice; None until they make one (the exporter's defaults then).
        The caller checks kinds and sizes before storing."""
        row = await self._db.fetchone(
            "SELECT media, max_file_size FROM user_settings WHERE user_id = ?", (user_id,)
        )
        if row is None or row["media"] is None or row["max_file_size"] is None:
            return None
        kinds = tuple(kind for kind in str(row["media"]).split(",") if kind)
        return MediaChoice(kinds, int(row["max_file_size"]))

    async def set_media(self, user_id: int, choice: MediaChoice) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT INTO user_settings (user_id, time_zone, media, max_file_size, changed_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET media = excluded.media, "
                "max_file_size = excluded.max_file_size, changed_at = excluded.changed_at",
                (user_id, DEFAULT_TIME_ZONE, ",".join(choice.kinds), choice.max_file_size, self._db.now()),
            )
