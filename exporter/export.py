"""One export from start to archive: plan → fetch → store → render → package.

The regular pipeline (channels, groups, private chats, saved messages) cuts the
history into disjoint id ranges read concurrently.  The forum pipeline lists
every topic and reads each with ``messages.getReplies``, topics concurrently;
every message keeps its topic.  Both write to the per-export store, which
orders and de-duplicates, and rendering reads it back in order.

Why getReplies per topic rather than one history pass assigning topics: topic
membership then comes from Telegram's own thread index instead of our reading
of reply headers, and topics give natural units for concurrency, progress and
per-topic checks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from telethon import TelegramClient, errors
from telethon.tl import types as T

from db.store import ExportStore, StoreReader

from . import archive
from .records import NameBook, to_record
from .render.model import ChatInfo, TopicInfo
from .render.names import safe_filename
from .rendering import render_formats
from .scheduler import FetchScheduler, FloodWait
from .streams import Stream, first_page, list_topics, read_stream
from .targets import ResolvedTarget
from .timing import PACKAGING, PROCESSING, RENDERING, STORING, PhaseClock, TimingReport

FORMATS = ("json", "html", "md")
DEFAULT_FORMATS = ("json", "html")


class ExportError(Exception):
    """The export could not finish; the message is for the user."""


@dataclass(frozen=True)
class ExportOptions:
    formats: tuple[str, ...] = DEFAULT_FORMATS
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    min_id: int = 0
    max_id: int = 0
    last: int | None = None
    topics: tuple[int, ...] | None = None
    takeout: bool = False
    part_size: int = archive.DEFAULT_PART_SIZE
    # Regular chats: one concurrent id range per this many messages, at most max_shards.
    shard_messages: int = 5_000
    max_shards: int = 16
    # Most requests in flight at once; the scheduler adapts below it.
    max_concurrency: int = 32
    keep_work_dir: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "formats": list(self.formats),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "min_id": self.min_id or None,
            "max_id": self.max_id or None,
            "last": self.last,
            "topics": list(self.topics) if self.topics is not None else None,
            "takeout": self.takeout,
        }

    @property
    def bounded(self) -> bool:
        return bool(self.since or self.until or self.min_id or self.max_id or self.last)


@dataclass(frozen=True)
class Progress:
    phase: str
    done: int
    total: int | None
    elapsed: float
    active_topics: tuple[str, ...] = ()
    flood_wait: FloodWait | None = None

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if not self.total or self.rate <= 0 or self.done >= self.total:
            return None
        return (self.total - self.done) / self.rate


ProgressListener = Callable[[Progress], None]


@dataclass
class ExportResult:
    chat: ChatInfo
    parts: list[archive.ArchivePart]
    manifest: dict[str, Any]
    report: TimingReport
    complete: bool
    reason: str | None = None
    work_dir: Path | None = None


@dataclass
class _TopicState:
    info: TopicInfo
    expected: int | None = None
    written: int = 0


@dataclass
class _Run:
    """Mutable state of one export while it fetches."""

    chat: ChatInfo
    store: ExportStore
    clock: PhaseClock
    listener: ProgressListener | None
    names: NameBook = field(default_factory=NameBook)
    total: int | None = None
    done: int = 0
    active: dict[int | None, str] = field(default_factory=dict)
    topics: dict[int, _TopicState] = field(default_factory=dict)
    flood: FloodWait | None = None
    flood_until: float = 0.0

    def emit(self, phase: str = "fetching") -> None:
        if self.listener is None:
            return
        flood = self.flood if time.monotonic() < self.flood_until else None
        self.listener(
            Progress(phase, self.done, self.total, self.clock.wall, tuple(self.active.values()), flood)
        )

    def on_flood_wait(self, wait: FloodWait) -> None:
        self.flood = wait
        self.flood_until = time.monotonic() + wait.seconds
        self.emit()


def _unix(value: Any) -> int:
    return int(value.timestamp()) if isinstance(value, dt.datetime) else int(value or 0)


async def _bounds(send: Any, peer: Any, options: ExportOptions) -> tuple[int, int, int | None, int]:
    """(min_id, max_id) exclusive bounds of what to export, the chat's message count and newest id."""
    probe = await first_page(send, Stream(peer))
    newest = max((m.id for m in probe.messages if not isinstance(m, T.MessageEmpty)), default=0)
    count = getattr(probe, "count", None)
    if count is None:
        count = len(probe.messages)
    low, high = options.min_id, options.max_id or newest + 1
    stream = Stream(peer, 0, high)
    if options.since:
        # The oldest message at or after `since`: one step newer than the last one before it.
        request = stream.request(0, add_offset=-1, limit=1)
        request.offset_date = options.since
        found = [m.id for m in (await send(request)).messages if not isinstance(m, T.MessageEmpty)]
        low = max(low, found[0] - 1) if found else high
    if options.until:
        request = stream.request(0, add_offset=0, limit=1)
        request.offset_date = options.until
        found = [m.id for m in (await send(request)).messages if not isinstance(m, T.MessageEmpty)]
        high = min(high, found[0] + 1) if found else low
    if options.last is not None:
        found = [
            m.id
            for m in (
                await send(Stream(peer, low, high).request(0, add_offset=options.last - 1, limit=1))
            ).messages
            if not isinstance(m, T.MessageEmpty)
        ]
        if found:
            low = max(low, found[0] - 1)
    return low, high, count, newest


