"""Time left and the rate Telegram allows, once Telegram is the limit.

Telegram lets a burst of requests through before its first FLOOD_WAIT, then a steady rate
(see sandbox/netmodel.py for the evidence). An estimate from the whole run would count the burst
and promise too much; from the first flood wait on, every token Telegram refills is spent, so
messages read since then over the time since then is the rate the rest will go at.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LimitedSince:
    """Where the export stood when Telegram first asked it to wait."""

    elapsed: float
    done: int


def steady_rate(done: int, elapsed: float, limited: LimitedSince | None) -> float:
    """Messages a second: since the first flood wait when there was one (and time has passed
    since), else over the whole run."""
    if limited is not None and elapsed > limited.elapsed and done > limited.done:
        return (done - limited.done) / (elapsed - limited.elapsed)
    return done / elapsed if elapsed > 0 else 0.0


def remaining_seconds(
    done: int, total: int | None, elapsed: float, limited: LimitedSince | None
) -> float | None:
    rate = steady_rate(done, elapsed, limited)
    if not total or rate <= 0 or done >= total:
        return None
    return (total - done) / rate
