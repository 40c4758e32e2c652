"""messages.*: dialogs, history, topic replies, forum topics, messages by id, full chats."""

from __future__ import annotations

import datetime as dt
import struct
from typing import TYPE_CHECKING, Any

from telethon import utils
from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import Raw, RpcError
from ..world.accounts import member_chats
from ..world.discussion import comment_thread
from . import (
    Call,
    common_box_chat,
    message_count,
    resolve_peer,
    rpc,
    top_message,
    topic_message_count,
    users_and_chats,
)
from .paging import MAX_LIMIT, Ids, page

if TYPE_CHECKING:
    from ..world import Chat, Topic, World

CHANNEL_KINDS = frozenset({"supergroup", "channel", "forum"})


def unix(value: dt.datetime | int | None) -> int:
    """Request dates arrive as datetimes; "no date" is the epoch, not None."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return max(0, int(value.timestamp()))
    return int(value)


def message_empty(msg_id: int) -> bytes:
    """messageEmpty#90a6ca84 flags:# id:int: Telethon's MessageEmpty class cannot be built without a peer."""
    return struct.pack("<IIi", T.MessageEmpty.CONSTRUCTOR_ID, 0, msg_id)


def notify_settings() -> T.PeerNotifySettings:
    return T.PeerNotifySettings(show_previews=True, silent=False)


class Page:
    """Messages of one response, serialized once, with every peer they mention."""

    def __init__(self, world: World, chat: Chat | None) -> None:
        self.world = world
        self.messages: list[Raw] = []
        self.user_ids: set[int] = {world.me.id}
        self.chat_ids: set[int] = set()
        if chat is not None:
            self.add_chat(chat)

    def add_chat(self, chat: Chat) -> None:
        if chat.kind in ("private", "saved"):
            self.user_ids.add(chat.bare_id)
        else:
            self.chat_ids.add(chat.peer_id)

    def add(self, chat: Chat, msg_id: int) -> None:
        data, user_ids, chat_ids = self.world.message_refs(chat, msg_id)
        self.messages.append(Raw(data))
        self.user_ids |= user_ids
        self.chat_ids |= chat_ids

    def peers(self) -> tuple[list, list]:
        return users_and_chats(self.world, self.user_ids, self.chat_ids)


def messages_result(world: World, chat: Chat, msg_ids: list[int], count: int) -> object:
    """The result type Telegram uses: channelMessages for channels, else messages or a slice."""
    result = Page(world, chat)
    for msg_id in msg_ids:
        result.add(chat, msg_id)
    users, chats = result.peers()
    if chat.kind in CHANNEL_KINDS:
        return T.messages.ChannelMessages(
            pts=world.pts, count=count, messages=result.messages, topics=[], chats=chats, users=users
        )
    if len(msg_ids) >= count:
        return T.messages.Messages(messages=result.messages, topics=[], chats=chats, users=users)
    return T.messages.MessagesSlice(
        count=count, messages=result.messages, topics=[], chats=chats, users=users
    )


def history_page(world: World, chat: Chat, ids: Ids, request: Any) -> list[int]:
    slots = page(
        ids,
        offset_id=request.offset_id,
        offset_date=unix(request.offset_date),
        add_offset=request.add_offset,
        limit=request.limit,
        max_id=request.max_id,
        min_id=request.min_id,
        date_of=lambda msg_id: world.date_of(chat, msg_id),
    )
    # Restricted messages take a place in the window but are not sent, which is
    # how real channels produce short pages in the middle of the history.
    return [msg_id for msg_id in slots if not world.is_restricted(chat, msg_id)]


@rpc(F.messages.GetHistoryRequest)
def get_history(call: Call, request: F.messages.GetHistoryRequest) -> object:
    world = call.world
    chat = call.chat_for_peer(request.peer)
    if chat is None:
        return T.messages.Messages(messages=[], topics=[], chats=[], users=[world.me.tl()])
    return messages_result(
        world, chat, history_page(world, chat, chat.slots, request), message_count(call.cluster, chat)
    )


