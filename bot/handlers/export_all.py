"""/export all [filter]: many chats at once, under one umbrella (bot.jobs.umbrella).

The screen chooses the kinds of chats (private chats, groups, channels, forums, bots), whether
archived chats and chats the account left count, one archive per chat or one for all laid out as
Telegram Desktop's full export, and the formats; a filter typed after "all" applies to every
chat, shown back in words. "▶ Export" lists the account's chats (exporter.many.select_chats),
keeps for a non-admin only the chats an admin shared, and queues one job per chat, linked to one
umbrella whose progress message is this one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from db import ArchiveStore, DiskBudgetExceeded, JobKind, TooManyWaiting
from db.umbrellas import UmbrellaStore
from db.user_settings import UserSettings
from exporter.many import COMBINED, KINDS, PER_CHAT, ChatEntry, Selection, select_chats
from exporter.options import DEFAULT_FORMATS, FORMATS

from .. import text
from ..callbacks import ButtonPress, ButtonSession, pressed_message, redraw
from ..context import App
from ..jobs.umbrella import UMBRELLA
from ..middlewares.access import sender_id
from . import media_row
from .export_choice import RANGES, options_for, range_label
from .export_filter import filter_line, typed_filter

# /export all, /export all from:@alice …: the word "all" and, after it, an optional filter.
ALL = F.args.regexp(r"^\s*all(\s|$)")


async def export_all(message: Message, command: CommandObject, app: App) -> None:
    _, filtered = typed_filter(command.args or "")
    if isinstance(filtered, str):
        await message.answer(filtered)
        return
    owner = sender_id(message)
    formats = [f for f in app.settings.default_formats if f in FORMATS] or list(DEFAULT_FORMATS)
    choice: dict[str, Any] = {
        "kinds": list(KINDS),
        "archived": True,
        "left": False,
        "layout": PER_CHAT,
        "formats": formats,
        "range": "all",
        "takeout": False,
        "topics": None,
        "filter": None,
        **(filtered or {}),
        **await media_row.remembered(app, owner),
    }
    token = await app.buttons.open(owner, "many", choice=choice)
    screen, markup = _screen(app, token, choice)
    await message.answer(screen, reply_markup=markup)


def _screen(app: App, token: str, choice: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    def button(label: str, value: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=label, callback_data=app.buttons.data(token, value))

    kinds = [text.MANY_KIND_LABELS[kind] for kind in KINDS if kind in choice["kinds"]]
    lines = [
        text.MANY_TITLE,
        text.MANY_KINDS.format(kinds=", ".join(kinds) or text.MANY_NO_KIND),
        text.MANY_ARCHIVED_ON if choice["archived"] else text.MANY_ARCHIVED_OFF,
        text.MANY_LEFT_ON if choice["left"] else text.MANY_LEFT_OFF,
        text.MANY_COMBINED if choice["layout"] == COMBINED else text.MANY_PER_CHAT,
        text.OPTIONS_FORMATS.format(formats=", ".join(f.upper() for f in choice["formats"])),
        text.OPTIONS_RANGE.format(range=range_label(choice)),
        media_row.summary(choice),
    ]
    only = filter_line(choice)
    if only is not None:
        lines.append(only)
    marks = [f"{'✅' if kind in choice['kinds'] else '▫️'} {text.MANY_KIND_LABELS[kind]}" for kind in KINDS]
    rows = [[button(text.EXPORT_BUTTON, "go")]] if choice["kinds"] else []
    rows.append([button(mark, f"k{kind}") for mark, kind in zip(marks[:3], KINDS[:3], strict=True)])
    rows.append([button(mark, f"k{kind}") for mark, kind in zip(marks[3:], KINDS[3:], strict=True)])
    rows.append(
        [
            button(
                text.MANY_ARCHIVED_BUTTON_ON if choice["archived"] else text.MANY_ARCHIVED_BUTTON_OFF, "arch"
            ),
            button(text.MANY_LEFT_BUTTON_ON if choice["left"] else text.MANY_LEFT_BUTTON_OFF, "left"),
        ]
    )
    layout = text.MANY_COMBINED_BUTTON if choice["layout"] == COMBINED else text.MANY_PER_CHAT_BUTTON
    rows.append([button(layout, "layout")])
    rows.append([button(text.RANGE_BUTTON.format(range=range_label(choice)), "range")])
    rows.append([button(f"{'✅' if f in choice['formats'] else '▫️'} {f.upper()}", f"f{f}") for f in FORMATS])
    rows += media_row.rows(choice, button)
    rows.append([button(text.CANCEL, "close")])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def on_many(query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str) -> None:
    picked, message = button.data["choice"], pressed_message(query)
    if choice == "close":
        await app.buttons.close(token)
        await message.edit_text(text.NOTHING_EXPORTED)
    elif choice == "go":
        # Answered now: listing every dialog takes a while, and Telegram refuses a late answer.
        await query.answer()
        await app.buttons.close(token)
        await _go(app, query.from_user.id, message, picked)
        return
    else:

        async def press(pressed: ButtonSession) -> None:
            await _apply_press(app, pressed, choice)

        kept = await app.buttons.update(token, button, press)
        if kept is not None:  # else the screen was closed (Cancel, Export) by a press meanwhile
            screen, markup = _screen(app, token, kept[0].data["choice"])
            await redraw(message, screen, markup)
    await query.answer()


async def _apply_press(app: App, button: ButtonSession, choice: str) -> None:
    """Apply one tap to the choice kept in ``button``."""
    picked = button.data["choice"]
    if choice.startswith("k") and choice[1:] in KINDS:
        kinds = set(picked["kinds"]) ^ {choice[1:]}
        picked["kinds"] = [kind for kind in KINDS if kind in kinds]
    elif choice == "arch":
        picked["archived"] = not picked["archived"]
    elif choice == "left":
        picked["left"] = not picked["left"]
    elif choice == "range":
        # Everything, only what is new since the user's last export of each chat, 7 or 30 days.
        picked["range"] = RANGES[(RANGES.index(picked["range"]) + 1) % len(RANGES)]
    elif choice == "layout":
        picked["layout"] = PER_CHAT if picked["layout"] == COMBINED else COMBINED
    elif choice.startswith("f") and choice[1:] in FORMATS:
        formats = picked["formats"]
        if choice[1:] not in formats:
            formats.append(choice[1:])
        elif len(formats) > 1:
            formats.remove(choice[1:])
    else:
        await media_row.tap(app, button.owner, picked, choice)


async def _refusal(app: App) -> str | None:
    """Why this user may not start an export of many chats now, or None: the disk budget (room for a
    part at least, as for one chat). The cap on waiting exports is the first job's submit's."""
    try:
        budget = app.settings.disk_budget_mb * 1024 * 1024
        await ArchiveStore(app.database).check_disk_budget(budget, app.settings.part_size_bytes)
    except DiskBudgetExceeded as exc:
        return text.NO_ROOM.format(reason=exc, hours=app.settings.archive_max_age_hours)
    return None


async def _go(app: App, user_id: int, message: Message, picked: dict[str, Any]) -> None:
    await message.edit_text(text.MANY_LISTING)
    selection = Selection(frozenset(picked["kinds"]), picked["archived"], picked["left"])
    entries = await select_chats(app.client, selection)
    if not app.is_admin(user_id):
        shared = {chat.peer_id for chat in await app.shared.list_shared()}
        entries = [entry for entry in entries if int(entry.target) in shared]
    if not entries:
        await message.edit_text(text.MANY_NONE)
        return
    kind, options = options_for(picked)
    options = replace(options, time_zone=await UserSettings(app.database).time_zone(user_id))
    store = UmbrellaStore(app.database)
    refused = await _refusal(app)
    if refused is not None:
        await message.edit_text(refused)
        return
    umbrella = await store.create(user_id, message.chat.id, None, picked["layout"])
    await store.set_status_message(umbrella.id, message.message_id)
    asked = (user_id, message.chat.id)
    for position, entry in enumerate(entries):
        # The whole counts against the cap on waiting exports as one request: its first job is
        # submitted under the cap (counted in the database, atomically with the insert, so two
        # screens or two front-ends at once pass it once), the rest follow it.
        cap = app.waiting_cap(user_id) if position == 0 else None
        try:
            await _queue_chat(app, store, umbrella.id, position, asked, entry, kind, options.to_json(), cap)
        except TooManyWaiting as exc:
            await store.discard(umbrella.id)
            await message.edit_text(text.TOO_MANY_WAITING.format(cap=exc.cap))
            return
    titles = text.fit_lines([entry.title for entry in entries], limit=3000).replace("\n", ", ")
    await message.edit_text(text.MANY_QUEUED.format(count=len(entries), titles=titles))
    if app.pool is not None:
        app.pool.wake()


async def _queue_chat(
    app: App,
    store: UmbrellaStore,
    umbrella_id: int,
    position: int,
    asked: tuple[int, int],
    entry: ChatEntry,
    kind: JobKind,
    options: dict[str, Any],
    waiting_cap: int | None,
) -> None:
    """One chat's job, linked to the umbrella; ``asked``: who asked, and in which chat."""
    user_id, chat_id = asked
    job = await app.queue.submit(
        user_id,
        chat_id,
        entry.target,
        kind=kind,
        options={**options, UMBRELLA: umbrella_id},
        waiting_cap=waiting_cap,
    )
    await store.add_chat(umbrella_id, position, job.id, entry.title, left=entry.left, archived=entry.archived)
    await app.queue.set_peer(job.id, int(entry.target), entry.title)


def make_router() -> Router:
    """A fresh router per dispatcher; included before /export's own, which takes every other /export."""
    router = Router(name="export_all")
    router.message(Command("export", magic=ALL), F.chat.type == "private")(export_all)
    router.callback_query(ButtonPress("many"))(on_many)
    return router
