"""What the media stage would first wait for, done while the last of the history is read.

Once most of the expected messages are read (:data:`WARM_FROM`), the custom emoji documents named so
far are asked for, and one media connection is opened to each DC the files to download live on, as
far as the records read so far say (a connection to another DC needs a fresh auth key, then
auth.exportAuthorization and auth.importAuthorization: core.telegram.org/api/datacenter). The stage
then asks only for the emoji named later and opens only the DCs seen later. Traced on forum-130ms
(its 15 custom emoji stickers, on DC 2 and DC 4): the stage waited 0.14 s for the emoji documents,
then 0.25 s for DC 4's key and 0.27 s for its authorization before the first part, all of it after
the reading (0.65 s of a 12 s export).

Measured with it (bench, 130 ms): the media phase went from 0.61-0.67 s to 0.21-0.26 s for the
forum and from 0.59-0.69 s to 0.15-0.16 s for the channel; the key's factorization, the dearest part of
it on the reading's loop, took 25 ms of CPU.

Not from the start of the reading: emoji named by the messages read later would need a request of
their own each time, and a connection opened long before its first file may be closed by Telegram
as idle (Telethon's sender would reconnect, at the cost of the round trips saved). Not when the total
is unknown (``--last N``, a filter asked of Telegram), nor with one request at a time asked for
(``--max-concurrency 1``): then the stage does it all, as before.

Everything here only saves time: a failure leaves the work to the stage, which meets the error again
and reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time

from telethon import TelegramClient

from db.media_store import MediaStore

from ..options import ExportOptions
from ..run import ExportRun
from ..timing import MEDIA
from .connections import MediaConnections
from .selection import Selection
from .stage import ask_emoji, history_scheduler

# Share of the expected messages read before the warm-up starts: at 130 ms the forum's last 20 % take
# about 1.4 s, twice what the warm-up's five round trips need.
WARM_FROM = 0.8


class MediaWarmup:
    """The media connections of one export, opened early (:meth:`start`), handed to the media stage
    (:attr:`connections`) and closed by :meth:`close`."""

    def __init__(self, client: TelegramClient, run: ExportRun, options: ExportOptions) -> None:
        settings = options.media_settings
        # The stage's own scheduler for its history-type requests, outside a takeout as the stage
        # sends them; its flood waits are slept and counted as the stage's would be.
        self._send = history_scheduler(client, run, options)
        self.connections = MediaConnections(
            client, per_dc=settings.connections_per_dc, bytes_per_connection=settings.bytes_per_connection
        )
        self._run = run
        # One request at a time was asked for (--max-concurrency 1): none is sent beside the reading.
        self._beside_reading = options.max_concurrency > 1
        self._selection = Selection.of(options)
        self._task: asyncio.Task[None] | None = None
        # Set once most of the messages are read: the warm-up is then under way.
        self._begun = asyncio.Event()

    def start(self, expected: int | None) -> None:
        """Called once the plan is known, with the messages it expects (None: unknown)."""
        if self._task is None and expected and self._beside_reading:
            self._task = asyncio.create_task(self._warm(expected))

    async def settle(self) -> None:
        """Before the media stage: a warm-up under way is awaited (the media phase: the stage would
        have waited for the same round trips), one not yet begun is dropped."""
        if self._task is None:
            return
        if not self._begun.is_set():
            self._task.cancel()
        started = time.perf_counter()
        # asyncio.wait: the task's own end (cancelled, failed) is not raised here, this one's is.
        await asyncio.wait({self._task})
        if self._begun.is_set():
            self._run.clock.add(MEDIA, time.perf_counter() - started)

    async def close(self) -> None:
        try:
            if self._task is not None:
                self._task.cancel()
                await asyncio.wait({self._task})
        finally:
            await self.connections.close()

    async def _warm(self, total: int) -> None:
        run = self._run
        run.read_mark = (math.ceil(WARM_FROM * total), self._begun)
        await self._begun.wait()
        media = MediaStore(run.store.connection)
        # Anything: the stage asks and opens again what failed here, and reports its errors.
        with contextlib.suppress(Exception):
            await ask_emoji(self._send, media, refused_unavailable=False)
        dcs = media.download_dcs(sorted(self._selection.kinds), self._selection.max_file_size)
        await asyncio.gather(*(self.connections.pick(dc_id) for dc_id in dcs), return_exceptions=True)
