"""Injected faults and flood control (429 with ``retry_after``).

Telegram publishes its bot limits only as advice ("about 1 message per second
in a chat, 20 per minute in a group, about 30 per second overall"); the exact
algorithm is not public.  Guesses made here, all adjustable through
:class:`RateLimits`:

* Limits are sliding windows (like TDLib's ``FloodControlFast``): a private
  chat allows 3 messages in any 3 s (≈1/s with a small burst), a group or
  supergroup 20 in any 60 s, the bot as a whole 30 in any 1 s.
* Sending and editing messages count toward the same per-chat window (edits
  are flood-limited like sends); ``sendChatAction``, ``deleteMessage``,
  ``answerCallbackQuery`` and reads do not count.
* ``retry_after`` is the whole number of seconds until the window has room,
  at least 1.  A call arriving before an earlier ``retry_after`` has passed is
  refused again with the seconds still left, and does not count.
* A 429 on a message method punishes the chat for every message method; any
  other 429 punishes that method in that chat.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .errors import too_many_requests

# Methods that put a message into a chat or change one, and so are flood-limited per chat.
MESSAGE_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
    }
)
ParamsMatcher = Callable[[dict[str, str]], bool]
FloodKey = tuple[str, ...]


@dataclass
class Fault:
    """A scripted error answer for the next ``times`` matching calls (``times=None``: every one)."""

    method: str  # lower-case method name, or "*"
    status: int
    description: str
    retry_after: int | None = None
    times: int | None = 1
    match: ParamsMatcher | None = None
    fired: int = 0

    def takes(self, method: str, params: dict[str, str]) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method not in ("*", method):
            return False
        return self.match is None or self.match(params)


@dataclass(frozen=True)
class Window:
    seconds: float
    count: int


@dataclass(frozen=True)
class RateLimits:
    private_chat: tuple[Window, ...] = (Window(3.0, 3),)
    group_chat: tuple[Window, ...] = (Window(60.0, 20),)
    overall: tuple[Window, ...] = (Window(1.0, 30),)


def flood_key(method: str, chat_id: str) -> FloodKey:
    """What a 429 for this call punishes: the chat for message methods, else the method in that chat."""
    if method in MESSAGE_METHODS and chat_id:
        return ("chat", chat_id)
    return ("method", method, chat_id)


def flood_keys(method: str, chat_id: str) -> list[FloodKey]:
    """Which penalties a call is subject to: its own, and the bot-wide one for message methods."""
    own = flood_key(method, chat_id)
    return [own, ("overall",)] if own[0] == "chat" else [own]


@dataclass
class FloodControl:
    clock: Callable[[], float]
    limits: RateLimits | None = None  # None: only injected 429s
    _blocked_until: dict[FloodKey, float] = field(default_factory=dict)
    _events: dict[tuple[FloodKey, Window], deque[float]] = field(default_factory=dict)

    def check_penalty(self, keys: Iterable[FloodKey]) -> None:
        """Refuse a call made before an earlier ``retry_after`` has passed."""
        now = self.clock()
        left = max((self._blocked_until.get(key, 0.0) - now for key in keys), default=0.0)
        if left > 0:
            raise too_many_requests(max(1, math.ceil(left)))

    def punish(self, keys: Iterable[FloodKey], retry_after: int) -> None:
        until = self.clock() + retry_after
        for key in keys:
            self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), until)

    def admit(self, chat_id: str, *, private: bool) -> None:
        """Count one message-like call into ``chat_id``, or refuse it with 429 if a window is full."""
        if self.limits is None:
            return
        # Penalties (earlier retry_after) were checked before the method ran; this is the windows.
        scopes = [
            (
                flood_key("sendmessage", chat_id),
                self.limits.private_chat if private else self.limits.group_chat,
            ),
            (("overall",), self.limits.overall),
        ]
        now = self.clock()
        worst: tuple[float, FloodKey] | None = None  # the longest wait, and whose window imposes it
        for key, windows in scopes:
            for window in windows:
                events = self._window(key, window, now)
                if len(events) >= window.count:
                    wait = events[0] + window.seconds - now
                    if worst is None or wait > worst[0]:
                        worst = (wait, key)
        if worst is not None:
            retry_after = max(1, math.ceil(worst[0]))
            self.punish([worst[1]], retry_after)
            raise too_many_requests(retry_after)
        for key, windows in scopes:
            for window in windows:
                self._events[key, window].append(now)

    def _window(self, key: FloodKey, window: Window, now: float) -> deque[float]:
        events = self._events.setdefault((key, window), deque())
        while events and events[0] <= now - window.seconds:
            events.popleft()
        return events
