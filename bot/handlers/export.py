"""/export: by link or id, from a picker of recent chats, or in a group for that group.

The options screen starts at the defaults, so one tap exports; the buttons
carry only tokens (bot.callbacks), never chat ids or titles. Non-admins see
and export only the chats an admin shared (bot.handlers.policy), checked
again when the job is queued, so no button or typed text gets around it.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telethon import TelegramClient

from exporter.options import DEFAULT_FORMATS, FORMATS
from exporter.streams import list_topics
from exporter.targets import ResolvedTarget, TargetError, parse_target, resolve_target

from .. import text
from ..accounts.pool import look_up, reader_of
from ..callbacks import ButtonPress, ButtonSession, pressed_message, redraw
from ..context import App
from ..middlewares.access import sender_id
from . import custom_range, media_row, picker, size_warning
from .custom_range import Screen
from .export_choice import RANGES, options_for, range_label, typed_range
from .export_filter import filter_choice, filter_line, typed_filter
from .export_submit import submit
from .policy import may_export

# Topics on one page of the chooser, two to a row: 24 keeps the keyboard within one phone screen;
# a forum of 150 topics (the forum-large scenario) pages through 7 of them.
TOPICS_PER_PAGE = 24


def _button(app: App, token: str, label: str, choice: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label, callback_data=app.buttons.data(token, choice))


async def export_in_private(message: Message, command: CommandObject, app: App) -> None:
    if command.args:
        target, dates = typed_range(command.args.strip())
        target, filtered = typed_filter(target)
        if isinstance(dates, str) or isinstance(filtered, str):
            await message.answer(dates if isinstance(dates, str) else str(filtered))
            return
        await _offer(message, app, target, dates={**(dates or {}), **(filtered or {})})
    else:
        await _show_picker(message, app)


async def export_in_group(message: Message, command: CommandObject, app: App) -> None:
    """In a group: export this group (what a filter typed after /export matches), replying in the
    same topic."""
    thread_id = message.message_thread_id if message.is_topic_message else None
    filtered = filter_choice(command.args or "")
    if isinstance(filtered, str):
        await message.reply(filtered)
        return
    try:
        target = await resolve_target(app.client, parse_target(str(message.chat.id)))
    except TargetError:
        await message.reply(text.NOT_A_MEMBER)
        return
    choice = {**_default_choice(app), **(filtered or {})}
    await submit(app, sender_id(message), message.chat.id, thread_id, target, choice, message)


def _default_choice(app: App) -> dict[str, Any]:
    formats = [f for f in app.settings.default_formats if f in FORMATS] or list(DEFAULT_FORMATS)
    return {"formats": formats, "range": "all", "takeout": False, "topics": None}


async def _show_picker(message: Message, app: App) -> None:
    if app.is_admin(sender_id(message)):
        chats = await picker.recent_chats(app)
        empty = text.NO_CHATS_YET
    else:
        shared = await app.shared.list_shared()
        chats = picker.labelled([(c.peer_id, c.kind, c.title or text.NO_NAME, None) for c in shared])
        empty = text.NOTHING_SHARED_WITH_YOU
    if not chats:
        await message.answer(empty)
        return
    await picker.show(message, app, "picker", chats, text.WHICH_CHAT)


async def _offer(
    message: Message,
    app: App,
    target_text: str,
    *,
    edit: bool = False,
    owner: int | None = None,
    dates: dict[str, Any] | None = None,
) -> None:
    """The options screen for one chat: defaults set, one tap to export."""
    owner = owner or sender_id(message)

    async def look(client: TelegramClient) -> tuple[ResolvedTarget, list[tuple[int, str]]]:
        # The forum's topics with the same session: a chat only another account is in (bot/accounts).
        target = await resolve_target(client, parse_target(target_text))
        found = (await list_topics(client, target.input_peer))[0] if target.is_forum else []
        return target, [(t.id, t.title) for t in found]

    try:
        (target, topics), account = await look_up(app.client, app.accounts, target_text, look)
    except TargetError as exc:
        await (message.edit_text(str(exc)) if edit else message.answer(str(exc)))
        return
    if not await may_export(app, owner, target):
        await (message.edit_text(text.NOT_SHARED) if edit else message.answer(text.NOT_SHARED))
        return
    choice = _default_choice(app)
    choice.update(await media_row.remembered(app, owner))
    choice.update(dates or {})
    if target.is_forum and target.topic_id is not None:
        choice["topics"] = [target.topic_id]
    # A channel with a discussion group (channel.has_link) offers its comments: no request needed.
    entity = target.entity
    commented = bool(getattr(entity, "broadcast", False) and getattr(entity, "has_link", False))
    data = {
        "target": target_text, "title": target.chat.name or text.OPTIONS_UNNAMED,
        "chat_kind": target.chat.type, "topics": topics, "choice": choice, "commented": commented,
        # A person's chat, Saved Messages: the conversation of the session that showed it, exported on it.
        "reader": reader_of(target, account),
    }  # fmt: skip
    token = await app.buttons.open(owner, "options", **data)
    screen, markup = _options_screen(app, token, ButtonSession(owner, "options", data))
    await (
        message.edit_text(screen, reply_markup=markup)
        if edit
        else message.answer(screen, reply_markup=markup)
    )


def _options_screen(app: App, token: str, session: ButtonSession) -> tuple[str, InlineKeyboardMarkup]:
    data = session.data
    choice = data["choice"]
    formats = choice["formats"]
    chosen_topics = choice["topics"]
    kind = text.KIND_LABELS.get(data["chat_kind"], data["chat_kind"])
    span = range_label(choice)
    lines = [text.OPTIONS_TITLE.format(title=data["title"], kind=kind)]
    lines.append(text.OPTIONS_FORMATS.format(formats=", ".join(f.upper() for f in formats)))
    lines.append(text.OPTIONS_RANGE.format(range=span))
    only = filter_line(choice)
    if only is not None:
        lines.append(only)
    if data["topics"]:
        if chosen_topics is None:
            lines.append(text.OPTIONS_ALL_TOPICS.format(count=len(data["topics"])))
        else:
            lines.append(text.OPTIONS_TOPICS.format(count=len(chosen_topics)))
    lines.append(text.OPTIONS_TAKEOUT_ON if choice["takeout"] else text.OPTIONS_TAKEOUT_OFF)
    if data.get("commented"):
        lines.append(text.OPTIONS_COMMENTS_ON if choice.get("comments") else text.OPTIONS_COMMENTS_OFF)
    lines.append(media_row.summary(choice))
    rows = [[_button(app, token, text.EXPORT_BUTTON, "go")]]
    rows.append(
        [_button(app, token, f"{'✅' if f in formats else '▫️'} {f.upper()}", f"f{f}") for f in FORMATS]
    )
    rows.append(
        [
            _button(app, token, text.RANGE_BUTTON.format(range=span), "range"),
            _button(app, token, text.RANGE_CUSTOM_BUTTON, custom_range.ASK),
        ]
    )
    if data["topics"]:
        rows.append([_button(app, token, text.TOPICS_BUTTON, "topics")])
    takeout = text.TAKEOUT_ON_BUTTON if choice["takeout"] else text.TAKEOUT_OFF_BUTTON
    # The archive's file name: the title's words joined by "_" (safe in a shell), or as titled.
    name = text.NAME_TITLE_BUTTON if choice.get("raw_title") else text.NAME_SAFE_BUTTON
    rows.append([_button(app, token, takeout, "takeout"), _button(app, token, name, "name")])
    if data.get("commented"):
        comments = text.COMMENTS_ON_BUTTON if choice.get("comments") else text.COMMENTS_OFF_BUTTON
        rows.append([_button(app, token, comments, "comments")])
    rows += media_row.rows(choice, lambda label, value: _button(app, token, label, value))
    rows.append([_button(app, token, text.CANCEL, "close")])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _topics_screen(app: App, token: str, session: ButtonSession) -> tuple[str, InlineKeyboardMarkup]:
    every = session.data["topics"]
    pages = max(1, -(-len(every) // TOPICS_PER_PAGE))
    page = max(0, min(session.data.get("topic_page", 0), pages - 1))
    start = page * TOPICS_PER_PAGE
    chosen = session.data["choice"]["topics"]
    rows: list[list[InlineKeyboardButton]] = []
    # A button carries the topic's place in the whole list ("t149"), so any page's press is exact.
    for index, (topic_id, title) in enumerate(every[start : start + TOPICS_PER_PAGE], start):
        mark = "✅" if chosen is None or topic_id in chosen else "▫️"
        button = _button(app, token, f"{mark} {title[:28]}", f"t{index}")
        if rows and len(rows[-1]) < 2:
            rows[-1].append(button)
        else:
            rows.append([button])
    nav = []
    if page > 0:
        nav.append(_button(app, token, text.TOPICS_PREVIOUS, f"tp{page - 1}"))
    if page < pages - 1:
        nav.append(_button(app, token, text.TOPICS_NEXT, f"tp{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append(
        [_button(app, token, text.ALL_TOPICS_BUTTON, "tall"), _button(app, token, text.DONE_BUTTON, "back")]
    )
    count = len(every) if chosen is None else len(chosen)
    screen = (
        text.TOPICS_SCREEN_PAGE.format(page=page + 1, pages=pages, chosen=count, total=len(every))
        if pages > 1
        else text.TOPICS_SCREEN
    )
    return screen, InlineKeyboardMarkup(inline_keyboard=rows)


async def on_picker(query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str) -> None:
    target = await picker.chosen(query, app, button, choice, token)
    if target is not None:
        await _offer(pressed_message(query), app, target, edit=True, owner=query.from_user.id)
    await query.answer()


async def on_options(
    query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str, state: FSMContext
) -> None:
    if choice == custom_range.ASK:
        await custom_range.ask(pressed_message(query), app, token, button.data["title"], state)
        await query.answer()
        return
    await custom_range.leave(state)
    await _on_options(query, app, token, button, choice)


async def _on_options(
    query: CallbackQuery, app: App, token: str, session: ButtonSession, choice: str
) -> None:
    data, message = session.data, pressed_message(query)
    picked = data["choice"]
    if choice == "close":
        await app.buttons.close(token)
        await message.edit_text(text.NOTHING_EXPORTED)
    elif choice == "go" or size_warning.is_answer(choice):
        size_warning.apply(picked, choice)
        # Answered now: the lookup and the estimate below take up to 15 s, and Telegram refuses a
        # late answer ("query is too old"), leaving the button spinning meanwhile.
        await query.answer()
        try:
            target, account = await look_up(
                app.client,
                app.accounts,
                data["target"],
                lambda c: resolve_target(c, parse_target(data["target"])),
                on=data.get("reader"),
            )
        except TargetError as exc:
            await app.buttons.close(token)
            await message.edit_text(str(exc))
            return
        # "▶ Export" first estimates the archive; an answer to the warning exports as it says.
        kind, options = options_for(picked)
        warning = (
            await size_warning.check(app, query.from_user.id, target, kind, options)
            if choice == "go"
            else None
        )
        if warning is None:
            await app.buttons.close(token)
            reader = reader_of(target, account)
            await submit(
                app,
                query.from_user.id,
                message.chat.id,
                None,
                target,
                picked,
                message,
                edit=True,
                reader=reader,
            )
        else:
            said, answers = warning
            rows = [[_button(app, token, label, value)] for label, value in answers]
            await message.edit_text(said, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))
        return
    else:

        async def press(pressed: ButtonSession) -> Screen:
            return await _apply_press(app, pressed, choice)

        kept = await app.buttons.update(token, session, press)
        if kept is not None:  # else the screen was closed (Cancel, Export) by a press meanwhile
            screen, markup = kept[1](app, token, kept[0])
            await redraw(message, screen, markup)
    await query.answer()


async def _apply_press(app: App, session: ButtonSession, choice: str) -> Screen:
    """Apply one tap to the options kept in ``session``; the screen to draw them on."""
    data = session.data
    picked = data["choice"]
    if choice.startswith("f") and choice[1:] in FORMATS:
        formats = picked["formats"]
        if choice[1:] in formats and len(formats) > 1:
            formats.remove(choice[1:])
        elif choice[1:] not in formats:
            formats.append(choice[1:])
    elif choice == "range":
        # From typed dates, the next tap starts the cycle again.
        now = RANGES.index(picked["range"]) if picked["range"] in RANGES else -1
        picked["range"] = RANGES[(now + 1) % len(RANGES)]
    elif choice == "takeout":
        picked["takeout"] = not picked["takeout"]
    elif choice == "name":
        picked["raw_title"] = not picked.get("raw_title", False)
    elif choice == "comments" and data.get("commented"):
        picked["comments"] = not picked.get("comments", False)
    elif await media_row.tap(app, session.owner, picked, choice):
        pass  # the options screen is drawn again
    elif choice.startswith("tp") and choice[2:].isdecimal():
        data["topic_page"] = int(choice[2:])
        return _topics_screen
    elif choice in ("topics", "tall") or (choice.startswith("t") and choice[1:].isdecimal()):
        ids = [topic_id for topic_id, _ in data["topics"]]
        if choice == "tall":
            picked["topics"] = None
        elif choice != "topics" and int(choice[1:]) < len(ids):
            current = set(ids if picked["topics"] is None else picked["topics"])
            current ^= {ids[int(choice[1:])]}
            picked["topics"] = None if current == set(ids) else sorted(current) or picked["topics"]
        return _topics_screen
    return _options_screen


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="export")
    router.message(Command("export"), F.chat.type == "private")(export_in_private)
    router.message(Command("export"), F.chat.type.in_({"group", "supergroup"}))(export_in_group)
    router.callback_query(ButtonPress("picker"))(on_picker)
    router.callback_query(ButtonPress("options"))(on_options)
    router.message(*custom_range.TYPED)(custom_range.answered(_options_screen))
    return router