def topic_of_request(chat: Chat, topic_id: int) -> Topic:
    if chat.kind != "forum":
        # Not a forum, and the message tops no comment section (get_replies looked first).
        raise RpcError(400, "MSG_ID_INVALID")
    topic = chat.topics.get(topic_id)
    if topic is None:
        raise RpcError(400, "TOPIC_ID_INVALID")
    return topic


@rpc(F.messages.GetRepliesRequest)
def get_replies(call: Call, request: F.messages.GetRepliesRequest) -> object:
    """A forum topic's messages, paged like a history, the topic's root included in page and count.

    The root is the topic's messageActionTopicCreate, whose id is the topic id (api/forum), and it
    belongs to the topic (Desktop ``HistoryItem::topicRootId``).  Telegram Desktop's replies list
    drops ``_rootId`` from what getReplies returned before showing it (data/data_replies_list.cpp,
    ``buildFromData``; ``canDeleteMyTopic`` skips it too), and only injects the root itself for
    threads that are not forum topics (``injectRootMessage``): so the server sends it.  guess: the
    ``count`` includes it too (Desktop takes the server's count as is, ``processMessagesIsEmpty``).
    General (id 1) has no creation message and so no root.
    """
    world = call.world
    chat = call.chat_for_peer(request.peer)
    if chat is None:
        raise RpcError(400, "PEER_ID_INVALID")
    thread = comment_thread(chat, request.msg_id)
    if thread is not None:
        # A post's comments live in the discussion group, without their root (sandbox.world.discussion).
        group, comments = thread
        return messages_result(world, group, history_page(world, group, comments, request), len(comments))
    topic = topic_of_request(chat, request.msg_id)
    return messages_result(
        world,
        chat,
        history_page(world, chat, topic.ids, request),
        topic_message_count(call.cluster, chat, topic),
    )


def topic_top_message(chat: Chat, topic: Topic) -> int:
    # An empty General still points somewhere; the forum's first message is a guess.
    return topic.ids.last or chat.slots.select(0)


def forum_topic(world: World, chat: Chat, topic: Topic) -> T.ForumTopic:
    top = topic_top_message(chat, topic)
    return T.ForumTopic(
        id=topic.id,
        date=topic.date,
        peer=T.PeerChannel(chat.bare_id),
        title=topic.title,
        icon_color=topic.icon_color,
        icon_emoji_id=topic.icon_emoji_id,
        top_message=top,
        read_inbox_max_id=top,
        read_outbox_max_id=top,
        unread_count=0,
        unread_mentions_count=0,
        unread_reactions_count=0,
        unread_poll_votes_count=0,
        from_id=T.PeerUser(topic.creator_id),
        notify_settings=notify_settings(),
        closed=topic.closed or None,
        hidden=topic.hidden or None,
        pinned=topic.pinned or None,
    )


# guess: the page size is capped like history pages; Telegram Desktop asks for 500 topics a page
# (data/data_forum.cpp) and copes with fewer.
TOPIC_PAGE_CAP = MAX_LIMIT


def listed_topics(world: World, chat: Chat, query: str) -> list[tuple[tuple[int, int], Topic]]:
    """(sort key, topic) in the server's order, newest first.

    core.telegram.org/constructor/messages.forumTopics: topics are ordered by the date of their last
    message (``top_message``), or by creation date when the answer sets ``order_by_create_date``.
    Last-message dates never decrease with ids here, so (top message id, topic id) is that order.
    A topic's id is the id of its creation message (api/forum), so creation order is id order.
    """
    rows = []
    for topic in chat.topics.values():
        if query not in topic.title.casefold():
            continue
        if chat.topics_by_create_date:
            key = (topic.date, topic.id)
        else:
            key = (topic_top_message(chat, topic), topic.id)
        rows.append((key, topic))
    rows.sort(key=lambda row: row[0], reverse=True)
    return rows


