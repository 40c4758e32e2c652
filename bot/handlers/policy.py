"""Who may export what: /share, /unshare and /shared.

The exporting account reads everything it is in, its owner's private chats
included. Admins export anything; everyone else exports only the chats an
admin shared. Sharing a private chat, a bot's chat or Saved Messages takes a
confirmation. Every decision is on the resolved chat's id, never on the typed
text, so a link, a username and an id of one chat are one decision. Taking a
permission back (/unshare here, /deny in bot.handlers.admin) also cancels the
exports it allowed that are still waiting.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telethon import utils

from db import IllegalTransition, Job
from exporter.targets import ResolvedTarget, TargetError, parse_target, resolve_target

from ..callbacks import ButtonPress, ButtonSession, pressed_message
from ..context import App
from ..delivery import Destination, tell
from ..middlewares.access import sender_id
from ..text import fit_lines
from . import picker
from .private import IN_A_GROUP, only_in_private

NOT_SHARED = "Only chats an admin has shared can be exported: ask an admin to /share this one."
ADMINS_ONLY = "Only admins decide which chats are shared; /shared lists the ones you may export."
PRIVATE_KINDS = frozenset({"personal_chat", "bot_chat", "saved_messages"})
# Unfinished jobs looked at when a permission is revoked: every user's, each capped at a few.
UNFINISHED_SWEEP = 10_000
# Telegram's chat ids fit in 52 bits (core.telegram.org/api/bots/ids); -100… channel ids stay below 2**53.
PEER_ID_LIMIT = 2**53


def peer_id_of(target: ResolvedTarget) -> int:
    """The marked id of the resolved chat (the entity, as Saved Messages' input peer is just "self")."""
    # Telethon is untyped; its marked ids are ints.
    peer_id: int = utils.get_peer_id(target.entity)
    return peer_id


async def may_export(app: App, user_id: int, target: ResolvedTarget) -> bool:
    return app.is_admin(user_id) or await app.shared.is_shared(peer_id_of(target))


async def _resolve(message: Message, app: App, text: str) -> ResolvedTarget | None:
    """The chat named by ``text``, or None after telling the user why not."""
    try:
        return await resolve_target(app.client, parse_target(text))
    except TargetError as exc:
        await message.reply(str(exc))
        return None


def _named(target: ResolvedTarget) -> str:
    return target.chat.name or str(peer_id_of(target))


async def share(message: Message, command: CommandObject, app: App, is_admin: bool) -> None:
    if not is_admin:
        await message.reply(ADMINS_ONLY)
        return
    text = (command.args or "").strip()
    if text or message.chat.type != "private":
        await _share_target(message, app, text or str(message.chat.id), sender_id(message))
        return
    chats = await picker.recent_chats(app)
    if not chats:
        await message.reply(
            "Send /share @name, a t.me link or a chat id; in a group, /share shares that group."
        )
        return
    await picker.show(message, app, "share_picker", chats, "Which chat to share?")


async def on_share_pick(
    query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str, is_admin: bool
) -> None:
    target = await picker.chosen(query, app, button, choice, token)
    if target is not None and is_admin:
        await _share_target(pressed_message(query), app, target, query.from_user.id, edit=True)
    await query.answer()


async def _share_target(message: Message, app: App, text: str, by: int, *, edit: bool = False) -> None:
    """Share the chat ``text`` names, after a confirmation if it is private; ``edit``: answer by
    editing ``message`` (the picker) instead of replying to it."""
    answer = message.edit_text if edit else message.reply
    try:
        target = await resolve_target(app.client, parse_target(text))
    except TargetError as exc:
        await answer(str(exc))
        return
    if target.chat.type in PRIVATE_KINDS:
        token = app.buttons.open(
            by, "share", peer_id=peer_id_of(target), title=_named(target), chat_kind=target.chat.type
        )
        buttons = [
            InlineKeyboardButton(text="Share it", callback_data=app.buttons.data(token, "go")),
            InlineKeyboardButton(text="Cancel", callback_data=app.buttons.data(token, "close")),
        ]
        await answer(
            f"{_named(target)} is a private chat of the exporting account: once shared, everyone "
            "allowed to use this bot can export all of it. Share it?",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]),
        )
        return
    await answer(await _share(app, peer_id_of(target), _named(target), target.chat.type, by))


