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

from .. import text
from ..callbacks import ButtonPress, ButtonSession, pressed_message
from ..context import App
from ..delivery import Destination, tell
from ..middlewares.access import sender_id
from . import picker
from .private import IN_A_GROUP, only_in_private

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


async def _resolve(message: Message, app: App, name: str) -> ResolvedTarget | None:
    """The chat ``name`` names, or None after telling the user why not."""
    try:
        return await resolve_target(app.client, parse_target(name))
    except TargetError as exc:
        await message.reply(str(exc))
        return None


def _named(target: ResolvedTarget) -> str:
    return target.chat.name or str(peer_id_of(target))


async def share(message: Message, command: CommandObject, app: App, is_admin: bool) -> None:
    if not is_admin:
        await message.reply(text.ADMINS_ONLY)
        return
    name = (command.args or "").strip()
    if name or message.chat.type != "private":
        await _share_target(message, app, name or str(message.chat.id), sender_id(message))
        return
    chats = await picker.recent_chats(app)
    if not chats:
        await message.reply(text.SHARE_HOW)
        return
    await picker.show(message, app, "share_picker", chats, text.WHICH_CHAT_TO_SHARE)


async def on_share_pick(
    query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str, is_admin: bool
) -> None:
    target = await picker.chosen(query, app, button, choice, token)
    if target is not None and is_admin:
        await _share_target(pressed_message(query), app, target, query.from_user.id, edit=True)
    await query.answer()


async def _share_target(message: Message, app: App, name: str, by: int, *, edit: bool = False) -> None:
    """Share the chat ``name`` names, after a confirmation if it is private; ``edit``: answer by
    editing ``message`` (the picker) instead of replying to it."""
    answer = message.edit_text if edit else message.reply
    try:
        target = await resolve_target(app.client, parse_target(name))
    except TargetError as exc:
        await answer(str(exc))
        return
    if target.chat.type in PRIVATE_KINDS:
        token = await app.buttons.open(
            by, "share", peer_id=peer_id_of(target), title=_named(target), chat_kind=target.chat.type
        )
        buttons = [
            InlineKeyboardButton(text=text.SHARE_BUTTON, callback_data=app.buttons.data(token, "go")),
            InlineKeyboardButton(text=text.CANCEL, callback_data=app.buttons.data(token, "close")),
        ]
        await answer(
            text.SHARE_PRIVATE.format(title=_named(target)),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]),
        )
        return
    await answer(await _share(app, peer_id_of(target), _named(target), target.chat.type, by))


async def _share(app: App, peer_id: int, title: str, kind: str, by: int) -> str:
    if await app.shared.share(peer_id, title, kind, by):
        return text.SHARED.format(title=title, peer_id=peer_id)
    return text.ALREADY_SHARED.format(title=title)


async def on_share_confirm(
    query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str
) -> None:
    await app.buttons.close(token)
    data = button.data
    if choice == "go" and app.is_admin(query.from_user.id):
        answer = await _share(app, data["peer_id"], data["title"], data["chat_kind"], query.from_user.id)
    else:
        answer = text.STAYS_PRIVATE.format(title=data["title"])
    await pressed_message(query).edit_text(answer)
    await query.answer()


async def unshare(message: Message, command: CommandObject, app: App, is_admin: bool) -> None:
    if not is_admin:
        await message.reply(text.ADMINS_ONLY)
        return
    name = (command.args or "").strip() or (str(message.chat.id) if message.chat.type != "private" else "")
    if not name:
        await message.reply(text.UNSHARE_HOW)
        return
    number = name.lstrip("-")
    if number.isdecimal() and len(number) <= 20:
        # An id needs no lookup: a chat the account has left can still be unshared.
        peer_id, title = int(name), name
        if abs(peer_id) >= PEER_ID_LIMIT:
            await message.reply(text.NOT_A_CHAT_ID.format(text=name))
            return
    else:
        target = await _resolve(message, app, name)
        if target is None:
            return
        peer_id, title = peer_id_of(target), _named(target)
    if await app.shared.unshare(peer_id):
        stopped = await cancel_waiting(
            app,
            lambda job: job.target == str(peer_id) and not app.is_admin(job.user_id),
            sender_id(message),
            text.CANCELLED_UNSHARED,
            chat=title,
        )
        done = text.UNSHARED_CANCELLED if stopped else text.UNSHARED
        await message.reply(done.format(title=title, stopped=stopped))
    else:
        await message.reply(text.WAS_NOT_SHARED.format(title=title))


async def cancel_waiting(
    app: App, wanted: Callable[[Job], bool], by: int, notice: str, **fields: object
) -> int:
    """Cancel the queued and running exports ``wanted`` picks, telling each owner why: ``notice``
    filled with the job's ``id`` and ``title`` and ``fields``. A revoked permission holds from now
    on, not from the next export. Returns how many were cancelled."""
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
        sentence = notice.format(id=job.id, title=title, **fields)
        await tell(app.bot, Destination(job.chat_id, job.thread_id), sentence)
    return stopped


async def shared(message: Message, app: App, is_admin: bool) -> None:
    chats = await app.shared.list_shared()
    if not chats:
        await message.reply(text.NOTHING_SHARED if is_admin else text.NOTHING_SHARED_WITH_YOU)
        return
    lines = [text.SHARED_CHATS if is_admin else text.YOUR_CHATS]
    lines += [
        text.SHARED_CHAT_LINE.format(title=chat.title, kind=chat.kind.replace("_", " "), peer_id=chat.peer_id)
        for chat in chats
    ]
    await message.reply(text.fit_lines(lines, text.UNSHARE_ONE if is_admin else ""))


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
