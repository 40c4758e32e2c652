"""At most one answer per person per period, for the bot's answers to people it will not serve.

A refused stranger, or a member typing an admin's command, gets a short answer instead of silence;
without a limit anyone could make the bot send a message per message they send (and spend the
bot's own flood budget: about 30 messages a second in all, core.telegram.org/bots/faq). The state
is a dict in this process's memory, one monotonic timestamp per person answered within the period:
a restart forgets it, which costs at most one extra answer per person, and several front-ends
(webhook mode) answer a person at most once each per period. Kept in memory on purpose: in the
database every stranger's message would cost a read and every answer a write (docs/scale.md).
"""

from __future__ import annotations

import time

# guess: ten minutes is long enough that a flood of messages earns a handful of answers an hour,
# short enough that someone who comes back later is not met with silence.
PERIOD = 10 * 60
# Past this many entries, the ones older than the period are dropped (memory stays bounded by the
# people who wrote within one period).
PRUNE_ABOVE = 1024


class Cooldown:
    def __init__(self, period: float = PERIOD) -> None:
        self.period = period
        self._last: dict[int, float] = {}

    def allows(self, user_id: int) -> bool:
        """True (and the period starts again) if ``user_id`` was not answered within the period."""
        now = time.monotonic()
        last = self._last.get(user_id)
        if last is not None and now - last < self.period:
            return False
        if len(self._last) >= PRUNE_ABOVE:
            self._last = {u: t for u, t in self._last.items() if now - t < self.period}
        self._last[user_id] = now
        return True
