"""Reading a history inside takeout the way Telegram Desktop does: range by range.

Private chats and basic groups share one id sequence, the account's common message box.
Inside a takeout Telegram Desktop first asks ``messages.getSplitRanges`` and then reads
those chats with every request wrapped in ``invokeWithMessagesRange``, so the server answers
only messages of that range (api/takeout; export_api_wrap.cpp: ``requestSplitRanges``,
``splitRequest``).  The exporter pages by ``offset_id``; here one page is asked range by range
until it is as full as the same request would be without ranges, so paging stays exact.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telethon.tl import functions as F
from telethon.tl import types as T

from .streams import Stream

Send = Callable[[Any], Awaitable[Any]]
# Desktop's range for the whole box when the server gives none (export_api_wrap.cpp).
WHOLE_BOX = T.MessageRange(min_id=1, max_id=2**31 - 1)
_COMMON_BOX = (T.InputPeerUser, T.InputPeerChat, T.InputPeerSelf)


async def split_ranges(send: Send) -> list[T.MessageRange]:
    ranges = await send(F.messages.GetSplitRangesRequest())
    return sorted(ranges, key=lambda r: r.min_id) or [WHOLE_BOX]


def in_split_ranges(request: Any) -> bool:
    """A page of a common-box history that the exporter asks by offset_id alone: downward
    (older than offset_id) or upward (add_offset = -limit).  Other shapes go unsplit."""
    if not isinstance(request, F.messages.GetHistoryRequest) or not isinstance(request.peer, _COMMON_BOX):
        return False
    plain = not request.offset_date and not request.min_id and not request.max_id
    return plain and request.add_offset in (0, -request.limit)


async def history_by_splits(send: Send, splits: list[T.MessageRange], request: Any) -> Any:
    upward = request.add_offset != 0 and request.add_offset == -request.limit
    offset = request.offset_id
    if upward:
        # Newer than offset_id: the range holding it first, then the newer ones.
        ranges = [r for r in splits if r.max_id >= offset]
    else:
        # Older than offset_id (0: the newest): the range below it first, then the older ones.
        ranges = [r for r in reversed(splits) if not offset or r.min_id < offset]
    answer: Any = None
    messages: list[Any] = []
    for index, message_range in enumerate(ranges):
        left = request.limit - len(messages)
        if left <= 0:
            break
        if upward:
            start = offset if index == 0 else message_range.min_id
            part = Stream(request.peer).request(start, add_offset=-left, limit=left)
        else:
            start = offset if index == 0 and offset else message_range.max_id + 1
            part = Stream(request.peer).request(min(start, WHOLE_BOX.max_id), add_offset=0, limit=left)
        page = await send(F.InvokeWithMessagesRangeRequest(message_range, part))
        if answer is None:
            answer = page
        else:
            answer.users.extend(page.users)
            answer.chats.extend(page.chats)
        messages.extend(m for m in page.messages if message_range.min_id <= m.id <= message_range.max_id)
    if answer is None:
        return await send(request)
    # Telegram's order: newest first.
    answer.messages = sorted(messages, key=lambda m: m.id, reverse=True)[: request.limit]
    return answer
