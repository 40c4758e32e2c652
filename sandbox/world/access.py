"""Which chats the account can read, one rule for the API and for ``describe``.

Sources: https://core.telegram.org/method/messages.getHistory lists "400 CHANNEL_PRIVATE You haven't
joined this channel/supergroup"; Telethon's error table (telethon_generator/data/errors.csv) has
CHAT_FORBIDDEN for a basic group the account is not in; a chat
the account was removed from arrives as ``chatForbidden`` / ``channelForbidden``
(core.telegram.org/constructor/channelForbidden: "Indicates a channel/supergroup we can't access
because we were banned, or for some other reason"). A public channel stays readable after leaving
(Telegram lets anyone preview it by username).
guess: a basic group the account left is unreadable like one it was removed from (Telegram Desktop
shows the left group's old history from its local cache; the server refuses CHAT_FORBIDDEN).
"""

from __future__ import annotations

from .accounts import reads
from .model import Chat


def unreadable_reason(chat: Chat, member_of: frozenset[int] | None = None) -> str | None:
    """Why the account cannot read ``chat`` ("banned", "left", "private", "not a member"), or None
    when it can. ``member_of``: the chats of another account than the world's own
    (sandbox/world/accounts.py), which has its own memberships instead of the chat's flags."""
    if member_of is not None:
        return None if reads(chat, member_of) else "not a member"
    if chat.banned:
        return "banned"
    if chat.kind == "group" and chat.left:
        return "left"
    if chat.left and chat.kind not in ("private", "saved") and not chat.username:
        return "private"
    return None


def refusal(chat: Chat, member_of: frozenset[int] | None = None) -> tuple[int, str] | None:
    """The RPC error a history request about ``chat`` gets, or None when it is readable."""
    if unreadable_reason(chat, member_of) is None:
        return None
    return (400, "CHAT_FORBIDDEN") if chat.kind == "group" else (400, "CHANNEL_PRIVATE")
