"""Who wrote each message of a chat: the index Telegram's search by sender (messages.search
``from_id``) reads, built once per chat and message count.

guess: Telegram keeps such an index per chat, so a search by sender costs it a lookup, not a scan;
the sandbox builds it on first use (a 1M-message chat takes about 5 s) or, for the scenarios made
to measure that search, with the world (sandbox.world.scenarios).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from telethon import utils

from .content import _out, _sender, compose, h64, variant_and_rank

if TYPE_CHECKING:
    from .model import Chat, World

# Actions whose sender is not the message's usual one (sandbox.world.content._service picks another).
_OWN_SENDER_VARIANTS = frozenset(("pin", "add_user", "joined", "title"))


def sender_of(world: World, chat: Chat, m: Any) -> int:
    """The marked peer id a message is from: its from_id; a channel's posts are the channel's; in a
    private chat or Saved Messages, the account when outgoing, else the other side."""
    if m.from_id is not None:
        return int(utils.get_peer_id(m.from_id))
    if chat.kind == "channel":
        return chat.peer_id
    return world.me.id if m.out else chat.peer_id


# world -> (chat peer id, message count) -> sender -> its ids, ascending.
_SENDERS: weakref.WeakKeyDictionary[World, dict[tuple[int, int], dict[int, list[int]]]] = (
    weakref.WeakKeyDictionary()
)


def sender_index(world: World, chat: Chat) -> dict[int, list[int]]:
    per_world = _SENDERS.setdefault(world, {})
    key = (chat.peer_id, len(chat.slots))
    index = per_world.get(key)
    if index is not None:
        return index
    index = {}
    restricted = set(world.restricted_ids(chat))
    # Plain decisions where they decide alone (sandbox.world.content: the sender is picked from the
    # hash before anything else), the whole message where a scenario or a service action may change it.
    fast = chat.rewrite is None
    for msg_id in chat.slots:
        if msg_id in restricted:
            continue
        if (
            fast
            and msg_id not in chat.service
            and msg_id not in chat.topics  # a topic's creation message is its creator's
            and variant_and_rank(chat, msg_id)[0] not in _OWN_SENDER_VARIANTS
        ):
            h = h64(chat.key, msg_id)
            sender = _sender(chat, h)
            if sender is None:
                sender = chat.peer_id if chat.kind == "channel" else None
            if sender is None:
                sender = world.me.id if _out(world, chat, h, None) else chat.peer_id
        else:
            sender = sender_of(world, chat, compose(world, chat, msg_id).tl())
        index.setdefault(sender, []).append(msg_id)
    per_world[key] = index
    return index
