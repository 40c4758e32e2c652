"""Reading the planned id ranges concurrently into the per-export store.

Each range is one stream of pages; a page (with the files its messages hold,
for the media stage) and its range's cursor are written in one transaction, so
a crash, a kill or a lost connection loses nothing and the next run continues
each range from its cursor.  The store orders and
de-duplicates; a Bloom filter in front of it (exporter.dedupe) skips the lookup
for ids never seen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from contextlib import AsyncExitStack
from typing import Any

import orjson
from telethon import TelegramClient, errors
from telethon.tl import types as T

from db.store import Row, StreamRow

from .comments import fetch_comments, has_comments, mark_thread
from .dedupe import SeenFilter, capacity_for
from .errors import ExportError, explain, is_disk_full
from .eta import LimitedSince, RateWindow
from .filters.pushdown import SearchStream
from .filters.resolve import bound_filter
from .media.capture import RefRow, file_refs
from .migrated import read_plan_row
from .options import ExportOptions
from .plan import SEARCH_PREFIX, load_or_make_plan
from .records import to_record, topic_of
from .run import ExportRun
from .scheduler import FetchScheduler
from .streams import Stream
from .takeout import takeout
from .targets import ResolvedTarget
from .timing import PROCESSING, STORING
from .topics import snapshot_counts


def _unix(value: Any) -> int:
    return int(value.timestamp()) if isinstance(value, dt.datetime) else int(value or 0)


def _rows(run: ExportRun, messages: list[Any], topic_id: int | None) -> tuple[list[Row], list[RefRow]]:
    """Messages → store rows, and the files their records name (exporter.media.capture); a forum
    history pass assigns each message its topic."""
    names, dumps = run.names, orjson.dumps
    rows: list[Row] = []
    refs: list[RefRow] = []
    assign = run.chat.is_forum and topic_id is None
    after, keep = run.after, run.keep
    for m in messages:
        topic = topic_of(m, is_forum=True) if assign else topic_id
        if assign and m.id <= after.get(topic, 0):
            continue  # incremental: this topic was delivered up to a later id than the pass starts at
        date = _unix(m.date)
        record = to_record(m, names=names, topic_id=topic)
        if keep is not None and not keep(record, m):
            continue  # filtered out: never stored, so neither rendered nor its files downloaded
        if run.with_comments:
            mark_thread(record, m)
        rows.append((m.id, topic, date, dumps(record)))
        refs += file_refs(m, record, topic, date)
    return rows, refs


def _answered_once(answer: Any, send: Any) -> Any:
    """``send``, whose first request is answered with what planning already asked (plan.py)."""
    first = [answer]

    async def answered(request: Any) -> Any:
        return first.pop() if first else await send(request)

    return answered


async def _fetch_stream(run: ExportRun, send: Any, row: StreamRow, peer: Any, first: Any = None) -> None:
    clock, store = run.clock, run.store
    if first is not None:
        send = _answered_once(first, send)
    run.active[row.key] = row.label
    search = run.search if row.key.startswith(SEARCH_PREFIX) else None
    stream = (
        Stream(peer, row.min_id, row.max_id, row.topic_id)
        if search is None
        else SearchStream(peer, row.min_id, row.max_id, row.topic_id, search)
    )
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
                rows, refs = _rows(run, messages, row.topic_id)
            with clock.phase(STORING):
                inserted = store.put_page(
                    rows, stream=row.key, cursor=page.messages[-1].id, expected=page.count, refs=refs
                )
            run.count_read(inserted)
            if search is not None:
                # After the page is stored: a crash in between under-counts (never claims too much).
                run.search_read += len(page.messages)
                store.set_meta("search_read", run.search_read)
            run.emit()
        store.finish_stream(row.key)
    finally:
        run.active.pop(row.key, None)


async def _count_topics(run: ExportRun, send: Any, peer: Any) -> None:
    high = run.snapshot.max_id + 1
    run.topic_counts, run.snapshot.newer_left_out = await snapshot_counts(
        send, peer, [t.id for t in run.topics], high
    )


async def fetch(
    client: TelegramClient,
    run: ExportRun,
    target: ResolvedTarget,
    options: ExportOptions,
    session: AsyncExitStack,
) -> str | None:
    """Plan (or reload the plan) and read everything into the store.

    Returns the reason the export stopped early, or None when complete.  Errors before the plan exists raise ExportError: there is
    nothing to deliver.  A whole forum's topic counts are still being asked when this returns
    (``run.counting``); ``session`` keeps the takeout, when asked for, open until the caller has them."""
    run.with_comments = options.comments and has_comments(target)
    send: Any = client
    try:
        # Telethon knows the account's id once logged in: no request.
        run.names.account = T.PeerUser((await client.get_me(input_peer=True)).user_id)
        if options.takeout:
            send = await session.enter_async_context(takeout(client))
        scheduler = FetchScheduler(
            send,
            run.clock,
            on_flood_wait=run.on_flood_wait,
            initial_concurrency=min(4, options.max_concurrency),
            max_concurrency=options.max_concurrency,
            longest_wait=options.longest_flood_wait,
        )

        async def prepare() -> None:
            bound = await bound_filter(client, run, options)
            run.keep, run.search = bound.keep, bound.search

        streams, prefetched = await load_or_make_plan(
            run, scheduler, target, options, prepare if options.filter is not None else None
        )
        run.search_read = int(str(run.store.get_meta("search_read") or 0))
        if run.planned is not None:
            run.planned(run.total if run.total is not None else sum(run.topic_counts.values()) or None)
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
                    first = prefetched.get(row.key)
                    group.create_task(_fetch_stream(run, scheduler, row, target.input_peer, first))
    except* (errors.RPCError, errors.AuthKeyNotFound, OSError, sqlite3.Error) as failure:
        failures = failure.exceptions
    if run.with_comments and not failures:
        # After the posts: they say which have comments, how many, and up to which id.
        failures = await fetch_comments(run, scheduler, target, options)
    if run.counts_after_reading and not failures:
        # Paced by the same scheduler: it knows the rate Telegram allows by now.
        run.counting = asyncio.create_task(_count_topics(run, scheduler, target.input_peer))
    local = next((f for f in failures if is_disk_full(f) or isinstance(f, sqlite3.Error)), None)
    if local is not None:
        # The disk or the store failed, not Telegram: rendering now would fail too; stop, resumable.
        raise local
    return explain(failures[0]) if failures else None