def _shards(peer: Any, low: int, high: int, count: int | None, options: ExportOptions) -> list[Stream]:
    span = max(0, high - low - 1)
    shards = max(1, min(options.max_shards, -(-(count or 0) // options.shard_messages), span))
    edges = [low + (span * k) // shards for k in range(shards)] + [high - 1]
    return [Stream(peer, edges[k], edges[k + 1] + 1) for k in range(shards)]


async def _fetch_stream(run: _Run, send: Any, stream: Stream, label: str) -> None:
    clock = run.clock
    topic_id = stream.topic_id
    state = run.topics.get(topic_id) if topic_id is not None else None
    run.active[topic_id if topic_id is not None else id(stream)] = label
    dumps = orjson.dumps
    try:
        async for page in read_stream(send, stream):
            with clock.phase(PROCESSING):
                names = run.names
                names.add_users(page.users)
                names.add_chats(page.chats)
                rows = [
                    (m.id, topic_id, _unix(m.date), dumps(to_record(m, names=names, topic_id=topic_id)))
                    for m in page.messages
                ]
            if state is not None and state.expected is None and page.count is not None:
                state.expected = page.count
            inserted, seconds = await run.store.put_messages(rows)
            clock.add(STORING, seconds)
            run.done += inserted
            if state is not None:
                state.written += inserted
            run.emit()
    finally:
        run.active.pop(topic_id if topic_id is not None else id(stream), None)


def _topic_info(topic: T.ForumTopic) -> TopicInfo:
    return TopicInfo(
        id=topic.id,
        title=topic.title,
        closed=bool(topic.closed),
        hidden=bool(topic.hidden),
        icon_color=topic.icon_color or 0,
    )


async def _plan(
    run: _Run, send: Any, target: ResolvedTarget, options: ExportOptions
) -> list[tuple[Stream, str]]:
    peer = target.input_peer
    low, high, count, _ = await _bounds(send, peer, options)
    run.total = None if options.bounded else count
    if not target.is_forum:
        return [(stream, run.chat.name or "chat") for stream in _shards(peer, low, high, count, options)]
    topics, users, chats = await list_topics(send, peer)
    run.names.add_users(users)
    run.names.add_chats(chats)
    wanted = options.topics
    if wanted is None and target.topic_id is not None:
        wanted = (target.topic_id,)
    if wanted is None and target.message_id is not None and any(t.id == target.message_id for t in topics):
        wanted = (target.message_id,)
    if wanted is not None:
        unknown = sorted(set(wanted) - {t.id for t in topics})
        if unknown:
            raise ExportError(f"This forum has no topic {', '.join(map(str, unknown))}.")
        topics = [t for t in topics if t.id in wanted]
        run.total = None
    for topic in topics:
        run.topics[topic.id] = _TopicState(_topic_info(topic))
    return [(Stream(peer, low, high, topic.id), topic.title) for topic in topics]


def _topic_infos(run: _Run) -> list[TopicInfo]:
    infos = []
    for state in run.topics.values():
        info = state.info
        infos.append(
            TopicInfo(
                info.id, info.title, info.closed, info.hidden, info.icon_color, message_count=state.written
            )
        )
    return infos


def _render(
    store_path: Path, out_dir: Path, chat: ChatInfo, topics: list[TopicInfo] | None, formats: tuple[str, ...]
) -> tuple[list[Path], float]:
    started = time.perf_counter()
    with StoreReader(store_path) as reader:
        files = render_formats(reader, out_dir, chat, topics, formats)
    return files, time.perf_counter() - started


def _manifest(
    run: _Run,
    options: ExportOptions,
    files_root: Path,
    files: list[Path],
    complete: bool,
    reason: str | None,
    report: TimingReport,
    store_path: Path,
) -> dict[str, Any]:
    with StoreReader(store_path) as reader:
        counts = {c.topic_id: c for c in reader.counts()}
        gaps = reader.gaps()
    topics = []
    for topic_id, state in run.topics.items():
        c = counts.get(topic_id)
        topics.append(
            {
                "id": topic_id,
                "title": state.info.title,
                "expected": None if options.bounded else state.expected,
                "written": state.written,
                "first_id": c.first_id if c else None,
                "last_id": c.last_id if c else None,
            }
        )
    written = sum(c.messages for c in counts.values())
    return {
        "format": "telegram-export-bot/manifest",
        "version": 1,
        "chat": {
            "id": run.chat.id,
            "name": run.chat.name,
            "type": run.chat.type,
            "username": run.chat.username,
            "is_forum": run.chat.is_forum,
        },
        "complete": complete,
        "reason": reason,
        "messages": {
            "expected": run.total,
            "written": written,
            "first_id": min((c.first_id for c in counts.values() if c.first_id), default=None),
            "last_id": max((c.last_id for c in counts.values() if c.last_id), default=None),
            "gaps": gaps,
        },
        "topics": topics if run.chat.is_forum else None,
        "options": options.to_dict(),
        "timing": report.to_dict(),
        "files": archive.file_checksums(files_root, files),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def export_name(chat: ChatInfo) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{safe_filename(chat.name, fallback=chat.type, max_bytes=60)}-{chat.id}-{stamp}"


def _explain(exc: BaseException) -> str:
    """One line for the user about a Telegram error that stopped an export."""
    if isinstance(exc, errors.TakeoutInitDelayError):
        return (
            f"Telegram wants the data export confirmed first: allow it in another Telegram app "
            f"(a service message asks), or wait {exc.seconds} s; or export without takeout."
        )
    if isinstance(exc, errors.ChannelPrivateError | errors.ChatForbiddenError | errors.ChannelInvalidError):
        return "The exporting account has no access to that chat any more (private, left or banned)."
    if isinstance(exc, errors.FloodWaitError):
        return f"Telegram asked us to wait {exc.seconds} s before reading more."
    if isinstance(exc, errors.RPCError):
        return f"Telegram refused a request: {exc.message} ({exc.code})."
    return f"The connection to Telegram was lost: {exc}."


async def _fetch(
    client: TelegramClient, run: _Run, target: ResolvedTarget, options: ExportOptions
) -> str | None:
    """Plan and read everything into the store; the reason it stopped early, or None when complete.

    Errors before the first message raise ExportError: there is nothing to deliver."""
    async with AsyncExitStack() as stack:
        send: Any = client
        try:
            if options.takeout:
                send = await stack.enter_async_context(_takeout(client))
            scheduler = FetchScheduler(
                send,
                run.clock,
                on_flood_wait=run.on_flood_wait,
                initial_concurrency=min(4, options.max_concurrency),
                max_concurrency=options.max_concurrency,
            )
            plan = await _plan(run, scheduler, target, options)
        except (errors.RPCError, ConnectionError, OSError) as exc:
            raise ExportError(_explain(exc)) from exc
        await run.store.put_topics(
            [(s.info.id, s.info.title, {}, s.expected or 0) for s in run.topics.values()]
        )
        stopped: BaseException | None = None
        try:
            async with asyncio.TaskGroup() as group:
                for stream, label in plan:
                    group.create_task(_fetch_stream(run, scheduler, stream, label))
        except* (errors.RPCError, ConnectionError, OSError) as failure:
            stopped = failure.exceptions[0]
    return None if stopped is None else _explain(stopped)


async def export_chat(
    client: TelegramClient,
    target: ResolvedTarget,
    options: ExportOptions,
    out_dir: Path,
    *,
    on_progress: ProgressListener | None = None,
) -> ExportResult:
    unknown = sorted(set(options.formats) - set(FORMATS))
    if unknown or not options.formats:
        choices = ", ".join(FORMATS)
        raise ExportError(f"Unknown format {', '.join(unknown) or '(none)'}: choose from {choices}.")
    clock = PhaseClock()
    name = export_name(target.chat)
    work_dir = out_dir / ".work" / name
    render_dir = work_dir / "export"
    work_dir.mkdir(parents=True, exist_ok=True)
    store_path = work_dir / "messages.sqlite"
    store = await ExportStore.open(store_path)
    run = _Run(target.chat, store, clock, on_progress)
    try:
        reason = await _fetch(client, run, target, options)
    except ExportError:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    finally:
        await store.close()
    complete = reason is None

    run.emit("rendering")
    topics = _topic_infos(run) if target.is_forum else None
    files, seconds = await asyncio.to_thread(
        _render, store_path, render_dir, target.chat, topics, options.formats
    )
    clock.add(RENDERING, seconds)

    run.emit("packaging")
    manifest = _manifest(
        run, options, render_dir, files, complete, reason, clock.report(run.done), store_path
    )
    # An incomplete export is delivered too (never lose what was read), but its name says so.
    destination = out_dir / (f"{name}.zip" if complete else f"{name}.PARTIAL.zip")
    parts, seconds = await asyncio.to_thread(
        archive.package, render_dir, files, manifest, destination, options.part_size
    )
    clock.add(PACKAGING, seconds)
    clock.finish()
    if not options.keep_work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)
    run.emit("done")
    kept = work_dir if options.keep_work_dir else None
    return ExportResult(target.chat, parts, manifest, clock.report(run.done), complete, reason, kept)


def _takeout(client: TelegramClient) -> Any:
    return client.takeout(
        finalize=True, contacts=False, users=True, chats=True, megagroups=True, channels=True, files=False
    )
