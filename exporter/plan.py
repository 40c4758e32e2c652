"""The plan of one export: which id ranges (or topics) to read, stored before any fetch.

Both pipelines cut the history into disjoint id ranges read concurrently.

Forums: a whole forum is read as one sharded history pass, each message
assigned to its topic from its reply header (what Telegram Web does), and each
topic's message count is asked of Telegram's own thread index
(``messages.getReplies``) to check the assignment: the manifest shows both.
Measured on the sandbox (20 topics, 100,000 messages, 130 ms per request),
reading topic by topic with getReplies reached 2,030 msg/s, because the largest
topic is one sequential stream, while the sharded history pass is limited only
by concurrency and CPU.  A subset of topics (or a topic link) is read with
getReplies per topic, so nothing else is fetched.

Resuming: the plan (id ranges, topics) lives in the store next to the
messages, so running the same export again reloads it instead of planning anew.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from typing import Any

from telethon import errors
from telethon.tl import types as T

from db.store import StreamRow

from . import workdir
from .bounds import find_range
from .errors import ExportError
from .migrated import upgraded_group_stream
from .options import ExportOptions
from .render.model import TopicInfo
from .run import ExportRun
from .streams import PAGE_LIMIT, Stream, list_topics
from .targets import ResolvedTarget
from .topics import Snapshot, snapshot_counts

PLAN_VERSION = 1


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
    """Id ranges of whole pages: every range but the newest spans a multiple of PAGE_LIMIT ids.

    Where ids are dense, such a range ends exactly on its last page; where they are sparse, its last
    page is partly the next range's as with any other cut (a whole chat is cut at pages asked by
    position instead: _cut_at_pages).  A history of 10,000 dense ids in 8 equal ranges cost 104
    requests, in whole pages 100 (tests/exporter/test_plan_ranges.py)."""
    span = max(0, high - low - 1)
    pages = -(-span // PAGE_LIMIT)
    shards = max(1, min(options.max_shards, -(-(count or 0) // options.shard_messages), pages))
    edges = [low + PAGE_LIMIT * ((pages * k) // shards) for k in range(shards)] + [high - 1]
    return [_row(edges[k], edges[k + 1] + 1, label) for k in range(shards)]


def _row(min_id: int, max_id: int, label: str) -> StreamRow:
    """The history's ids in (min_id, max_id), read from min_id up."""
    return StreamRow(f"chat:{min_id}-{max_id}", None, min_id, max_id, label, min_id)


# A plan row's first page, asked while planning: row key -> Telegram's answer.
Prefetched = dict[str, Any]


