"""The one place that sends history requests to Telegram.

Many requests are in flight on one Telethon client.  Two limits adapt:
- concurrency grows by one with each success until the first flood wait or
  the first sign of queueing (it
  doubles every round trip, as TCP's slow start: 4 to 32 in three round trips,
  where one more per full window took 14 s at 130 ms, the whole export), then
  by one per full window of successes; it grows only while requests take
  about as long as the fastest one did on the wire: once they take half as long
  again (plus a few ms) from our side, answers are queueing behind our own
  CPU, more in flight would not read faster, and every page in flight costs
  memory and cache (measured on the sandbox channel at 0 ms: 4 in flight cost
  about 8 % less CPU a message than 32), so it shrinks by one per window;
- once Telegram answers FLOOD_WAIT, requests are also paced.  The first wait
  comes after Telegram's burst allowance was spent as well, so what got through
  until then overstates the sustained rate: pacing starts at half of it and
  grows by 10 % a second until the second wait.  From then on the rate is
  measured between two waits (all tokens refilled in between were spent, so
  successes / elapsed is the sustained rate), paced at 97 % of it, and probed
  upwards by 0.1 % a second: paced a little over the limit, Telegram's burst
  allowance lasts a while before the next wait, and no refilled token is lost
  (at 95 % every twentieth request Telegram allows would be left unused).  At
  0.5 % a second the strict preset (1 request/s, a burst of 30) was met again
  every half minute (57 refused, 37 s of waits in 17 min); at 0.1 % 11 waits
  in 17 min, at 99.8 % of the rate either way.
  While paced, no more requests are in flight than the rate needs (rate ×
  latency, doubled), so when Telegram does refuse, few requests are refused at
  once.  That keeps a rate-limited export close to the allowed rate with few
  waits.

Flood waits are slept here, visibly: Telethon's own sleeping is switched off
(``flood_sleep_threshold=0``), every wait is reported to the listener and
timed as its own phase.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telethon import errors

from .timing import PhaseClock
from .wire import WireLog, WireTiming, log_of

# Growth of the paced rate, relative, per second: fast until the limit is measured, then slow.
_RAMP_PER_SECOND = 0.10
_PROBE_PER_SECOND = 0.001
_FIRST_ESTIMATE = 0.5
_SAFETY = 0.97
# Requests are queueing once they take this much longer than the fastest one (factor, seconds).
_INFLATION = 1.5
_INFLATION_SLACK = 0.005


@dataclass(frozen=True)
class FloodWait:
    """Telegram asked us to wait; listeners tell the user."""

    seconds: int
    method: str


class RememberedFloodWait(errors.FloodWaitError):  # type: ignore[misc]  # Telethon is untyped
    """A wait Telegram asked of this account earlier (another run, another process) and not over yet:
    the request was refused before it was sent (bot/accounts/floods.py).  It is waited out like
    Telegram's own, but it is no refused request and says nothing new about the rate."""


Caller = Callable[[Any], Awaitable[Any]]


