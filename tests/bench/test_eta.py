"""The bench's time-estimate error: against the end of reading, and of the whole export."""

from __future__ import annotations

from bench.eta import eta_errors


def test_errors_at_each_quarter_against_what_was_really_left() -> None:
    # (elapsed, done, total, estimate): reading ends at 5 s, the export at 7 s.
    samples = [
        (1.0, 0, 100, None),
        (2.0, 30, 100, 2.7),
        (3.0, 55, 100, 1.0),
        (4.0, 80, 100, 1.5),
        (5.0, 100, 100, 0.0),
    ]
    found = eta_errors(samples, export_end=7.0)
    # At 25 %: the first progress past it (30 done at 2 s) said 2.7 s, 3 s were left: 10 % short.
    assert found["eta_error"] == {"25%": -0.1, "50%": -0.5, "75%": 0.5}
    assert found["eta_error_export"] == {"25%": -0.46, "50%": -0.75, "75%": -0.5}
    assert found["reading_seconds"] == 5.0


def test_no_estimate_yet_is_no_error() -> None:
    samples = [(1.0, 40, 100, None), (2.0, 100, 100, None)]
    assert eta_errors(samples, export_end=3.0)["eta_error"] == {"25%": None, "50%": None, "75%": None}
    # Without a known total there is nothing to measure against.
    assert eta_errors([(1.0, 40, None, None)], export_end=2.0) == {}
