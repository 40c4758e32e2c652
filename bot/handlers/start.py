"""/start and /help: what the bot does and how to use it, in short."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message

from ..middlewares.access import sender_id

HELP = """I export Telegram chats — channels, groups, private chats, and forums topic by topic — into an archive \
with result.json (Telegram Desktop's format, plus topics), HTML pages and, if you like, Markdown.

/export — pick a chat, or /export @name, /export t.me/… or a numeric id
/export in a group — exports that group
/shared — the chats you may export (an admin shares them)
/status — your exports in progress and your place in the queue
/cancel — stop your export (/cancel #ID stops one of several)
/history — your recent exports; send an archive again
/settings — the time zone your archives' dates are written in (UTC until you pick one)

Big chats come in parts of up to 49 MB; each part says how to join them."""

ADMIN_HELP = (
    "\n\nAdmins: /stats, /allow ID, /deny ID, /login, /logout\n"
    "/share (a picker, or /share @chat, or /share in a group) lets everyone allowed export a chat; "
    "/unshare ID; "
    "/status all and /cancel #ID for anyone's export"
)


async def start(message: Message, is_admin: bool) -> None:
    # The id is what ADMIN_IDS and /allow take; people rarely know their own.
    you = f"\n\nYour Telegram user id: {sender_id(message)}"
    await message.answer(HELP + (ADMIN_HELP if is_admin else "") + you)


async def stale_button(query: CallbackQuery) -> None:
    """Any press no other router took: a forged, foreign or expired button. Nothing runs."""
    await query.answer(
        "This button is not yours, or it has expired. Send the command again.", show_alert=True
    )


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="start")
    router.message(CommandStart())(start)
    router.message(Command("help"))(start)
    router.callback_query(F.data)(stale_button)
    return router
