"""Only allowed users reach the handlers; everybody else gets one polite refusal.

The user client behind the bot can read everything its account can, so this
is the line that matters.  Admins come from the settings; an admin allows
others with /allow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from db import Role, UserStore

REFUSAL = (
    "Sorry, this bot exports chats for its owner's team only. "
    "If you should have access, send your id to its admin: {user_id}."
)


def sender_id(message: Message) -> int:
    """The id of who sent ``message``, in a handler. Telegram leaves ``from`` out only for messages sent
    on behalf of a chat (channel posts, anonymous admins; core.telegram.org/bots/api#message), and
    this middleware drops every event without a person before any handler runs."""
    if message.from_user is None:
        raise LookupError("a message without a sender got past the access check")
    return message.from_user.id


class AccessMiddleware(BaseMiddleware):
    def __init__(self, users: UserStore, admin_ids: list[int]) -> None:
        self.users = users
        self.admin_ids = set(admin_ids)
        # One refusal per person per run: a stranger's every message must not be answered.
        self.refused: set[int] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user = getattr(event, "from_user", None)
        if user is None or user.is_bot:
            return None
        role = Role.ADMIN if user.id in self.admin_ids else await self.users.role_of(user.id)
        if role is None:
            await self._refuse(event, user.id)
            return None
        data["role"] = role
        data["is_admin"] = role == Role.ADMIN
        return await handler(event, data)

    async def _refuse(self, event: TelegramObject, user_id: int) -> None:
        if isinstance(event, CallbackQuery):
            await event.answer("This bot is private.", show_alert=False)
            return
        if user_id in self.refused or not isinstance(event, Message):
            return
        self.refused.add(user_id)
        if event.chat.type == "private":
            await event.answer(REFUSAL.format(user_id=user_id))
