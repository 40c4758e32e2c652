"""One file: its parts fetched several at a time, written as they come, references renewed,
DC migrations followed; the outcome says whether the file is whole, refused, or stalled."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any

from telethon import errors
from telethon.tl import functions as F
from telethon.tl import types as T

from .partfile import PartFile, SizeMismatch
from .spec import Downloaded, FileLocation, FileSpec, Outcome, Stalled, Unavailable
from .stalls import StallClock

if TYPE_CHECKING:
    from .engine import MediaDownloader

# A reference that fails again this many times in a row, with no part answered in between, is given
# up on: the message keeps handing out references that do not work.
_REFRESHES_WITHOUT_PROGRESS = 3
# Parts that arrived ahead of the hashed prefix and stay in memory for SHA-256; the others are read
# back from the page cache when their turn comes. Parts of one file mostly arrive in order (at
# most a few held at a time on the 2 GB export), and each held part is 1 MiB outside the DC's
# byte budget, for every large file at once.
_KEEP = 2


class Refused(Exception):
    """Telegram will not give this file; the reason is its error's name."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Telethon keeps no error name on the errors it knows (LocationInvalidError.message is "BAD_REQUEST"):
# its own table, turned around, gives the name back.
_NAMES: dict[type, str] = {cls: name for name, cls in errors.rpc_errors_dict.items()}


def error_name(exc: errors.RPCError) -> str:
    """Telegram's name of an error: LOCATION_INVALID, FILE_REFERENCE_EXPIRED..."""
    return _NAMES.get(type(exc)) or exc.message or type(exc).__name__


def reference_error(name: str) -> bool:
    # Telegram Desktop refreshes on any FILE_REFERENCE_* (export_api_wrap.cpp); FILEREF_UPGRADE_NEEDED
    # (406) asks for the same (core.telegram.org/method/upload.getFile).
    return name.startswith("FILE_REFERENCE_") or name == "FILEREF_UPGRADE_NEEDED"


class FileState:
    """What the parts of one file share: where it is now, and whether it has stalled."""

    def __init__(self, spec: FileSpec, part: PartFile) -> None:
        self.spec, self.part = spec, part
        self.inline = part.count <= 1
        self.location: FileLocation = spec.location
        self.dc_id = spec.dc_id
        self.generation = 0
        self.refresh_lock = asyncio.Lock()
        self.hash_lock = asyncio.Lock()
        self.answered = 0
        # Bytes of this file counted in progress.bytes_done (resumed or written in this run).
        self.counted = part.resumed_bytes
        self._answered_at_refresh = -1
        self._refreshes_without_progress = 0
        self.clock = StallClock()
        # Why the watchdog gave up on the file ("" while it has not); it cancels ``work`` then.
        self.stall_reason = ""
        self.work: asyncio.Future[Outcome] | None = None

    def progressed(self) -> None:
        self.answered += 1
        self.clock.progressed()

    def stall(self, why: str) -> None:
        self.stall_reason = why
        if self.work is not None:
            self.work.cancel()


async def fetch_file(engine: MediaDownloader, spec: FileSpec) -> Outcome:
    """Download one file to ``spec.dest``; gives up (Stalled) when the engine's watchdog says so."""
    settings = engine.settings
    # Creating and renaming files happens in a thread, even for a photo of one part: a file
    # system busy with another program's writes makes open(O_CREAT) wait for its journal (media-many
    # with other tests running: 3.1 ms an open on average, 12 s of 3,925 photos with the loop
    # stopped), where a hop to a thread costs about 0.1 ms of CPU. A file of one part is hashed on
    # the loop (under a millisecond), a larger one in a thread (1 MiB parts, maybe read back).
    part = await asyncio.to_thread(
        PartFile.open, spec.dest, spec.key, spec.size, settings.part_size, keep=_KEEP
    )
    try:
        state = FileState(spec, part)
        engine.progress.bytes_resumed += part.resumed_bytes
        engine.progress.bytes_done += part.resumed_bytes
        outcome = await _until_stalled(engine, state)
        if not isinstance(outcome, Downloaded):
            # Settled all the same: the ETA must not wait for the bytes that will not come.
            engine.progress.bytes_done += spec.size - state.counted
        return outcome
    finally:
        part.close()


async def _until_stalled(engine: MediaDownloader, state: FileState) -> Outcome:
    """The file's parts, until they are done or the watchdog finds the file stalled (it cancels
    ``state.work``: one task a file, no second one waiting for the stall)."""
    work = state.work = asyncio.ensure_future(_fetch_parts(engine, state))
    engine.watch(state)
    try:
        await asyncio.wait((work,))
    finally:
        engine.unwatch(state)
        if not work.done():
            work.cancel()  # this task was cancelled: so is its work
            await asyncio.gather(work, return_exceptions=True)
    if work.cancelled() and state.stall_reason:
        spec = state.spec
        return Stalled(
            f"{state.stall_reason} ({state.part.bytes_on_disk} of {spec.size} bytes kept in "
            f"{part_name(spec)} for the next run)"
        )
    return work.result()  # the outcome, or what the work raised


def part_name(spec: FileSpec) -> str:
    return spec.dest.name + ".part"


