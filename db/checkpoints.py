"""Where incremental exports left off: per user, chat and forum topic, the highest message id delivered,
and the files delivered (so the next incremental export does not download them again).

``reader``: the exporting account (``accounts.id``) whose own conversation the chat is (a person's
chat or Saved Messages read on that account); None for every other chat, whoever read it. The same
id on another session is another conversation, with a series of its own (migration 0015).

Resuming an interrupted export uses the per-export store, not this table: a
checkpoint moves only once an export was delivered.
"""

from __future__ import annotations

from collections.abc import Mapping

from .backend import Database


class CheckpointStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_exported(
        self, user_id: int, peer_id: int, *, reader: int | None = None
    ) -> dict[int | None, int]:
        """Topic id (None: outside forum topics) → highest message id delivered to this user."""
        rows = await self._db.fetchall(
            "SELECT topic_id, max_id FROM export_checkpoints "
            "WHERE user_id = ? AND peer_id = ? AND reader_account = ?",
            (user_id, peer_id, _account(reader)),
        )
        return {row["topic_id"]: row["max_id"] for row in rows}

    async def record_exported(
        self,
        user_id: int,
        peer_id: int,
        max_ids: Mapping[int | None, int],
        job_id: int | None,
        *,
        reader: int | None = None,
    ) -> None:
        """Record a delivery. A checkpoint never moves back: an export that ends lower (messages
        deleted meanwhile, a ranged export) must not make the next incremental one repeat history."""
        now = self._db.now()
        async with self._db.transaction() as connection:
            await connection.executemany(
                "INSERT INTO export_checkpoints "
                "(user_id, peer_id, reader_account, topic_id, max_id, job_id, exported_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id, peer_id, reader_account, IFNULL(topic_id, 0)) DO UPDATE SET "
                "max_id = CASE WHEN excluded.max_id > export_checkpoints.max_id THEN excluded.max_id "
                "ELSE export_checkpoints.max_id END, job_id = excluded.job_id, "
                "exported_at = excluded.exported_at",
                [
                    (user_id, peer_id, _account(reader), topic, max_id, job_id, now)
                    for topic, max_id in max_ids.items()
                ],
            )

    async def exported_files(
        self, user_id: int, peer_id: int, *, reader: int | None = None
    ) -> dict[str, str]:
        """File identity → its path in the archive that delivered it to this user."""
        rows = await self._db.fetchall(
            "SELECT file_key, path FROM exported_files WHERE user_id = ? AND peer_id = ? AND reader_account = ?",
            (user_id, peer_id, _account(reader)),
        )
        return {row["file_key"]: row["path"] for row in rows}

    async def record_files(
        self,
        user_id: int,
        peer_id: int,
        files: Mapping[str, str],
        job_id: int | None,
        *,
        reader: int | None = None,
    ) -> None:
        """Record the files a delivered archive held; a file already recorded keeps its first path,
        where the earliest archive holds it."""
        now = self._db.now()
        async with self._db.transaction() as connection:
            await connection.executemany(
                "INSERT INTO exported_files (user_id, peer_id, reader_account, file_key, path, job_id, "
                "exported_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id, peer_id, reader_account, file_key) DO NOTHING",
                [(user_id, peer_id, _account(reader), key, path, job_id, now) for key, path in files.items()],
            )


def _account(reader: int | None) -> int:
    """The stored ``reader_account``: 0 for no account (the column is in a key, where NULLs never match)."""
    return 0 if reader is None else reader