async def _cut_at_pages(
    send: Any, peer: Any, low: int, high: int, count: int | None, options: ExportOptions, label: str
) -> tuple[list[StreamRow], Prefetched]:
    """The whole history in ranges that each end on a page of their own, asked while planning.

    Ranges cut by ids end on a page that is partly the next range's (ids are sparse: deleted ones
    leave gaps, restricted ones take a place in a page but are not sent), one request in ~32 that
    carries little: on the sandbox forum 1,028 history requests for 99,806 messages.  Here the
    range's last page is asked first, by position (offset_id just above ``low``, add_offset the
    range's pages: core.telegram.org/api/offsets; whether Telegram allows an add_offset of
    thousands is unverified, and a page from elsewhere only moves the cut), and the range ends
    where that page begins.  The page is one row of its own, answered from what was asked, so the
    cut costs no request.  Any page is a contiguous slice of the history, so whatever Telegram
    answers, the rows still cover (low, high) exactly once."""
    rows = _shards(low, high, count, options, label)
    # No more ranges than pages of messages: a page asked past the newest carries nothing new.
    ranges = min(len(rows), -(-(count or 0) // PAGE_LIMIT))
    if ranges <= 1 or not count:
        return rows, {}
    pages = -(-count // (ranges * PAGE_LIMIT))
    stream = Stream(peer)
    outcomes = await asyncio.gather(
        *(send(stream.request(low + 1, add_offset=-PAGE_LIMIT * pages * k)) for k in range(1, ranges)),
        return_exceptions=True,
    )
    answers: list[Any] = []
    for outcome in outcomes:
        if isinstance(outcome, errors.BadRequestError):
            # guess: a server that refuses an add_offset this large (tgl saw OFFSET_INVALID for
            # positive offsets in channels in 2016) costs the cut, not the export: cut by ids.
            return rows, {}
        if isinstance(outcome, BaseException):
            raise outcome
        answers.append(outcome)
    cut: list[StreamRow] = []
    prefetched: Prefetched = {}
    below = low
    for answer in answers:
        ids = [m.id for m in answer.messages if not isinstance(m, T.MessageEmpty)]
        # Past the newest (fewer messages than counted) or not above the last cut: no cut here.
        if not ids or min(ids) <= below or max(ids) >= high - 1:
            continue
        if min(ids) > below + 1:
            cut.append(_row(below, min(ids), label))
        last_page = _row(min(ids) - 1, max(ids) + 1, label)
        cut.append(last_page)
        prefetched[last_page.key] = answer
        below = max(ids)
    cut.append(_row(below, high, label))
    return cut, prefetched


def _topic_info(topic: T.ForumTopic) -> TopicInfo:
    return TopicInfo(
        id=topic.id,
        title=topic.title,
        closed=bool(topic.closed),
        hidden=bool(topic.hidden),
        icon_color=topic.icon_color or 0,
    )


# Plan rows read through messages.search (exporter.filters.pushdown) instead of the history.
SEARCH_PREFIX = "search:"

Prepare = Callable[[], Awaitable[None]]


async def _search_rows(
    run: ExportRun, send: Any, peer: Any, low: int, high: int, topic_id: int | None, options: ExportOptions
) -> list[StreamRow]:
    """The search's matches in (low, high), cut into id ranges as a history is; Telegram's count of
    them is what a complete export must have read (when nothing below ``low`` is left out)."""
    assert run.search is not None
    first = await send(run.search.request(peer, 0, 0, 1, topic_id))
    count = getattr(first, "count", len(first.messages))
    run.search_count = run.search_count + count if run.search_count is not None and low <= 0 else None
    label = run.chat.name or "chat"
    return [
        replace(row, key=SEARCH_PREFIX + row.key, topic_id=topic_id)
        for row in _shards(low, high, count, options, label)
    ]


async def _history_rows(
    send: Any,
    peer: Any,
    start: int,
    high: int,
    count: int | None,
    options: ExportOptions,
    label: str,
    prefetched: Prefetched,
) -> list[StreamRow]:
    if options.bounded:
        # Telegram's count is the whole chat's, not that of the part asked: no page positions.
        return _shards(start, high, count, options, label)
    rows, pages = await _cut_at_pages(send, peer, start, high, count, options, label)
    prefetched.update(pages)
    return rows


async def _new_plan(
    run: ExportRun,
    send: Any,
    target: ResolvedTarget,
    options: ExportOptions,
    prepare: Prepare | None,
    prefetched: Prefetched,
) -> list[StreamRow]:
    peer = target.input_peer
    if options.topics is not None and not target.is_forum:
        raise ExportError("This chat is not a forum, so it has no topics: export it without choosing topics.")
    low, high, count = await _bounds(send, peer, options)
    after = dict(options.after)
    run.total = None if options.bounded else count
    run.snapshot = Snapshot(high - 1)
    if not target.is_forum:
        if prepare is not None:
            await prepare()
        start = max(low, after.get(None, 0))
        if run.search is not None:
            rows = await _search_rows(run, send, peer, start, high, None, options)
        else:
            rows = await _history_rows(
                send, peer, start, high, count, options, run.chat.name or "chat", prefetched
            )
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
    if wanted is None:
        run.counts_after_reading = True  # exporter/topics.py says why
    else:
        run.topic_counts, run.snapshot.newer_left_out = await snapshot_counts(
            send, peer, [t.id for t in topics], high
        )
    if prepare is not None:
        await prepare()  # topic:"title" needs the topics
    if wanted is None:
        # Incremental: start at the oldest topic checkpoint; newer checkpoints filter per message.
        start = max(low, min((after.get(t.id, 0) for t in topics), default=0))
        if run.search is not None:
            searched = run.search.top_msg_id
            if searched is not None:
                # One topic searched: its own checkpoint, the others' are not read at all.
                start = max(low, after.get(searched, 0))
            return await _search_rows(run, send, peer, start, high, searched, options)
        return await _history_rows(
            send, peer, start, high, count, options, run.chat.name or "forum", prefetched
        )
    streams = []
    for topic in topics:
        start = max(low, after.get(topic.id, 0))
        if run.search is not None:
            streams += await _search_rows(run, send, peer, start, high, topic.id, options)
            continue
        streams.append(
            StreamRow(f"topic:{topic.id}:{start}-{high}", topic.id, start, high, topic.title, start)
        )
    return streams


async def load_or_make_plan(
    run: ExportRun, send: Any, target: ResolvedTarget, options: ExportOptions, prepare: Prepare | None = None
) -> tuple[list[StreamRow], Prefetched]:
    """The stored plan when resuming this very export, else a new one (stored before any fetch),
    with the first pages of rows that planning already asked for.

    ``prepare`` binds the filter once the topics are known (a new plan asks Telegram what the
    filter's search finds, so it runs before the plan is made)."""
    store = run.store
    stored = store.get_meta("plan")
    identity = {"version": PLAN_VERSION, "chat_id": target.chat.id, "options": options.identity()}
    if isinstance(stored, dict):
        if stored["identity"] != identity:
            raise ExportError(
                "This work folder holds another export (a different chat or options): use a new folder."
            )
        run.total = stored["total"]
        run.topics = [TopicInfo(**t) for t in stored["topics"]]
        run.topic_counts = {int(k): v for k, v in stored["topic_counts"].items()}
        run.counts_after_reading = bool(stored.get("counts_after_reading"))
        run.snapshot = Snapshot.from_plan(stored.get("snapshot"))
        run.search_count = stored.get("search_count")
        if prepare is not None:
            await prepare()
        return store.streams(), {}
    run.search_count = 0
    prefetched: Prefetched = {}
    streams = await _new_plan(run, send, target, options, prepare, prefetched)
    if run.search is None:
        run.search_count = None
    workdir.check_room(run.work_dir, run.out_dir, run.total)
    store.add_streams(streams)
    plan = {
        "identity": identity,
        "total": run.total,
        "topics": [asdict(t) for t in run.topics],
        "topic_counts": run.topic_counts,
        "counts_after_reading": run.counts_after_reading,
        "snapshot": run.snapshot.to_plan(),
        "search_count": run.search_count,
    }
    store.set_meta("plan", plan)
    return streams, prefetched
