"""The phase clock's arithmetic, on a clock moved by hand: request time less our own loop work, or
the wire's; waits and pacing as periods; percentiles; every second given to one phase.

The end-to-end tests (tests/timing, tests/exporter/test_timing.py) check the same numbers against
the sandbox's clock; these pin each rule down exactly, so a change to any of them shows."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from db.timing_report import UNACCOUNTED
from exporter import timing as timing_module
from exporter.accounting import FLOOD_WAIT, TELEGRAM, exclusive_seconds
from exporter.timing import DECODING, PACING, PROCESSING, QUEUED, STORING, PhaseClock, percentile
from exporter.wire import WireTiming


class HandClock:
    def __init__(self) -> None:
        self.now = 100.0

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def hand(monkeypatch: pytest.MonkeyPatch) -> HandClock:
    clock = HandClock()
    monkeypatch.setattr(timing_module, "time", SimpleNamespace(perf_counter=clock.perf_counter))
    return clock


def test_a_request_is_charged_its_time_less_our_loop_work_meanwhile(hand: HandClock) -> None:
    clock = PhaseClock()
    hand.now = 101.0
    a = clock.request_started()
    hand.now = 102.0
    b = clock.request_started()
    hand.now = 102.5
    with clock.phase(PROCESSING):
        hand.now = 103.5  # a page processed while both were in flight
    hand.now = 104.0
    assert clock.request_finished(a) == pytest.approx(2.0)  # 3 s, less 1 s of processing
    hand.now = 106.0
    assert clock.request_finished(b) == pytest.approx(3.0)
    with clock.phase("rendering"):
        hand.now = 107.0  # not loop work that requests are spared
    c = clock.request_started()
    with clock.phase(STORING):
        hand.now = 107.5
    hand.now = 108.0
    assert clock.request_finished(c) == pytest.approx(0.5)
    clock.finish()
    hand.now = 200.0
    report = clock.report(messages=10, already_saved=4)
    requests = report.requests
    assert (requests.count, requests.total, requests.max) == (3, pytest.approx(5.5), pytest.approx(3.0))
    assert (requests.p50, requests.p95) == (pytest.approx(2.0), pytest.approx(3.0))
    # In flight from 101 to 106, and again from 107 to 108.
    assert requests.in_flight_wall == pytest.approx(6.0)
    assert requests.arrival_clock == "call"
    assert report.phases[PROCESSING] == pytest.approx(1.0) and report.phases[STORING] == pytest.approx(0.5)
    assert (report.wall, report.messages, report.already_saved) == (pytest.approx(8.0), 10, 4)


def test_with_wire_stamps_a_request_is_its_wire_time_and_the_rest_is_ours(hand: HandClock) -> None:
    clock = PhaseClock()
    token = clock.request_started()  # at 100
    hand.now = 101.0
    wire = WireTiming(sent=100.1, arrived=100.5, decode_started=100.7, decoded=100.8, clock="kernel")
    assert clock.request_finished(token, wire) == pytest.approx(1.0)
    report = clock.report(messages=0)
    assert report.requests.total == pytest.approx(0.4) and report.requests.arrival_clock == "kernel"
    assert report.phases[DECODING] == pytest.approx(0.1)
    # 1 s from handing the request over to the result: 0.4 on the wire, 0.1 decoding, 0.5 queued.
    assert report.phases[QUEUED] == pytest.approx(0.5)
    # The least precise clock that stamped any answer is the one the report names.
    token = clock.request_started()
    clock.request_finished(token, WireTiming(101.0, 101.1, 101.1, 101.1, clock="read"))
    assert clock.report(messages=0).requests.arrival_clock == "read"
    clock.request_finished(clock.request_started())
    assert clock.report(messages=0).requests.arrival_clock == "call"


def test_flood_waits_and_pacing_are_periods_not_sums(hand: HandClock) -> None:
    clock = PhaseClock()
    clock.flood_wait_started(5)  # at 100
    hand.now = 101.0
    clock.flood_wait_started(5)  # a second request refused during the same wait
    hand.now = 105.0
    clock.flood_wait_finished()
    hand.now = 105.5
    clock.flood_wait_finished()
    hand.now = 110.0
    clock.flood_wait_started(2)
    hand.now = 112.0
    clock.flood_wait_finished()
    clock.pacing_started()
    hand.now = 112.5
    clock.pacing_started()
    hand.now = 113.0
    clock.pacing_finished()
    hand.now = 114.0
    clock.pacing_finished()
    report = clock.report(messages=0)
    flood = report.flood
    assert (flood.count, flood.announced_seconds, flood.waits) == (3, 12, 2)
    assert flood.waited_wall == pytest.approx(5.5 + 2.0)
    assert report.phases[PACING] == pytest.approx(2.0)
    accounted = report.accounted
    assert accounted[FLOOD_WAIT] == pytest.approx(7.5) and accounted[PACING] == pytest.approx(2.0)
    assert accounted[UNACCOUNTED] == pytest.approx(4.5)


def test_work_timed_elsewhere_counts_as_it_is_reported(hand: HandClock) -> None:
    clock = PhaseClock()
    hand.now = 103.0
    clock.add("rendering", 2.0)
    clock.finish()
    accounted = clock.accounted()
    assert clock.phases["rendering"] == pytest.approx(2.0)
    assert accounted["rendering"] == pytest.approx(2.0) and accounted[UNACCOUNTED] == pytest.approx(1.0)
    # A split until an earlier moment covers only that much.
    assert sum(clock.accounted(end=102.0).values()) == pytest.approx(2.0)


def test_the_wall_time_runs_until_the_finish(hand: HandClock) -> None:
    clock = PhaseClock()
    hand.now = 104.0
    assert clock.wall == pytest.approx(4.0)
    assert clock.report(messages=0).wall == pytest.approx(4.0)  # before the finish: until now
    clock.finish()
    hand.now = 110.0
    assert clock.wall == pytest.approx(4.0)


def test_percentiles_take_the_value_at_or_above_the_fraction() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([1.0], 0.95) == 1.0
    values = [float(v) for v in range(1, 21)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (10.0, 19.0, 20.0)
    assert percentile(values, 0.0) == 1.0
    assert percentile([1.0, 2.0, 3.0], 0.5) == 2.0


def test_each_moment_goes_to_the_first_active_phase_by_priority() -> None:
    split = exclusive_seconds(
        {
            "work": [(1.0, 3.0), (2.0, 4.0)],  # overlapping spans of one phase count once
            "wait": [(2.5, 6.0), (9.0, 9.0)],  # an empty span is nothing
            "late": [(11.0, 15.0)],  # past the end: clipped
            "early": [(-5.0, 0.5)],  # before the start: clipped
        },
        ("work", "wait", "late", "early"),
        start=0.0,
        end=12.0,
    )
    assert split == {
        "work": pytest.approx(3.0),
        "wait": pytest.approx(2.0),
        "late": pytest.approx(1.0),
        "early": pytest.approx(0.5),
        UNACCOUNTED: pytest.approx(5.5),  # 0.5 to 1, 6 to 11
    }
    assert exclusive_seconds({TELEGRAM: []}, (TELEGRAM,), 0.0, 2.0) == {TELEGRAM: 0.0, UNACCOUNTED: 2.0}


def test_phases_add_up_over_many_reports_and_an_empty_report_is_zeros(hand: HandClock) -> None:
    clock = PhaseClock()
    empty = clock.report(messages=0)
    assert (empty.requests.count, empty.requests.max, empty.requests.arrival_clock) == (0, 0.0, "")
    assert empty.already_saved == 0
    clock.add("rendering", 1.0)
    clock.add("rendering", 0.5)
    for _ in range(2):
        clock.pacing_started()
        hand.now += 0.25
        clock.pacing_finished()
        token = clock.request_started()
        hand.now += 1.0
        clock.request_finished(
            token, WireTiming(hand.now - 0.9, hand.now - 0.5, hand.now - 0.4, hand.now - 0.2, "kernel")
        )
    assert clock.phases["rendering"] == pytest.approx(1.5)
    assert clock.phases[PACING] == pytest.approx(0.5)
    assert clock.phases[DECODING] == pytest.approx(0.4) and clock.phases[QUEUED] == pytest.approx(0.8)
    clock.finish()
    hand.now += 50.0  # the split is of the time until the finish, however late it is asked for
    assert sum(clock.accounted().values()) == pytest.approx(clock.wall)


def test_the_95th_percentile_is_not_the_slowest_request(hand: HandClock) -> None:
    clock = PhaseClock()
    for k in range(1, 41):
        token = clock.request_started()
        hand.now += k / 100
        clock.request_finished(token)
    requests = clock.report(messages=0).requests
    assert (requests.p50, requests.p95, requests.max) == (
        pytest.approx(0.20),
        pytest.approx(0.38),
        pytest.approx(0.40),
    )
