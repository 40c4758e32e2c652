"""Helpers for the application-database tests: a clock tests can move, polling, synthetic reports,
holding SQLite's statement thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from db import Database
from db.timing_report import FloodStats, RequestStats, TimingReport

# 2023-11-14 22:13:20 UTC: a fixed start keeps per-day statistics deterministic.
START = 1_700_000_000.0


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 3.0) -> None:
    """Wait until ``check()`` holds; fail with a clear message if it never does."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(0.01)


def timing_report(
    *,
    wall: float,
    messages: int,
    in_flight: float = 0.0,
    flood_count: int = 0,
    flood_waits: int | None = None,
    flood_announced: int = 0,
    flood_waited: float = 0.0,
    phases: dict[str, float] | None = None,
    already_saved: int = 0,
    accounted: dict[str, float] | None = None,
    delivery: float = 0.0,
) -> dict[str, Any]:
    """A stored report, built from the one definition of its shape (db/timing_report.py);
    ``delivery`` is added as the bot adds it once the archive is sent."""
    requests = RequestStats(messages // 100, in_flight, in_flight, 0.1, 0.2, 0.3)
    waits = min(1, flood_count) if flood_waits is None else flood_waits
    flood = FloodStats(flood_count, flood_announced, flood_waited, waits)
    if phases is None:
        phases = {"processing": 0.0, "storing": 0.0, "rendering": 0.0, "packaging": 0.0}
    report = TimingReport(wall, messages, requests, flood, phases, already_saved, accounted or {})
    return (report.with_delivery(delivery) if delivery else report).to_dict()


async def hold_statement_thread(db: Database) -> tuple[threading.Event, asyncio.Future[object]]:
    """Keep aiosqlite's one statement thread busy until the returned gate is set (the future is
    that held statement): whatever a coroutine then awaits on the database waits there, which
    makes a cancel land at a chosen await for certain instead of under load by chance."""
    gate = threading.Event()

    def hold() -> int:
        gate.wait(5)
        return 0

    async with db.transaction() as connection:
        await connection.create_function("hold", 0, hold)
    # The same connection outside the database's lock, as a statement of another coroutine.
    held = asyncio.ensure_future(connection.execute("SELECT hold()"))
    await asyncio.sleep(0)
    return gate, held
