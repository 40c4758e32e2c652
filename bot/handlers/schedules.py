"""/schedule and /schedules: exports that repeat, and the list with their buttons.

``/schedule @chat daily 03:00 [tz:Europe/Berlin] [format:json,html] [filter…]`` (or ``weekly mon
08:00``, ``every 6h``). The zone defaults to the one the user chose with /settings; the files to
the ones the user last chose on the export screen; everything after the options is the filter,
kept as typed. The archives go to the chat (and topic) the command was sent in.

The list's buttons carry the schedule's id (``sch:<action>:<id>``, a few bytes of Telegram's 64),
not a token: a schedule outlives any token's half hour and a restart, and the owner is checked
against the database on every press, so a forged id changes nothing of anyone else's.
"""

from __future__ import annotations

import re
from dataclasses import replace

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from db.schedules import NewSchedule, Schedule, ScheduleStore
from db.user_settings import UserSettings
from exporter.errors import ExportError
from exporter.options import FORMATS, ExportOptions
from exporter.targets import TargetError, parse_target, resolve_target

from .. import text
from ..accounts.pool import READER, look_up, reader_of
from ..context import App
from ..jobs.schedule_rules import RuleError, last_words, parse_rule, rule_of, when_words
from ..middlewares.access import sender_id
from . import media_row
from .export_filter import filter_choice, filter_line
from .policy import may_export, peer_id_of

PREFIX = "sch"
PAUSE, RESUME, RUN, DELETE = "p", "r", "n", "d"
_WORD = re.compile(r"\S+")
# Schedules one person other than an admin may have: each fires exports on the one account's flood
# budget, which admins own (as MAX_WAITING_PER_USER caps what others queue by hand).
MOST_SCHEDULES = 10


def _now(app: App) -> float:
    """The timer's clock (tests move it), else the database's."""
    return app.schedules.clock() if app.schedules is not None else app.database.now()


async def schedule(message: Message, command: CommandObject, app: App) -> None:
    typed = (command.args or "").strip()
    words = [(found.group(), found.end()) for found in _WORD.finditer(typed)]
    if len(words) < 2:
        await message.answer(text.SCHEDULE_USAGE)
        return
    user_id = sender_id(message)
    zone = await UserSettings(app.database).time_zone(user_id)
    options = {"formats": list(app.settings.default_formats), **await media_row.remembered(app, user_id)}
    rest = [word for word, _ in words[1:]]
    # The rule's words come before tz:, so a typed zone is read first to check the rule in it.
    extras = [word for word in rest if word.startswith(("tz:", "format:"))]
    for word in extras:
        key, _, value = word.partition(":")
        if key == "tz":
            zone = value
        elif not value or not set(value.lower().split(",")) <= set(FORMATS):
            await message.answer(text.SCHEDULE_BAD_FORMAT.format(typed=value))
            return
        else:
            options["formats"] = value.lower().split(",")
    now = _now(app)
    try:
        rule, used = parse_rule(rest, zone, now)
    except RuleError as exc:
        await message.answer(str(exc))
        return
    taken = 1 + used
    while taken < len(words) and words[taken][0].startswith(("tz:", "format:")):
        taken += 1
    picked = filter_choice(typed[words[taken - 1][1] :])
    if isinstance(picked, str):
        await message.answer(picked)  # where the filter's mistake is, and what was expected
        return
    filter_text = picked["filter"] if picked else None
    typed_target = words[0][0]
    try:
        # As /export's preview: the own session, else an exporting account that reads it.
        target, account = await look_up(
            app.client, app.accounts, typed_target, lambda c: resolve_target(c, parse_target(typed_target))
        )
    except TargetError as exc:
        await message.answer(str(exc))
        return
    if not await may_export(app, user_id, target):
        await message.answer(text.NOT_SHARED)
        return
    chosen = ExportOptions.from_json({**options, "filter": filter_text, "time_zone": zone})
    if target.topic_id is not None:
        chosen = replace(chosen, topics=(target.topic_id,))
    try:
        chosen.check()
    except ExportError as exc:
        await message.answer(text.SCHEDULE_BAD_OPTIONS.format(reason=exc))
        return
    peer_id = peer_id_of(target)
    # A person's chat, Saved Messages: the conversation of the session that resolved it, which every
    # run reads (its jobs' options carry it); another account's chat with that id is another one.
    reader = reader_of(target, account)
    # What the user already has of this chat: the first run starts after it, as an incremental export.
    last_ids = await app.checkpoints.last_exported(user_id, peer_id, reader=reader.get(READER))
    title = target.chat.name or text.UNNAMED_CHAT
    store = ScheduleStore(app.database)
    # Counted in the database with the insert: quick repeats, through any front-end, cannot pass the cap.
    made = await store.create(
        NewSchedule(
            user_id=user_id,
            chat_id=message.chat.id,
            thread_id=message.message_thread_id if message.is_topic_message else None,
            target=str(peer_id),
            title=title,
            rule_kind=rule.kind,
            at_minute=rule.at_minute,
            weekday=rule.weekday,
            every_seconds=rule.every_seconds,
            anchor_at=rule.anchor,
            time_zone=zone,
            options={**chosen.to_json(), **reader},
            last_ids=last_ids,
            next_run_at=rule.next_after(now),
        ),
        most=None if app.is_admin(user_id) else MOST_SCHEDULES,
    )
    if made is None:
        await message.answer(text.SCHEDULES_TOO_MANY.format(most=MOST_SCHEDULES))
        return
    lines = [
        text.SCHEDULE_MADE.format(
            id=made.id,
            title=title,
            rule=rule.describe(),
            next=when_words(made.next_run_at, zone),
            start=text.SCHEDULE_STARTS_AFTER if last_ids else text.SCHEDULE_STARTS_ALL,
        )
    ]
    shown = filter_line(picked or {})
    if shown:
        lines.append(shown)
    await message.answer("\n".join(lines))


