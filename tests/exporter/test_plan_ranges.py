"""The id ranges a new plan cuts a history into, and what reading them costs in requests."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from telethon import errors
from telethon.tl import types as T

from exporter.fetch import _answered_once
from exporter.options import ExportOptions
from exporter.plan import _cut_at_pages, _shards
from exporter.streams import PAGE_LIMIT, Stream, read_stream


class History:
    """A channel's history of the given ids, answering GetHistoryRequest by offset paging as
    Telegram does (offset_id, add_offset, limit; api/offsets), counting the requests."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = sorted(ids)
        self.requests = 0

    async def __call__(self, request: Any) -> Any:
        self.requests += 1
        newest_first = sorted(self.ids, reverse=True)
        # offset_id: the slice starts at the first message older than it, moved by add_offset.
        start = next(
            (i for i, msg_id in enumerate(newest_first) if msg_id < request.offset_id), len(self.ids)
        )
        start = max(0, start + request.add_offset)
        chosen = newest_first[start : start + request.limit]
        messages = [
            T.Message(id=msg_id, peer_id=T.PeerChannel(1), date=None, message="") for msg_id in chosen
        ]
        return T.messages.ChannelMessages(
            pts=1, count=len(self.ids), messages=messages, topics=[], chats=[], users=[]
        )


async def requests_to_read(history: History, rows: list[Any]) -> tuple[int, list[int]]:
    history.requests = 0
    read: list[int] = []
    for row in rows:
        async for page in read_stream(history, Stream(None, row.min_id, row.max_id)):
            read += [m.id for m in page.messages]
    return history.requests, read


def test_every_range_but_the_newest_spans_whole_pages() -> None:
    options = ExportOptions(max_shards=32, shard_messages=2_500)
    rows = _shards(0, 100_021, 99_806, options, "forum")
    assert len(rows) == 32
    spans = [row.max_id - row.min_id - 1 for row in rows]
    assert all(span % PAGE_LIMIT == 0 for span in spans[:-1])
    # Adjacent and covering (0, 100,021) exactly.
    assert rows[0].min_id == 0 and rows[-1].max_id == 100_021
    assert all(a.max_id - 1 == b.min_id for a, b in pairwise(rows))
    # A history of fewer pages than ranges: one range a page, none empty.
    few = _shards(0, 251, 250, ExportOptions(max_shards=32, shard_messages=10), "x")
    assert [row.max_id - row.min_id - 1 for row in few] == [100, 100, 50]


async def test_a_dense_history_costs_one_request_a_page_however_many_ranges() -> None:
    """10,000 messages with ids 1..10,000 in 8 ranges: 100 requests.  Red with ranges of equal id
    spans (1,249 or 1,250 ids, not whole pages): 104, four ranges's last page partly past its end."""
    history = History(list(range(1, 10_001)))
    rows = _shards(0, 10_001, 10_000, ExportOptions(max_shards=8, shard_messages=1_000), "chat")
    assert len(rows) == 8
    requests, read = await requests_to_read(history, rows)
    assert read == list(range(1, 10_001))
    assert requests == 100


