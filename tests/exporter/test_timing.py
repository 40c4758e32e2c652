"""Honest timing: request time is Telegram's, processing is ours, and neither leaks into the other."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter import fetch as fetch_module
from exporter.client import SessionFile, build_client
from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from exporter.timing import PhaseClock, percentile
from exporter.timing_summary import breakdown
from sandbox.cluster import Cluster
from sandbox.world import ChatSpec, World, WorldSpec, build_world
from tests.timing.test_ground_truth import close_enough, sandbox_process

LATENCY = 0.2


@pytest.fixture
def world() -> World:
    return build_world(
        WorldSpec(
            chats=[ChatSpec("channel", "Timed channel", "timed_channel_sandbox", messages=1_000)], contacts=2
        )
    )


async def export(client: TelegramClient, tmp_path: Path, **options: object):
    target = await resolve_target(client, parse_target("@timed_channel_sandbox"))
    return await export_chat(client, target, ExportOptions(formats=("json",), **options), tmp_path)


async def test_sequential_request_time_is_pages_times_latency(
    cluster: Cluster, client: TelegramClient, tmp_path: Path
) -> None:
    await client.get_input_entity("timed_channel_sandbox")
    cluster.network.latency = LATENCY
    result = await export(client, tmp_path, max_concurrency=1, max_shards=1)
    requests = result.report.requests
    # The scheduler sends history pages and the custom emoji documents the messages name.
    pages = cluster.calls["messages.getHistory"]
    assert requests.count == pages + cluster.calls["messages.getCustomEmojiDocuments"] and pages >= 10
    assert requests.total == pytest.approx(requests.count * LATENCY, rel=0.10)
    assert requests.p50 == pytest.approx(LATENCY, rel=0.10)
    # One request at a time: the time with a request in flight is their sum.
    assert requests.in_flight_wall == pytest.approx(requests.total, rel=0.05)


def most_in_flight(timings: list[dict], method: str = "messages.getHistory") -> int:
    """The most requests of ``method`` the sandbox had in hand at once, on its own clock."""
    edges = sorted(
        (edge, step)
        for t in timings
        if t["method"] == method
        for edge, step in ((t["received"], 1), (t["received"] + t["seconds"], -1))
    )
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


async def test_slow_processing_does_not_inflate_request_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight shards read at once while a slow converter holds the event loop 0.05 s a page: answers
    arrive while the loop is busy, and none is charged for the wait.  The sandbox runs in its own
    process, as Telegram would: in this one the busy loop would delay its answers for real."""
    original = fetch_module.to_record

    def slow_to_record(*args: object, **kwargs: object) -> dict:
        time.sleep(0.001)  # deliberate: a converter that is slow on the event loop
        return original(*args, **kwargs)

    monkeypatch.setattr(fetch_module, "to_record", slow_to_record)
    TelegramClient._config = None
    async with sandbox_process(tmp_path, latency_ms=int(LATENCY * 1000)) as (session, stats):
        client = build_client(SessionFile.load(session))
        await client.connect()
        try:
            target = await resolve_target(client, parse_target("@daily_digest_sandbox"))
            # A bounded export is cut by ids into eight ranges read at once (a whole chat of 400
            # messages is cut at its four pages, too few requests at once to time here).
            since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
            options = ExportOptions(formats=("json",), shard_messages=50, since=since)
            result = await export_chat(client, target, options, tmp_path / "out")
        finally:
            await client.disconnect()
    TelegramClient._config = None
    report = result.report
    assert result.complete and report.messages > 350
    assert report.phases["processing"] >= 0.001 * report.messages
    # Requests overlapped: at least the scheduler's first four at once, on the sandbox's clock.
    timings = json.loads(stats.read_text())["request_timings"]
    assert most_in_flight(timings) >= 4
    # Requests were in flight while pages were processed; none is charged for it: what the report
    # says they took is what the sandbox took to answer them.
    # What the export's scheduler sent: history pages, and the custom emoji its messages name.
    sent = {"messages.getHistory", "messages.getCustomEmojiDocuments"}
    truth = sorted(t["seconds"] for t in timings if t["method"] in sent)
    requests = report.requests
    # Eight ranges of whole pages: a request a page (before ranges were cut at pages, 10 or more).
    assert requests.count == len(truth) >= 8
    assert requests.total == pytest.approx(sum(truth), rel=0.10)
    assert close_enough(requests.p50, percentile(truth, 0.5))
    assert close_enough(requests.p95, percentile(truth, 0.95))


async def test_flood_wait_is_its_own_phase(cluster: Cluster, client: TelegramClient, tmp_path: Path) -> None:
    from sandbox.netmodel import parse_fault

    await client.get_input_entity("timed_channel_sandbox")
    cluster.network.add_fault(parse_fault("messages.getHistory@3=420:FLOOD_WAIT_1"))
    result = await export(client, tmp_path, max_concurrency=1)
    flood = result.report.flood
    assert (flood.count, flood.announced_seconds, flood.waits) == (1, 1, 1)
    assert flood.waited_wall == pytest.approx(1.0, abs=0.15)
    assert result.report.requests.total < 0.5
    assert result.complete


def test_summary_never_adds_overlapping_phases() -> None:
    clock = PhaseClock()
    token = clock.request_started()
    with clock.phase("processing"):
        time.sleep(0.01)
    clock.request_finished(token)
    clock.finish()
    report = clock.report(messages=10)
    assert report.requests.total < 0.005  # the processing ran on the loop while the request was in flight
    assert report.requests.in_flight_wall >= 0.01
    text = "\n".join(breakdown(report))
    assert "Busy time, overlapping" in text and "p50" in text
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert type(report).from_dict(report.to_dict()) == report
