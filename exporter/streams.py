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


# What Telegram Desktop asks for (data/data_forum.cpp); the server may send fewer.
TOPIC_PAGE_LIMIT = 500
# A forum that gains topics faster than we page could keep us listing forever.
MAX_TOPIC_PASSES = 5


async def list_topics(send: Send, peer: Any) -> tuple[list[T.ForumTopic], list[Any], list[Any]]:
    """Every topic of a forum, even one whose topics reorder while we page.

    Telegram lists topics newest activity first unless its answer sets ``order_by_create_date``
    (core.telegram.org/constructor/messages.forumTopics); a client cannot ask for either.  The next
    page starts after the last topic seen: at its creation date in creation order (TDLib's
    ForumTopicManager reads the flag the same way), at its last message's date otherwise.  Creation
    order holds still, so one pass sees every topic once.  Activity order does not: a topic that gets
    a message while we page jumps to the front, behind our cursor, and that pass never meets it.  So
    passes repeat, always from the front, until we hold as many distinct topics as Telegram counts;
    duplicates are merged by id.
    """
    topics: dict[int, T.ForumTopic] = {}
    users: list[Any] = []
    chats: list[Any] = []
    for _ in range(MAX_TOPIC_PASSES):
        count = await _topic_pass(send, peer, topics, users, chats)
        if len(topics) >= count:
            break
    return sorted(topics.values(), key=lambda t: t.id), users, chats


async def _topic_pass(
    send: Send, peer: Any, topics: dict[int, T.ForumTopic], users: list[Any], chats: list[Any]
) -> int:
    """One walk down the topic list into ``topics``; returns Telegram's latest topic count."""
    offset_date, offset_id, offset_topic = None, 0, 0
    while True:
        result = await send(
            F.messages.GetForumTopicsRequest(
                peer=peer,
                offset_date=offset_date,
                offset_id=offset_id,
                offset_topic=offset_topic,
                limit=TOPIC_PAGE_LIMIT,
            )
        )
        users += result.users
        chats += result.chats
        count: int = result.count
        page = [t for t in result.topics if isinstance(t, T.ForumTopic)]
        topics.update((t.id, t) for t in page)
        # A page may be short in the middle of the list: only an empty one (or one that does not
        # move the cursor) ends it.
        if (
            not page
            or len(topics) >= count
            or (page[-1].top_message, page[-1].id) == (offset_id, offset_topic)
        ):
            return count
        last = page[-1]
        if result.order_by_create_date:
            offset_date = last.date
        else:
            top_dates = {m.id: m.date for m in result.messages if not isinstance(m, T.MessageEmpty)}
            offset_date = top_dates.get(last.top_message)
        offset_id, offset_topic = last.top_message, last.id
