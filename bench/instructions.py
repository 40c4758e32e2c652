"""Instructions per message under callgrind, for the cpu target: times on a shared machine move by
±15 % and more, instruction counts by well under 1 %.

Each contestant reads the sandbox channel twice at 0 ms, the newest ``SMALL`` and ``LARGE``
messages, under ``valgrind --tool=callgrind``; the difference of the two counts over the difference
of the messages is its cost a message, free of start-up, imports and the chat's resolution (ours
exports the newest N ids, JSON and HTML, zip included, bounded by id: ``--last N`` would first
walk the N messages to find where they start and so parse each twice).  Slow: several minutes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SMALL, LARGE = 2_000, 7_000
CONTESTANTS = ("sequential", "ours")
CALLGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
_COLLECTED = re.compile(r"Collected\s*:\s*([0-9]+)")


def collected(stderr: str) -> int:
    """Callgrind's total instruction count (its "Collected :" line)."""
    found = _COLLECTED.findall(stderr)
    if not found:
        raise RuntimeError("callgrind printed no instruction count")
    return int(found[-1])


async def per_message(run_contestant: Any, scenario: Any, folder: Path) -> dict[str, float]:
    """Contestant -> instructions a message (``run_contestant`` is bench's, passed in to avoid a cycle)."""
    counts: dict[str, float] = {}
    for contestant in CONTESTANTS:
        totals = []
        for size in (SMALL, LARGE):
            result = await run_contestant(scenario, contestant, folder, max_messages=size, wrap=CALLGRIND)
            totals.append((result.messages, collected(result.extra["stderr"])))
        (small_n, small_i), (large_n, large_i) = totals
        counts[contestant] = (large_i - small_i) / (large_n - small_n)
    return counts
