"""The media bench: a smoke run end to end (the harness, not speed), and issue 14's targets judged from
a run's rows, met or missed, with the numbers that decide."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.__main__ import MEDIA_RUNS, Result, check_targets
from bench.media import media_table

MB = 1_000_000


def test_media_smoke_run_produces_the_media_table_and_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--scenario", "media-smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Media (bench/media.py)" in result.stdout and "of bound" in result.stdout
    assert "CPU bound" not in result.stdout  # media scenarios need no calibration run
    payload = json.loads(out.read_text())
    rows = {row["contestant"]: row for row in payload["results"]}
    assert set(rows) == {"download_media", "ours"}
    ours, theirs = rows["ours"], rows["download_media"]
    assert ours["extra"]["complete"] is True and ours["extra"]["unavailable"] == 0
    assert ours["extra"]["files"] > theirs["extra"]["files"] == 10 and theirs["extra"]["stopped_early"]
    for row in rows.values():
        assert row["extra"]["media_bytes"] > 0 and row["extra"]["media_seconds"] > 0
        assert row["media_bytes_per_s"] > 0 and row["requests"] > 0 and row["peak_rss_mb"] > 0


def media_row(
    scenario: str, contestant: str, mb_per_s: float, rss: float = 100.0, mb: float = 200.0
) -> Result:
    seconds = mb / mb_per_s
    extra = {"media_bytes": int(mb * MB), "media_seconds": seconds, "files": 1}
    return Result(scenario, contestant, 2, seconds + 1, 1.0, rss, 200, 0, extra=extra)


def test_media_targets_are_judged_against_the_bound_download_media_and_memory() -> None:
    results = [
        media_row("media-large", "download_media", 1.6, mb=40),
        media_row("media-large", "ours", 19.4),
        media_row("media-many", "download_media", 0.3, mb=13),
        media_row("media-many", "ours", 8.6, mb=177),
        media_row("media-rss-86mb", "ours", 50, rss=96, mb=86),
        media_row("media-rss-1.4gb", "ours", 50, rss=104, mb=1400),
        media_row("media-rss-2gb", "ours", 50, rss=118, mb=2000),
    ]
    large, many, memory = check_targets(results, cpu_bound=float("inf"))
    # 20 MB/s: the account's 160 Mbit/s (below 4 connections × 80 Mbit/s).
    assert large.endswith(": met") and "97% of the 20 MB/s bound" in large and "12.1× download_media" in large
    assert many.endswith(": MISSED") and "43% of the 20 MB/s bound" in many
    assert memory.endswith(": met") and "118 MB for 2.00 GB" in memory and "1.23×" in memory
    table = "\n".join(media_table(results, MEDIA_RUNS))
    assert "12.1× download_media" in table and "(first 40 MB)" not in table  # stopped_early not set


def test_memory_that_grows_with_the_files_misses() -> None:
    results = [
        media_row("media-rss-86mb", "ours", 50, rss=90, mb=86),
        media_row("media-rss-2gb", "ours", 50, rss=140, mb=2000),
    ]
    (memory,) = check_targets(results, cpu_bound=float("inf"))
    assert memory.endswith(": MISSED") and "1.56×" in memory  # under 150 MB, but not flat


def test_too_slow_against_download_media_misses_even_near_the_bound() -> None:
    results = [media_row("media-large", "download_media", 2.5, mb=40), media_row("media-large", "ours", 19.0)]
    (large,) = check_targets(results, cpu_bound=float("inf"))
    assert large.endswith(": MISSED") and "7.6× download_media" in large
