"""The fetch scheduler: concurrency that grows, flood waits slept visibly and counted, pacing after them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telethon import errors

from exporter.scheduler import FetchScheduler, FloodWait, RememberedFloodWait
from exporter.timing import PhaseClock


def flood(seconds: int) -> errors.FloodWaitError:
    return errors.FloodWaitError(request=None, capture=seconds)


def one_at_a_time(
    telegram: Any, clock: PhaseClock, slept: list[float], heard: list[FloodWait]
) -> FetchScheduler:
    """A scheduler of one request in flight whose sleeps are written down, not slept."""

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return FetchScheduler(telegram, clock, on_flood_wait=heard.append, initial_concurrency=1, sleep=sleep)


class FakeTelegram:
    """Answers after a short delay; refuses the calls listed in ``floods`` with FLOOD_WAIT."""

    def __init__(self, floods: dict[int, int] | None = None, latency: float = 0.01) -> None:
        self.floods = floods or {}
        self.latency = latency
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, request: object) -> object:
        self.calls += 1
        number = self.calls
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            if number in self.floods:
                raise flood(self.floods[number])
            return request
        finally:
            self.in_flight -= 1


async def test_concurrency_grows_while_nothing_is_refused() -> None:
    telegram = FakeTelegram()
    scheduler = FetchScheduler(telegram, PhaseClock(), initial_concurrency=2, max_concurrency=8)
    results = await asyncio.gather(*(scheduler(n) for n in range(200)))
    assert results == list(range(200))
    assert scheduler.limit == 8 and telegram.most_in_flight == 8
    assert scheduler.rate is None


async def test_flood_wait_is_slept_here_counted_reported_and_retried() -> None:
    telegram = FakeTelegram(floods={3: 4})
    clock, slept, heard = PhaseClock(), [], []
    scheduler = one_at_a_time(telegram, clock, slept, heard)
    results = [await scheduler(n) for n in range(5)]
    assert results == list(range(5))
    assert 4 in slept and heard == [FloodWait(4, "int")]
    report = clock.report(messages=0)
    assert (report.flood.count, report.flood.announced_seconds) == (1, 4)
    assert report.requests.count == 6  # the refused request is a request too
    assert scheduler.rate is not None  # paced from now on


async def test_a_remembered_flood_wait_is_waited_out_but_is_no_refused_request() -> None:
    """A wait Telegram asked of the account earlier (bot/accounts/floods.py refuses the request
    before it is sent) is slept and shown, but not counted as a request Telegram refused, not as a
    request at all, and not taken as a measure of the rate."""
    remembered = {"left": True}

    async def telegram(request: object) -> object:
        if remembered.pop("left", False):
            raise RememberedFloodWait(request=None, capture=3)
        return request

    clock, slept, heard = PhaseClock(), [], []
    scheduler = one_at_a_time(telegram, clock, slept, heard)
    assert [await scheduler(n) for n in range(5)] == list(range(5))
    assert slept == [3] and heard == [FloodWait(3, "int")]
    report = clock.report(messages=0)
    assert (report.flood.count, report.flood.announced_seconds, report.flood.waits) == (0, 0, 1)
    assert report.requests.count == 5
    assert scheduler.rate is None  # nothing learnt about the rate: not paced


async def test_a_wait_longer_than_we_sleep_unattended_stops_with_the_error() -> None:
    telegram = FakeTelegram(floods={1: 3600})
    scheduler = FetchScheduler(telegram, PhaseClock(), longest_wait=900)
    with pytest.raises(errors.FloodWaitError):
        await scheduler("page")


async def test_paced_requests_in_flight_stay_near_what_the_rate_needs() -> None:
    telegram = FakeTelegram(floods={20: 1, 60: 1})

    async def no_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    scheduler = FetchScheduler(
        telegram, PhaseClock(), initial_concurrency=8, max_concurrency=32, sleep=no_sleep
    )
    await asyncio.gather(*(scheduler(n) for n in range(150)))
    assert scheduler.rate is not None
    assert scheduler.in_flight_cap <= max(2, int(scheduler.rate * 0.05) + 2)


async def test_once_paced_no_more_requests_are_in_flight_than_the_rate_needs() -> None:
    """16 requests go out at once and the first answer is a flood wait: nothing has succeeded, so
    pacing starts at the floor of one request a second, which needs one request in flight (two, the
    cap's floor).  The concurrency limit alone (three quarters of 16 after the wait) would let 12 go
    out again at once.  Pacing's sleeps are skipped, so only the cap holds requests back."""

    paced: list[int] = []  # requests in flight when each paced request arrived

    class Recording(FakeTelegram):
        async def __call__(self, request: object) -> object:
            if scheduler.rate is not None:
                paced.append(self.in_flight + 1)
            return await super().__call__(request)

    telegram = Recording(floods={1: 1}, latency=0.05)

    async def no_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    scheduler = FetchScheduler(
        telegram, PhaseClock(), initial_concurrency=16, max_concurrency=16, sleep=no_sleep
    )
    await asyncio.gather(*(scheduler(n) for n in range(40)))
    assert scheduler.rate is not None and scheduler.limit >= 12
    # The 24 requests not sent at first, and the refused one again.
    assert len(paced) == 25
    assert max(paced) <= 2, f"{max(paced)} in flight at once while paced at {scheduler.rate:.0f}/s"


async def test_concurrency_stops_growing_when_answers_queue() -> None:
    """When each request in flight makes the others slower (the client's CPU is the limit),
    adding more only adds waiting: the limit stays near where requests began to queue."""

    class Queueing(FakeTelegram):
        async def __call__(self, request: object) -> object:
            self.calls += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                await asyncio.sleep(0.004 * self.in_flight)
                return request
            finally:
                self.in_flight -= 1

    telegram = Queueing()
    scheduler = FetchScheduler(telegram, PhaseClock(), initial_concurrency=2, max_concurrency=32)
    await asyncio.gather(*(scheduler(n) for n in range(300)))
    # The limit ends near where answers began to queue. (The detector itself may end either way:
    # while answers queue the limit shrinks by one a window, until they no longer do.) Doubling
    # per round trip overshoots before the first queued answers are back, as TCP's slow start
    # does (RFC 5681 3.1): at most twice over.
    assert scheduler.limit <= 6, f"grew to {scheduler.limit} although every request waited longer"
    assert telegram.most_in_flight <= 12, telegram.most_in_flight


async def test_streams_take_turns_for_the_slots() -> None:
    """Eight streams, each asking again as soon as its page is back, through two slots: each waits
    its turn, so all read together and end together (no stream left to read alone at the end)."""
    telegram = FakeTelegram(latency=0.002)
    scheduler = FetchScheduler(telegram, PhaseClock(), initial_concurrency=2, max_concurrency=2)
    pages: list[int] = []

    async def stream(number: int) -> None:
        for _ in range(10):
            await scheduler(number)
            pages.append(number)

    await asyncio.gather(*(stream(number) for number in range(8)))
    # By the time half the pages are read, every stream has read some of its own.
    assert set(pages[:40]) == set(range(8)), pages[:40]
    # And the last round has every stream in it.
    assert set(pages[-8:]) == set(range(8)), pages[-8:]
