"""Telegram API methods of the sandbox, one module per namespace.

A handler takes ``(call, request)`` and returns a TL object, a list, a bool or
raw bytes, or raises ``RpcError``.  Register it with ``@rpc(RequestType)``.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telethon import utils
from telethon.tl import types as T

from ..mtproto.tl import Raw, RpcError
from ..world.access import refusal
from ..world.accounts import member_chats

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..mtproto.server import CallContext
    from ..world import Chat, Topic, World

Handler = Callable[["Call", Any], Any]
HANDLERS: dict[type, Handler] = {}
# Requests a logged-out key may send.
PUBLIC: set[type] = set()


def rpc(*request_types: type, public: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for request_type in request_types:
            HANDLERS[request_type] = handler
            if public:
                PUBLIC.add(request_type)
        return handler

    return register


@dataclass
class LoginToken:
    """A QR login token: exported by a logged-out session, accepted by a logged-in one."""

    dc_id: int
    auth_key_id: int
    expires: int
    accepted_by: int | None = None


@dataclass
class Call:
    cluster: Cluster
    ctx: CallContext
    method: str

    @property
    def world(self) -> World:
        return self.cluster.world

    @property
    def user_id(self) -> int | None:
        return self.ctx.user_id

    @property
    def me(self) -> int:
        """The logged-in account's id, for the handlers of methods that need a login: the cluster
        refuses those before login (Cluster.dispatch), so None here would be a sandbox bug."""
        if self.ctx.user_id is None:
            raise RpcError(401, "AUTH_KEY_UNREGISTERED")
        return self.ctx.user_id

    def chat_for_peer(self, peer: object) -> Chat | None:
        """The chat an InputPeer/InputChannel names, checked like Telegram checks it."""
        return resolve_peer(self.world, peer, self.user_id)


def channel_peer_id(channel_id: int) -> int:
    return utils.get_peer_id(T.PeerChannel(channel_id))


def resolve_peer(world: World, peer: object, reader: int | None = None) -> Chat | None:
    """None for a valid user with whom the account has no history. ``reader``: the account asking
    (another account of the world has chats of its own, sandbox/world/accounts.py)."""
    member_of = member_chats(world, reader)
    if isinstance(peer, T.InputPeerSelf | T.InputUserSelf):
        # guess: another account's Saved Messages are empty.
        return world.chats[world.me.id] if member_of is None else None
    if isinstance(peer, T.InputPeerUser | T.InputUser):
        user = world.users.get(peer.user_id)
        if user is None or peer.access_hash != user.access_hash:
            raise RpcError(400, "PEER_ID_INVALID")
        chat = world.chats.get(peer.user_id)
        return chat if member_of is None or peer.user_id in member_of else None
    if isinstance(peer, T.InputPeerChat):
        chat = world.chats.get(-peer.chat_id)
        if chat is None:
            raise RpcError(400, "CHAT_ID_INVALID")
        _check_readable(chat, member_of)
        return chat
    if isinstance(peer, T.InputPeerChannel | T.InputChannel):
        chat = world.chats.get(channel_peer_id(peer.channel_id))
        if chat is None or peer.access_hash != chat.access_hash:
            raise RpcError(400, "CHANNEL_INVALID")
        _check_readable(chat, member_of)
        return chat
    raise RpcError(400, "PEER_ID_INVALID")


def _check_readable(chat: Chat, member_of: frozenset[int] | None) -> None:
    refused = refusal(chat, member_of)
    if refused is not None:
        raise RpcError(*refused)


def _restricted(cluster: Cluster, chat: Chat) -> Counter[int | None]:
    """Restricted messages per topic (None outside forums).  They never change once a chat is
    built (new messages are never restricted), so they are counted once."""
    key = ("restricted", chat.peer_id)
    cache = cluster.derived
    if key not in cache:
        world = cluster.world
        cache[key] = Counter(world.topic_of(chat, msg_id) for msg_id in world.restricted_ids(chat))
    return cache[key]


def message_count(cluster: Cluster, chat: Chat) -> int:
    """The ``count`` Telegram reports for a history: messages the account can see."""
    return len(chat.slots) - sum(_restricted(cluster, chat).values())


def topic_message_count(cluster: Cluster, chat: Chat, topic: Topic) -> int:
    return len(topic.ids) - _restricted(cluster, chat)[topic.id]


def top_message(world: World, chat: Chat) -> int:
    """Newest visible message id (0 for an empty chat)."""
    k = len(chat.slots) - 1
    while k >= 0:
        msg_id = chat.slots.select(k)
        if not world.is_restricted(chat, msg_id):
            return msg_id
        k -= 1
    return 0


def common_box_chat(world: World, msg_id: int) -> Chat | None:
    """The private chat, saved messages or basic group that holds ``msg_id`` (they share one id sequence)."""
    for chat in world.chats.values():
        if chat.kind in ("private", "saved", "group") and msg_id in chat.slots:
            return chat
    return None


# Users never change once a world is built: serialize each once (a page names dozens).
_USER_BYTES: weakref.WeakKeyDictionary[World, dict[int, Raw]] = weakref.WeakKeyDictionary()


def _user(world: World, user_id: int) -> Raw:
    cache = _USER_BYTES.setdefault(world, {})
    raw = cache.get(user_id)
    if raw is None:
        raw = cache[user_id] = Raw(world.users[user_id].tl()._bytes())
    return raw


def users_and_chats(world: World, user_ids: set[int], chat_peer_ids: set[int]) -> tuple[list, list]:
    user_list = [_user(world, uid) for uid in sorted(user_ids) if uid in world.users]
    chats = []
    for peer_id in sorted(chat_peer_ids):
        chat = world.chats.get(peer_id)
        tl = chat.tl() if chat is not None else None
        if tl is not None:
            chats.append(tl)
    return user_list, chats


# Importing the namespace modules registers their handlers.
from . import (  # noqa: E402, F401
    account,
    account_lists,
    auth,
    channels,
    contacts,
    dialog_filters,
    discussion,
    help,
    messages,
    participants,
    photos,
    search,
    stories,
    updates,
    upload,
    users,
)
