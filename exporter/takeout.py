"""Reading through a takeout session, one per account at a time (https://core.telegram.org/api/takeout).

Telegram keeps one takeout per account: a new ``account.initTakeoutSession`` cancels the
older one, whose requests then fail with TAKEOUT_INVALID (api/takeout).  Telethon keeps
the id in its session (a SQLite session writes it to disk) and its ``client.takeout()``
raises ValueError while one is unfinished (telethon/client/account.py, ``_TakeoutClient``),
so two exports at once on one client used to crash the second.

Instead, every export on a client shares one takeout: the first opens it, or reuses the
id an interrupted run left in the session, and the last to leave finishes it.  An export
that is cancelled (the process stopping) leaves it open for the next run to reuse.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telethon import TelegramClient, errors, utils
from telethon.tl import functions as F
from telethon.tl import types as T

from .splits import history_by_splits, in_split_ranges, split_ranges

# What the export reads: messages of every kind of chat, their users and chats; files are
# downloaded outside takeout (api/takeout lists these flags).
_INIT = F.account.InitTakeoutSessionRequest(
    contacts=False,
    message_users=True,
    message_chats=True,
    message_megagroups=True,
    message_channels=True,
    files=False,
)


class SharedTakeout:
    """The takeout all exports on one client read through; call it like the client."""

    def __init__(self, client: TelegramClient) -> None:
        self.client = client
        self.lock = asyncio.Lock()
        self.readers = 0
        self.all_succeeded = True
        self.splits: list[T.MessageRange] = []

    async def __call__(self, request: Any) -> Any:
        await request.resolve(self.client, utils)
        if self.splits and in_split_ranges(request):
            return await history_by_splits(self._send, self.splits, request)
        return await self._send(request)

    async def _send(self, request: Any) -> Any:
        takeout_id = self.client.session.takeout_id
        if takeout_id is None:
            raise errors.TakeoutRequiredError(request)
        return await self.client(F.InvokeWithTakeoutRequest(takeout_id, request))

    async def join(self) -> None:
        async with self.lock:
            if self.readers == 0:
                await self._open()
            self.readers += 1

    async def leave(self, outcome: BaseException | None) -> None:
        async with self.lock:
            self.readers -= 1
            self.all_succeeded &= outcome is None
            if self.readers or isinstance(outcome, asyncio.CancelledError):
                return
            succeeded, self.all_succeeded = self.all_succeeded, True
            try:
                await self(F.account.FinishTakeoutSessionRequest(success=succeeded))
            except errors.TakeoutInvalidError:
                pass  # Another app started a newer takeout: there is nothing left to finish.
            except (errors.RPCError, ConnectionError, OSError):
                # The export's own outcome matters more; the next run reuses the open takeout.
                return
            self.client.session.takeout_id = None

    async def _open(self) -> None:
        session = self.client.session
        if session.takeout_id is not None:
            # A run stopped before finishing its takeout: continue in it when Telegram still
            # knows it; a newer takeout (another app, another run) has cancelled it otherwise.
            try:
                self.splits = await split_ranges(self._send)
                return
            except errors.TakeoutInvalidError:
                session.takeout_id = None
        session.takeout_id = (await self.client(_INIT)).id
        self.splits = await split_ranges(self._send)


_SHARED: weakref.WeakKeyDictionary[TelegramClient, SharedTakeout] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def takeout(client: TelegramClient) -> AsyncIterator[SharedTakeout]:
    """The client's shared takeout, open while the block runs."""
    shared = _SHARED.get(client)
    if shared is None:
        shared = _SHARED[client] = SharedTakeout(client)
    await shared.join()
    try:
        yield shared
    except BaseException as exc:
        await shared.leave(exc)
        raise
    await shared.leave(None)
