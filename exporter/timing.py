"""The phase clock and the timing report.

Rules that keep the numbers honest:
- a request is timed around the request alone, and the time the event loop
  spent on our own work (converting, storing) while the request was in flight
  is taken out again, so a slow converter never shows up as slow Telegram;
- with the wire hook (exporter/wire.py) a request's time is its wire time:
  bytes out to bytes back; decrypting and parsing the answer is "decoding",
  and the rest of the time between handing the request over and getting the
  result back is "queued" (waiting on our side, reported, never Telegram's);
- a flood wait is its own phase, never request time, and so is our own pacing;
- every other phase times only its own work (synchronous code, or work timed
  inside the thread that does it);
- phases overlap (fetching runs while pages are stored), so busy times never
  add up; the report's ``accounted`` splits the wall time instead, each moment
  given to one phase (exporter/accounting.py), and the summary's shares are those.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from db.timing_report import UNACCOUNTED, FloodStats, RequestStats, TimingReport

from .accounting import FLOOD_WAIT, TELEGRAM, exclusive_seconds

if TYPE_CHECKING:
    from .wire import WireTiming

# Phases, in the order the data flows (Telegram's wire time and flood waits are reported apart).
PACING = "pacing"
DECODING = "decoding"
QUEUED = "queued"
PROCESSING = "processing"
STORING = "storing"
RENDERING = "rendering"
PACKAGING = "packaging"
# Files downloading (exporter/media): while a file part is in flight. Below history's own Telegram
# time in PRIORITY, so a moment both read messages and fetched files counts as reading messages.
MEDIA = "media"
PHASES = (PACING, DECODING, QUEUED, PROCESSING, STORING, RENDERING, PACKAGING, MEDIA)
# Who gets a moment when several are active (exporter/accounting.py says why in this order).
PRIORITY = (PROCESSING, STORING, DECODING, RENDERING, PACKAGING, FLOOD_WAIT, PACING, TELEGRAM, MEDIA, QUEUED)
# The accounted split as the report lists it: in the order the data flows.
FLOW = (TELEGRAM, FLOOD_WAIT, PACING, DECODING, QUEUED, PROCESSING, STORING, RENDERING, PACKAGING, MEDIA)
# What stamped an answer's arrival (RequestStats.arrival_clock), least precise first: no wire stamps
# (the whole call), our loop's read, the kernel's receive timestamp (exporter/wire.py).
CALL = "call"
ARRIVAL_CLOCKS = (CALL, "read", "kernel")
# Work done on the event loop; requests in flight meanwhile are not charged for it.
LOOP_PHASES = frozenset({PROCESSING, STORING})


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


class PhaseClock:
    """Collects the timings of one export; the scheduler and each step report into it."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._finished: float | None = None
        self.phases: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self._latencies: list[float] = []
        self._arrival_clocks: set[str] = set()
        self._request_total = 0.0
        self._in_flight = 0
        self._in_flight_since = 0.0
        self._in_flight_wall = 0.0
        self._loop_work = 0.0
        self.flood = FloodStats()
        self._waiting = 0
        self._waiting_since = 0.0
        self._pacing = 0
        self._pacing_since = 0.0
        self._intervals: dict[str, list[tuple[float, float]]] = {name: [] for name in PRIORITY}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time synchronous work. Never put an ``await`` inside: other tasks would run on our clock."""
        start = time.perf_counter()
        try:
            yield
        finally:
            end = time.perf_counter()
            elapsed = end - start
            self.phases[name] += elapsed
            self._intervals[name].append((start, end))
            if name in LOOP_PHASES:
                self._loop_work += elapsed

    def add(self, name: str, seconds: float) -> None:
        """Work timed elsewhere (inside a worker thread), reported as soon as it is done."""
        now = time.perf_counter()
        self.phases[name] += seconds
        self._intervals[name].append((now - seconds, now))

    def request_started(self) -> tuple[float, float]:
        now = time.perf_counter()
        if self._in_flight == 0:
            self._in_flight_since = now
        self._in_flight += 1
        return now, self._loop_work

    def request_abandoned(self, token: tuple[float, float]) -> None:
        """A request refused before it was sent (a flood wait remembered from earlier): no request."""
        self._in_flight -= 1
        if self._in_flight == 0:
            self._in_flight_wall += time.perf_counter() - self._in_flight_since

    def request_finished(self, token: tuple[float, float], wire: WireTiming | None = None) -> float:
        """Record the request's time: its wire time when the hook saw it, else the time it took less
        our loop work meanwhile.  Returns the latter: how long it took as seen from our side, the
        scheduler's sign that answers queue behind our own CPU."""
        started, loop_work_then = token
        now = time.perf_counter()
        self._in_flight -= 1
        if self._in_flight == 0:
            self._in_flight_wall += now - self._in_flight_since
        own = max(0.0, (now - started) - (self._loop_work - loop_work_then))
        if wire is not None:
            telegram = wire.seconds
            self._intervals[TELEGRAM].append((wire.sent, wire.arrived))
            self.phases[DECODING] += wire.decoding
            self._intervals[DECODING].append((wire.decode_started, wire.decoded))
            self.phases[QUEUED] += max(0.0, (now - started) - telegram - wire.decoding)
            self._intervals[QUEUED].append((started, now))
            self._arrival_clocks.add(wire.clock)
        else:
            telegram = own
            self._intervals[TELEGRAM].append((started, now))
            self._arrival_clocks.add(CALL)
        self._latencies.append(telegram)
        self._request_total += telegram
        return own

    def flood_wait_started(self, announced_seconds: int, *, refused: bool = True) -> None:
        """``refused``: Telegram refused a request now (counted); else a wait it asked for earlier."""
        if refused:
            self.flood.count += 1
            self.flood.announced_seconds += announced_seconds
        if self._waiting == 0:
            self._waiting_since = time.perf_counter()
            self.flood.waits += 1
        self._waiting += 1

    def flood_wait_finished(self) -> None:
        self._waiting -= 1
        if self._waiting == 0:
            now = time.perf_counter()
            self.flood.waited_wall += now - self._waiting_since
            self._intervals[FLOOD_WAIT].append((self._waiting_since, now))

    def pacing_started(self) -> None:
        """Our own scheduler holds a request back to stay under the flood limit."""
        if self._pacing == 0:
            self._pacing_since = time.perf_counter()
        self._pacing += 1

    def pacing_finished(self) -> None:
        self._pacing -= 1
        if self._pacing == 0:
            now = time.perf_counter()
            self.phases[PACING] += now - self._pacing_since
            self._intervals[PACING].append((self._pacing_since, now))

    def finish(self) -> None:
        self._finished = time.perf_counter()

    @property
    def wall(self) -> float:
        return (self._finished or time.perf_counter()) - self._started

    def accounted(self, end: float | None = None) -> dict[str, float]:
        """The wall time until ``end`` (by default the finish, or now) split between the phases,
        each moment given to one; in the order the data flows, then UNACCOUNTED."""
        end = end or self._finished or time.perf_counter()
        split = exclusive_seconds(self._intervals, PRIORITY, self._started, end)
        return {name: split[name] for name in (*FLOW, UNACCOUNTED)}

    def report(self, messages: int, already_saved: int = 0) -> TimingReport:
        """``messages`` in the export, of which ``already_saved`` came from an earlier run. Before
        ``finish`` it covers the time until now (the manifest is written before the archive is)."""
        end = self._finished or time.perf_counter()
        latencies = sorted(self._latencies)
        requests = RequestStats(
            count=len(latencies),
            total=self._request_total,
            in_flight_wall=self._in_flight_wall,
            p50=percentile(latencies, 0.5),
            p95=percentile(latencies, 0.95),
            max=latencies[-1] if latencies else 0.0,
            arrival_clock=next((c for c in ARRIVAL_CLOCKS if c in self._arrival_clocks), ""),
        )
        flood = FloodStats(
            self.flood.count, self.flood.announced_seconds, self.flood.waited_wall, self.flood.waits
        )
        return TimingReport(
            end - self._started,
            messages,
            requests,
            flood,
            dict(self.phases),
            already_saved,
            self.accounted(end),
        )