class FetchScheduler:
    def __init__(
        self,
        call: Caller,
        clock: PhaseClock,
        *,
        on_flood_wait: Callable[[FloodWait], None] | None = None,
        initial_concurrency: int = 4,
        max_concurrency: int = 32,
        longest_wait: float = 900.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wire: WireLog | None = None,
    ) -> None:
        self._call = call
        # Request time at the wire when the client is hooked (exporter/wire.py).
        self._wire = wire or log_of(call)
        self._clock = clock
        self._on_flood_wait = on_flood_wait
        self._sleep = sleep
        # A longer wait is not slept: the export stops (resumable) and says why.
        self.longest_wait = longest_wait
        self.limit = initial_concurrency
        self.max_concurrency = max_concurrency
        self.rate: float | None = None
        self._in_flight = 0
        self._cond = asyncio.Condition()
        # Requests waiting for a slot, in the order they asked.
        self._waiting: deque[object] = deque()
        self._gate_open = True
        self._next_slot = 0.0
        self._successes_in_window = 0
        self._since_flood_started = time.monotonic()
        self._successes_since_flood = 0
        self._seen_flood = False
        # True once the rate was measured between two flood waits.
        self._measured = False
        # Smoothed duration of a request, for the in-flight cap while paced, and the fastest one.
        self._latency = 0.0
        self._fastest = math.inf
        self._floor = min(initial_concurrency, 2)
        # Growth per success, until the first flood wait or the first sign of queueing.
        self._slow_start = True

    async def __call__(self, request: Any) -> Any:
        while True:
            await self._acquire()
            token = self._clock.request_started()
            sent = time.monotonic()
            try:
                result = await self._call(request)
            except errors.FloodError as exc:
                refused = not isinstance(exc, RememberedFloodWait)
                if refused:
                    self._clock.request_finished(token, self._wire_timing(request))
                else:
                    self._clock.request_abandoned(token)
                await self._release()
                seconds = int(getattr(exc, "seconds", 0) or 1)
                if seconds > self.longest_wait:
                    # Counted, though not waited out: the summary must not read "0 waits".
                    self._clock.flood_wait_started(seconds if refused else 0, refused=refused)
                    self._clock.flood_wait_finished()
                    raise
                await self._wait_out(seconds, type(request).__name__, refused=refused)
                continue
            except BaseException:
                self._clock.request_finished(token, self._wire_timing(request))
                await self._release()
                raise
            wire = self._wire_timing(request)
            own = self._clock.request_finished(token, wire)
            # The fastest is Telegram's time (the wire's, else the call's less our loop work); the
            # smoothed one is the whole wait as the stream saw it, so answers that queued behind
            # our CPU count.  The loop work a request overlapped is not a floor: with 15 in flight
            # at 130 ms it made the fastest 86 ms, and the detector flipped on and off all run.
            seen = time.monotonic() - sent if wire is not None else own
            self._latency = seen if not self._latency else 0.8 * self._latency + 0.2 * seen
            self._fastest = min(self._fastest, wire.seconds if wire is not None else own)
            await self._release(success=True)
            return result

    def _wire_timing(self, request: Any) -> WireTiming | None:
        return self._wire.take(request) if self._wire is not None else None

    @property
    def queueing(self) -> bool:
        """Requests take clearly longer than the fastest one did: more in flight would only wait."""
        return self._latency > _INFLATION * self._fastest + _INFLATION_SLACK

    @property
    def in_flight_cap(self) -> int:
        if self.rate is None:
            return self.limit
        return min(self.limit, max(2, math.ceil(self.rate * self._latency * 2)))

    async def _acquire(self) -> None:
        # First come, first served: without the queue, the stream that just got its page asked
        # again before the woken waiters ran and kept its slot, so a few streams read while the
        # rest waited, and the last ones read alone at the end (forum-large at 50 ms: 14 of 16
        # shards read together, the last 2 alone for the final 5.4 s of 31.8 s).
        me = object()
        async with self._cond:
            self._waiting.append(me)
            try:
                await self._cond.wait_for(
                    lambda: (
                        self._waiting[0] is me and self._gate_open and self._in_flight < self.in_flight_cap
                    )
                )
            finally:
                self._waiting.remove(me)
                # The next in line may be free to go too (or free to go now that this one gave up).
                self._cond.notify_all()
            self._in_flight += 1
        if self.rate:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1 / self.rate
            if slot > now:
                self._clock.pacing_started()
                try:
                    await self._sleep(slot - now)
                finally:
                    self._clock.pacing_finished()

    async def _release(self, *, success: bool = False) -> None:
        async with self._cond:
            self._in_flight -= 1
            if success:
                self._successes_since_flood += 1
                self._successes_in_window += 1
                if self.queueing:
                    self._slow_start = False
                    if self._successes_in_window >= self.limit:
                        self._successes_in_window = 0
                        self.limit = max(self._floor, self.limit - 1)
                elif self._slow_start or self._successes_in_window >= self.limit:
                    self._successes_in_window = 0
                    self.limit = min(self.max_concurrency, self.limit + 1)
                if self.rate:
                    # A success takes about 1 / rate seconds of pacing, so this grows per second.
                    growth = _PROBE_PER_SECOND if self._measured else _RAMP_PER_SECOND
                    self.rate *= 1 + growth / self.rate
            self._cond.notify_all()

    async def _wait_out(self, seconds: int, method: str, *, refused: bool = True) -> None:
        self._clock.flood_wait_started(seconds if refused else 0, refused=refused)
        if self._on_flood_wait is not None:
            self._on_flood_wait(FloodWait(seconds, method))
        if self._gate_open:
            if refused:
                self._adapt_to_flood()
            self._gate_open = False
            try:
                await self._sleep(seconds)
            finally:
                async with self._cond:
                    self._gate_open = True
                    self._cond.notify_all()
        else:
            # Someone is already sleeping off this flood wait; wait for the gate.
            async with self._cond:
                await self._cond.wait_for(lambda: self._gate_open)
        self._clock.flood_wait_finished()

    def _adapt_to_flood(self) -> None:
        elapsed = time.monotonic() - self._since_flood_started
        observed = self._successes_since_flood / elapsed if elapsed > 0 else 0.0
        if self._seen_flood and observed > 0:
            self.rate = _SAFETY * observed
            self._measured = True
        else:
            # The first interval also spent Telegram's burst allowance, so it overstates the rate.
            self.rate = max(observed * _FIRST_ESTIMATE, 1.0)
        self._seen_flood = True
        self._slow_start = False
        # The next estimate spans this wait too: tokens refilled during it are spent right after.
        self._since_flood_started = time.monotonic()
        self._successes_since_flood = 0
        self.limit = max(2, self.limit * 3 // 4)
        self._successes_in_window = 0
