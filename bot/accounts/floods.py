"""Telegram's flood waits, remembered per account and method in the database.

Telegram counts flood limits per account (core.telegram.org/api/errors:
"420 FLOOD_WAIT_X: a wait of X seconds is required"). A job resumed by
another process, or the next job on the same account, must not ask again
before the wait is over: every wait an account gets is written down, and a
request for a method whose wait is still running is refused here with the
time left (``RememberedFloodWait``): the exporter's scheduler waits it out as
Telegram's own, but does not count it as a request Telegram refused
(exporter/scheduler.py).

The seam is Telethon's ``TelegramClient._call`` (every request of the client
and of the exporter's extra media connections goes through it; the exporter
already depends on it, exporter/media/connections.py).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from telethon import TelegramClient, errors

from db.accounts import AccountStore
from exporter.scheduler import RememberedFloodWait

log = logging.getLogger(__name__)


def method_name(request: Any) -> str:
    """Telegram's name of a request: GetHistoryRequest of telethon.tl.functions.messages -> messages.getHistory."""
    namespace = type(request).__module__.rsplit(".", 1)[-1]
    name = type(request).__name__.removesuffix("Request")
    name = name[:1].lower() + name[1:]
    return name if namespace == "functions" else f"{namespace}.{name}"


class FloodMemory:
    """One account's waits: loaded when a process takes the account, added to as Telegram asks."""

    def __init__(
        self,
        store: AccountStore,
        account_id: int,
        waits: dict[str, float],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.account_id = account_id
        self.waits = dict(waits)
        self.clock = clock
        self.honoured = 0

    def left(self, method: str) -> int:
        """Whole seconds of a remembered wait still to go (0: none)."""
        until = self.waits.get(method)
        if until is None:
            return 0
        return max(0, math.ceil(until - self.clock()))

    def install(self, client: TelegramClient) -> None:
        original = client._call

        async def call(
            sender: Any, request: Any, ordered: bool = False, flood_sleep_threshold: Any = None
        ) -> Any:
            method = method_name(request)
            left = self.left(method)
            if left:
                self.honoured += 1
                raise RememberedFloodWait(request, capture=left)
            try:
                return await original(sender, request, ordered, flood_sleep_threshold)
            except errors.FloodError as exc:
                seconds = int(getattr(exc, "seconds", 0) or 1)
                self.waits[method] = max(self.waits.get(method, 0.0), self.clock() + seconds)
                try:
                    await self.store.note_flood(self.account_id, method, seconds)
                except Exception:
                    # The wait is still honoured in this process; only a takeover elsewhere misses it.
                    log.warning("could not record a flood wait of account %s", self.account_id, exc_info=True)
                raise

        # The instance attribute shadows the method: this client's requests pass through ``call``.
        client._call = call
