"""Where each multi-message dialog stands: the storage behind bot.dialog_storage (aiogram's FSM)."""

from __future__ import annotations

import json
from typing import Any

from .backend import Database


class DialogStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def state(self, key: str) -> str | None:
        row = await self._db.fetchone("SELECT state FROM dialog_states WHERE dialog_key = ?", (key,))
        return None if row is None else row[0]

    async def data(self, key: str) -> dict[str, Any]:
        row = await self._db.fetchone("SELECT data FROM dialog_states WHERE dialog_key = ?", (key,))
        return {} if row is None else dict(json.loads(row[0]))

    async def set_state(self, key: str, state: str | None) -> None:
        await self._write(key, "state", state)

    async def set_data(self, key: str, data: dict[str, Any]) -> None:
        await self._write(key, "data", json.dumps(data))

    async def _write(self, key: str, column: str, value: str | None) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                f"INSERT INTO dialog_states (dialog_key, {column}, changed_at) VALUES (?, ?, ?) "
                f"ON CONFLICT (dialog_key) DO UPDATE SET {column} = excluded.{column}, "
                "changed_at = excluded.changed_at",
                (key, value, self._db.now()),
            )
            # A dialog with neither a state nor data is over: nothing is kept of it.
            await connection.execute(
                "DELETE FROM dialog_states WHERE dialog_key = ? AND state IS NULL AND data = '{}'", (key,)
            )
