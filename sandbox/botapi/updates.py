"""``getUpdates``: the update queue, confirmation by offset, ``allowed_updates`` and the long poll.

Behaviour taken from tdlib/telegram-bot-api (``Client::process_get_updates_query``,
``do_get_updates``, ``abort_long_poll``, ``fail_query_conflict``, ``add_update_impl``):

* ``allowed_updates`` filters updates when they are *created*: updates queued
  before a change are still delivered, later ones of an unwanted type are never
  stored.  An empty list or a list of unknown names means the default set (all
  but ``chat_member``, ``message_reaction``, ``message_reaction_count``); a
  missing or undecodable value keeps the previous setting.
* ``offset`` > 0 forgets every update below it; ``offset`` < 0 keeps only the
  last ``-offset`` updates; 0 reads from the head.  An offset beyond the newest
  update confirms nothing and reads from the head.
* Only a poll that would wait (``timeout`` > 0 and nothing to return) replaces
  a parked poll, and the parked one gets 409 "terminated by other getUpdates
  request".  Within 3 s of a 409, the next 409 is held back 3 s.
* A repeated poll with the same offset within 3 s waits at least 3 s, and
  within 0.5 s it gets at most one update (the server's guard against busy loops).
* ``timeout`` is capped at 50 s.

Guess: update ids start at an arbitrary nine-digit number (real ones are
opaque and per bot); nothing depends on the value.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .errors import CONFLICT_OTHER_POLL, BotApiError

# The Bot API's update types (Client::get_update_type_name), plus two that aiogram 3.31 knows of.
UPDATE_TYPES = frozenset(
    """message edited_message channel_post edited_channel_post inline_query chosen_inline_result
    callback_query custom_event custom_query shipping_query pre_checkout_query poll poll_answer
    my_chat_member chat_member chat_join_request chat_boost removed_chat_boost message_reaction
    message_reaction_count business_connection business_message edited_business_message
    deleted_business_messages purchased_paid_media managed_bot guest_message
    subscription stopped_message_generation""".split()
)
DEFAULT_ALLOWED = UPDATE_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}
MAX_POLL_TIMEOUT = 50
FIRST_UPDATE_ID = 350_000_001


def update_kind(update: dict[str, Any]) -> str:
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) != 1 or kinds[0] not in UPDATE_TYPES:
        raise ValueError(f"an update holds exactly one known object, got keys {sorted(update)}")
    return kinds[0]


@dataclass(eq=False)
class _ParkedPoll:
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    conflict: str | None = None  # set when another request ends this poll with 409


class UpdateQueue:
    def __init__(self, *, on_change: Callable[[], None], conflict_delay: float = 3.0) -> None:
        self.pending: list[dict[str, Any]] = []
        self.dropped: list[dict[str, Any]] = []  # never stored: their type was not allowed
        self.allowed: frozenset[str] = DEFAULT_ALLOWED
        self.conflict_delay = conflict_delay
        self._on_change = on_change
        self._next_id = FIRST_UPDATE_ID
        self._parked: _ParkedPoll | None = None
        self._closing = asyncio.Event()
        self._next_conflict_at = 0.0
        self._previous: tuple[int, float] | None = None  # (offset, start time) of the last poll

    @property
    def poll_parked(self) -> bool:
        return self._parked is not None

    def push(self, update: dict[str, Any]) -> int | None:
        """Queue ``{kind: object}``; returns its update_id, or None if ``allowed_updates`` drops it."""
        kind = update_kind(update)
        if kind not in self.allowed:
            self.dropped.append(update)
            self._on_change()
            return None
        update_id = self._next_id
        self._next_id += 1
        self.pending.append({"update_id": update_id, **update})
        if self._parked is not None:
            self._parked.wake.set()
        self._on_change()
        return update_id

    def clear(self) -> None:
        self.pending.clear()

    def close(self) -> None:
        """Answer every parked poll now, so that server shutdown never waits for one."""
        self._closing.set()
        if self._parked is not None:
            self._parked.wake.set()

    def set_allowed(self, raw: str) -> None:
        if not raw:
            return
        try:
            names = json.loads(raw)
        except ValueError:
            return
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            return
        chosen = frozenset(name.lower() for name in names) & UPDATE_TYPES
        self.allowed = chosen or DEFAULT_ALLOWED

    async def get(self, *, offset: int, limit: int, wait: int) -> list[dict[str, Any]]:
        now = asyncio.get_running_loop().time()
        # The same offset again so soon looks like a busy loop; the real server slows it down.
        if self._previous is not None and self._previous[0] == offset:
            if wait < 3 and now < self._previous[1] + 3.0:
                wait = 3
            if now < self._previous[1] + 0.5:
                limit = 1
        self._previous = (offset, now)
        self._confirm(offset)
        if self.pending or wait <= 0 or self._closing.is_set():
            return self.pending[:limit]

        self.abort_poll(CONFLICT_OTHER_POLL)
        poll = self._parked = _ParkedPoll()
        self._on_change()
        try:
            await asyncio.wait_for(poll.wake.wait(), wait)
        except TimeoutError:
            pass
        finally:
            if self._parked is poll:
                self._parked = None
            self._on_change()
        if poll.conflict is not None:
            await self.conflict(poll.conflict)
        return self.pending[:limit]

    def abort_poll(self, description: str) -> None:
        """End the parked poll, if any, with a 409 that says why."""
        if self._parked is not None:
            self._parked.conflict = description
            self._parked.wake.set()

    async def conflict(self, description: str) -> NoReturn:
        """Fail with 409 at the pace of ``Client::fail_query_conflict``."""
        now = asyncio.get_running_loop().time()
        if now >= self._next_conflict_at:
            self._next_conflict_at = now + self.conflict_delay
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.conflict_delay)
        raise BotApiError(409, description)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self.pending = self.pending[offset:]
        elif 0 < offset <= self._next_id:
            self.pending = [update for update in self.pending if update["update_id"] >= offset]
