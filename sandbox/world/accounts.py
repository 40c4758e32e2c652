"""More exporting accounts in one sandbox world, each a member of its own chats.

A deployment may log several Telegram accounts in (issue 17). Each sees the
chats it is a member of, and every public channel or supergroup by its
username (Telegram lets anyone preview those); the rest is refused as it is
to an account that never joined (core.telegram.org/method/messages.getHistory:
"400 CHANNEL_PRIVATE You haven't joined this channel/supergroup"). Flood limits
are already per account: the network model keeps a bucket per user id
(sandbox/netmodel.py).

``world.me`` stays the first account, with the world's own rules (left,
banned). guess: another account's view of a message is the first account's
(Telegram would mark the first account's messages incoming for it, and the
account itself ``self`` in users.getUsers; the exporter's records depend on
neither).
"""

from __future__ import annotations

from collections.abc import Iterable

from telethon import utils
from telethon.tl import types as T

from .model import CHANNEL_KINDS, Chat, UserInfo, World

# Far above the ids scenarios allocate (sandbox/world/scenarios.py: 1e8..7.1e9).
_FIRST_ID = 7_500_000_000


def add_account(world: World, first_name: str, chats: Iterable[Chat]) -> UserInfo:
    """A new account of the world, a member of ``chats`` only; log it in with
    ``Cluster.session_string(user.id)`` or by scanning a QR code as it."""
    user_id = _FIRST_ID + len(world.accounts)
    number = len(world.accounts) + 2
    user = UserInfo(
        id=user_id,
        access_hash=user_id * 7919,
        first_name=first_name,
        last_name=None,
        username=f"sandbox_account_{number}",
        phone=f"1555010{number:04d}",
    )
    world.users[user.id] = user
    world.accounts[user.id] = frozenset(chat.peer_id for chat in chats)
    return user


def member_chats(world: World, user_id: int | None) -> frozenset[int] | None:
    """The chats another account is a member of; None for the world's own account (its rules are the
    chat's own flags) and for a logged-out key."""
    if user_id is None:
        return None
    return world.accounts.get(user_id)


def reads(chat: Chat, member_of: frozenset[int]) -> bool:
    """Whether an account that is a member of ``member_of`` can read ``chat``."""
    return chat.peer_id in member_of or (chat.kind in CHANNEL_KINDS and chat.username is not None)


def as_seen_by(answer: object, member_of: frozenset[int]) -> None:
    """The chats of an answer as another account sees them: ``left`` unless it is a member (the world
    builds them as its own account sees them; each answer gets chats built for it alone)."""
    for chat in getattr(answer, "chats", None) or ():
        if isinstance(chat, T.Channel | T.Chat):
            chat.left = None if utils.get_peer_id(chat) in member_of else True
