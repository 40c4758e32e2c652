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

from .model import Chat


def unreadable_reason(chat: Chat) -> str | None:
    """Why the account cannot read ``chat`` ("banned", "left", "private"), or None when it can."""
    if chat.banned:
        return "banned"
    if chat.kind == "group" and chat.left:
        return "left"
    if chat.left and chat.kind not in ("private", "saved") and not chat.username:
        return "private"
    return None


def refusal(chat: Chat) -> tuple[int, str] | None:
    """The RPC error a history request about ``chat`` gets, or None when it is readable."""
    if unreadable_reason(chat) is None:
        return None
    return (400, "CHAT_FORBIDDEN") if chat.kind == "group" else (400, "CHANNEL_PRIVATE")
