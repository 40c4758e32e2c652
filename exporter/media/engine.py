"""MediaDownloader: many files at once, each in parts, over media connections of their own.

Flow: specs are taken one by one (an iterable or async iterable, so a caller can stream them from
its store); each new key gets a task once its window (its size, at most ``parts_per_file`` parts)
fits in ``file_bytes_at_once`` beside the files running and fewer than ``files_at_once`` run; a key
seen before gets the first one's outcome. Every part takes room in its DC's byte budget
(MediaConnections.slot), then goes through the media FetchScheduler (flood waits slept and counted,
pacing after them) to a media connection. A watchdog gives up on files that stalled (stalls.py: a
part overtaken by later ones and unanswered for ``stall_seconds``); everything else goes on. An
error that concerns the whole export (the session revoked, a flood wait too long to sleep) cancels
the rest and is raised; ``.part`` files stay for the next run.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from telethon import TelegramClient, errors

from ..scheduler import FetchScheduler, FloodWait
from ..timing import PhaseClock
from .clock import MediaClock
from .connections import ByteBudget, MediaConnections, OnAnswer
from .download import FileState, fetch_file
from .progress import MediaProgress
from .references import Caller, RefreshReference, message_refresher
from .settings import MediaSettings
from .spec import Downloaded, FileSpec, Outcome, Stalled, Unavailable
from .stalls import WireOrder

OnDone = Callable[[FileSpec, Outcome], Awaitable[None] | None]
# The scheduler may hold fewer after flood waits; before them the byte budgets are the only limit.
_SCHEDULER_SLOTS = 512


class MediaDownloader:
    def __init__(
        self,
        client: TelegramClient,
        clock: PhaseClock,
        settings: MediaSettings | None = None,
        *,
        refresh: RefreshReference | None = None,
        history: Caller | None = None,
        on_flood_wait: Callable[[FloodWait], None] | None = None,
        longest_flood_wait: float = 900.0,
        connections: MediaConnections | None = None,
    ) -> None:
        """``connections``: opened before (exporter/media/warmup.py) and closed by their owner."""
        if client.flood_sleep_threshold != 0:
            # Telethon would sleep flood waits on file parts itself, unseen and uncounted.
            raise ValueError("the media engine needs a client with flood_sleep_threshold=0")
        self.client = client
        self.settings = settings or MediaSettings()
        self.progress = MediaProgress()
        self.clock = MediaClock(clock)
        self.refresh: RefreshReference = refresh or message_refresher(client, history or client)
        self._owns_connections = connections is None
        self.connections = connections or MediaConnections(
            client,
            per_dc=self.settings.connections_per_dc,
            bytes_per_connection=self.settings.bytes_per_connection,
        )
        self.scheduler = FetchScheduler(
            self._send,
            self.clock,
            on_flood_wait=on_flood_wait,
            initial_concurrency=_SCHEDULER_SLOTS,
            max_concurrency=_SCHEDULER_SLOTS,
            # A longer flood wait on upload.getFile is not slept: the export stops (resumable).
            longest_wait=longest_flood_wait,
        )
        # Where each request in the scheduler goes: (DC, expected bytes, its file, what takes the
        # answer as it is decoded), by id().
        self._routes: dict[int, tuple[int, int, FileState, OnAnswer]] = {}
        self._watched: set[FileState] = set()
        self._order = WireOrder()
        # Called after each part is on disk (tests and the bench watch resumable progress with it).
        self.on_part: Callable[[FileSpec, int], None] | None = None

    async def __aenter__(self) -> MediaDownloader:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_connections:
            await self.connections.close()

    def expect(self, files: int, nbytes: int) -> None:
        """Announce the totals (each key once) for progress and ETA before the specs come."""
        self.progress.files_total, self.progress.bytes_total = files, nbytes
        self.progress.announced = True

    # -- the requests

    async def get_file(
        self, dc_id: int, request: Any, nbytes: int, state: FileState, on_answer: OnAnswer
    ) -> Any:
        """Room in the DC's byte budget is held until this returns, after ``on_answer`` wrote the
        part: answers decoded and not yet on disk count against the budget too."""
        async with self.connections.slot(dc_id, nbytes):
            self._routes[id(request)] = (dc_id, nbytes, state, on_answer)
            try:
                return await self.scheduler(request)
            finally:
                del self._routes[id(request)]

    async def _send(self, request: Any) -> Any:
        """The scheduler's way out: the request is on the wire from here until it returns."""
        dc_id, nbytes, state, on_answer = self._routes[id(request)]
        connection = await self.connections.pick(dc_id)
        # Answers come in order on one connection, not across a DC's several (stalls.py).
        line = id(connection)
        seq = self._order.sent(line)
        state.clock.sent(id(request), line, seq)
        try:
            result = await self.connections.send(connection, request, nbytes, on_answer)
        except errors.RPCError:
            self._order.answered(line, seq)
            raise
        finally:
            state.clock.returned(id(request))
        self._order.answered(line, seq)
        return result

    def part_written(self, spec: FileSpec, index: int) -> None:
        if self.on_part is not None:
            self.on_part(spec, index)

    # -- stalls

    def watch(self, state: FileState) -> None:
        self._watched.add(state)

    def unwatch(self, state: FileState) -> None:
        self._watched.discard(state)

    async def _watchdog(self) -> None:
        limit = self.settings.stall_seconds
        while True:
            await asyncio.sleep(min(1.0, limit / 10))
            now = time.monotonic()
            for state in list(self._watched):
                why = state.clock.stalled(now, self._order, limit)
                if why is not None:
                    state.stall(why)

    # -- files

    async def download(self, spec: FileSpec) -> Outcome:
        """One file (no dedupe, no file limit); the watchdog runs while it does."""
        outcomes: list[Outcome] = []

        def keep(_spec: FileSpec, outcome: Outcome) -> None:
            outcomes.append(outcome)

        await self.download_all([spec], keep)
        return outcomes[0]

    async def download_all(
        self, specs: Iterable[FileSpec] | AsyncIterable[FileSpec], on_done: OnDone
    ) -> MediaProgress:
        progress = self.progress
        if progress.started is None:
            progress.started = time.monotonic()
        progress.finished = None
        settings = self.settings
        slots = asyncio.Semaphore(settings.files_at_once)
        room = ByteBudget(settings.file_bytes_at_once)
        most = settings.parts_per_file * settings.part_size
        outcomes: dict[str, Outcome] = {}
        waiting: dict[str, list[FileSpec]] = {}
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []

        async def report(spec: FileSpec, outcome: Outcome) -> None:
            result = on_done(spec, outcome)
            if inspect.isawaitable(result):
                await result

        async def run(spec: FileSpec) -> None:
            try:
                outcome = await fetch_file(self, spec)
                self._count(outcome)
                outcomes[spec.key] = outcome
                for each in [spec, *waiting.pop(spec.key, [])]:
                    await report(each, outcome)
            finally:
                slots.release()
                room.release(min(spec.size, most))

        def finished(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            error = None if task.cancelled() else task.exception()
            if error is not None and not failure:
                failure.append(error)
                for other in tasks:
                    other.cancel()

        watchdog = asyncio.create_task(self._watchdog())
        try:
            async for spec in _each(specs):
                if failure:
                    break
                known = outcomes.get(spec.key)
                if known is not None:
                    await report(spec, known)
                    continue
                if spec.key in waiting:
                    waiting[spec.key].append(spec)
                    continue
                if not progress.announced:
                    progress.files_total += 1
                    progress.bytes_total += spec.size
                waiting[spec.key] = []
                await room.acquire(min(spec.size, most))
                await slots.acquire()
                if failure:
                    slots.release()
                    room.release(min(spec.size, most))
                    break
                task = asyncio.create_task(run(spec))
                tasks.add(task)
                task.add_done_callback(finished)
            while tasks and not failure:
                await asyncio.wait(set(tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            watchdog.cancel()
            await asyncio.gather(watchdog, return_exceptions=True)
            progress.finished = time.monotonic()
        if failure:
            raise failure[0]
        return progress

    def _count(self, outcome: Outcome) -> None:
        progress = self.progress
        progress.files_done += 1
        if isinstance(outcome, Downloaded):
            progress.files_downloaded += 1
        elif isinstance(outcome, Unavailable):
            progress.files_unavailable += 1
        elif isinstance(outcome, Stalled):
            progress.files_stalled += 1


async def _each(specs: Iterable[FileSpec] | AsyncIterable[FileSpec]) -> AsyncIterator[FileSpec]:
    if isinstance(specs, AsyncIterable):
        async for spec in specs:
            yield spec
    else:
        for spec in specs:
            yield spec