async def _share(app: App, peer_id: int, title: str, kind: str, by: int) -> str:
    if await app.shared.share(peer_id, title, kind, by):
        return f"Shared {title}: everyone allowed to use this bot can export it now. /unshare {peer_id} stops that."
    return f"{title} was already shared."


async def on_share_confirm(
    query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str
) -> None:
    app.buttons.close(token)
    data = button.data
    if choice == "go" and app.is_admin(query.from_user.id):
        text = await _share(app, data["peer_id"], data["title"], data["chat_kind"], query.from_user.id)
    else:
        text = f"{data['title']} stays private."
    await pressed_message(query).edit_text(text)
    await query.answer()


async def unshare(message: Message, command: CommandObject, app: App, is_admin: bool) -> None:
    if not is_admin:
        await message.reply(ADMINS_ONLY)
        return
    text = (command.args or "").strip() or (str(message.chat.id) if message.chat.type != "private" else "")
    if not text:
        await message.reply("Send /unshare and the chat's id from /shared (or @name, or a link).")
        return
    number = text.lstrip("-")
    if number.isdecimal() and len(number) <= 20:
        # An id needs no lookup: a chat the account has left can still be unshared.
        peer_id, title = int(text), text
        if abs(peer_id) >= PEER_ID_LIMIT:
            await message.reply(f"{text} is not a Telegram chat id: /shared lists the shared ones.")
            return
    else:
        target = await _resolve(message, app, text)
        if target is None:
            return
        peer_id, title = peer_id_of(target), _named(target)
    if await app.shared.unshare(peer_id):
        stopped = await cancel_waiting(
            app,
            lambda job: job.target == str(peer_id) and not app.is_admin(job.user_id),
            sender_id(message),
            f"An admin stopped sharing {title}, so this was cancelled",
        )
        await message.reply(
            f"{title} is no longer shared: only admins can export it now."
            + (f" {stopped} waiting exports of it were cancelled." if stopped else "")
        )
    else:
        await message.reply(f"{title} was not shared; /shared lists the shared chats.")


async def cancel_waiting(app: App, wanted: Callable[[Job], bool], by: int, why: str) -> int:
    """Cancel the queued and running exports ``wanted`` picks, telling each owner ``why`` (the sentence
    ends with the job's number and title). A revoked permission holds from now on, not from the next
    export. Returns how many were cancelled."""
    stopped = 0
    for job in await app.queue.list_unfinished(limit=UNFINISHED_SWEEP):
        if not wanted(job):
            continue
        try:
            await app.queue.cancel(job.id, by)
        except IllegalTransition:
            continue  # it finished meanwhile
        stopped += 1
        title = job.peer_title or job.target
        await tell(app.bot, Destination(job.chat_id, job.thread_id), f"{why}: export #{job.id} of {title}.")
    return stopped


async def shared(message: Message, app: App, is_admin: bool) -> None:
    chats = await app.shared.list_shared()
    if not chats:
        await message.reply(
            "No chat is shared yet: /share @chat shares one."
            if is_admin
            else "No chat is shared with you yet: ask an admin to /share one."
        )
        return
    lines = ["Shared chats (everyone allowed may export these):" if is_admin else "Chats you may export:"]
    lines += [f"• {chat.title} ({chat.kind.replace('_', ' ')}) — {chat.peer_id}" for chat in chats]
    await message.reply(fit_lines(lines, "/unshare ID stops sharing one." if is_admin else ""))


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="policy")
    router.message(Command("share"))(share)
    router.message(Command("unshare"))(unshare)
    # Shared chats may be the account's private ones: their names are not for a group to read.
    router.message(Command("shared"), IN_A_GROUP)(only_in_private)
    router.message(Command("shared"))(shared)
    router.callback_query(ButtonPress("share"))(on_share_confirm)
    router.callback_query(ButtonPress("share_picker"))(on_share_pick)
    return router