def _listing(items: list[Schedule]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not items:
        return text.SCHEDULES_NONE, None
    lines, rows = [text.SCHEDULES_TITLE], []
    for item in items:
        upcoming = text.SCHEDULE_NEXT_PAUSED if item.paused else when_words(item.next_run_at, item.time_zone)
        lines.append(
            text.SCHEDULE_LINE.format(
                id=item.id,
                title=item.title,
                rule=rule_of(item).describe(),
                next=upcoming,
                last=last_words(item),
            )
        )
        toggle = (RESUME, text.BUTTON_SCHEDULE_RESUME) if item.paused else (PAUSE, text.BUTTON_SCHEDULE_PAUSE)
        rows.append(
            [
                InlineKeyboardButton(
                    text=label.format(id=item.id), callback_data=f"{PREFIX}:{action}:{item.id}"
                )
                for action, label in (
                    toggle,
                    (RUN, text.BUTTON_SCHEDULE_RUN),
                    (DELETE, text.BUTTON_SCHEDULE_DELETE),
                )
            ]
        )
    return text.fit_lines(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def schedules(message: Message, app: App) -> None:
    body, markup = _listing(await ScheduleStore(app.database).list_for_user(sender_id(message)))
    await message.answer(body, reply_markup=markup)


async def on_button(query: CallbackQuery, app: App) -> None:
    _, action, number = (query.data or "").split(":", 2)
    store = ScheduleStore(app.database)
    item = await store.get(int(number)) if number.isdecimal() else None
    if item is None or item.user_id != query.from_user.id:
        await query.answer(text.SCHEDULE_GONE, show_alert=True)
        return
    now = _now(app)
    if action == PAUSE:
        await store.set_paused(item.id, True, item.next_run_at)
        said = text.SCHEDULE_PAUSED.format(id=item.id)
    elif action == RESUME:
        # From now on: the paused periods are not made up one by one; the next run is incremental anyway.
        upcoming = rule_of(item).next_after(now)
        await store.set_paused(item.id, False, upcoming)
        said = text.SCHEDULE_RESUMED.format(id=item.id, next=when_words(upcoming, item.time_zone))
    elif action == RUN:
        if await store.request_run(item.id) is None:
            said = text.SCHEDULE_BUSY.format(id=item.id)
        else:
            said = text.SCHEDULE_RUNS_NOW.format(id=item.id)
            if app.schedules is not None:
                app.schedules.wake()
    else:
        await store.delete(item.id)
        said = text.SCHEDULE_DELETED.format(id=item.id)
    body, markup = _listing(await store.list_for_user(query.from_user.id))
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(body, reply_markup=markup)
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise
    await query.answer(said)


def make_router() -> Router:
    router = Router(name="schedules")
    router.message(Command("schedule"))(schedule)
    router.message(Command("schedules"))(schedules)
    router.callback_query(F.data.startswith(f"{PREFIX}:"))(on_button)
    return router
