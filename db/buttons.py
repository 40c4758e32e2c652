"""What each set of inline buttons means and whose it is: the storage behind bot.callbacks.

A session is found by its token, only for its owner and only while it is younger than the store's
``ttl``; an expired one is as good as gone (and is deleted by the next ``open``)."""

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
            "SELECT kind, data FROM button_sessions WHERE token = ? AND owner_id = ? AND created_at > ?",
            (token, owner, self._db.now() - self.ttl),
        )
        return None if row is None else ButtonSession(owner, row[0], dict(json.loads(row[1])))

    async def save(self, token: str, data: dict[str, Any]) -> None:
        """Keep what a press changed (the chosen options). A session closed meanwhile stays closed."""
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE button_sessions SET data = ? WHERE token = ?", (json.dumps(data), token)
            )

    async def close(self, token: str) -> None:
        async with self._db.transaction() as connection:
            await connection.execute("DELETE FROM button_sessions WHERE token = ?", (token,))
