"""Reported request times against the sandbox's own clock (``python -m sandbox serve --stats-file``).

The sandbox runs in its own process, as Telegram would, with 16 requests in flight, at 0, 50 and
130 ms: while the client's event loop is saturated (a spinner task holds it 3 ms at a time and
Telethon decodes real 100-message pages in between), and while two other processes keep both
cores busy.  A loop that busy reads answers late, so only the kernel's receive timestamps keep
the wire time honest (exporter/wire.py).  With them bypassed (read time instead), three runs of
the six cases: the saturated one at 50 ms missed in all three (p50 59.5, 57.7 and 58.1 ms against
52.1, 51.8 and 51.9), at 0 ms in one (p50 8.0 ms against 1.5); at 130 ms the 10 % allowed (13 ms)
is more than the loop's lateness, and at 0 ms the 5 ms allowed mostly is too.

Not covered, because it cannot be measured from inside the process: our own loop saturated *and*
other processes taking the cores.  The OS then leaves the whole process off the CPU for
stretches of 16 ms (p95; 36 ms the longest, measured with two spinners in sessions of their own),
and answers that arrive meanwhile are merged by the kernel into one stamp, the last one's
(docs/benchmarks.md): with 5 ms holds p50 stayed within 10 %, p95 came out 6 to 20 ms high."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter import export as export_module
from exporter import wire
from exporter.accounting import TELEGRAM, UNACCOUNTED
from exporter.client import SessionFile, build_client
from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.scheduler import FetchScheduler
from exporter.targets import parse_target, resolve_target
from exporter.timing import DECODING, PROCESSING, PhaseClock, percentile
from sandbox.cluster import Cluster
from sandbox.world import ChatSpec, World, WorldSpec, build_world

REQUESTS = 64
IN_FLIGHT = 16
# The spinner holds the loop this long between yields.  Answers that arrive while nobody reads are
# merged by the kernel into one stamp, the last one's, so longer holds cost the kernel's stamps too:
# at 0 ms the reported p95 missed the 5 ms allowed in 2 runs of 4 with 5 ms holds, in none with 3.
HOLD = 0.003


@pytest.fixture
def world() -> World:
    return build_world(
        WorldSpec(
            chats=[ChatSpec("channel", "Timed channel", "timed_channel_sandbox", messages=3_000)], contacts=2
        )
    )


@asynccontextmanager
async def sandbox_process(folder: Path, latency_ms: int) -> AsyncIterator[tuple[Path, Path]]:
    session, stats = folder / "session.json", folder / "stats.json"
    server = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "sandbox", "serve", "--scenario", "small"],
        *["--latency-ms", str(latency_ms), "--session-file", str(session), "--stats-file", str(stats)],
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        ready = await asyncio.wait_for(server.stdout.readline(), 60)
        assert ready.startswith(b"sandbox ready"), ready
        yield session, stats
    finally:
        server.terminate()
        await server.wait()


def close_enough(reported: float, truth: float) -> bool:
    return abs(reported - truth) <= max(0.10 * truth, 0.005)


# Another process taking the cores can spoil one measurement (seen: p95 100 ms against 57 ms while
# other tests ran); a quieter one settles it. Two tries were once both spoilt in a clean-clone CI
# run (0 ms, cores busy: p95 22.7 ms against 17.2; 18 of 18 passed alone right after), so three.
# A broken measurement is off on every try: with the wire log bypassed, p50 49.6 ms against 0.7 ms;
# with read time instead of the kernel's stamps, as the module's docstring says.
ATTEMPTS = 3

# Our own loop held by a spinner; or two other processes, each in a session of its own as
# everything a test starts (tests/conftest.py), keeping both cores busy while Telethon decodes.
LOADS = ("loop-saturated", "cores-busy")


@pytest.mark.parametrize("load", LOADS)
@pytest.mark.parametrize("latency_ms", [0, 50, 130])
async def test_reported_request_times_match_the_sandbox_clock(
    tmp_path: Path, latency_ms: int, load: str
) -> None:
    misses: list[str] = []
    for attempt in range(ATTEMPTS):
        misses = await _measure(tmp_path / f"try{attempt}", latency_ms, load)
        if not misses:
            return
    raise AssertionError("; ".join(misses))


async def _spin() -> None:
    """Our own CPU work: the loop is held ``HOLD`` at a time, yielding in between."""
    while True:
        until = time.perf_counter() + HOLD
        while time.perf_counter() < until:
            pass
        await asyncio.sleep(0)


@asynccontextmanager
async def load_applied(load: str) -> AsyncIterator[None]:
    others = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", "while True: pass")
        for _ in range(2 if load == "cores-busy" else 0)
    ]
    spinner = asyncio.create_task(_spin()) if load == "loop-saturated" else None
    try:
        yield
    finally:
        if spinner is not None:
            spinner.cancel()
        for other in others:
            other.kill()
            await other.wait()


async def _measure(folder: Path, latency_ms: int, load: str) -> list[str]:
    """Reported p50/p95 against the sandbox's record; the misses, if any."""
    folder.mkdir()
    TelegramClient._config = None
    async with sandbox_process(folder, latency_ms) as (session, stats_file):
        client = build_client(SessionFile.load(session))
        await client.connect()
        clock = PhaseClock()
        scheduler = FetchScheduler(client, clock, initial_concurrency=IN_FLIGHT, max_concurrency=32)
        try:
            pages = [
                F.messages.GetHistoryRequest(T.InputPeerSelf(), 0, 0, 0, 100, 0, 0, 0)
                for _ in range(REQUESTS)
            ]
            async with load_applied(load):
                answers = await asyncio.gather(*(scheduler(page) for page in pages))
        finally:
            clock.finish()
            await client.disconnect()
    TelegramClient._config = None
    # Real pages, decoded by Telethon on the busy loop.
    assert all(len(answer.messages) == 100 for answer in answers)
    truth = sorted(
        t["seconds"]
        for t in json.loads(stats_file.read_text())["request_timings"]
        if t["method"] == "messages.getHistory"
    )
    assert len(truth) == REQUESTS
    report = clock.report(messages=0)
    assert report.requests.count == REQUESTS
    assert report.requests.arrival_clock == (wire.KERNEL if wire.KERNEL_STAMPS else wire.READ)
    misses = []
    for name, fraction, reported in (("p50", 0.5, report.requests.p50), ("p95", 0.95, report.requests.p95)):
        expected = percentile(truth, fraction)
        if not close_enough(reported, expected):
            misses.append(
                f"{name}: reported {1000 * reported:.1f} ms, the sandbox took {1000 * expected:.1f} ms"
            )
    return misses


