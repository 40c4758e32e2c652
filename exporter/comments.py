"""Comments under a channel's posts (``--comments``): read after the posts, kept with each post.

A post with a comment section carries messageReplies with ``comments`` set, the discussion group's
id, Telegram's count of its comments and the newest one's id (core.telegram.org/api/threads).  The
fetch marks those posts (:func:`mark_thread`); this stage reads their comments, up to each post's
newest comment as the post was read (a snapshot: comments written meanwhile are left out, so the
counts agree), into the store's comment tables (``db.comments``).

Two ways to read them, chosen per export by the requests each would take:

* ``replies``: messages.getReplies(channel, post) per post with comments, ⌈comments / 100⌉ requests
  each.  Exact by Telegram's own thread index; needs nothing but the channel.
* ``history``: the discussion group's history from the oldest exported post's automatic forward
  (found with one messages.getDiscussionMessage) to the newest comment, about ⌈ids / 100⌉ requests,
  in id ranges read at once as the posts are; each comment is assigned to its post by its reply
  header (reply_to_top_id, or reply_to_msg_id for a comment on the post itself, api/threads) and
  the forward that tops the thread (fwd_from.channel_post), once that forward is read
  (db.comments: CommentStore.resolve).

Measured on the sandbox's ``discussion`` scenario (126 posts with a comment section, 92 with
comments, 789 comments, one post with 230): ``replies`` would take 94 requests, ``history`` took 13
(12 pages of the group's history, estimated 13 from the ids, and the getDiscussionMessage), besides
the channels.getFullChannel both need.  A channel of 5,000 posts (2,933 with comments, 19,341
comments) at 130 ms a request: ``history`` 308 requests (344 estimated) against 2,935 by
``replies``, 31 s against 34 s for the whole export on a 2-core machine at load 7.6, where making
and decoding the messages, not waiting, took most of it.  Most channels look like that: few comments per
post, so the group's history is the cheaper read; ``replies`` wins where the export covers a few
posts of a busy group (``--last 10``, an old id range), and is the only way when the channel has no
linked group any more, or when its group is private and the account not in it (its history is
refused, the replies are not).  So the estimate decides: ``replies``' count is exact (known from the posts),
``history``'s is the id span over 100 (an upper bound: deleted ids cost nothing).  The choice is
stored with the comment plan, so a resumed export continues the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from telethon import errors, utils
from telethon.tl import functions as F
from telethon.tl import types as T

from db.comments import CommentRow, CommentStore, CommentStream

from .errors import ExportError
from .options import ExportOptions
from .records import to_record
from .records.media import FILE_NOT_INCLUDED
from .render.comments import COMMENTS_KEY
from .run import ExportRun
from .streams import PAGE_LIMIT, Send, Stream, read_stream
from .targets import ResolvedTarget

_PLAN = "comments_plan"
# What a comment's file field holds: the media stage downloads the posts' files, not the comments'.
COMMENT_FILE = "(Files of comments are not downloaded.)"
_REPLIES, _HISTORY = "replies", "history"


def has_comments(target: ResolvedTarget) -> bool:
    """Only a broadcast channel's posts have comment sections; other chats are exported as they are
    (``export --all --comments`` asks it of every chat), their manifest's ``comments`` null."""
    entity = target.entity
    return isinstance(entity, T.Channel) and bool(entity.broadcast)


def mark_thread(record: dict[str, Any], message: Any) -> None:
    """Note a post's comment section in its record, as read with the post (the comments' snapshot)."""
    replies = getattr(message, "replies", None)
    if replies is not None and replies.comments:
        record[COMMENTS_KEY] = {
            "chat_id": replies.channel_id,
            "count": replies.replies,
            "max_id": replies.max_id or 0,
        }


def _register_threads(run: ExportRun, store: CommentStore) -> None:
    """Every stored post's comment section, registered once (a resumed run finds them again), read
    through a connection of its own while the store's takes them in."""
    # instr() on the raw JSON picks the few records that may hold the key without parsing the rest.
    with contextlib.closing(sqlite3.connect(f"file:{run.store.path}?mode=ro", uri=True)) as reader:
        rows = reader.execute(
            "SELECT id, record FROM messages WHERE instr(record, ?) > 0", (f'"{COMMENTS_KEY}":'.encode(),)
        )
        threads = ((post, orjson.loads(record).get(COMMENTS_KEY)) for post, record in rows)
        store.add_threads((post, t["count"], t["max_id"]) for post, t in threads if t is not None)


