"""Inline buttons whose data cannot be forged.

Callback data is at most 64 bytes and comes back from the client as-is, so a
user could send any string.  Buttons therefore carry only a short random token
(``t:<token>:<choice>``); what a token means, and whose it is, stays on the
server.  A press with an unknown token, or by anyone but its owner, is refused.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

if TYPE_CHECKING:
    from .context import App

PREFIX = "t"
TOKEN_TTL = 30 * 60


@dataclass
class ButtonSession:
    """Server-side state behind one set of buttons."""

    owner: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)


class Buttons:
    def __init__(self) -> None:
        self._sessions: dict[str, ButtonSession] = {}

    def open(self, owner: int, kind: str, **data: Any) -> str:
        self._expire()
        token = secrets.token_urlsafe(9)
        self._sessions[token] = ButtonSession(owner, kind, dict(data))
        return token

    @staticmethod
    def data(token: str, choice: str | int) -> str:
        value = f"{PREFIX}:{token}:{choice}"
        if len(value.encode()) > 64:
            raise ValueError(f"callback data over 64 bytes: {value!r}")
        return value

    def resolve(self, user_id: int, callback_data: str | None) -> tuple[ButtonSession, str] | None:
        """The session and the choice of a press, or None if the button is not this user's (or gone)."""
        parts = (callback_data or "").split(":", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        session = self._sessions.get(parts[1])
        if session is None or session.owner != user_id or time.monotonic() - session.created > TOKEN_TTL:
            return None
        return session, parts[2]

    def get(self, token: str) -> ButtonSession:
        return self._sessions[token]

    def close(self, token: str) -> None:
        self._sessions.pop(token, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, s in self._sessions.items() if now - s.created > TOKEN_TTL]:
            del self._sessions[token]


class ButtonPress(Filter):
    """Matches a press of this user's own, live button of one of ``kinds``; hands the handler
    ``button`` (the session), ``choice`` and ``token``."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = kinds

    async def __call__(self, query: CallbackQuery, app: App) -> bool | dict[str, Any]:
        data = query.data or ""
        found = app.buttons.resolve(query.from_user.id, data)
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
