"""Only allowed users reach the handlers; everybody else gets one polite refusal, then a short
answer at most once per ``bot.cooldown.PERIOD`` (silence looked like a dead bot; an answer to every
message would let a stranger make the bot spam).

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

from .. import text
from ..cooldown import Cooldown


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
        # The full refusal once per person per run; later messages a short reminder, rate-limited.
        self.refused: set[int] = set()
        self.reminded = Cooldown()

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
            await event.answer(text.PRIVATE_BOT, show_alert=False)
            return
        if not isinstance(event, Message) or event.chat.type != "private":
            return
        if user_id not in self.refused:
            self.refused.add(user_id)
            # The refusal starts the period: the next few messages right after it get nothing more.
            self.reminded.allows(user_id)
            await event.answer(text.REFUSAL.format(user_id=user_id))
        elif self.reminded.allows(user_id):
            await event.answer(text.STILL_PRIVATE.format(user_id=user_id))
