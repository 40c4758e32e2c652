"""Helpers for the application-database tests: a clock tests can move, polling, synthetic reports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

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
    flood_announced: int = 0,
    flood_waited: float = 0.0,
    phases: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A report shaped like the exporter's ``TimingReport.to_dict()``."""
    return {
        "wall": wall,
        "messages": messages,
        "requests": {
            "count": messages // 100,
            "total": in_flight,
            "in_flight_wall": in_flight,
            "p50": 0.1,
            "p95": 0.2,
            "max": 0.3,
        },
        "flood": {"count": flood_count, "announced_seconds": flood_announced, "waited_wall": flood_waited},
        "phases": phases
        if phases is not None
        else {"processing": 0.0, "storing": 0.0, "rendering": 0.0, "packaging": 0.0},
        "messages_per_second": round(messages / wall, 1),
    }
