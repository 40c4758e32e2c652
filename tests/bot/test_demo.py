"""python -m bot --sandbox: the offline demo runs to completion and leaves the archive."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path


def test_offline_demo_ends_with_the_archive_saved(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--sandbox", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "you send: /export @big_forum_sandbox" in result.stdout
    assert "bot says: Done: Big Forum" in result.stdout
    assert "Archive saved:" in result.stdout
    # With the forum's photos the archive is larger than one part (49 MiB): join them, as the demo says.
    parts = sorted(out.glob("*.zip*"))
    assert parts and len({part.name.split(".zip")[0] for part in parts}) == 1, parts
    joined = tmp_path / "joined.zip"
    joined.write_bytes(b"".join(part.read_bytes() for part in parts))
    if len(parts) > 1:
        assert "Join the parts first: cat " in result.stdout
    with zipfile.ZipFile(joined) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["complete"] is True
    assert len(manifest["topics"]) == 150
    assert all(topic["written"] == topic["expected"] for topic in manifest["topics"])
    # The forum kept receiving messages: the archive is the snapshot, and the summary says so.
    assert sum(topic["newer_messages_left_out"] for topic in manifest["topics"]) > 0
    assert "The chat is a snapshot up to message" in result.stdout
    # The person taps Details: the breakdown, sending the archive included.
    assert "you tap: Details" in result.stdout and "Delivery: " in result.stdout
    # The sandbox Telegram runs in its own process, so its work is not charged to Telegram: request
    # p50 near the modelled 50 ms (measured 52-73 ms, the higher with other processes taking the
    # cores; 124-228 ms when the sandbox shared the exporter's process and event loop).
    p50 = int(re.search(r"p50 (\d+) ms", result.stdout).group(1))
    assert 50 <= p50 <= 90, p50
