"""Exact page iteration, oldest to newest.

A stream reads one id range of one history (the chat's, or one forum topic's
replies) with Telegram Desktop's scheme: ``offset_id = last seen + 1`` and
``add_offset = -limit``.  The range's exclusive bounds are never sent as
``min_id``/``max_id``: Telegram applies those after slicing the page (api/offsets,
"Additional filtering"), so Telethon pages by ``offset_id`` alone and stops
itself (client/messages.py), and so do we.  A page may be short in the middle of
a channel's history (messages Telegram does not show), so a stream ends on an
empty page, on a message past its upper bound, or on a ``messages.messages``
result, which Telegram only sends when it holds everything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from telethon.tl import functions as F
from telethon.tl import types as T

PAGE_LIMIT = 100

_by_id = attrgetter("id")

Send = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class Page:
    messages: list[Any]
    """Ascending by id, without MessageEmpty."""
    users: list[Any]
    chats: list[Any]
    count: int | None


@dataclass(frozen=True)
class Stream:
    """One id range (exclusive bounds; max_id 0 = no upper bound) of a history or a topic."""

    peer: Any
    min_id: int = 0
    max_id: int = 0
    topic_id: int | None = None

    def request(self, offset_id: int, *, add_offset: int = -PAGE_LIMIT, limit: int = PAGE_LIMIT) -> Any:
        if self.topic_id is None:
            return F.messages.GetHistoryRequest(
                peer=self.peer,
                offset_id=offset_id,
                offset_date=None,
                add_offset=add_offset,
                limit=limit,
                max_id=0,
                min_id=0,
                hash=0,
            )
        return F.messages.GetRepliesRequest(
            peer=self.peer,
            msg_id=self.topic_id,
            offset_id=offset_id,
            offset_date=None,
            add_offset=add_offset,
            limit=limit,
            max_id=0,
            min_id=0,
            hash=0,
        )


async def read_stream(send: Send, stream: Stream, *, after: int | None = None) -> AsyncIterator[Page]:
    """Pages of the stream's range, oldest first, starting after ``after`` (resuming) or at its start."""
    cursor = stream.min_id if after is None else max(after, stream.min_id)
    upper = stream.max_id or float("inf")
    while cursor + 1 < upper:
        result = await send(stream.request(cursor + 1))
        shown = [m for m in result.messages if not isinstance(m, T.MessageEmpty)]
        fresh = sorted((m for m in shown if cursor < m.id < upper), key=_by_id)
        if fresh:
            yield Page(fresh, result.users, result.chats, getattr(result, "count", None))
            cursor = fresh[-1].id
        past_upper = any(m.id >= upper for m in shown)
        if not fresh or past_upper or isinstance(result, T.messages.Messages):
            return


async def first_page(send: Send, stream: Stream) -> Any:
    """Newest message of the range, and the total ``count``: one cheap request."""
    return await send(stream.request(0, add_offset=0, limit=1))


async def list_topics(send: Send, peer: Any) -> tuple[list[T.ForumTopic], list[Any], list[Any]]:
    """Every topic of a forum, paged by the last topic's top message and id.

    Telegram may send fewer topics than asked for, so only an empty page (or a
    page with nothing new) ends the listing.
    """
    topics: dict[int, T.ForumTopic] = {}
    users: list[Any] = []
    chats: list[Any] = []
    offset_date, offset_id, offset_topic = None, 0, 0
    while True:
        result = await send(
            F.messages.GetForumTopicsRequest(
                peer=peer,
                offset_date=offset_date,
                offset_id=offset_id,
                offset_topic=offset_topic,
                limit=PAGE_LIMIT,
            )
        )
        users += result.users
        chats += result.chats
        new = [t for t in result.topics if isinstance(t, T.ForumTopic) and t.id not in topics]
        if not new:
            break
        for topic in new:
            topics[topic.id] = topic
        last = new[-1]
        top_dates = {m.id: m.date for m in result.messages if not isinstance(m, T.MessageEmpty)}
        offset_date, offset_id, offset_topic = top_dates.get(last.top_message), last.top_message, last.id
    return sorted(topics.values(), key=lambda t: t.id), users, chats
