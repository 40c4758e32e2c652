"""What each set of inline buttons means and whose it is: the storage behind bot.callbacks.

A session is found by its token, only for its owner and only while it is younger than the store's
``ttl``; an expired one is as good as gone (and is deleted by the next ``open``). Each write of a
press is a compare-and-set on the session's ``version``: of two presses that read the same state,
the second to write is told so (``save`` returns False) and applies its press again to what the
first one kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .backend import Database


@dataclass
class ButtonSession:
    """Server-side state behind one set of buttons."""

    owner: int
    kind: str
    data: dict[str, Any]
    # The version ``data`` was read at: a save writes only over that version.
    version: int = 0


class ButtonStore:
    def __init__(self, db: Database, ttl: float) -> None:
        self._db = db
        self.ttl = ttl

    async def open(self, token: str, session: ButtonSession) -> None:
        now = self._db.now()
        async with self._db.transaction() as connection:
            # Expired sessions go as new ones come: the table holds about one TTL's worth.
            await connection.execute("DELETE FROM button_sessions WHERE created_at <= ?", (now - self.ttl,))
            await connection.execute(
                "INSERT INTO button_sessions (token, owner_id, kind, data, created_at) VALUES (?, ?, ?, ?, ?)",
                (token, session.owner, session.kind, json.dumps(session.data), now),
            )

    async def find(self, token: str, owner: int) -> ButtonSession | None:
        """The live session of ``token`` if ``owner`` owns it, else None."""
        row = await self._db.fetchone(
            "SELECT kind, data, version FROM button_sessions WHERE token = ? AND owner_id = ? AND created_at > ?",
            (token, owner, self._db.now() - self.ttl),
        )
        return None if row is None else ButtonSession(owner, row[0], dict(json.loads(row[1])), row[2])

    async def save(self, token: str, session: ButtonSession) -> bool:
        """Keep what a press changed (the chosen options), only over the version it read: False when
        another press wrote first (or the session was closed meanwhile: it stays closed). On success
        ``session.version`` is the new one."""
        async with self._db.transaction() as connection:
            rows = list(
                await connection.execute_fetchall(
                    "UPDATE button_sessions SET data = ?, version = version + 1 "
                    "WHERE token = ? AND version = ? RETURNING version",
                    (json.dumps(session.data), token, session.version),
                )
            )
        if not rows:
            return False
        session.version = rows[0][0]
        return True

    async def close(self, token: str) -> None:
        async with self._db.transaction() as connection:
            await connection.execute("DELETE FROM button_sessions WHERE token = ?", (token,))