@rpc(F.messages.GetForumTopicsRequest)
def get_forum_topics(call: Call, request: F.messages.GetForumTopicsRequest) -> T.messages.ForumTopics:
    """One page of the topic list, paged by (offset_date, offset_id, offset_topic).

    guess: pinned topics lead the first page (no offset), as in Telegram's apps, and are not repeated
    on later pages.  guess: the cursor is the previous page's last topic and the page continues
    strictly after it: by (top message id, topic id) in last-activity order; in creation-date order
    by (offset_date = the topic's creation date, offset_topic), as the constructor's doc says.
    """
    world = call.world
    chat = call.chat_for_peer(request.peer)
    if chat is None or chat.kind != "forum":
        raise RpcError(400, "CHANNEL_FORUM_MISSING")
    ordered = listed_topics(world, chat, (request.q or "").casefold())
    total = len(ordered)
    first_page = not (request.offset_id or request.offset_topic or unix(request.offset_date))
    pinned = [row for row in ordered if row[1].pinned] if first_page else []
    ordered = [row for row in ordered if not row[1].pinned]
    if chat.topics_by_create_date:
        if not first_page:
            cursor = (unix(request.offset_date), request.offset_topic or 1 << 31)
            ordered = [row for row in ordered if row[0] < cursor]
    elif request.offset_id or request.offset_topic:
        cursor = (request.offset_id, request.offset_topic)
        ordered = [row for row in ordered if row[0] < cursor]
    elif not first_page:
        before = unix(request.offset_date)
        ordered = [row for row in ordered if world.date_of(chat, row[0][0]) < before]
    page_topics = [topic for _, topic in pinned + ordered][: max(0, min(request.limit, TOPIC_PAGE_CAP))]
    result = Page(world, chat)
    for topic in page_topics:
        result.add(chat, topic_top_message(chat, topic))
    users, chats = result.peers()
    return T.messages.ForumTopics(
        count=total,
        topics=[forum_topic(world, chat, topic) for topic in page_topics],
        messages=result.messages,
        chats=chats,
        users=users,
        pts=world.pts,
        order_by_create_date=chat.topics_by_create_date or None,
    )


def dialog_chats(world: World, reader: int | None = None) -> list[tuple[int, int, Chat]]:
    """(top message date, peer id, chat) newest first: the order of the dialog list of ``reader``
    (another account of the world lists the chats it is a member of, sandbox/world/accounts.py)."""
    member_of = member_chats(world, reader)
    rows = []
    for chat in world.chats.values():
        if not len(chat.slots):
            continue
        listed = chat.peer_id in member_of if member_of is not None else not (chat.left or chat.banned)
        if not listed:
            continue
        top = top_message(world, chat)
        rows.append((world.date_of(chat, top), chat.peer_id, chat))
    rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return rows


@rpc(F.messages.GetDialogsRequest)
def get_dialogs(call: Call, request: F.messages.GetDialogsRequest) -> object:
    """Guess at the cursor: dialogs strictly after (offset_date, offset_peer) in list order."""
    world = call.world
    rows = dialog_chats(world, call.user_id)
    if request.folder_id is not None:
        # One folder's dialogs: 1 is the archive, 0 the main list; without folder_id, every folder's
        # (core.telegram.org/api/folders; Telethon's iter_dialogs documents the same for folder=None).
        rows = [row for row in rows if int(row[2].archived) == request.folder_id]
    total = len(rows)
    offset_date = unix(request.offset_date)
    if offset_date:
        offset_peer = request.offset_peer
        peer_id = 0
        if not isinstance(offset_peer, T.InputPeerEmpty):
            chat = resolve_peer(world, offset_peer, call.user_id)
            peer_id = chat.peer_id if chat is not None else 0
        rows = [row for row in rows if (row[0], row[1]) < (offset_date, peer_id)]
    rows = rows[: max(0, min(request.limit, MAX_LIMIT))]
    result = Page(world, None)
    dialogs = []
    for _, _, chat in rows:
        top = top_message(world, chat)
        result.add_chat(chat)
        result.add(chat, top)
        dialogs.append(
            T.Dialog(
                peer=utils.get_peer(chat.peer_id),
                top_message=top,
                read_inbox_max_id=top,
                read_outbox_max_id=top,
                unread_count=0,
                unread_mentions_count=0,
                unread_reactions_count=0,
                unread_poll_votes_count=0,
                notify_settings=notify_settings(),
                pts=world.pts if chat.kind in CHANNEL_KINDS else None,
                folder_id=1 if chat.archived else None,
            )
        )
    users, chats = result.peers()
    if len(rows) >= total:
        return T.messages.Dialogs(dialogs=dialogs, messages=result.messages, chats=chats, users=users)
    return T.messages.DialogsSlice(
        count=total, dialogs=dialogs, messages=result.messages, chats=chats, users=users
    )


