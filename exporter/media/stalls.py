"""When a file has stalled: its part is on the wire, unanswered, while parts asked for after it on
the same connection were answered.

A slow link is not a stall: answers come in the order they were asked for (one TCP connection
delivers them in order, and a DC serves a connection's bytes one after another), so a part behind
16 MiB of others on a 1 Mbit/s link waits two minutes without being overtaken. A stalled part is
overtaken: Telegram answers what came after it and not it (a stalling file in the sandbox;
users meet it as Telegram Desktop's "skip this file" after 5 s). So the clock runs only once a part
of the file was overtaken, and gives up after ``stall_seconds`` of that without progress. Only
parts on the same connection count: a DC's other connections carry other bytes, and a part on a
busy one is rightly answered after a later part on an idle one (with 256 files at once a 30 kB
sticker was given up on that way after 1.5 s). Should the whole DC stop answering, nothing is overtaken; then a file with parts on the wire and no answer for
``BACKSTOP`` times as long is given up on too, so even that never freezes the export.
"""

from __future__ import annotations

import time
from collections import defaultdict

BACKSTOP = 5


class WireOrder:
    """Per connection (a line: any int naming it), the order parts went on the wire, and the latest
    one answered."""

    def __init__(self) -> None:
        self._next: defaultdict[int, int] = defaultdict(int)
        self._answered: defaultdict[int, int] = defaultdict(lambda: -1)

    def sent(self, line: int) -> int:
        seq = self._next[line]
        self._next[line] = seq + 1
        return seq

    def answered(self, line: int, seq: int) -> None:
        if seq > self._answered[line]:
            self._answered[line] = seq

    def overtaken(self, line: int, seq: int) -> bool:
        return self._answered[line] > seq


class StallClock:
    """One file's parts on the wire, and since when it has gone without progress."""

    def __init__(self) -> None:
        self.on_wire: dict[int, tuple[int, int]] = {}
        self._idle = 0.0
        self._since = time.monotonic()
        self._overtaken_since: float | None = None

    def sent(self, token: int, line: int, seq: int) -> None:
        if not self.on_wire:
            self._since = time.monotonic()
        self.on_wire[token] = (line, seq)

    def returned(self, token: int) -> None:
        del self.on_wire[token]
        if not self.on_wire:
            self._idle += time.monotonic() - self._since

    def progressed(self) -> None:
        self._idle = 0.0
        self._since = time.monotonic()
        self._overtaken_since = None

    def stalled(self, now: float, order: WireOrder, limit: float) -> str | None:
        """Why the file counts as stalled now, or None."""
        if not self.on_wire:
            self._overtaken_since = None
            return None
        if any(order.overtaken(line, seq) for line, seq in self.on_wire.values()):
            if self._overtaken_since is None:
                self._overtaken_since = now
            elif now - self._overtaken_since >= limit:
                return f"no progress for {limit:g} s while parts asked for later were answered"
        else:
            self._overtaken_since = None
        if self._idle + now - self._since >= BACKSTOP * limit:
            return f"no answer for {BACKSTOP * limit:g} s"
        return None
