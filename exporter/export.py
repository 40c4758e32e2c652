"""One export from start to archive: plan → fetch → store → render → package.

Both pipelines cut the history into disjoint id ranges read concurrently and
write to the per-export store, which orders and de-duplicates; rendering reads
it back in order.

Forums: a whole forum is read as one sharded history pass, each message
assigned to its topic from its reply header (what Telegram Web does), and each
topic's message count is asked of Telegram's own thread index
(``messages.getReplies``) to check the assignment: the manifest shows both.
Measured on the sandbox (20 topics, 100,000 messages, 130 ms per request),
reading topic by topic with getReplies reached 2,030 msg/s, because the largest
topic is one sequential stream, while the sharded history pass is limited only
by concurrency and CPU.  A subset of topics (or a topic link) is read with
getReplies per topic, so nothing else is fetched.

Resuming: the plan (id ranges, topics) and each range's cursor live in the
store next to the messages, and a page and its cursor are written in one
transaction.  Run an export again with the same work folder after a crash, a
kill or a lost connection and it continues where it stopped; rendering and
packaging simply run again from the store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import shutil
import sqlite3
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from telethon import TelegramClient, errors
from telethon.tl import types as T

from db.private import make_private_dir
from db.store import ExportStore, StoreOverview, StoreReader, StreamRow

from . import archive, workdir
from .bounds import find_range
from .completeness import count_mismatch, with_header_topics
from .dedupe import SeenFilter, capacity_for
from .errors import DiskFull, ExportError, WorkStoreDamaged, explain, is_disk_full
from .eta import LimitedSince, RateWindow, remaining_seconds, steady_rate
from .migrated import read_plan_row, upgraded_group_stream
from .options import ExportOptions
from .records import NameBook, to_record, topic_of
from .render.local_time import LocalTime
from .render.model import PAGE_SIZE, ChatInfo, TopicInfo
from .render.names import safe_filename
from .rendering import render_formats
from .scheduler import FetchScheduler, FloodWait
from .streams import Stream, list_topics
from .takeout import takeout
from .targets import ResolvedTarget
from .timing import PACKAGING, PROCESSING, RENDERING, STORING, PhaseClock, TimingReport
from .topics import Snapshot, snapshot_counts

STORE_FILE = "messages.sqlite"
PLAN_VERSION = 1


@dataclass(frozen=True)
class Progress:
    phase: str
    done: int
    total: int | None
    elapsed: float
    active_topics: tuple[str, ...] = ()
    flood_wait: FloodWait | None = None
    # Set once Telegram refused a request for flooding: from then on Telegram is the limit.
    limited: LimitedSince | None = None
    # Where this run's recent rate is measured from; None until fetching has settled (eta.py).
    measured_since: LimitedSince | None = None
    # Of ``done``, the messages an earlier run of this export had saved.
    already_saved: int = 0

    @property
    def rate(self) -> float:
        for since in (self.limited, self.measured_since, LimitedSince(0.0, self.already_saved)):
            rate = steady_rate(self.done, self.elapsed, since)
            if rate > 0:
                return rate
        return 0.0

    @property
    def eta(self) -> float | None:
        if self.limited is None and self.measured_since is None:
            return None  # never from the first second's rate
        return remaining_seconds(self.done, self.total, self.rate)


ProgressListener = Callable[[Progress], None]


@dataclass
class ExportResult:
    chat: ChatInfo
    parts: list[archive.ArchivePart]
    manifest: dict[str, Any]
    report: TimingReport
    complete: bool
    reason: str | None = None
    # Highest message id per topic (None outside forums): where the next incremental export starts.
    last_ids: dict[int | None, int] = field(default_factory=dict)


@dataclass
class _Run:
    """Mutable state of one export while it fetches."""

    chat: ChatInfo
    store: ExportStore
    clock: PhaseClock
    listener: ProgressListener | None
    seen: SeenFilter | None = None
    names: NameBook = field(default_factory=NameBook)
    total: int | None = None
    done: int = 0
    active: dict[str, str] = field(default_factory=dict)
    topics: list[TopicInfo] = field(default_factory=list)
    # Forums: Telegram's count per topic (from getReplies), to check the topic assignment against.
    topic_counts: dict[int, int] = field(default_factory=dict)
    # Incremental forums: per topic, the highest id already delivered.
    after: dict[int | None, int] = field(default_factory=dict)
    flood: FloodWait | None = None
    flood_until: float = 0.0
    limited: LimitedSince | None = None
    # Messages an earlier run of this export had saved, and this run's fetching rate (eta.py).
    already_saved: int = 0
    rates: RateWindow | None = None
    # Everything up to the newest message seen when the export started; newer ones are left out.
    snapshot: Snapshot = field(default_factory=lambda: Snapshot(0))
    # Where the export writes: a new plan checks there is room for it.
    work_dir: Path = Path()
    out_dir: Path = Path()

    def emit(self, phase: str = "fetching") -> None:
        if self.listener is None:
            return
        flood = self.flood if time.monotonic() < self.flood_until else None
        active = tuple(self.active.values())
        elapsed, since = self.clock.wall, None
        if self.rates is not None:
            self.rates.add(elapsed, self.done)
            since = self.rates.measured_since(elapsed)
        self.listener(
            Progress(
                phase, self.done, self.total, elapsed, active, flood, self.limited, since, self.already_saved
            )
        )

    def on_flood_wait(self, wait: FloodWait) -> None:
        if self.limited is None:
            self.limited = LimitedSince(self.clock.wall, self.done)
        self.flood = wait
        self.flood_until = time.monotonic() + wait.seconds
        self.emit()


def _unix(value: Any) -> int:
    return int(value.timestamp()) if isinstance(value, dt.datetime) else int(value or 0)


async def _bounds(send: Any, peer: Any, options: ExportOptions) -> tuple[int, int, int | None]:
    """(min_id, max_id) exclusive bounds of what to export, and the chat's message count."""
    found = await find_range(
        send,
        Stream(peer),
        min_id=options.min_id,
        max_id=options.max_id,
        since=options.since,
        until=options.until,
        last=options.last,
    )
    return found.low, found.high, found.count