def message_ids_of(world: World, chat: Chat, inputs: list[object]) -> list[tuple[Chat | None, int]]:
    """Resolve InputMessage* to (chat, id); ids that do not exist come back with chat None."""
    out: list[tuple[Chat | None, int]] = []
    for item in inputs:
        if isinstance(item, T.InputMessageID):
            msg_id = item.id
        elif isinstance(item, T.InputMessageReplyTo):
            reply_to = (
                getattr(world.message(chat, item.id), "reply_to", None) if item.id in chat.slots else None
            )
            msg_id = getattr(reply_to, "reply_to_msg_id", None) or 0
        elif isinstance(item, T.InputMessagePinned):
            msg_id = 0
        else:
            raise RpcError(400, "MESSAGE_IDS_EMPTY")
        found = msg_id in chat.slots and not world.is_restricted(chat, msg_id)
        out.append((chat if found else None, msg_id))
    return out


def messages_by_id(world: World, chat: Chat, wanted: list[tuple[Chat | None, int]]) -> tuple[list, Page]:
    result = Page(world, chat)
    for owner, msg_id in wanted:
        if owner is None:
            result.messages.append(Raw(message_empty(msg_id)))
        else:
            result.add(owner, msg_id)
    return result.messages, result


@rpc(F.messages.GetMessagesRequest)
def get_messages(call: Call, request: F.messages.GetMessagesRequest) -> T.messages.Messages:
    """Ids of the account's common box: private chats, saved messages and basic groups."""
    world = call.world
    result = Page(world, None)
    for item in request.id:
        msg_id = item.id if isinstance(item, T.InputMessageID) else 0
        owner = common_box_chat(world, msg_id)
        if owner is None or world.is_restricted(owner, msg_id):
            result.messages.append(Raw(message_empty(msg_id)))
        else:
            result.add_chat(owner)
            result.add(owner, msg_id)
    users, chats = result.peers()
    return T.messages.Messages(messages=result.messages, topics=[], chats=chats, users=users)


@rpc(F.messages.GetChatsRequest)
def get_chats(call: Call, request: F.messages.GetChatsRequest) -> T.messages.Chats:
    chats = []
    for chat_id in request.id:
        chat = call.world.chats.get(-chat_id)
        if chat is None:
            raise RpcError(400, "CHAT_ID_INVALID")
        chats.append(chat.tl())
    return T.messages.Chats(chats=chats)


@rpc(F.messages.GetFullChatRequest)
def get_full_chat(call: Call, request: F.messages.GetFullChatRequest) -> T.messages.ChatFull:
    world = call.world
    chat = world.chats.get(-request.chat_id)
    if chat is None or chat.kind != "group":
        raise RpcError(400, "CHAT_ID_INVALID")
    participants = T.ChatParticipants(
        chat_id=chat.bare_id,
        participants=[
            T.ChatParticipant(user_id=uid, inviter_id=world.me.id, date=chat.date) for uid in chat.member_ids
        ],
        version=1,
    )
    full = T.ChatFull(
        id=chat.bare_id,
        about=f"Sandbox {chat.kind}: {chat.title}",
        participants=participants,
        notify_settings=notify_settings(),
    )
    users, chats = users_and_chats(world, set(chat.member_ids) | {world.me.id}, {chat.peer_id})
    return T.messages.ChatFull(full_chat=full, chats=chats, users=users)
