"""One timing schema (issue 12, point 5): the exporter writes it, /stats' queries and the bot read it.

The shape is db/timing_report.py; db.stats reaches into the stored JSON only through
``report_path``, so a field the queries name and the report lacks fails at once.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from db import JobPart, SqliteJobQueue, collect_stats, open_database
from db.timing_report import FloodStats, RequestStats, TimingReport, report_path
from exporter.timing import FLOW, PhaseClock
from sandbox.netmodel import parse_fault
from tests.bot.conftest import Product


def report(**changes: object) -> TimingReport:
    values: dict[str, object] = {
        "wall": 10.0,
        "messages": 1000,
        "requests": RequestStats(10, 1.0, 0.9, 0.1, 0.12, 0.2),
        "flood": FloodStats(count=3, announced_seconds=2, waited_wall=2.1, waits=1),
        "phases": {"processing": 1.0, "storing": 0.5},
    }
    return TimingReport(**{**values, **changes})  # type: ignore[arg-type]


def test_the_clock_builds_the_schema_and_it_round_trips() -> None:
    clock = PhaseClock()
    with clock.phase("processing"):
        time.sleep(0.02)
    clock.finish()
    built = clock.report(messages=500, already_saved=200)
    assert isinstance(built, TimingReport) and built.fetched == 300
    # The wall time split, each second once: in the order the data flows, "unaccounted" last.
    assert list(built.accounted) == [*FLOW, "unaccounted"]
    assert sum(built.accounted.values()) == pytest.approx(built.wall, rel=1e-9)
    assert built.accounted["processing"] >= 0.02
    data = built.to_dict()
    assert (data["fetched"], data["already_saved"]) == (300, 200)
    assert data["shares"]["processing"] == round(built.accounted["processing"] / built.wall, 4)
    assert TimingReport.from_dict(data) == built


def test_a_report_written_before_the_finish_covers_the_time_until_then() -> None:
    # The manifest is written before the archive: its report's split must add up to its own wall.
    clock = PhaseClock()
    with clock.phase("rendering"):
        time.sleep(0.01)
    early = clock.report(messages=1)
    assert sum(early.accounted.values()) == pytest.approx(early.wall, rel=1e-9)


def test_a_report_stored_before_a_field_existed_still_reads() -> None:
    old = report().to_dict()
    del old["already_saved"], old["fetched"], old["flood"]["waits"]
    old["a_field_from_later"] = 1
    loaded = TimingReport.from_dict(old)
    assert (loaded.already_saved, loaded.fetched, loaded.flood.waits) == (0, 1000, 0)


def test_paths_are_checked_against_the_shape() -> None:
    assert report_path("flood", "waits") == "$.flood.waits"
    assert report_path("fetched") == "$.fetched"
    assert report_path("accounted") == "$.accounted"
    for wrong in (("flood", "waited"), ("wall", "seconds"), ("requests_in_flight",), ("accounted", "x")):
        with pytest.raises(KeyError):
            report_path(*wrong)


async def test_stats_reads_waits_refusals_and_this_runs_messages(tmp_path: Path) -> None:
    database = await open_database(tmp_path / "app.db")
    queue = SqliteJobQueue(database, work_root=tmp_path / "work", max_running=9, max_running_per_user=9)
    reports = [
        report(),
        # Resumed: 600 of its 1000 messages were saved by an earlier run.
        report(flood=FloodStats(count=2, announced_seconds=4, waited_wall=4.0, waits=2), already_saved=600),
    ]
    try:
        for stored in reports:
            job = await queue.submit(1, 1, "@chat")
            await queue.claim_next("w")
            await queue.complete(job.id, stored.to_dict(), [JobPart(f"/a/{job.id}", 1, "00")])
        stats = await collect_stats(database, days=1)
    finally:
        await database.close()
    assert (stats.flood.waits, stats.flood.refused) == (3, 5)
    assert stats.totals.messages == 2000
    # Speed counts what each run read: 1000 + 400 messages in 20 s.
    assert stats.days[-1].messages == 1400
    assert stats.days[-1].messages_per_second == pytest.approx(70.0)


async def test_stats_in_the_bot_names_waits_and_refused_requests_apart(product: Product) -> None:
    admin = product.admin
    # Two requests refused at once: the export waits once for both.
    product.cluster.network.add_fault(parse_fault("messages.getHistory@2=420:FLOOD_WAIT_1*2"))
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(admin, options, "▶ Export")
    await product.archive(admin.id)
    queue = product.running.app.queue
    for _ in range(200):
        jobs = await queue.list_for_user(admin.id, limit=1)
        if jobs[0].report is not None:
            break
        await asyncio.sleep(0.05)
    flood = TimingReport.from_dict(jobs[0].report).flood
    assert flood.count >= 1
    product.say(admin, "/stats")
    stats = await product.reply(admin.id, lambda m: "refused requests" in (m.text or ""))
    assert f"Waits for Telegram's flood limit in finished exports: {flood.waits} in 1 export" in stats.text
    assert f"refused requests: {flood.count} " in stats.text
    # The same split as the export's Details, sending the archive included, adding up to 100 %.
    report = TimingReport.from_dict(jobs[0].report)
    shown = next(line for line in stats.text.splitlines() if line.startswith("Where the time went"))
    assert shown.startswith(f"Where the time went (1 export, {report.wall:,.0f} s): telegram ")
    assert f"delivery {100 * report.shares['delivery']:.0f} %" in shown
    assert f"flood wait {100 * report.shares['flood_wait']:.0f} %" in shown