async def test_every_second_of_an_export_has_a_phase(
    cluster: Cluster, client: TelegramClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clocks: list[PhaseClock] = []

    class KeptClock(PhaseClock):
        def __init__(self) -> None:
            super().__init__()
            clocks.append(self)

    monkeypatch.setattr(export_module, "PhaseClock", KeptClock)
    # 100 ms a request: a run of a few seconds, so the ~15 ms of start-up that no phase claims is
    # not 2 % of it (at 20 ms the run took 0.8 s and a quiet CI machine measured 2.0 %).
    cluster.network.latency = 0.1
    target = await resolve_target(client, parse_target("@timed_channel_sandbox"))
    for attempt in range(ATTEMPTS):
        result = await export_chat(
            client, target, ExportOptions(formats=("json", "html")), tmp_path / f"try{attempt}"
        )
        assert result.complete
        clock = clocks[-1]
        accounted = clock.accounted()
        assert sum(accounted.values()) == pytest.approx(clock.wall, rel=1e-6)
        assert accounted[TELEGRAM] > 0 and accounted[DECODING] > 0 and accounted[PROCESSING] > 0
        # Time the process was not scheduled at all is no phase's: a loaded machine can push one run
        # over 2 %, a quiet repetition settles it.
        if accounted[UNACCOUNTED] <= 0.02 * clock.wall:
            return
    raise AssertionError(f"more than 2 % of the wall time in no phase: {accounted}")
