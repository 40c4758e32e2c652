"""Reported request times against the sandbox's own clock (``python -m sandbox serve --stats-file``).

The sandbox runs in its own process, as Telegram would, with 16 requests in flight.
Not yet covered: a client whose event loop is saturated.  Without kernel receive
timestamps an answer is stamped when the loop next polls the socket, and with a
spinner holding the loop 2 ms at a time plus Telethon decoding 100-message pages,
p50 came out 7.3 ms against the sandbox's 0.9 ms at 0 ms latency (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter import export as export_module
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
# other tests ran); a second, quiet one settles it. A broken measurement is off on every try (with the
# wire log bypassed: p50 49.6 ms against 0.7 ms).
ATTEMPTS = 2


@pytest.mark.parametrize("latency_ms", [0, 50, 130])
async def test_reported_request_times_match_the_sandbox_clock(tmp_path: Path, latency_ms: int) -> None:
    misses: list[str] = []
    for attempt in range(ATTEMPTS):
        misses = await _measure(tmp_path / f"try{attempt}", latency_ms)
        if not misses:
            return
    raise AssertionError("; ".join(misses))


async def _measure(folder: Path, latency_ms: int) -> list[str]:
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
            await asyncio.gather(*(scheduler(page) for page in pages))
        finally:
            clock.finish()
            await client.disconnect()
    TelegramClient._config = None
    truth = sorted(
        t["seconds"]
        for t in json.loads(stats_file.read_text())["request_timings"]
        if t["method"] == "messages.getHistory"
    )
    assert len(truth) == REQUESTS
    report = clock.report(messages=0)
    assert report.requests.count == REQUESTS
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
