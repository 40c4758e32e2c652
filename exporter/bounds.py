"""The id range an export reads, found with offset paging alone.

Telegram applies ``min_id``/``max_id`` only after it has sliced a page by
``offset_id``/``offset_date``/``add_offset``/``limit`` (core.telegram.org/api/offsets,
"Additional filtering"), so a request bounded that way may come back empty while
messages exist.  Every probe here therefore positions itself with offsets only and
reads whole pages, so one message Telegram does not show (a restricted one takes a
slot but is not sent) never hides the bound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from telethon.tl import types as T

from .streams import PAGE_LIMIT, Send, Stream


@dataclass(frozen=True)
class IdRange:
    """Exclusive bounds; ``high`` is always set (the newest id when the export started, plus one)."""

    low: int
    high: int
    count: int | None
    """Telegram's count of the whole chat."""

    @property
    def empty(self) -> bool:
        return self.low + 1 >= self.high


def _ids(result: Any) -> list[int]:
    return [m.id for m in result.messages if not isinstance(m, T.MessageEmpty)]


async def _page(
    send: Send, stream: Stream, *, offset_id: int = 0, offset_date: Any = None, add_offset: int = 0
) -> Any:
    request = stream.request(offset_id, add_offset=add_offset, limit=PAGE_LIMIT)
    request.offset_date = offset_date
    return await send(request)


async def _nth_newest_below(send: Send, stream: Stream, high: int, low: int, n: int) -> int | None:
    """The id of the ``n``-th newest message in (low, high), or None when there are fewer."""
    seen = 0
    offset_id = high
    while True:
        ids = sorted(
            (i for i in _ids(await _page(send, stream, offset_id=offset_id)) if i < offset_id), reverse=True
        )
        for msg_id in ids:
            if msg_id <= low:
                return None
            seen += 1
            if seen == n:
                return msg_id
        if not ids:
            return None
        offset_id = ids[-1]


async def find_range(
    send: Send,
    stream: Stream,
    *,
    min_id: int = 0,
    max_id: int = 0,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    last: int | None = None,
) -> IdRange:
    """The (low, high) exclusive id bounds of what to export, from the chat's history or a topic's."""
    newest = await _page(send, stream)
    count = getattr(newest, "count", None)
    if count is None:
        count = len(newest.messages)
    low, high = min_id, max_id or max(_ids(newest), default=0) + 1
    # Telegram reads offset_date 0 as "no date" (newest first): a `since` at or before the epoch is no bound.
    if since and since.timestamp() > 0:
        # offset_date is exclusive: the page just newer than it starts at the first message at or after `since`.
        found = _ids(await _page(send, stream, offset_date=since, add_offset=-PAGE_LIMIT))
        low = max(low, min(found) - 1) if found else max(low, high - 1)
    if until:
        found = _ids(await _page(send, stream, offset_date=until))
        high = min(high, max(found) + 1) if found else min(high, low + 1)
    if last is not None and low + 1 < high:
        nth = await _nth_newest_below(send, stream, high, low, last)
        if nth is not None:
            low = max(low, nth - 1)
    return IdRange(low, max(high, 1), count)
