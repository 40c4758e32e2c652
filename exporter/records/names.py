"""Who a record names: display names and Telegram Desktop's peer ids ("user123", "chat5", "channel77")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from telethon.tl import types as tl
from telethon.utils import resolve_id

_PeerUser = tl.PeerUser
_PeerChat = tl.PeerChat
_PeerChannel = tl.PeerChannel

# Desktop packs the peer kind into bits 48+ of a PeerId; `requested_peer` writes these raw values.
_PEER_SHIFT_CHAT = 1 << 48
_PEER_SHIFT_CHANNEL = 2 << 48


class NameBook:
    """Display names and Desktop peer ids ("user123", "chat5", "channel77") of peers.

    Fill it with every response's ``users`` and ``chats`` before converting that
    response's messages.  A peer that is unknown, or a deleted account, has the
    name ``None``: Desktop writes ``null`` in both cases (its lookup falls back to
    an empty user, and an empty name is serialized as null).
    """

    __slots__ = ("_channels", "_chats", "_usernames", "_users", "account")

    def __init__(self) -> None:
        # The exporting account: Telegram sends its messages to a user without from_id.
        self.account: tl.PeerUser | None = None
        # Each maps a bare id to (name, desktop_id); misses are cached the same way
        # and overwritten when the peer arrives later.
        self._users: dict[int, tuple[str | None, str]] = {}
        self._chats: dict[int, tuple[str | None, str]] = {}
        self._channels: dict[int, tuple[str | None, str]] = {}
        self._usernames: dict[int, str] = {}

    def add_users(self, users: Iterable[tl.TypeUser]) -> None:
        for user in users:
            uid = user.id
            if type(user) is tl.User:
                # A "min" user can lack fields a full copy had; keep the full one.
                if user.min and uid in self._users and self._users[uid][0] is not None:
                    continue
                first = user.first_name or ""
                last = user.last_name or ""
                name = f"{first} {last}" if first and last else (first or last or None)
                if user.username:
                    self._usernames[uid] = user.username
            else:
                name = None
            self._users[uid] = (name, f"user{uid}")

    def add_chats(self, chats: Iterable[tl.TypeChat]) -> None:
        for chat in chats:
            cid = chat.id
            title = getattr(chat, "title", None) or None
            if type(chat) in (tl.Channel, tl.ChannelForbidden):
                if type(chat) is tl.Channel and chat.min and cid in self._channels:
                    continue
                self._channels[cid] = (title, f"channel{cid}")
            else:
                self._chats[cid] = (title, f"chat{cid}")

    def lookup(self, peer: tl.TypePeer | int) -> tuple[str | None, str]:
        """(display name or None, Desktop id string) of a Peer* object or a marked id."""
        if isinstance(peer, int):
            bare, kind = resolve_id(peer)
            if kind is _PeerUser:
                return self._users.get(bare) or self._miss(self._users, bare, "user")
            if kind is _PeerChannel:
                return self._channels.get(bare) or self._miss(self._channels, bare, "channel")
            return self._chats.get(bare) or self._miss(self._chats, bare, "chat")
        # Runs for every message: the hit path is one dict lookup. (The isinstance above, there so
        # that mypy knows ``peer`` is no int below, costs about 25 ns a call.)
        cls = type(peer)
        if cls is _PeerUser:
            entry = self._users.get(peer.user_id)
            return entry if entry is not None else self._miss(self._users, peer.user_id, "user")
        if cls is _PeerChannel:
            entry = self._channels.get(peer.channel_id)
            return entry if entry is not None else self._miss(self._channels, peer.channel_id, "channel")
        if cls is _PeerChat:
            entry = self._chats.get(peer.chat_id)
            return entry if entry is not None else self._miss(self._chats, peer.chat_id, "chat")
        raise TypeError(f"not a peer: {peer!r}")

    def sender(self, msg: Any) -> tuple[str | None, str]:
        """(name, Desktop id) of who wrote a message. Outgoing messages to a user (a private chat,
        Saved Messages) come with ``out`` and no ``from_id``: they are the account's, as Telegram
        Desktop shows them; Telethon (custom/message.py) infers the other side only for incoming ones."""
        peer = msg.from_id
        if peer is None:
            account = self.account
            mine = msg.out and account is not None and type(msg.peer_id) is _PeerUser
            peer = account if mine else msg.peer_id
        return self.lookup(peer)

    def name(self, peer: tl.TypePeer | int) -> str | None:
        return self.lookup(peer)[0]

    def desktop_id(self, peer: tl.TypePeer | int) -> str:
        return self.lookup(peer)[1]

    def user_name(self, user_id: int) -> str | None:
        entry = self._users.get(user_id)
        return entry[0] if entry is not None else None

    def username(self, user_id: int) -> str | None:
        return self._usernames.get(user_id)

    @staticmethod
    def _miss(book: dict[int, tuple[str | None, str]], bare: int, kind: str) -> tuple[str | None, str]:
        entry = book[bare] = (None, f"{kind}{bare}")
        return entry


def desktop_peer_value(peer: tl.TypePeer) -> int:
    """Desktop's internal 64-bit PeerId (kind in bits 48+), as `requested_peer` writes it."""
    cls = type(peer)
    # Telethon's objects are untyped (Any); the TL schema makes these ids ints.
    if cls is tl.PeerUser:
        value: int = peer.user_id
    elif cls is tl.PeerChat:
        value = peer.chat_id | _PEER_SHIFT_CHAT
    else:
        value = peer.channel_id | _PEER_SHIFT_CHANNEL
    return value
