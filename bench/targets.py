"""The bench's own target check: issues 6 and 18 for reading, 17 for scale, each against the rows of this run.

With ``--runs N`` every contestant of a scenario ran N times, alternating (ours, sequential, ours,
…); a rate or a CPU figure is then the median of the runs, and a flood-limited target must hold in
every run.  Issue 18's figures are printed beside issue 6's older ones where both apply.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

# Issue 18.
RATE_TARGET = 10_000  # msg/s at 130 ms, forum and channel
SEQUENTIAL_TARGET = 14  # × the sequential contestant at 130 ms
CPU_TARGET = 1.2  # our CPU per message over iter_messages'
LIMITED_SHARE = 0.95  # of the flood bound, in every run
WAITS_A_MINUTE = 1.0
# Issue 17: two accounts' rate on two chats over one account's; PostgreSQL's rate for one export
# through the job path over SQLite's (within 10 %).
ACCOUNTS_TARGET = 1.9
BACKEND_TARGET = 0.9
# How the target lines name these contestants.
SAID = {
    "one-account": "one account",
    "two-accounts": "two accounts",
    "sqlite": "SQLite",
    "postgres": "PostgreSQL",
}


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def runs_of(results: list[Any]) -> dict[tuple[str, str], list[Any]]:
    grouped: dict[tuple[str, str], list[Any]] = {}
    for result in results:
        grouped.setdefault((result.scenario, result.contestant), []).append(result)
    return grouped


def median(rows: list[Any], value: Callable[[Any], float]) -> float:
    return statistics.median(value(r) for r in rows)


def _spread(rows: list[Any], value: Callable[[Any], float], form: str) -> str:
    """The runs' values, when there was more than one."""
    return "" if len(rows) < 2 else " [" + ", ".join(format(value(r), form) for r in rows) + "]"


def rate_target(scenario: str, runs: dict[tuple[str, str], list[Any]]) -> str | None:
    ours, sequential = runs.get((scenario, "ours")), runs.get((scenario, "sequential"))
    if not ours or not sequential:
        return None
    rate = median(ours, lambda r: r.rate)
    times = rate / median(sequential, lambda r: r.rate)
    ok = rate >= RATE_TARGET and times >= SEQUENTIAL_TARGET
    return (
        f"{scenario}: {rate:,.0f} msg/s{_spread(ours, lambda r: r.rate, ',.0f')} (≥ {RATE_TARGET:,}), "
        f"{times:.1f}× sequential (≥ {SEQUENTIAL_TARGET}): {verdict(ok)}"
    )


def cpu_target(runs: dict[tuple[str, str], list[Any]], instructions: dict[str, float]) -> str | None:
    ours, sequential = runs.get(("cpu", "ours")), runs.get(("cpu", "sequential"))
    if not ours or not sequential:
        return None
    mine = median(ours, lambda r: r.cpu_us_per_message)
    theirs = median(sequential, lambda r: r.cpu_us_per_message)
    ratio = mine / theirs
    line = (
        f"cpu: {mine:.1f} µs per message{_spread(ours, lambda r: r.cpu_us_per_message, '.1f')} against "
        f"iter_messages' {theirs:.1f}{_spread(sequential, lambda r: r.cpu_us_per_message, '.1f')}, "
        f"{ratio:.2f}× (≤ {CPU_TARGET}; median of {min(len(ours), len(sequential))} alternating runs)"
    )
    if "ours" in instructions and "sequential" in instructions:
        counted = instructions["ours"] / instructions["sequential"]
        line += (
            f"; instructions {instructions['ours'] / 1e3:,.0f} k against {instructions['sequential'] / 1e3:,.0f} k "
            f"a message ({counted:.2f}×)"
        )
    return f"{line}: {verdict(ratio <= CPU_TARGET)}"


def limited_target(name: str, rows: list[Any], bound: float, burst: float, rate: float) -> str:
    """≥ 95 % of the flood bound (the sustained rate × 100 messages, in msg/s) and at most one wait a
    minute, in every run.  Beside it, the share of the history requests Telegram allowed in the run's
    time (the burst, then the rate) that it granted: what requests carrying no full page cost."""
    parts, ok = [], True
    for row in rows:
        share = row.rate / bound
        minutes = row.wall / 60
        waits = row.extra.get("flood_waits_slept", row.flood_waits)
        granted = (row.requests - row.flood_waits) / (burst + rate * row.wall)  # refused: calls too
        ok = ok and share >= LIMITED_SHARE and waits / minutes <= WAITS_A_MINUTE
        parts.append(
            f"{share:.1%} ({granted:.0%} of allowed requests) with {waits} waits in {minutes:.1f} min"
        )
    return (
        f"{name}: {'; '.join(parts)} (≥ {LIMITED_SHARE:.0%} of the bound, ≤ {WAITS_A_MINUTE:g} wait a "
        f"minute, every run{'' if len(rows) >= 3 else '; fewer than the three runs asked'}): "
        f"{verdict(ok and len(rows) >= 3)}"
    )


def ratio_target(
    scenario: str, runs: dict[tuple[str, str], list[Any]], ours: str, base: str, floor: float, why: str = ""
) -> str | None:
    """``ours``' median rate over ``base``'s, against ``floor``."""
    mine, theirs = runs.get((scenario, ours)), runs.get((scenario, base))
    if not mine or not theirs:
        return None
    ours_rate, base_rate = median(mine, lambda r: r.rate), median(theirs, lambda r: r.rate)
    ratio = ours_rate / base_rate
    spread = [_spread(rows, lambda r: r.rate, ",.0f") for rows in (mine, theirs)]
    ours, base = SAID.get(ours, ours), SAID.get(base, base)
    return (
        f"{scenario}: {ours} {ours_rate:,.0f} msg/s{spread[0]}, {base} {base_rate:,.0f} msg/s{spread[1]}: "
        f"{ratio:.2f}× {base} (≥ {floor:g}{why}): {verdict(ratio >= floor)}"
    )


def scale_targets(runs: dict[tuple[str, str], list[Any]]) -> list[str]:
    """Issue 17's: accounts-2 and backend-postgres, where this run measured them."""
    lines = [
        ratio_target("accounts-2", runs, "two-accounts", "one-account", ACCOUNTS_TARGET),
        ratio_target(
            "backend-postgres", runs, "postgres", "sqlite", BACKEND_TARGET, ": within 10 % of SQLite"
        ),
    ]
    return [line for line in lines if line is not None]