async def _linked_group(send: Send, target: ResolvedTarget) -> tuple[Any, bool]:
    """The discussion group's input peer (None when the channel has none: channelFull.linked_chat_id),
    and whether the account may read its history: not a private group it is not in, which
    messages.getHistory refuses with CHANNEL_PRIVATE (core.telegram.org/method/messages.getHistory),
    while the posts' replies stay open to the channel's readers (api/discussion: getDiscussionMessage
    and getReplies work "without actually joining the group")."""
    full = await send(F.channels.GetFullChannelRequest(target.input_peer))
    linked = full.full_chat.linked_chat_id
    chat = next((c for c in full.chats if c.id == linked), None) if linked else None
    if chat is None:
        return None, False
    readable = isinstance(chat, T.Channel) and not (chat.left and not chat.username)
    return utils.get_input_peer(chat), readable


async def _plan(
    send: Send, target: ResolvedTarget, store: CommentStore, group: Any, options: ExportOptions
) -> dict[str, Any]:
    """Choose how to read the comments (see the module's docstring) and store the ranges to read."""
    by_replies, oldest, last = store.busy()
    plan: dict[str, Any] = {"strategy": _REPLIES, "requests": {_REPLIES: by_replies, _HISTORY: None}}
    ranges: list[tuple[int, int]] = []
    if group is not None and oldest is not None and last is not None and by_replies > 2:
        found = await send(F.messages.GetDiscussionMessageRequest(target.input_peer, oldest))
        first = min(m.id for m in found.messages)
        # Ranges read at once, as the posts' own history is (plan._shards): the ids from the oldest
        # forward to the newest comment, cut where a range would hold shard_messages ids.
        span = last - first + 1
        count = max(1, min(options.max_shards, -(-span // options.shard_messages)))
        edges = [first - 1 + span * k // count for k in range(count + 1)]
        ranges = list(itertools.pairwise(edges))
        by_history = 1 + sum(-(-(high - low) // PAGE_LIMIT) for low, high in ranges)
        plan["requests"][_HISTORY] = by_history
        if by_history < by_replies:
            plan["strategy"] = _HISTORY
    if plan["strategy"] == _HISTORY:
        store.add_streams(
            CommentStream(f"group:{low}-{high}", None, low, high + 1, low) for low, high in ranges
        )
    else:
        store.add_streams(
            CommentStream(f"post:{post}", post, 0, top + 1, 0) for post, top in store.busy_threads()
        )
    return plan


def _comment_rows(
    run: ExportRun, messages: list[Any], key_of: Callable[[Any], int | None]
) -> list[CommentRow]:
    """Comments → store rows under ``key_of(message)`` (a post, or minus a thread's top; None: no
    comment)."""
    rows = []
    for m in messages:
        key = key_of(m)
        if key is None or not isinstance(m, T.Message):
            continue
        record = to_record(m, names=run.names, topic_id=None)
        for field, value in record.items():
            if value == FILE_NOT_INCLUDED:
                # Desktop's sentence would send the reader to settings that cannot change this.
                record[field] = COMMENT_FILE
        if m.reply_to is not None and m.reply_to.reply_to_top_id is None:
            # A comment on the post itself replies to its forward in the group: the post is the answer.
            record.pop("reply_to_message_id", None)
        rows.append((key, m.id, int(m.date.timestamp()), orjson.dumps(record)))
    return rows


def _forwarded_post(m: Any, channel_id: int) -> int | None:
    """The post an automatic forward in the discussion group stands for: sent as the channel, saved
    from the channel's post (a member's own forward of a post is sent as the member, and tops no
    comment section)."""
    origin = getattr(m, "fwd_from", None)
    if not isinstance(origin, T.MessageFwdHeader):
        return None
    sender, source = getattr(m, "from_id", None), origin.saved_from_peer
    if not (isinstance(sender, T.PeerChannel) and isinstance(source, T.PeerChannel)):
        return None
    if sender.channel_id != channel_id or source.channel_id != channel_id:
        return None
    return origin.saved_from_msg_id if origin.saved_from_msg_id == origin.channel_post else None


def _thread_top(m: Any) -> int | None:
    """The thread a group message belongs to: the message its replies started from (api/threads)."""
    header = m.reply_to
    if not isinstance(header, T.MessageReplyHeader):
        return None
    if header.reply_to_top_id is not None:
        return int(header.reply_to_top_id)
    return None if header.reply_to_peer_id is not None else header.reply_to_msg_id


@dataclass
class _Reading:
    """What the workers share: where to send and store, the peers, and what the progress says."""

    run: ExportRun
    send: Send
    store: CommentStore
    peers: tuple[Any, Any]  # (the channel, the group): whose a post's replies, whose the history
    channel_id: int
    read: int = 0  # messages read from the threads or the group in this run

    def show(self, key: str) -> None:
        self.run.active[key] = f"comments ({self.read:,} messages read)"


async def _read(reading: _Reading, row: CommentStream) -> None:
    run, store, post = reading.run, reading.store, row.post_id
    reading.show(row.key)

    def key_of(m: Any) -> int | None:
        # A post's replies are its comments (the stream stops at the post's snapshot); a message of
        # the group's history waits under minus its thread's top until the thread's forward is known.
        if post is not None:
            return post
        top = _thread_top(m)
        return -top if top else None

    try:
        stream = Stream(reading.peers[post is None], row.min_id, row.max_id, post)
        async for page in read_stream(reading.send, stream, after=row.cursor):
            run.names.add_users(page.users)
            run.names.add_chats(page.chats)
            forwards: list[tuple[int, int]] = []
            if post is None:
                channel = reading.channel_id
                forwards = [
                    (m.id, p) for m in page.messages if (p := _forwarded_post(m, channel)) is not None
                ]
            rows = _comment_rows(run, page.messages, key_of)
            store.put_page(row.key, rows, forwards, page.messages[-1].id)
            reading.read += len(page.messages)
            reading.show(row.key)
            run.emit()
        store.finish(row.key)
    finally:
        run.active.pop(row.key, None)


async def _reader(reading: _Reading, streams: Iterator[CommentStream]) -> None:
    """One of a few workers taking streams in turn: a per-post plan may hold thousands."""
    for row in streams:
        await _read(reading, row)


async def fetch_comments(
    run: ExportRun, send: Send, target: ResolvedTarget, options: ExportOptions
) -> tuple[BaseException, ...]:
    """Read the comments of every stored post into the store; the failures that stopped it."""
    store = CommentStore(run.store.connection)
    _register_threads(run, store)
    plan = run.store.get_meta(_PLAN)
    try:
        group, readable = await _linked_group(send, target)
        if not isinstance(plan, dict):
            plan = await _plan(send, target, store, group if readable else None, options)
            run.store.set_meta(_PLAN, plan)
    except (errors.RPCError, errors.AuthKeyNotFound, OSError) as exc:
        return (exc,)
    run.comments = _summary(store, plan, group)
    if group is None and plan["strategy"] == _HISTORY and not store.all_done():
        # Only a resumed export meets this: the plan chose the group's history while it was linked.
        raise ExportError("The channel no longer has a discussion group, so its comments cannot be read.")
    failures: tuple[BaseException, ...] = ()
    pending = store.pending()
    reading = _Reading(run, send, store, (target.input_peer, group), target.entity.id)
    try:
        async with asyncio.TaskGroup() as tasks:
            for _ in range(options.max_concurrency):
                tasks.create_task(_reader(reading, pending))
    except* (errors.RPCError, errors.AuthKeyNotFound, OSError, sqlite3.Error) as failure:
        failures = failure.exceptions
    finally:
        store.resolve(final=store.all_done())
        run.comments = _summary(store, plan, group)
    return failures


def _summary(store: CommentStore, plan: dict[str, Any], group: Any) -> dict[str, Any]:
    """What the manifest says of the comments: Telegram's counts against the comments written."""
    return {
        "chat_id": getattr(group, "channel_id", None),
        "read_with": plan["strategy"],
        "estimated_requests": plan["requests"],
        **store.summary(),
    }
