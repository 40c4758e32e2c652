"""Time left, from the rate measured and the count still to read.

Two rules keep the first estimate sane:
- the rate counts only what this run fetched, from the moment it started fetching: planning
  (counting topics, finding bounds) and messages an earlier run saved are not reading time;
- until fetching has run for ``SETTLE`` seconds there is no estimate at all, and after that the
  rate is the one over the last ``WINDOW`` seconds, so the slow start (concurrency grows from a few
  requests in flight) does not keep the estimate high for the rest of the export.

Once Telegram is the limit, the rate is different: Telegram lets a burst through before its
first FLOOD_WAIT, then a steady rate (see sandbox/netmodel.py for the evidence). From the first
flood wait on every token Telegram refills is spent, so messages read since then over the time
since then is the rate the rest will go at.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

# guess: two seconds cover a few rounds of requests at 130 ms and the first growth in concurrency.
SETTLE = 2.0
# guess: long enough to smooth pages arriving in bursts, short enough to follow a concurrency change.
WINDOW = 10.0


@dataclass(frozen=True)
class LimitedSince:
    """Where the export stood at a moment: when fetching started, or Telegram first asked it to wait."""

    elapsed: float
    done: int


class RateWindow:
    """This run's fetching progress over time; where the current rate is measured from."""

    def __init__(self, started: LimitedSince) -> None:
        self.started = started
        self._samples: deque[LimitedSince] = deque([started])

    def add(self, elapsed: float, done: int) -> None:
        self._samples.append(LimitedSince(elapsed, done))
        # Keep one sample older than the window, so the window is always fully covered.
        while len(self._samples) > 2 and elapsed - self._samples[1].elapsed >= WINDOW:
            self._samples.popleft()

    def measured_since(self, elapsed: float) -> LimitedSince | None:
        """The start of the window the rate is measured over, or None while it has not settled."""
        if elapsed - self.started.elapsed < SETTLE:
            return None
        return self._samples[0]


def steady_rate(done: int, elapsed: float, since: LimitedSince | None) -> float:
    """Messages a second since ``since`` (when time has passed and messages arrived since), else 0."""
    if since is not None and elapsed > since.elapsed and done > since.done:
        return (done - since.done) / (elapsed - since.elapsed)
    return 0.0


def remaining_seconds(done: int, total: int | None, rate: float) -> float | None:
    if not total or rate <= 0 or done >= total:
        return None
    return (total - done) / rate
