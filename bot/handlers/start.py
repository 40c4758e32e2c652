"""/start and /help: what the bot does and how to use it, in short."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from .. import text
from ..cooldown import Cooldown
from ..middlewares.access import sender_id

# What bot.handlers.admin answers for admins; anyone else who sends one is told so (rate-limited).
ADMIN_COMMANDS = ("stats", "allow", "deny", "login", "logout")


async def start(message: Message, is_admin: bool) -> None:
    # The id is what ADMIN_IDS and /allow take; people rarely know their own.
    you = text.YOUR_ID.format(user_id=sender_id(message))
    await message.answer(text.HELP + (text.ADMIN_HELP if is_admin else "") + you)


async def stale_button(query: CallbackQuery) -> None:
    """Any press no other router took: a forged, foreign or expired button. Nothing runs."""
    await query.answer(text.STALE_BUTTON, show_alert=True)


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="start")
    router.message(CommandStart())(start)
    router.message(Command("help"))(start)
    # Per router, so per running bot: see bot.cooldown for where this state lives and why.
    told = Cooldown()

    async def admins_only(message: Message, command: CommandObject) -> None:
        """An admin command from a member (the admin router took every admin's): one short answer
        per person per period instead of silence."""
        if told.allows(sender_id(message)):
            await message.answer(text.ADMINS_ONLY_COMMAND.format(command=command.command))

    # This router comes after the admin one (bot.app), so only non-admins get here.
    router.message(Command(*ADMIN_COMMANDS))(admins_only)
    router.callback_query(F.data)(stale_button)
    return router
