"""A paged list of chats as buttons, for /export and /share.

The buttons carry only a token and a choice ("c3": the fourth chat, "p1":
the second page); the chats themselves stay on the server (bot.callbacks).
Each button is the title, then an icon for the kind of chat and what tells
apart chats of one title: the @username, or else the id. The title comes first
so a person (and a screen reader) finds a chat by its name.
"""

from __future__ import annotations

from collections import Counter

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telethon import errors
from telethon.tl.custom import Dialog

from db.accounts import ChatSeen
from exporter.targets import TargetError, chat_info

from .. import text
from ..callbacks import ButtonSession, pressed_message
from ..context import App
from ..middlewares.access import sender_id

PAGE_SIZE = 8
# The most recent dialogs of the exporting account an admin picks from.
DIALOGS = 48
# Telegram shows about this many characters of a one-button row on a phone (guess: measured by eye
# in Telegram Desktop and Android at default font size, longer labels end in "…").
LABEL_CHARS = 60


def label(kind: str, title: str, username: str | None, peer_id: int, same_title: bool) -> str:
    """A picker button: the title, the kind's icon, then the @username, or the id when another chat
    in the list has the same title and no username tells them apart."""
    icon = text.KIND_ICONS.get(kind, text.KIND_ICON_OTHER)
    tail = f" · {icon}" + (f" @{username}" if username else (f" {peer_id}" if same_title else ""))
    room = LABEL_CHARS - len(tail)
    shown = title if len(title) <= room else title[: room - 1] + "…"
    return f"{shown}{tail}"


def labelled(chats: list[tuple[int, str, str, str | None]]) -> list[tuple[str, str]]:
    """(marked id, button label) for (marked id, kind, title, username) rows."""
    titles = Counter(title for _, _, title, _ in chats)
    return [
        (str(peer_id), label(kind, title, username, peer_id, titles[title] > 1))
        for peer_id, kind, title, username in chats
    ]


def seen(dialog: Dialog) -> ChatSeen:
    """What the picker shows of a dialog."""
    try:
        info = chat_info(dialog.entity)
    except TargetError:
        # A chat Telegram lists but no longer lets the account read (ChatForbidden's kin).
        return ChatSeen(dialog.id, "", dialog.name or text.NO_NAME, None)
    kind = "forum" if info.is_forum else info.type
    return ChatSeen(dialog.id, kind, info.name or dialog.name or text.NO_NAME, info.username)


async def recent_chats(app: App) -> list[tuple[str, str]]:
    """(marked id, button label) of the bot's own session's most recent dialogs, then of the chats
    the exporting accounts read (their dialogs as /login saw them), each chat once."""
    rows: list[tuple[int, str, str, str | None]] = []
    try:
        for dialog in await app.client.get_dialogs(limit=DIALOGS):
            chat = seen(dialog)
            rows.append((chat.peer_id, chat.kind, chat.title, chat.username))
    except errors.RPCError:
        # With exporting accounts the bot's own session is optional (bot/accounts: look_up).
        if app.accounts is None:
            raise
    if app.accounts is not None:
        listed = {peer_id for peer_id, *_ in rows}
        for chat in await app.accounts.store.readable_chats(DIALOGS):
            if chat.peer_id not in listed:
                listed.add(chat.peer_id)
                rows.append((chat.peer_id, chat.kind, chat.title, chat.username))
    return labelled(rows)


async def show(message: Message, app: App, kind: str, chats: list[tuple[str, str]], question: str) -> None:
    """The first page of ``chats`` under ``question``; presses come to the ``kind`` buttons' handler."""
    token = await app.buttons.open(sender_id(message), kind, chats=chats, question=question)
    screen, markup = _page(app, token, chats, question, 0)
    await message.answer(screen, reply_markup=markup)


async def chosen(
    query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str
) -> str | None:
    """The marked id of the chat a press picked (its buttons are closed then), or None after turning
    the page (or for a choice no button offers)."""
    chats: list[tuple[str, str]] = button.data["chats"]
    question: str = button.data["question"]
    number = choice[1:]
    if choice.startswith("p") and number.isdecimal():
        screen, markup = _page(app, token, chats, question, int(number))
        await pressed_message(query).edit_text(screen, reply_markup=markup)
    elif choice.startswith("c") and number.isdecimal() and int(number) < len(chats):
        await app.buttons.close(token)
        return chats[int(number)][0]
    return None


def _page(
    app: App, token: str, chats: list[tuple[str, str]], question: str, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    def button(label: str, choice: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=label, callback_data=app.buttons.data(token, choice))

    pages = max(1, -(-len(chats) // PAGE_SIZE))
    page = max(0, min(page, pages - 1))
    start = page * PAGE_SIZE
    rows = [[button(title, f"c{start + k}")] for k, (_, title) in enumerate(chats[start : start + PAGE_SIZE])]
    nav = []
    if page > 0:
        nav.append(button(text.PICKER_NEWER, f"p{page - 1}"))
    if page < pages - 1:
        nav.append(button(text.PICKER_OLDER, f"p{page + 1}"))
    if nav:
        rows.append(nav)
    screen = text.PICKER_PAGE.format(question=question, page=page + 1, pages=pages, legend=text.PICKER_LEGEND)
    return screen, InlineKeyboardMarkup(inline_keyboard=rows)
