"""Ground truth: what a complete export of a world must contain."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from telethon import utils

from .access import unreadable_reason
from .model import Chat, World


def expected_messages(
    world: World, chat: Chat, topic_id: int | None = None
) -> Iterator[tuple[int, int | None]]:
    """(msg_id, topic_id) ascending for every message an export must hold (restricted ones excluded);
    ``topic_id`` limits a forum to one topic. Topic is None outside forums."""
    restricted = set(world.restricted_ids(chat))
    ids = chat.slots if topic_id is None else chat.topics[topic_id].ids
    if chat.kind != "forum":
        return ((i, None) for i in ids if i not in restricted)
    if topic_id is not None:
        return ((i, topic_id) for i in ids if i not in restricted)
    return ((i, world.topic_of(chat, i)) for i in ids if i not in restricted)


def describe(world: World) -> dict:
    """A JSON-able summary: every chat with its expected message count, forum topics included."""
    chats = []
    for chat in world.chats.values():
        restricted = list(world.restricted_ids(chat))
        entry = {
            "peer_id": chat.peer_id,
            "kind": chat.kind,
            "title": chat.title,
            "username": chat.username,
            "message_count": len(chat.slots) - len(restricted),
            "left": chat.left,
            "banned": chat.banned,
            # An export of a chat the account cannot read is refused, whatever its messages.
            "exportable": unreadable_reason(chat) is None,
            "unreadable_because": unreadable_reason(chat),
        }
        if chat.migrated_to is not None:
            entry["migrated_to"] = chat.migrated_to.peer_id
        if chat.migrated_from is not None:
            # an export of the supergroup holds the group's messages too, first
            entry["migrated_from"] = chat.migrated_from.peer_id
        if chat.kind == "forum":
            hidden = Counter(world.topic_of(chat, i) for i in restricted)
            entry["topics"] = [
                {
                    "id": t.id,
                    "title": t.title,
                    "message_count": len(t.ids) - hidden[t.id],
                    "closed": t.closed,
                    "hidden": t.hidden,
                }
                for t in chat.topics.values()
            ]
        chats.append(entry)
    return {
        "seed": world.seed,
        "me": {"id": world.me.id, "username": world.me.username, "phone": world.me.phone},
        "chats": chats,
    }


def expected_sender(world: World, chat: Chat, msg_id: int) -> int:
    """Who wrote a message, as a marked peer id: the account for its outgoing private and saved
    messages (which Telegram sends without ``from_id``), the channel for a channel's posts."""
    msg = world.message(chat, msg_id)
    if msg.from_id is not None:
        return utils.get_peer_id(msg.from_id)
    if chat.kind == "channel":
        return chat.peer_id
    return world.me.id if msg.out else chat.peer_id


# Telegram Desktop writes the ids of an upgraded group's messages shifted down by this much, so they
# sort before the supergroup's own (export_data_types.cpp kMigratedMessagesIdShift, applied by
# AdjustMigrateMessageIds to the group's slices in export_api_wrap.cpp).
MIGRATED_ID_SHIFT = 1_000_000_000


def expected_export_ids(world: World, chat: Chat) -> list[int]:
    """The ids a complete export of ``chat`` writes in result.json, in order: a supergroup upgraded
    from a basic group first holds the group's messages, shifted as Desktop shifts them."""
    old = chat.migrated_from
    before = [] if old is None else [i - MIGRATED_ID_SHIFT for i, _ in expected_messages(world, old)]
    return before + [i for i, _ in expected_messages(world, chat)]
