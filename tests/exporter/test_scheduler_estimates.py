"""The scheduler's estimates, exactly: latency, the concurrency window, the rate measured between
flood waits, pacing, the gate during a wait, and which clock a request's time comes from.

Time here is simulated where the numbers depend on it: the scheduler's clock (``time.monotonic``)
and its sleeps move only when the fake Telegram or a sleep moves them, so a rate estimate is exact
and never depends on the machine's load.  Requests' own durations come from a scripted PhaseClock.
"""

from __future__ import annotations

import asyncio
import math
from types import SimpleNamespace

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions

from exporter import scheduler as scheduler_module
from exporter.scheduler import FetchScheduler
from exporter.timing import PhaseClock
from exporter.wire import WireTiming
from tests.exporter.test_scheduler import FakeTelegram, flood


class ScriptedClock(PhaseClock):
    """A PhaseClock whose requests take ``own`` seconds as seen from our side: what the scheduler
    estimates latency from."""

    own = 0.01

    def request_finished(self, token: tuple[float, float], wire: WireTiming | None = None) -> float:
        super().request_finished(token, wire)
        return self.own


class SimulatedTime:
    """The scheduler's monotonic clock and its sleeps; every sleep is recorded and moves the clock."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> SimulatedTime:
    simulated = SimulatedTime()
    monkeypatch.setattr(scheduler_module, "time", SimpleNamespace(monotonic=simulated.monotonic))
    return simulated


class SimulatedTelegram:
    """Each request takes ``latency`` seconds of simulated time; those in ``floods`` are refused."""

    def __init__(self, sim: SimulatedTime, floods: dict[int, int], latency: float) -> None:
        self.sim, self.floods, self.latency = sim, floods, latency
        self.calls = 0
        self.starts: list[float] = []

    async def __call__(self, request: object) -> object:
        self.calls += 1
        self.starts.append(self.sim.now)
        self.sim.now += self.latency
        await asyncio.sleep(0)
        if self.calls in self.floods:
            raise flood(self.floods[self.calls])
        return request


async def test_latency_is_smoothed_and_sets_the_paced_cap() -> None:
    clock = ScriptedClock()
    scheduler = FetchScheduler(FakeTelegram(latency=0), clock, initial_concurrency=32, max_concurrency=32)
    for own in (0.1, 0.1, 0.3):
        clock.own = own
        await scheduler(own)
    # Smoothed: 0.8 × 0.1 + 0.2 × 0.3 = 0.14 s, which is not yet queueing (1.5 × 0.1 + 0.005).
    assert not scheduler.queueing
    scheduler.rate = 90.0
    assert scheduler.in_flight_cap == math.ceil(90 * 0.14 * 2) == 26
    for _ in range(2):
        await scheduler(0.3)
    # 0.172, then 0.1976: answers are queueing now.
    assert scheduler.queueing


async def test_concurrency_doubles_each_round_trip_until_answers_queue_then_moves_by_windows() -> None:
    clock = ScriptedClock()
    scheduler = FetchScheduler(FakeTelegram(latency=0), clock, initial_concurrency=2, max_concurrency=8)
    limits = []
    for own in [0.01] * 3 + [0.05] * 8 + [0.01] * 20:
        clock.own = own
        await scheduler(own)
        limits.append(scheduler.limit)
    # One more per success (slow start) while requests take 10 ms; at 50 ms the smoothed time
    # passes 1.5 × 10 ms + 5 ms on the second, and from then on the limit moves by one per full
    # window of successes: down while they queue, up again once they no longer do.
    assert limits[:3] == [3, 4, 5]
    assert limits[3:5] == [6, 6]
    assert limits[5:11] == [6, 6, 6, 6, 5, 5]
    # Back at 10 ms the smoothed time stays above the mark for a few more (one more step down),
    # then the limit climbs one per window: 4 successes at 4, 5 at 5, 6 at 6.
    assert limits[11:] == [5, 5, 5, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 7, 7]


async def test_the_rate_is_estimated_from_the_first_wait_and_measured_between_two(sim: SimulatedTime) -> None:
    # Ten pages in 0.5 s, a wait of 2 s, two more pages, a second wait, then five more pages.
    telegram = SimulatedTelegram(sim, floods={11: 2, 14: 2}, latency=0.05)
    clock = ScriptedClock()
    announced: list[tuple[float, float | None]] = []  # (when, the rate then) for each wait
    adapted: list[float | None] = []  # the rate each wait set

    async def sleep(seconds: float) -> None:
        if isinstance(seconds, int):  # a flood wait; pacing sleeps are fractions
            adapted.append(scheduler.rate)
        await sim.sleep(seconds)

    scheduler = FetchScheduler(
        telegram,
        clock,
        on_flood_wait=lambda wait: announced.append((sim.now, scheduler.rate)),
        initial_concurrency=8,
        max_concurrency=8,
        sleep=sleep,
    )
    limits = []
    for n in range(17):
        await scheduler(n)
        limits.append(scheduler.limit)
    (first_at, _), (second_at, ramped) = announced
    # The first wait came 0.55 s after the start with 10 pages read: half that rate.
    assert first_at == pytest.approx(1_000.55)
    first = 0.5 * 10 / 0.55
    assert adapted[0] == pytest.approx(first)
    # Until the second wait the rate ramps by 0.1 a page: two pages.
    assert ramped == pytest.approx(first + 0.2)
    # Measured between the waits, the first wait included: 97 % of 2 pages over that time, even
    # below the first estimate's floor of one a second.
    observed = 2 / (second_at - first_at)
    assert observed < 1
    assert adapted[1] == pytest.approx(0.97 * observed)
    # Once measured, the rate is probed upwards by 0.001/s a page: five pages since.
    assert scheduler.rate == pytest.approx(0.97 * observed + 5 * 0.001)
    # Each wait leaves three quarters of the concurrency, which grows again by full windows.
    assert (limits[10], limits[12], limits[-1]) == (6, 4, 5)
    # Paced: a page starts 1/rate after the one before (the rate when that one went), never sooner
    # than the one before ended; the first after a wait goes at once.
    starts = telegram.starts
    assert starts[12] - starts[11] == pytest.approx(1 / first)
    assert starts[13] - starts[12] == pytest.approx(1 / (first + 0.1))
    assert sim.slept[0] == 2 and 0.0 not in sim.slept
    report = clock.report(messages=0)
    assert (report.flood.count, report.flood.announced_seconds, report.flood.waits) == (2, 4, 2)


async def test_a_wait_before_any_answer_paces_at_one_a_second(sim: SimulatedTime) -> None:
    """No time has passed and nothing succeeded: the rate floor, and the smallest concurrency; the
    window of successes starts again from none after the wait."""
    telegram = SimulatedTelegram(sim, floods={1: 1}, latency=0.0)
    scheduler = FetchScheduler(
        telegram, ScriptedClock(), initial_concurrency=2, max_concurrency=8, sleep=sim.sleep
    )
    limits = []
    for n in range(3):
        await scheduler(n)
        limits.append(scheduler.limit)
    assert scheduler.rate == pytest.approx(1.0 + 3 * 0.1)
    assert limits == [2, 3, 3]


async def test_a_refusal_right_after_a_wait_keeps_pacing_at_the_floor(sim: SimulatedTime) -> None:
    """Nothing got through between two waits: no rate can be measured from that, and pacing must
    not stop (a rate of 0 would turn it off)."""
    telegram = SimulatedTelegram(sim, floods={1: 1, 2: 1}, latency=0.01)
    scheduler = FetchScheduler(telegram, ScriptedClock(), sleep=sim.sleep)
    for n in range(3):
        await scheduler(n)
    assert sim.slept[:2] == [1, 1]
    # Paced at one a second, plus the ramp: the pages after the second wait were held back.
    assert scheduler.rate == pytest.approx(1.0 + 3 * 0.1)
    assert len(sim.slept) == 4 and all(0 < pause <= 1 for pause in sim.slept[2:])


async def test_nothing_is_sent_while_a_wait_is_slept_and_a_second_refusal_shares_it(
    sim: SimulatedTime,
) -> None:
    telegram = FakeTelegram(floods={1: 3, 2: 3}, latency=0)
    waits: list[float] = []
    sent_while_waiting: list[int] = []

    async def sleep(seconds: float) -> None:
        if isinstance(seconds, int):  # a flood wait; pacing sleeps are fractions
            waits.append(seconds)
            before = telegram.calls
            for _ in range(20):
                await asyncio.sleep(0)
            sent_while_waiting.append(telegram.calls - before)
        await sim.sleep(seconds)

    clock = ScriptedClock()
    scheduler = FetchScheduler(telegram, clock, initial_concurrency=2, max_concurrency=2, sleep=sleep)
    async with asyncio.timeout(5):
        results = await asyncio.gather(*(scheduler(n) for n in range(6)))
    assert results == list(range(6))
    # Both first requests were refused; one sleep covered both, and nothing went out during it.
    assert waits == [3] and sent_while_waiting == [0]
    report = clock.report(messages=0)
    assert (report.flood.count, report.flood.waits) == (2, 1)


async def test_a_wait_of_exactly_the_longest_is_slept_and_one_without_seconds_is_one_second() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    telegram = FakeTelegram(floods={1: 900}, latency=0)
    scheduler = FetchScheduler(telegram, ScriptedClock(), longest_wait=900, sleep=sleep)
    assert await scheduler("page") == "page"

    class Unspecific:
        """A flood error that names no wait (FloodError itself, not FLOOD_WAIT_X)."""

        refused = False

        async def __call__(self, request: object) -> object:
            if not self.refused:
                self.refused = True
                raise errors.FloodError(request=None, message="FLOOD")
            return request

    scheduler = FetchScheduler(Unspecific(), ScriptedClock(), sleep=sleep)
    assert await scheduler("page") == "page"
    assert slept == [900, 1]


class Wire:
    """A wire log that saw every request take 0.25 s on the wire."""

    timing = WireTiming(sent=10.0, arrived=10.25, decode_started=10.3, decoded=10.31, clock="READ")

    def take(self, request: object) -> WireTiming | None:
        return self.timing if request is not None else None


async def test_request_time_is_the_wires_on_every_outcome() -> None:
    """Answered, refused with a wait, or failed: each request counts its wire time, never the time
    it took as seen from our side (ScriptedClock's 0.01 s)."""

    class Broken(FakeTelegram):
        async def __call__(self, request: object) -> object:
            if request == "broken":
                raise ConnectionError("dropped")
            return await super().__call__(request)

    async def no_sleep(seconds: float) -> None:
        pass

    clock = ScriptedClock()
    scheduler = FetchScheduler(Broken(floods={1: 1}, latency=0), clock, sleep=no_sleep, wire=Wire())  # type: ignore[arg-type]
    assert await scheduler("page") == "page"
    with pytest.raises(ConnectionError):
        await scheduler("broken")
    requests = clock.report(messages=0).requests
    assert requests.count == 3
    assert requests.total == pytest.approx(3 * 0.25)


async def test_a_hooked_clients_requests_are_timed_at_the_wire(client: TelegramClient) -> None:
    """The product passes the client itself: its wire log is found behind it."""
    clock = PhaseClock()
    scheduler = FetchScheduler(client, clock)
    await scheduler(functions.help.GetConfigRequest())
    # Decoding is only known from the wire's stamps.
    assert clock.phases["decoding"] > 0


async def test_queueing_is_judged_against_the_fastest_wire_time(sim: SimulatedTime) -> None:
    """Our side saw 0.3 s for every request, the wire 0.25 s; the call's time less our loop work
    meanwhile (ScriptedClock's 0.01 s, as with many pages decoded during each request) is no floor:
    against it every request would look queued and the limit would stop growing."""
    telegram = SimulatedTelegram(sim, floods={}, latency=0.3)
    scheduler = FetchScheduler(
        telegram,
        ScriptedClock(),
        initial_concurrency=2,
        max_concurrency=8,
        wire=Wire(),  # type: ignore[arg-type]
    )
    for n in range(10):
        await scheduler(n)
    assert not scheduler.queueing and scheduler.limit == 8
    telegram.latency = 0.5  # 0.2 s more on our side: 0.5 s > 1.5 × 0.25 s + 5 ms
    for n in range(10):
        await scheduler(n)
    assert scheduler.queueing