def _shards(low: int, high: int, count: int | None, options: ExportOptions, label: str) -> list[StreamRow]:
    span = max(0, high - low - 1)
    shards = max(1, min(options.max_shards, -(-(count or 0) // options.shard_messages), span))
    edges = [low + (span * k) // shards for k in range(shards)] + [high - 1]
    return [
        StreamRow(f"chat:{edges[k]}-{edges[k + 1] + 1}", None, edges[k], edges[k + 1] + 1, label, edges[k])
        for k in range(shards)
    ]


def _topic_info(topic: T.ForumTopic) -> TopicInfo:
    return TopicInfo(
        id=topic.id,
        title=topic.title,
        closed=bool(topic.closed),
        hidden=bool(topic.hidden),
        icon_color=topic.icon_color or 0,
    )


async def _plan(run: _Run, send: Any, target: ResolvedTarget, options: ExportOptions) -> list[StreamRow]:
    peer = target.input_peer
    if options.topics is not None and not target.is_forum:
        raise ExportError("This chat is not a forum, so it has no topics: export it without choosing topics.")
    low, high, count = await _bounds(send, peer, options)
    after = dict(options.after)
    run.total = None if options.bounded else count
    run.snapshot = Snapshot(high - 1)
    if not target.is_forum:
        rows = _shards(max(low, after.get(None, 0)), high, count, options, run.chat.name or "chat")
        # A supergroup upgraded from a basic group holds the group's history too.
        upgraded = await upgraded_group_stream(send, target, options)
        if upgraded is not None:
            rows.append(upgraded[0])
            if run.total is not None:
                run.total += upgraded[1]
        return rows
    topics, users, chats = await list_topics(send, peer)
    run.names.add_users(users)
    run.names.add_chats(chats)
    wanted = options.topics
    if wanted is None and target.topic_id is not None:
        wanted = (target.topic_id,)
    if wanted is None and target.message_id is not None and any(t.id == target.message_id for t in topics):
        wanted = (target.message_id,)
    if wanted == ():
        raise ExportError("No topic chosen: name at least one topic id (General is 1), or export them all.")
    if wanted is not None:
        unknown = sorted(set(wanted) - {t.id for t in topics})
        if unknown:
            raise ExportError(f"This forum has no topic {', '.join(map(str, unknown))}.")
        topics = [t for t in topics if t.id in wanted]
        run.total = None
    run.topics = [_topic_info(t) for t in topics]
    run.topic_counts, run.snapshot.newer_left_out = await snapshot_counts(
        send, peer, [t.id for t in topics], high
    )
    if wanted is None:
        # Incremental: start at the oldest topic checkpoint; newer checkpoints filter per message.
        start = max(low, min((after.get(t.id, 0) for t in topics), default=0))
        return _shards(start, high, count, options, run.chat.name or "forum")
    streams = []
    for topic in topics:
        start = max(low, after.get(topic.id, 0))
        streams.append(
            StreamRow(f"topic:{topic.id}:{start}-{high}", topic.id, start, high, topic.title, start)
        )
    return streams


async def _load_or_make_plan(
    run: _Run, send: Any, target: ResolvedTarget, options: ExportOptions
) -> list[StreamRow]:
    """The stored plan when resuming this very export, else a new one (stored before any fetch)."""
    store = run.store
    plan = store.get_meta("plan")
    identity = {"version": PLAN_VERSION, "chat_id": target.chat.id, "options": options.identity()}
    if plan is not None:
        if plan["identity"] != identity:
            raise ExportError(
                "This work folder holds another export (a different chat or options): use a new folder."
            )
        run.total = plan["total"]
        run.topics = [TopicInfo(**t) for t in plan["topics"]]
        run.topic_counts = {int(k): v for k, v in plan["topic_counts"].items()}
        run.snapshot = Snapshot.from_plan(plan.get("snapshot"))
        return store.streams()
    streams = await _plan(run, send, target, options)
    workdir.check_room(run.work_dir, run.out_dir, run.total)
    store.add_streams(streams)
    topics = [asdict(t) for t in run.topics]
    plan = {
        "identity": identity,
        "total": run.total,
        "topics": topics,
        "topic_counts": run.topic_counts,
        "snapshot": run.snapshot.to_plan(),
    }
    store.set_meta("plan", plan)
    return streams


def _rows(run: _Run, messages: list[Any], topic_id: int | None) -> list[tuple[int, int | None, int, bytes]]:
    """Messages → store rows; a forum history pass assigns each message its topic."""
    names, dumps, rows = run.names, orjson.dumps, []
    assign = run.chat.is_forum and topic_id is None
    after = run.after
    for m in messages:
        topic = topic_of(m, is_forum=True) if assign else topic_id
        if assign and m.id <= after.get(topic, 0):
            continue  # incremental: this topic was delivered up to a later id than the pass starts at
        rows.append((m.id, topic, _unix(m.date), dumps(to_record(m, names=names, topic_id=topic))))
    return rows


async def _fetch_stream(run: _Run, send: Any, row: StreamRow, peer: Any) -> None:
    clock, store = run.clock, run.store
    run.active[row.key] = row.label
    stream = Stream(peer, row.min_id, row.max_id, row.topic_id)
    try:
        async for page in read_plan_row(send, row, stream):
            messages = page.messages
            seen = run.seen
            if seen is not None:
                with clock.phase(PROCESSING):
                    maybe = seen.check_and_add_page([m.id for m in messages])
                if maybe:
                    with clock.phase(STORING):
                        stored = store.present(maybe)
                    messages = [m for m in messages if m.id not in stored]
            with clock.phase(PROCESSING):
                run.names.add_users(page.users)
                run.names.add_chats(page.chats)
                rows = _rows(run, messages, row.topic_id)
            with clock.phase(STORING):
                inserted = store.put_page(
                    rows, stream=row.key, cursor=page.messages[-1].id, expected=page.count
                )
            run.done += inserted
            run.emit()
        store.finish_stream(row.key)
    finally:
        run.active.pop(row.key, None)


def _render(
    store_path: Path, out_dir: Path, run: _Run, formats: tuple[str, ...], time_zone: str
) -> tuple[list[Path], StoreOverview, float]:
    started = time.perf_counter()
    if out_dir.exists():
        # A resumed export renders again from the store; nothing of an interrupted run stays.
        shutil.rmtree(out_dir)
    with StoreReader(store_path) as reader:
        overview = reader.overview(PAGE_SIZE)
        if run.chat.is_forum:
            # Topics missing from Telegram's list still get their pages and manifest lines.
            run.topics = with_header_topics(run.topics, (c.topic_id for c in overview.counts))
        topics = _counted_topics(run, overview) if run.chat.is_forum else None
        files = render_formats(
            reader, out_dir, run.chat, topics, formats, overview.page_starts, LocalTime(time_zone)
        )
    return files, overview, time.perf_counter() - started


def _counted_topics(run: _Run, overview: StoreOverview) -> list[TopicInfo]:
    counts = {c.topic_id: c.messages for c in overview.counts}
    return [
        TopicInfo(t.id, t.title, t.closed, t.hidden, t.icon_color, message_count=counts.get(t.id, 0))
        for t in run.topics
    ]


def _manifest(
    run: _Run,
    options: ExportOptions,
    files_root: Path,
    files: list[Path],
    complete: bool,
    reason: str | None,
    report: TimingReport,
    overview: StoreOverview,
) -> dict[str, Any]:
    counts = {c.topic_id: c for c in overview.counts}
    expected = run.topic_counts
    topics = []
    for topic in run.topics:
        c = counts.get(topic.id)
        topics.append(
            {
                "id": topic.id,
                "title": topic.title,
                "expected": None if options.bounded else expected.get(topic.id),
                "written": c.messages if c else 0,
                "first_id": c.first_id if c else None,
                "last_id": c.last_id if c else None,
                "newer_messages_left_out": run.snapshot.newer_left_out.get(topic.id, 0),
            }
        )
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
            "written": sum(c.messages for c in counts.values()),
            "first_id": min((c.first_id for c in counts.values() if c.first_id), default=None),
            "last_id": max((c.last_id for c in counts.values() if c.last_id), default=None),
            "gaps": overview.gaps,
        },
        "topics": topics if run.chat.is_forum else None,
        "snapshot": run.snapshot.to_dict(),
        # An incremental export says what it covers: messages after these ids (per topic).
        "incremental": (
            {"after_ids": {("chat" if t is None else str(t)): i for t, i in options.after}}
            if options.after
            else None
        ),
        "options": options.identity(),
        # Dates are local to this zone, without a suffix, as in Telegram Desktop's export.
        "time_zone": options.time_zone,
        "timing": report.to_dict(),
        "files": archive.file_checksums(files_root, files),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def default_work_dir(out_dir: Path, chat: ChatInfo, options: ExportOptions) -> Path:
    """The same chat with the same options always lands in the same folder, so running an
    interrupted export again resumes it."""
    digest = hashlib.sha256(orjson.dumps(options.identity(), option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]
    return out_dir / ".work" / f"{chat.id}-{digest}"


def export_name(chat: ChatInfo) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{safe_filename(chat.name, fallback=chat.type, max_bytes=60)}-{chat.id}-{stamp}"


async def _fetch(
    client: TelegramClient, run: _Run, target: ResolvedTarget, options: ExportOptions
) -> str | None:
    """Plan (or reload the plan) and read everything into the store.

    Returns the reason the export stopped early, or None when complete.  Errors before the plan exists raise ExportError: there is
    nothing to deliver."""
    async with AsyncExitStack() as stack:
        send: Any = client
        try:
            # Telethon knows the account's id once logged in: no request.
            run.names.account = T.PeerUser((await client.get_me(input_peer=True)).user_id)
            if options.takeout:
                send = await stack.enter_async_context(takeout(client))
            scheduler = FetchScheduler(
                send,
                run.clock,
                on_flood_wait=run.on_flood_wait,
                initial_concurrency=min(4, options.max_concurrency),
                max_concurrency=options.max_concurrency,
                longest_wait=options.longest_flood_wait,
            )
            streams = await _load_or_make_plan(run, scheduler, target, options)
        except (errors.RPCError, errors.AuthKeyNotFound, ConnectionError, OSError) as exc:
            raise ExportError(explain(exc)) from exc
        capacity = options.bloom_capacity or capacity_for(run.total)
        run.seen = SeenFilter(capacity, error_rate=options.bloom_error_rate)
        run.done = run.already_saved = run.store.count()
        if run.done:
            # Resuming: the filter must know everything already stored.
            run.seen.add_all(await run.store.stored_ids())
        failures: tuple[BaseException, ...] = ()
        # Reading starts now: planning and loading what was saved are not part of the rate.
        run.rates = RateWindow(LimitedSince(run.clock.wall, run.done))
        try:
            async with asyncio.TaskGroup() as group:
                for row in streams:
                    if not row.done:
                        group.create_task(_fetch_stream(run, scheduler, row, target.input_peer))
        except* (errors.RPCError, errors.AuthKeyNotFound, OSError, sqlite3.Error) as failure:
            failures = failure.exceptions
    local = next((f for f in failures if is_disk_full(f) or isinstance(f, sqlite3.Error)), None)
    if local is not None:
        # The disk or the store failed, not Telegram: rendering now would fail too; stop, resumable.
        raise local
    return explain(failures[0]) if failures else None


async def export_chat(
    client: TelegramClient,
    target: ResolvedTarget,
    options: ExportOptions,
    out_dir: Path,
    *,
    work_dir: Path | None = None,
    on_progress: ProgressListener | None = None,
    keep_work_dir: bool = False,
) -> ExportResult:
    """Export one chat into ``out_dir``.

    ``work_dir`` keeps the resumable store: pass the same folder again after an
    interruption to continue.  It is deleted once the archive is written, unless
    ``keep_work_dir`` (the bot deletes it once the archive is delivered)."""
    options.check()
    work_dir = work_dir or default_work_dir(out_dir, target.chat, options)
    resuming = (work_dir / STORE_FILE).exists()
    make_private_dir(out_dir)
    make_private_dir(work_dir)
    with workdir.locked(work_dir):
        try:
            return await _export_locked(
                client, target, options, out_dir, work_dir, on_progress, resuming, keep_work_dir
            )
        except (OSError, sqlite3.Error) as exc:
            # What was fetched stays in the work folder: the next run continues from it.
            if is_disk_full(exc):
                filename = exc.filename if isinstance(exc, OSError) else None
                where = Path(filename).parent if filename else workdir.fullest(work_dir, out_dir)
                raise DiskFull(where) from exc
            if isinstance(exc, sqlite3.DatabaseError):
                raise WorkStoreDamaged(work_dir, str(exc)) from exc
            raise


async def _export_locked(
    client: TelegramClient,
    target: ResolvedTarget,
    options: ExportOptions,
    out_dir: Path,
    work_dir: Path,
    on_progress: ProgressListener | None,
    resuming: bool,
    keep_work_dir: bool,
) -> ExportResult:
    clock = PhaseClock()
    store_path = work_dir / STORE_FILE
    store = workdir.open_store(work_dir, STORE_FILE)
    run = _Run(
        target.chat, store, clock, on_progress, after=dict(options.after), work_dir=work_dir, out_dir=out_dir
    )
    try:
        name = store.get_meta("name")
        if name is None:
            name = export_name(target.chat)
            store.set_meta("name", name)
        reason = await _fetch(client, run, target, options)
    except ExportError:
        store.close()
        if not resuming:
            shutil.rmtree(work_dir, ignore_errors=True)
        raise
    finally:
        store.close()
    complete = reason is None

    run.emit("rendering")
    render_dir = work_dir / "export"
    files, overview, seconds = await asyncio.to_thread(
        _render, store_path, render_dir, run, options.formats, options.time_zone
    )
    clock.add(RENDERING, seconds)

    run.emit("packaging")
    manifest = _manifest(
        run, options, render_dir, files, complete, reason, clock.report(run.done, run.already_saved), overview
    )
    mismatch = count_mismatch(manifest) if complete else None
    if mismatch is not None:
        complete, reason = False, mismatch
        manifest.update(complete=False, reason=reason)
    last_ids = {c.topic_id: c.last_id for c in overview.counts if c.last_id}
    # An incomplete export is delivered too (never lose what was read), but its name says so.
    destination = workdir.reserve(out_dir / (f"{name}.zip" if complete else f"{name}.PARTIAL.zip"))
    parts, seconds = await asyncio.to_thread(
        archive.package, render_dir, files, manifest, destination, options.part_size
    )
    clock.add(PACKAGING, seconds)
    clock.finish()
    if complete and not keep_work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)
    run.emit("done")
    return ExportResult(
        target.chat, parts, manifest, clock.report(run.done, run.already_saved), complete, reason, last_ids
    )
