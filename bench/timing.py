"""The timing columns of the bench: request time as ours reports it against the sandbox's own clock.

The sandbox writes, for every request, when it read the request and when it wrote the answer
(``python -m sandbox serve --stats-file``, ``request_timings``); ours reports the wire time of the
same requests (exporter/wire.py).  docs/benchmarks.md says what each includes.
"""

from __future__ import annotations

from typing import Any

from exporter.timing import percentile

HISTORY_METHODS = ("messages.getHistory", "messages.getReplies")


def sandbox_request_percentiles(stats: dict[str, Any]) -> dict[str, float]:
    """p50 and p95 of the history requests on the sandbox's clock (empty when it kept none)."""
    truth = sorted(t["seconds"] for t in stats.get("request_timings", []) if t["method"] in HISTORY_METHODS)
    if not truth:
        return {}
    return {"truth_p50": percentile(truth, 0.5), "truth_p95": percentile(truth, 0.95)}


def timing_table(results: list[Any]) -> list[str]:
    """Ours: request times as reported against the sandbox's clock, and how much of the wall time has a phase."""
    rows = [
        r for r in results if r.contestant == "ours" and "truth_p50" in r.extra and "request_p50" in r.extra
    ]
    if not rows:
        return []
    lines = [
        "\nRequest time, ours as reported vs the sandbox's own clock (docs/benchmarks.md):",
        f"  {'scenario':<20}{'p50 ours':>10}{'truth':>8}{'p95 ours':>10}{'truth':>8}{'accounted':>11}"
        "  arrivals stamped by",
    ]
    for row in rows:
        e = row.extra
        accounted = e.get("accounted", {})
        # The export clock's wall time is the sum of the split.
        wall = sum(accounted.values())
        claimed = 1 - accounted.get("unaccounted", 0.0) / wall if wall else 0.0
        lines.append(
            f"  {row.scenario:<20}{1000 * e['request_p50']:>8.1f}ms{1000 * e['truth_p50']:>6.1f}ms"
            f"{1000 * e['request_p95']:>8.1f}ms{1000 * e['truth_p95']:>6.1f}ms{claimed:>10.1%}"
            f"  {e.get('arrival_clock') or '?'}"
        )
    return lines