async def _fetch_parts(engine: MediaDownloader, state: FileState) -> Outcome:
    part = state.part
    queue = deque(part.missing())
    # A file of one part (most photos) is fetched in this task: no worker task to start and gather.
    count = min(engine.settings.parts_per_file, len(queue))
    workers = [asyncio.ensure_future(_worker(engine, state, queue)) for _ in range(count if count > 1 else 0)]
    try:
        if workers:
            await asyncio.gather(*workers)
        elif queue:
            await _worker(engine, state, queue)
    except Refused as refused:
        return Unavailable(refused.reason)
    except SizeMismatch as mismatch:
        return Unavailable(f"size: {mismatch}")
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    async with state.hash_lock:
        try:
            return await asyncio.to_thread(part.finish)
        except SizeMismatch as mismatch:
            return Unavailable(f"size: {mismatch}")


async def _worker(engine: MediaDownloader, state: FileState, queue: deque[int]) -> None:
    part, progress = state.part, engine.progress
    while queue:
        index = queue.popleft()
        nbytes = await _fetch_part(engine, state, index)
        state.progressed()
        progress.parts_fetched += 1
        progress.bytes_fetched += nbytes
        progress.bytes_done += nbytes
        state.counted += nbytes
        engine.part_written(state.spec, index)
        if state.inline:
            part.hash_ready()
        elif not state.hash_lock.locked():
            async with state.hash_lock:
                await asyncio.to_thread(part.hash_ready)


class Arrival:
    """Writes one part the moment its answer is decoded (MediaConnections calls it from the
    connection's receive loop, in the same step), then drops the bytes from the answer.

    Had the awaiting worker written it, each decoded answer would wait for its task's turn: a
    1 MiB part in memory outside any budget, lost to a kill -9 though it had reached us (the
    2 GB export held 64 such answers, 70 MB). Errors (a part of the wrong size, a full disk) must
    not break the connection's loop: they are kept and raised by the worker (``settle``)."""

    def __init__(self, part: PartFile, index: int) -> None:
        self.part, self.index = part, index
        self.written = 0
        self.error: Exception | None = None

    def __call__(self, result: Any) -> None:
        if not isinstance(result, T.upload.File) or self.part.closed:
            return  # not a part (the worker refuses it), or the file gave up meanwhile
        try:
            self.part.write(self.index, result.bytes)
        except Exception as exc:  # the worker raises it
            self.error = exc
            return
        self.written = len(result.bytes)
        result.bytes = b""

    def settle(self, result: Any) -> int:
        """The bytes written for this part, once the worker has the answer."""
        if self.error is not None:
            raise self.error
        if not isinstance(result, T.upload.File):
            # We never set cdn_supported, so Telegram has no reason to send upload.fileCdnRedirect.
            raise Refused(f"unexpected answer {type(result).__name__}")
        if not self.written:
            # Answered without the connection's hook (a request that went another way): written
            # here, after the wait for this task's turn.
            self(result)
            if self.error is not None:
                raise self.error
        return self.written


async def _fetch_part(engine: MediaDownloader, state: FileState, index: int) -> int:
    part_size = engine.settings.part_size
    offset = index * part_size
    expected = min(part_size, state.spec.size - offset)
    while True:
        generation, dc_id = state.generation, state.dc_id
        request = F.upload.GetFileRequest(state.location.input(), offset=offset, limit=part_size)
        arrival = Arrival(state.part, index)
        try:
            result: Any = await engine.get_file(dc_id, request, expected, state, arrival)
        except errors.FileMigrateError as migrate:
            # The file lives elsewhere (core.telegram.org/api/files: FILE_MIGRATE_X).
            if state.dc_id == dc_id:
                state.dc_id = migrate.new_dc
                engine.progress.migrations += 1
            continue
        except errors.RPCError as exc:
            name = error_name(exc)
            if reference_error(name):
                await _renew_reference(engine, state, generation, name)
                continue
            if exc.code == 400 or (exc.code or 0) >= 500:
                # 400: LOCATION_INVALID, LOCATION_NOT_AVAILABLE, VERSION_INVALID, FILE_ID_INVALID...;
                # 5xx that Telethon's retries did not cure. Either way this file, not the export.
                raise Refused(name) from None
            raise
        return arrival.settle(result)


async def _renew_reference(engine: MediaDownloader, state: FileState, generation: int, name: str) -> None:
    async with state.refresh_lock:
        if state.generation != generation:
            return  # another part already renewed it
        if state.answered == state._answered_at_refresh:
            state._refreshes_without_progress += 1
            if state._refreshes_without_progress >= _REFRESHES_WITHOUT_PROGRESS:
                raise Refused(f"{name}: fresh references did not work either")
        else:
            state._refreshes_without_progress = 0
        state._answered_at_refresh = state.answered
        try:
            fresh = await engine.refresh(state.spec)
        except errors.FloodError:
            raise
        except errors.RPCError as failed:
            if failed.code == 400:
                raise Refused(f"{name}; fetching the message again: {error_name(failed)}") from None
            raise
        if fresh is None:
            raise Refused(f"{name}; the message no longer holds the file")
        state.location = state.location.with_reference(fresh)
        state.generation += 1
        engine.progress.references_refreshed += 1
