"""A paged list of chats as buttons, for /export and /share.

The buttons carry only a token and a choice ("c3": the fourth chat, "p1":
the second page); the chats themselves stay on the server (bot.callbacks).
"""

from __future__ import annotations

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from ..callbacks import ButtonSession, pressed_message
from ..context import App
from ..middlewares.access import sender_id

PAGE_SIZE = 8
# The most recent dialogs of the exporting account an admin picks from.
DIALOGS = 48


async def recent_chats(app: App) -> list[tuple[str, str]]:
    """(marked id, name) of the exporting account's most recent dialogs."""
    dialogs = await app.client.get_dialogs(limit=DIALOGS)
    return [(str(dialog.id), dialog.name or "(no name)") for dialog in dialogs]


async def show(message: Message, app: App, kind: str, chats: list[tuple[str, str]], question: str) -> None:
    """The first page of ``chats`` under ``question``; presses come to the ``kind`` buttons' handler."""
    token = app.buttons.open(sender_id(message), kind, chats=chats, question=question)
    text, markup = _page(app, token, chats, question, 0)
    await message.answer(text, reply_markup=markup)


async def chosen(
    query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str
) -> str | None:
    """The marked id of the chat a press picked (its buttons are closed then), or None after turning
    the page (or for a choice no button offers)."""
    chats: list[tuple[str, str]] = button.data["chats"]
    question: str = button.data["question"]
    number = choice[1:]
    if choice.startswith("p") and number.isdecimal():
        text, markup = _page(app, token, chats, question, int(number))
        await pressed_message(query).edit_text(text, reply_markup=markup)
    elif choice.startswith("c") and number.isdecimal() and int(number) < len(chats):
        app.buttons.close(token)
        return chats[int(number)][0]
    return None


def _page(
    app: App, token: str, chats: list[tuple[str, str]], question: str, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    def button(text: str, choice: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=app.buttons.data(token, choice))

    pages = max(1, -(-len(chats) // PAGE_SIZE))
    page = max(0, min(page, pages - 1))
    start = page * PAGE_SIZE
    rows = [
        [button(title[:60], f"c{start + k}")] for k, (_, title) in enumerate(chats[start : start + PAGE_SIZE])
    ]
    nav = []
    if page > 0:
        nav.append(button("◀ Newer", f"p{page - 1}"))
    if page < pages - 1:
        nav.append(button("Older ▶", f"p{page + 1}"))
    if nav:
        rows.append(nav)
    return f"{question} (page {page + 1} of {pages})", InlineKeyboardMarkup(inline_keyboard=rows)
