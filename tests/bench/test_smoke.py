"""The benchmark harness runs end to end on a tiny scenario (speed is not asserted: that is bench's job)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_bench_smoke_run_produces_a_table_and_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--scenario", "smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CPU bound" in result.stdout and "of bound" in result.stdout
    payload = json.loads(out.read_text())
    # The code measured is this checkout's, said before any figure (bench/provenance.py).
    root = str(Path(__file__).resolve().parents[2])
    assert payload["code"]["path"] == root
    assert result.stdout.startswith(f"Code measured: {root}")
    rows = {row["contestant"]: row for row in payload["results"]}
    assert set(rows) == {"telethon-default", "sequential", "bare", "ours"}
    assert rows["ours"]["messages"] == rows["sequential"]["messages"] > 0
    assert rows["ours"]["extra"]["complete"] is True
    assert rows["telethon-default"]["scaled_from"] == 150
    assert all(row["requests"] > 0 and row["peak_rss_mb"] > 0 for row in rows.values())
