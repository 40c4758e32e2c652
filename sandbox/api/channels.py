"""channels.*"""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from ..world import userpics
from . import Call, resolve_peer, rpc, top_message, users_and_chats
from .messages import CHANNEL_KINDS, Page, message_ids_of, messages_by_id, notify_settings


def _channel(call: Call, peer: object):
    chat = resolve_peer(call.world, peer, call.user_id)
    if chat is None or chat.kind not in CHANNEL_KINDS:
        raise RpcError(400, "CHANNEL_INVALID")
    return chat


@rpc(F.channels.GetChannelsRequest)
def get_channels(call: Call, request: F.channels.GetChannelsRequest) -> T.messages.Chats:
    return T.messages.Chats(chats=[_channel(call, peer).tl() for peer in request.id])


@rpc(F.channels.GetLeftChannelsRequest)
def get_left_channels(call: Call, request: F.channels.GetLeftChannelsRequest) -> object:
    """The channels and supergroups the account left (core.telegram.org/method/channels.getLeftChannels:
    "Get a list of channels/supergroups we left", paged by ``offset``; Telegram Desktop's full export
    reads it for its left_chats, export_api_wrap.cpp requestLeftChannelsList). guess: one page of at
    most 100, oldest chat first, as messages.chatsSlice when more remain."""
    left = [chat for chat in call.world.chats.values() if chat.left and chat.kind in CHANNEL_KINDS]
    page = left[request.offset : request.offset + 100]
    chats = [chat.tl() for chat in page]
    if request.offset + len(page) < len(left):
        return T.messages.ChatsSlice(count=len(left), chats=chats)
    return T.messages.Chats(chats=chats)


def _chat_photo(world, chat) -> T.Photo | T.PhotoEmpty:
    photo_id = userpics.channel_photo_id(chat)
    return T.PhotoEmpty(id=0) if photo_id is None else userpics.photo(photo_id, world)


@rpc(F.channels.GetFullChannelRequest)
def get_full_channel(call: Call, request: F.channels.GetFullChannelRequest) -> T.messages.ChatFull:
    world = call.world
    chat = _channel(call, request.channel)
    top = top_message(world, chat)
    full = T.ChannelFull(
        id=chat.bare_id,
        about=f"Sandbox {chat.kind}: {chat.title}",
        read_inbox_max_id=top,
        read_outbox_max_id=top,
        unread_count=0,
        # The channel's current photo as a photo object (sandbox.world.userpics), as channelFull has it.
        chat_photo=_chat_photo(world, chat),
        notify_settings=notify_settings(),
        bot_info=[],
        pts=world.pts,
        participants_count=len(chat.member_ids),
        available_min_id=0,
    )
    peers = {chat.peer_id}
    old = chat.migrated_from
    if old is not None:
        # An upgraded group's history stays in the basic group: the channel names it and its last
        # message id (TL schema channelFull.migrated_from_chat_id/_max_id; Telegram Desktop reads
        # both histories, export_api_wrap.cpp requestSinglePeerMigrated).
        full.migrated_from_chat_id, full.migrated_from_max_id = old.bare_id, old.slots.last
        peers.add(old.peer_id)
    if chat.discussion is not None:
        # Each side names the other (constructor/channelFull: linked_chat_id).
        d = chat.discussion
        linked = d.group if chat is d.channel else d.channel
        full.linked_chat_id = linked.bare_id
        peers.add(linked.peer_id)
    users, chats = users_and_chats(world, {world.me.id}, peers)
    return T.messages.ChatFull(full_chat=full, chats=chats, users=users)


@rpc(F.channels.GetMessagesRequest)
def get_messages(call: Call, request: F.channels.GetMessagesRequest) -> T.messages.ChannelMessages:
    world = call.world
    chat = _channel(call, request.channel)
    messages, page = messages_by_id(world, chat, message_ids_of(world, chat, request.id))
    users, chats = page.peers()
    return T.messages.ChannelMessages(
        pts=world.pts, count=len(messages), messages=messages, topics=[], chats=chats, users=users
    )


__all__ = ["Page"]
