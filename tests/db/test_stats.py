"""The /stats figures from a few synthetic jobs and timing reports."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from db import (
    Database,
    DayStats,
    Failure,
    FloodTotals,
    JobPart,
    SqliteJobQueue,
    Totals,
    UserLoad,
    collect_stats,
)

from .support import FakeClock, timing_report

DAY = 86_400.0


async def run_to_end(queue: SqliteJobQueue, user: int, target: str) -> int:
    job = await queue.submit(user, user, target)
    claimed = await queue.claim_next("w")
    assert claimed is not None and claimed.id == job.id
    return job.id


async def done(queue: SqliteJobQueue, user: int, report: dict[str, Any] | None, sizes: list[int]) -> int:
    job_id = await run_to_end(queue, user, "@chat")
    await queue.complete(
        job_id, report, [JobPart(f"/a/{job_id}.{n}", size, "00") for n, size in enumerate(sizes)]
    )
    return job_id


async def test_stats_from_synthetic_reports(db: Database, queue: SqliteJobQueue, clock: FakeClock) -> None:
    # The clock starts on 2023-11-14 (UTC).
    await done(
        queue,
        1,
        timing_report(
            wall=10.0,
            messages=1000,
            in_flight=6.0,
            flood_count=1,
            flood_announced=3,
            flood_waited=3.2,
            phases={"processing": 1.0, "storing": 0.5, "rendering": 2.0, "packaging": 0.5},
            accounted={
                "telegram": 5.0,
                "flood_wait": 3.0,
                "processing": 1.0,
                "rendering": 0.5,
                "unaccounted": 0.5,
            },
            # Sending the archive took 2 s more: a share of the time, not reading time.
            delivery=2.0,
        ),
        [100, 50],
    )
    clock.advance(DAY)
    await done(
        queue,
        2,
        timing_report(
            wall=30.0,
            messages=9000,
            in_flight=24.0,
            phases={"processing": 3.0, "storing": 1.5, "rendering": 4.0, "packaging": 1.5},
            accounted={"telegram": 24.0, "processing": 3.0, "storing": 1.5, "unaccounted": 1.5},
        ),
        [1000],
    )
    # From before the wall time was split: its speed counts, it has no shares to add.
    await done(queue, 2, timing_report(wall=5.0, messages=500, in_flight=4.0), [])
    # Done without a report: counted, but it has no timings to share.
    await done(queue, 2, None, [])
    failed = await run_to_end(queue, 2, "@private")
    await queue.fail(failed, "CHANNEL_PRIVATE")
    clock.advance(60)
    cancelled = await queue.submit(3, 3, "@big")
    await queue.cancel(cancelled.id, by_user=3)
    await run_to_end(queue, 1, "@running")
    await queue.submit(1, 1, "@waiting")
    await queue.submit(3, 3, "@waiting")

    stats = await collect_stats(db, days=3)

    assert stats.totals == Totals(
        done=4, failed=1, cancelled=1, queued=2, running=1, messages=10_500, bytes=1150
    )
    assert stats.days == [
        DayStats(date(2023, 11, 13), 0, 0, 0, 0.0),
        DayStats(date(2023, 11, 14), 1, 0, 1000, 10.0),
        DayStats(date(2023, 11, 15), 3, 1, 9500, 35.0, cancelled=1),
    ]
    assert [day.messages_per_second for day in stats.days] == pytest.approx([0.0, 100.0, 271.43], abs=0.01)
    shares = stats.shares
    # The two reports with a split: 12 s (with delivery) and 30 s.
    assert (shares.exports, shares.wall) == (2, 42.0)
    assert shares.phases == pytest.approx(
        {
            "telegram": 29 / 42,
            "flood_wait": 3 / 42,
            "processing": 4 / 42,
            "storing": 1.5 / 42,
            "rendering": 0.5 / 42,
            "delivery": 2 / 42,
            "unaccounted": 2 / 42,
        }
    )
    # In the order the reports list them; each second counted once, so they add up.
    assert list(shares.phases)[:2] == ["telegram", "flood_wait"]
    assert list(shares.phases)[-2:] == ["delivery", "unaccounted"]
    assert sum(shares.phases.values()) == pytest.approx(1.0)
    assert stats.flood == FloodTotals(
        exports_hit=1, waits=1, refused=1, announced_seconds=3, waited_wall=pytest.approx(3.2)
    )
    assert stats.queue == [UserLoad(1, queued=1, running=1), UserLoad(3, queued=1, running=0)]
    assert stats.failures == [Failure(failed, 2, "@private", clock.now - 60, "CHANNEL_PRIVATE")]


async def test_stats_of_an_empty_database(db: Database) -> None:
    stats = await collect_stats(db, days=2)
    assert stats.totals == Totals(0, 0, 0, 0, 0, 0, 0)
    assert [(day.exports, day.messages) for day in stats.days] == [(0, 0), (0, 0)]
    assert (stats.shares.exports, stats.shares.wall, stats.shares.phases) == (0, 0.0, {})
    assert stats.flood == FloodTotals(0, 0, 0, 0, 0.0)
    assert (stats.queue, stats.failures) == ([], [])
