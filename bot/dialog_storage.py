"""aiogram's FSM storage in the application database (db.dialogs): a dialog of several messages
(/login, a typed date range) goes on whichever bot process receives its next message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StorageKey

from db import Database
from db.dialogs import DialogStore


def _key(key: StorageKey) -> str:
    parts = (key.bot_id, key.chat_id, key.user_id, key.thread_id, key.business_connection_id, key.destiny)
    return ":".join("" if part is None else str(part) for part in parts)


class DatabaseStorage(BaseStorage):
    def __init__(self, database: Database) -> None:
        self._store = DialogStore(database)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._store.set_state(_key(key), state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._store.state(_key(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._store.set_data(_key(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self._store.data(_key(key))

    async def close(self) -> None:
        """The database belongs to the App, which closes it."""
