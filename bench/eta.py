"""The time estimate's error: what the progress message said was left, against what was left.

Ours records every progress its export reports (``Progress.eta``: seconds of reading left, from the
rate measured and the count still to read; exporter/eta.py). At the first progress at or past 25,
50 and 75 % of the messages, the error is (estimate - real) / real, where real is the time from that
progress to the last page read. The time to write and pack the files after reading is not in the
estimate (the message says "of reading left"); ``eta_error_export`` shows how far the estimate is
from the end of the whole export, for comparison.
"""

from __future__ import annotations

from typing import Any

QUARTERS = (0.25, 0.5, 0.75)


def eta_errors(
    samples: list[tuple[float, int, int | None, float | None]], export_end: float
) -> dict[str, Any]:
    """``samples``: (elapsed, done, total, eta) of every progress while reading, in order."""
    if not samples or not samples[-1][2]:
        return {}
    reading_end, total = samples[-1][0], samples[-1][2]
    errors: dict[str, float | None] = {}
    to_export_end: dict[str, float | None] = {}
    for quarter in QUARTERS:
        key = f"{quarter:.0%}"
        at = next((s for s in samples if s[1] >= quarter * total), None)
        eta = at[3] if at is not None else None
        if at is None or eta is None or reading_end <= at[0]:
            errors[key] = to_export_end[key] = None
            continue
        elapsed = at[0]
        errors[key] = round((eta - (reading_end - elapsed)) / (reading_end - elapsed), 4)
        to_export_end[key] = round((eta - (export_end - elapsed)) / (export_end - elapsed), 4)
    return {"eta_error": errors, "eta_error_export": to_export_end, "reading_seconds": round(reading_end, 2)}


def eta_table(results: list[Any]) -> list[str]:
    """Ours: the estimate's error at a quarter, half and three quarters of each export."""
    rows = [r for r in results if r.contestant == "ours" and r.extra.get("eta_error")]
    if not rows:
        return []

    def cell(value: float | None) -> str:
        return f"{value:>+9.0%}" if value is not None else f"{'-':>9}"

    lines = [
        "\nTime estimate, ours: (estimated - real) / real seconds of reading left (docs/benchmarks.md);"
        " in brackets, against the end of the whole export:",
        f"  {'scenario':<20}" + "".join(f"{'at ' + f'{q:.0%}':>9}" for q in QUARTERS) + "   whole export",
    ]
    for row in rows:
        errors, whole = row.extra["eta_error"], row.extra.get("eta_error_export", {})
        lines.append(
            f"  {row.scenario:<20}"
            + "".join(cell(errors.get(f"{q:.0%}")) for q in QUARTERS)
            + "   ("
            + ", ".join(cell(whole.get(f"{q:.0%}")).strip() for q in QUARTERS)
            + ")"
        )
    return lines
