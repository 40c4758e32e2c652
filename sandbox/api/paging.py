"""Telegram's history paging, shared by getHistory, getReplies and search-like methods.

https://core.telegram.org/api/offsets: results are newest first; ``offset_id``
(exclusive) or ``offset_date`` picks where the page starts, ``add_offset`` shifts
it (negative = towards newer messages, which is how oldest-first readers page),
``limit`` is capped at 100, and ``min_id``/``max_id`` are exclusive bounds.

The bounds filter the page *after* the offset window has been taken (api/offsets,
"Additional filtering": the page is sliced by offset_id/add_offset/limit first,
then messages outside (min_id, max_id) are dropped from it).  So ``max_id=500``
alone returns whatever of the newest 100 lies below 500, often nothing; this is
why Telethon never sends them and pages by ``offset_id`` (client/messages.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


class Ids(Protocol):
    def __len__(self) -> int: ...

    def rank(self, msg_id: int) -> int: ...

    def select(self, k: int) -> int: ...


def count_before_date(ids: Ids, date_of: Callable[[int], int], date: int) -> int:
    """How many ids have a date strictly before ``date`` (dates never decrease with ids)."""
    lo, hi = 0, len(ids)
    while lo < hi:
        mid = (lo + hi) // 2
        if date_of(ids.select(mid)) < date:
            lo = mid + 1
        else:
            hi = mid
    return lo


def page(
    ids: Ids,
    *,
    offset_id: int = 0,
    offset_date: int = 0,
    add_offset: int = 0,
    limit: int = MAX_LIMIT,
    max_id: int = 0,
    min_id: int = 0,
    date_of: Callable[[int], int] | None = None,
) -> list[int]:
    """The ids of one page, newest first."""
    # api/offsets: a limit of 0 is not "count only"; the server picks a middling default, about
    # 20 (guess: exactly 20, and the same for a negative limit).
    limit = min(limit, MAX_LIMIT) if limit > 0 else DEFAULT_LIMIT
    if not len(ids):
        return []
    if offset_id > 0:
        top = ids.rank(offset_id) - 1
    elif offset_date > 0 and date_of is not None:
        top = count_before_date(ids, date_of, offset_date) - 1
    else:
        top = len(ids) - 1
    newest = min(top - add_offset, len(ids) - 1)
    oldest = max(top - add_offset - limit + 1, 0)
    window = (ids.select(k) for k in range(newest, oldest - 1, -1))
    # api/offsets "Additional filtering": the bounds only drop ids from the sliced window.
    return [i for i in window if i > min_id and (max_id <= 0 or i < max_id)]
