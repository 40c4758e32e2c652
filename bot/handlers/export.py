"""/export: by link or id, from a picker of recent chats, or in a group for that group.

The options screen starts at the defaults, so one tap exports; the buttons
carry only tokens (bot.callbacks), never chat ids or titles. Non-admins see
and export only the chats an admin shared (bot.handlers.policy), checked
again when the job is queued, so no button or typed text gets around it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from db import ArchiveStore, DiskBudgetExceeded, Job, JobKind
from db.user_settings import UserSettings
from exporter.options import DEFAULT_FORMATS, FORMATS, ExportOptions
from exporter.streams import list_topics
from exporter.targets import ResolvedTarget, TargetError, parse_target, resolve_target

from ..callbacks import ButtonPress, ButtonSession, pressed_message
from ..context import App
from ..middlewares.access import sender_id
from . import media_row, picker, size_warning
from .policy import NOT_SHARED, may_export, peer_id_of

TOPICS_SHOWN = 24
RANGES = ("all", "new", "7d", "30d")
RANGE_LABELS = {
    "all": "everything",
    "new": "only new since my last export",
    "7d": "last 7 days",
    "30d": "last 30 days",
}
KIND_LABELS = {
    "personal_chat": "private chat",
    "bot_chat": "chat with a bot",
    "private_group": "group",
    "private_supergroup": "supergroup",
    "public_supergroup": "public supergroup",
    "private_channel": "channel",
    "public_channel": "public channel",
    "saved_messages": "saved messages",
}


def _button(app: App, token: str, text: str, choice: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=app.buttons.data(token, choice))


async def export_in_private(message: Message, command: CommandObject, app: App) -> None:
    if command.args:
        await _offer(message, app, command.args.strip())
    else:
        await _show_picker(message, app)


async def export_in_group(message: Message, app: App) -> None:
    """In a group: export this group, replying in the same topic."""
    thread_id = message.message_thread_id if message.is_topic_message else None
    try:
        target = await resolve_target(app.client, parse_target(str(message.chat.id)))
    except TargetError:
        await message.reply(
            "My exporting account is not a member of this group, so it cannot read it. "
            "Add that account to the group, then send /export again."
        )
        return
    await _submit(app, sender_id(message), message.chat.id, thread_id, target, _default_choice(app), message)


def _default_choice(app: App) -> dict[str, Any]:
    formats = [f for f in app.settings.default_formats if f in FORMATS] or list(DEFAULT_FORMATS)
    return {"formats": formats, "range": "all", "takeout": False, "topics": None}


async def _show_picker(message: Message, app: App) -> None:
    if app.is_admin(sender_id(message)):
        chats = await picker.recent_chats(app)
        empty = "The exporting account has no chats yet. Send /export @name or a t.me link."
    else:
        chats = [(str(chat.peer_id), chat.title or "(no name)") for chat in await app.shared.list_shared()]
        empty = "No chat is shared with you yet: ask an admin to /share one."
    if not chats:
        await message.answer(empty)
        return
    await picker.show(message, app, "picker", chats, "Which chat?")


async def _offer(
    message: Message, app: App, target_text: str, *, edit: bool = False, owner: int | None = None
) -> None:
    """The options screen for one chat: defaults set, one tap to export."""
    owner = owner or sender_id(message)
    try:
        target = await resolve_target(app.client, parse_target(target_text))
    except TargetError as exc:
        await (message.edit_text(str(exc)) if edit else message.answer(str(exc)))
        return
    if not await may_export(app, owner, target):
        await (message.edit_text(NOT_SHARED) if edit else message.answer(NOT_SHARED))
        return
    choice = _default_choice(app)
    choice.update(await media_row.remembered(app, owner))
    topics: list[tuple[int, str]] = []
    if target.is_forum:
        found, _, _ = await list_topics(app.client, target.input_peer)
        topics = [(t.id, t.title) for t in found]
        if target.topic_id is not None:
            choice["topics"] = [target.topic_id]
    token = app.buttons.open(
        owner, "options", target=target_text, title=target.chat.name or "chat",
        chat_kind=target.chat.type, topics=topics, choice=choice,
    )  # fmt: skip
    text, markup = _options_screen(app, token, app.buttons.get(token))
    await (
        message.edit_text(text, reply_markup=markup) if edit else message.answer(text, reply_markup=markup)
    )


def _options_screen(app: App, token: str, session: ButtonSession) -> tuple[str, InlineKeyboardMarkup]:
    data = session.data
    choice = data["choice"]
    formats = choice["formats"]
    chosen_topics = choice["topics"]
    lines = [f"Export {data['title']} ({KIND_LABELS.get(data['chat_kind'], data['chat_kind'])})"]
    lines.append(f"Formats: {', '.join(f.upper() for f in formats)}")
    lines.append(f"Range: {RANGE_LABELS[choice['range']]}")
    if data["topics"]:
        lines.append(
            f"Topics: {'all ' + str(len(data['topics'])) if chosen_topics is None else len(chosen_topics)}"
        )
    lines.append(
        f"Takeout: {'on (Telegram may ask you to confirm in another app)' if choice['takeout'] else 'off'}"
    )
    lines.append(media_row.summary(choice))
    rows = [[_button(app, token, "▶ Export", "go")]]
    rows.append(
        [_button(app, token, f"{'✅' if f in formats else '▫️'} {f.upper()}", f"f{f}") for f in FORMATS]
    )
    rows.append([_button(app, token, f"Range: {RANGE_LABELS[choice['range']]} ↻", "range")])
    if data["topics"]:
        rows.append([_button(app, token, "Choose topics…", "topics")])
    rows.append([_button(app, token, f"Takeout: {'on' if choice['takeout'] else 'off'} ↻", "takeout")])
    rows += media_row.rows(choice, lambda text, value: _button(app, token, text, value))
    rows.append([_button(app, token, "Cancel", "close")])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _topics_screen(app: App, token: str, session: ButtonSession) -> tuple[str, InlineKeyboardMarkup]:
    topics = session.data["topics"][:TOPICS_SHOWN]
    chosen = session.data["choice"]["topics"]
    rows: list[list[InlineKeyboardButton]] = []
    for index, (topic_id, title) in enumerate(topics):
        mark = "✅" if chosen is None or topic_id in chosen else "▫️"
        button = _button(app, token, f"{mark} {title[:28]}", f"t{index}")
        if rows and len(rows[-1]) < 2:
            rows[-1].append(button)
        else:
            rows.append([button])
    rows.append([_button(app, token, "All topics", "tall"), _button(app, token, "Done", "back")])
    extra = len(session.data["topics"]) - len(topics)
    text = "Tap topics to include or leave out." + (
        f" ({extra} more topics are always included.)" if extra > 0 else ""
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def on_picker(query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str) -> None:
    target = await picker.chosen(query, app, button, choice, token)
    if target is not None:
        await _offer(pressed_message(query), app, target, edit=True, owner=query.from_user.id)
    await query.answer()


async def on_options(query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str) -> None:
    await _on_options(query, app, token, button, choice)


async def _on_options(
    query: CallbackQuery, app: App, token: str, session: ButtonSession, choice: str
) -> None:
    data, message = session.data, pressed_message(query)
    picked = data["choice"]
    screen = _options_screen
    if choice == "close":
        app.buttons.close(token)
        await message.edit_text("Nothing exported.")
    elif choice == "go" or size_warning.is_answer(choice):
        size_warning.apply(picked, choice)
        # Answered now: the lookup and the estimate below take up to 15 s, and Telegram refuses a
        # late answer ("query is too old"), leaving the button spinning meanwhile.
        await query.answer()
        try:
            target = await resolve_target(app.client, parse_target(data["target"]))
        except TargetError as exc:
            app.buttons.close(token)
            await message.edit_text(str(exc))
            return
        # "▶ Export" first estimates the archive; an answer to the warning exports as it says.
        kind, options = _options_for(picked)
        warning = (
            await size_warning.check(app, query.from_user.id, target, kind, options)
            if choice == "go"
            else None
        )
        if warning is None:
            app.buttons.close(token)
            await _submit(app, query.from_user.id, message.chat.id, None, target, picked, message, edit=True)
        else:
            text, answers = warning
            rows = [[_button(app, token, label, value)] for label, value in answers]
            await message.edit_text(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))
        return
    elif choice.startswith("f") and choice[1:] in FORMATS:
        formats = picked["formats"]
        if choice[1:] in formats and len(formats) > 1:
            formats.remove(choice[1:])
        elif choice[1:] not in formats:
            formats.append(choice[1:])
    elif choice == "range":
        picked["range"] = RANGES[(RANGES.index(picked["range"]) + 1) % len(RANGES)]
    elif choice == "takeout":
        picked["takeout"] = not picked["takeout"]
    elif await media_row.tap(app, session.owner, picked, choice):
        pass  # the screen is drawn again below
    elif choice in ("topics", "tall") or (choice.startswith("t") and choice[1:].isdecimal()):
        screen = _topics_screen
        ids = [topic_id for topic_id, _ in data["topics"]]
        if choice == "tall":
            picked["topics"] = None
        elif choice != "topics" and int(choice[1:]) < min(len(ids), TOPICS_SHOWN):
            current = set(ids if picked["topics"] is None else picked["topics"])
            current ^= {ids[int(choice[1:])]}
            picked["topics"] = None if current == set(ids) else sorted(current) or picked["topics"]
    if choice != "close":
        text, markup = screen(app, token, session)
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            # A tap that changes nothing (e.g. "All topics" when all are in) is not an error.
            if "not modified" not in exc.message:
                raise
    await query.answer()


def _options_for(picked: dict[str, Any]) -> tuple[JobKind, ExportOptions]:
    since = None
    if picked["range"] in ("7d", "30d"):
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=7 if picked["range"] == "7d" else 30)
    topics = tuple(picked["topics"]) if picked["topics"] is not None else None
    options = ExportOptions(
        formats=tuple(picked["formats"]),
        since=since,
        topics=topics,
        takeout=picked["takeout"],
        media=tuple(picked["media"]),
        max_file_size=picked["max_file_size"],
    )
    return (JobKind.INCREMENTAL if picked["range"] == "new" else JobKind.FULL), options


async def _submit(
    app: App,
    user_id: int,
    chat_id: int,
    thread_id: int | None,
    target: ResolvedTarget,
    picked: dict[str, Any],
    message: Message,
    *,
    edit: bool = False,
) -> None:
    if "media" not in picked:
        # Asked in a group, with no screen: the files the user last chose on one.
        picked = {**picked, **await media_row.remembered(app, user_id)}
    kind, options = _options_for(picked)
    # Dates in the user's zone (/settings), fixed when the job is queued.
    options = replace(options, time_zone=await UserSettings(app.database).time_zone(user_id))
    try:
        # Kept archives count against the budget; a new export needs at least one part of room.
        budget = app.settings.disk_budget_mb * 1024 * 1024
        await ArchiveStore(app.database).check_disk_budget(budget, app.settings.part_size_bytes)
    except DiskBudgetExceeded as exc:
        text = f"Not now: {exc} Old archives are deleted after {app.settings.archive_max_age_hours:g} h."
        await (message.edit_text(text) if edit else message.reply(text))
        return
    job = await _queue(app, user_id, chat_id, thread_id, target, kind, options)
    if isinstance(job, str):
        await (message.edit_text(job) if edit else message.reply(job))
        return
    await app.queue.set_peer(job.id, target.chat.id, target.chat.name)
    position = await app.queue.position(job.id)
    title = target.chat.name or "the chat"
    text = f"Export of {title} queued" + (
        f" (place {position} in the queue)." if position and position > 1 else "."
    )
    if edit:
        await message.edit_text(text)
        status_id = message.message_id
    else:
        status_id = (await message.reply(text)).message_id
    await app.queue.set_status_message(job.id, status_id)
    if app.pool is not None:
        app.pool.wake()


async def _queue(
    app: App,
    user_id: int,
    chat_id: int,
    thread_id: int | None,
    target: ResolvedTarget,
    kind: JobKind,
    options: ExportOptions,
) -> Job | str:
    """The queued job, or the sentence saying why not."""
    # Checked and queued under one lock: two quick presses must not both pass the cap.
    async with app.submitting:
        refusal = await _refusal(app, user_id, target)
        if refusal is not None:
            return refusal
        return await app.queue.submit(
            user_id,
            chat_id,
            str(peer_id_of(target)),
            kind=kind,
            options=options.to_json(),
            thread_id=thread_id,
        )


async def _refusal(app: App, user_id: int, target: ResolvedTarget) -> str | None:
    """Why this user may not queue this export now, or None. Admins are not capped: the account and
    its flood budget are theirs, and the cap exists to keep others from spending it."""
    if not await may_export(app, user_id, target):
        return NOT_SHARED
    cap = app.settings.max_waiting_per_user
    if not app.is_admin(user_id) and await app.queue.count_unfinished(user_id) >= cap:
        return f"You have {cap} exports waiting; /status shows them, /cancel stops one."
    return None


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="export")
    router.message(Command("export"), F.chat.type == "private")(export_in_private)
    router.message(Command("export"), F.chat.type.in_({"group", "supergroup"}))(export_in_group)
    router.callback_query(ButtonPress("picker"))(on_picker)
    router.callback_query(ButtonPress("options"))(on_options)
    return router