async def test_a_sparse_history_is_read_exactly_once() -> None:
    """Every third id missing: pages no longer fit the ranges, and nothing is read twice or lost."""
    ids = [i for i in range(1, 9_001) if i % 3]
    history = History(ids)
    rows = _shards(0, max(ids) + 1, len(ids), ExportOptions(max_shards=8, shard_messages=500), "chat")
    requests, read = await requests_to_read(history, rows)
    assert read == ids
    assert requests <= -(-len(ids) // PAGE_LIMIT) + len(rows)


def sandbox_like_ids(last: int) -> list[int]:
    """Two ids in every 32 deleted, as the sandbox's forum has them (sandbox.world.ids)."""
    return [i for i in range(1, last + 1) if i % 32 not in (14, 19)]


async def read_plan(history: History, rows: list[Any], prefetched: dict[str, Any]) -> list[int]:
    read: list[int] = []
    for row in rows:
        first = prefetched.get(row.key)
        send = _answered_once(first, history) if first is not None else history
        async for page in read_stream(send, Stream(None, row.min_id, row.max_id)):
            read += [m.id for m in page.messages]
    return read


async def test_ranges_cut_where_a_page_asked_by_position_begins_cost_one_request_a_page() -> None:
    """20,000 messages over 21,333 ids in 8 ranges: every range ends on a page of its own, asked
    while planning and not asked again, so reading costs one request a page (200 in all).  Red with
    ranges cut by ids (_shards alone): 205, each range's last page partly the next one's; red with
    the planning's pages not handed to the reading: 207."""
    ids = sandbox_like_ids(21_333)
    history = History(ids)
    options = ExportOptions(max_shards=8, shard_messages=1_000)
    rows, prefetched = await _cut_at_pages(history, None, 0, ids[-1] + 1, len(ids), options, "chat")
    read = await read_plan(history, rows, prefetched)
    assert read == ids
    assert history.requests == -(-len(ids) // PAGE_LIMIT), f"{history.requests} requests"
    # Seven pages asked by position, each a row between the ranges read up to it.
    assert len(prefetched) == 7 and len(rows) == 15


class NoFarOffsets(History):
    """A server that moves a page by at most ``furthest`` places, whatever add_offset asks."""

    furthest = 1_000

    async def __call__(self, request: Any) -> Any:
        request.add_offset = max(request.add_offset, -self.furthest)
        return await super().__call__(request)


@pytest.mark.parametrize("furthest", [100, 1_000, 100_000])
async def test_pages_from_elsewhere_only_move_the_cuts(furthest: int) -> None:
    """Whatever page Telegram answers for a position, the rows cover the history exactly once."""
    ids = sandbox_like_ids(21_333)
    history = NoFarOffsets(ids)
    history.furthest = furthest
    options = ExportOptions(max_shards=8, shard_messages=1_000)
    rows, prefetched = await _cut_at_pages(history, None, 0, ids[-1] + 1, len(ids), options, "chat")
    assert all(a.max_id - 1 == b.min_id for a, b in pairwise(rows))
    assert rows[0].min_id == 0 and rows[-1].max_id == ids[-1] + 1
    assert await read_plan(history, rows, prefetched) == ids


async def test_no_page_is_asked_past_the_newest() -> None:
    """250 messages spread over 800 ids: three pages, so two cuts and two pages asked while
    planning.  Red without the cap at the pages of messages: seven asked (one a range cut by ids),
    five of them past the newest."""
    ids = list(range(3, 751, 3))
    history = History(ids)
    options = ExportOptions(max_shards=8, shard_messages=10)
    rows, prefetched = await _cut_at_pages(history, None, 0, 801, len(ids), options, "chat")
    assert history.requests == 2, f"{history.requests} pages asked"
    assert len(prefetched) == 2
    assert await read_plan(history, rows, prefetched) == ids


class RefusesFarOffsets(History):
    """A server that answers a large add_offset with 400 OFFSET_INVALID (guess: tgl saw it in 2016)."""

    async def __call__(self, request: Any) -> Any:
        if request.add_offset < -PAGE_LIMIT:
            raise errors.BadRequestError(request, "OFFSET_INVALID")
        return await super().__call__(request)


async def test_a_server_that_refuses_far_offsets_costs_the_cut_not_the_export() -> None:
    """The ranges are then cut by ids, as before the cut by position; the plan still covers the
    history exactly once."""
    ids = sandbox_like_ids(21_333)
    history = RefusesFarOffsets(ids)
    options = ExportOptions(max_shards=8, shard_messages=1_000)
    rows, prefetched = await _cut_at_pages(history, None, 0, ids[-1] + 1, len(ids), options, "chat")
    assert prefetched == {} and rows == _shards(0, ids[-1] + 1, len(ids), options, "chat")
    assert await read_plan(history, rows, prefetched) == ids
