"""Inline buttons whose data cannot be forged.

Callback data is at most 64 bytes and comes back from the client as-is, so a
user could send any string.  Buttons therefore carry only a short random token
(``t:<token>:<choice>``); what a token means, and whose it is, stays in the
application database.  A press with an unknown token, or by anyone but its owner, is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from db import Database
from db.buttons import ButtonSession, ButtonStore

if TYPE_CHECKING:
    from .context import App

__all__ = ["ButtonPress", "ButtonSession", "Buttons", "pressed_message", "redraw"]

PREFIX = "t"
TOKEN_TTL = 30 * 60
T = TypeVar("T")


class Buttons:
    """Sessions live in the application database (db.buttons), so a button sent by one bot
    process can be pressed through another (webhook mode, docs/scale.md)."""

    def __init__(self, database: Database) -> None:
        self._store = ButtonStore(database, TOKEN_TTL)

    async def open(self, owner: int, kind: str, **data: Any) -> str:
        # 9 random bytes: 12 characters, so "t:<token>:<choice>" leaves 49 bytes for the choice;
        # 72 bits cannot be guessed within a token's life.
        token = secrets.token_urlsafe(9)
        await self._store.open(token, ButtonSession(owner, kind, dict(data)))
        return token

    @staticmethod
    def data(token: str, choice: str | int) -> str:
        value = f"{PREFIX}:{token}:{choice}"
        if len(value.encode()) > 64:
            raise ValueError(f"callback data over 64 bytes: {value!r}")
        return value

    async def resolve(self, user_id: int, callback_data: str | None) -> tuple[ButtonSession, str] | None:
        """The session and the choice of a press, or None if the button is not this user's (or gone)."""
        parts = (callback_data or "").split(":", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        session = await self._store.find(parts[1], user_id)
        return None if session is None else (session, parts[2])

    async def update(
        self, token: str, session: ButtonSession, press: Callable[[ButtonSession], Awaitable[T]]
    ) -> tuple[ButtonSession, T] | None:
        """Apply ``press`` to ``session.data`` and keep it; the session kept and what ``press``
        returned, or None when the session was closed meanwhile. When another press on the same
        screen wrote first (two taps handled at once, through one bot process or two), the session
        is read again and ``press`` applied to what that one kept: each press counts, none is lost.
        Each retry follows another press's write, so the loop ends when the taps do."""
        while True:
            said = await press(session)
            if await self._store.save(token, session):
                return session, said
            fresh = await self._store.find(token, session.owner)
            if fresh is None:
                return None
            session = fresh

    async def close(self, token: str) -> None:
        await self._store.close(token)


class ButtonPress(Filter):
    """Matches a press of this user's own, live button of one of ``kinds``; hands the handler
    ``button`` (the session), ``choice`` and ``token``."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = kinds

    async def __call__(self, query: CallbackQuery, app: App) -> bool | dict[str, Any]:
        data = query.data or ""
        found = await app.buttons.resolve(query.from_user.id, data)
        if found is None or found[0].kind not in self.kinds:
            return False
        session, choice = found
        return {"button": session, "choice": choice, "token": data.split(":", 2)[1]}


def pressed_message(query: CallbackQuery) -> Message:
    """The message whose live button was pressed. Telegram leaves it out only for messages sent in
    inline mode, which this bot never sends, and gives an InaccessibleMessage for one deleted or
    otherwise out of the bot's reach (core.telegram.org/bots/api#callbackquery): rare within a
    token's 30 minutes (``TOKEN_TTL``); the errors router then answers in that chat."""
    message = query.message
    if not isinstance(message, Message):
        raise TypeError(f"the message of a live button is gone: {message!r}")
    return message


async def redraw(message: Message, screen: str, markup: InlineKeyboardMarkup) -> None:
    """Draw a screen again after a press. A press that changes nothing (e.g. "All topics" when all
    are in, or a press read again after another one set the same) is no error."""
    try:
        await message.edit_text(screen, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message:
            raise
