"""--incremental from a terminal: each chat starts after the user's last complete export of it.

Where that was is the application database's (db.CheckpointStore, the one the bot keeps too):
per chat, and per topic for forums, the highest message id written, and the files those archives
hold, which the next archive points at instead of downloading again. An export records its end
only when it is complete, so a partial one is read again from the same place next time.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from telethon import TelegramClient

from db import CheckpointStore

from .export import ExportResult
from .options import ExportOptions
from .render.model import ChatInfo


class Incremental:
    def __init__(self, client: TelegramClient, checkpoints: CheckpointStore) -> None:
        self.client = client
        self.checkpoints = checkpoints
        self._me: int | None = None

    async def me(self) -> int:
        if self._me is None:
            self._me = (await self.client.get_me()).id
        return self._me

    async def prepare(self, chat: ChatInfo, options: ExportOptions) -> tuple[ExportOptions, dict[str, str]]:
        """The options starting after the last complete export of ``chat``, and its files so far."""
        me = await self.me()
        after = await self.checkpoints.last_exported(me, chat.id)
        if not after:
            title = chat.name or "this chat"
            print(f"No earlier export of {title}: exporting all of it.", file=sys.stderr)
        earlier = await self.checkpoints.exported_files(me, chat.id)
        return replace(options, after=tuple(sorted(after.items(), key=lambda item: item[0] or 0))), earlier

    async def record(self, chat: ChatInfo, result: ExportResult) -> None:
        """A complete export's end, where the next one of the chat starts."""
        if result.complete and result.last_ids:
            me = await self.me()
            await self.checkpoints.record_exported(me, chat.id, result.last_ids, None)
            await self.checkpoints.record_files(me, chat.id, result.files, None)
