"""python -m exporter export --comments, as a person runs it (its own offline sandbox)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path


def test_the_cli_exports_comments_and_says_how_many(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "exporter", "export", "@tech_notes_sandbox", "--sandbox"]
    args += ["--scenario", "discussion", "--comments", "--out", str(tmp_path), "--media", "none"]
    args += ["--format", "json,md"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "789 comments under 92 posts, each kept under its post." in done.stdout.splitlines()
    (archive,) = tmp_path.glob("*.zip")
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        posts = json.loads(zf.read("result.json"))["messages"]
        (markdown,) = (zf.read(n).decode() for n in zf.namelist() if n.startswith("markdown/"))
    assert manifest["complete"] and manifest["options"]["comments"] is True
    assert manifest["comments"]["written"] == 789
    # Markdown: a folded callout under each post with comments, a header line per comment.
    counts = [len(m["comments"]["messages"]) for m in posts if m.get("comments", {}).get("messages")]
    callouts = re.findall(r"^> \[!comments\]- ([\d,]+) comments?$", markdown, re.MULTILINE)
    assert [int(c.replace(",", "")) for c in callouts] == counts
    assert len(re.findall(r"^> \*\*.+\*\* · \d{4}-\d\d-\d\d \d\d:\d\d", markdown, re.MULTILINE)) == 789


def test_comments_asked_of_a_group_say_it_has_none(tmp_path: Path) -> None:
    """The discussion group itself is no channel: exported whole, and the person hears why without comments."""
    args = [sys.executable, "-m", "exporter", "export", "@tech_notes_chat_sandbox", "--sandbox"]
    args += [
        "--scenario",
        "discussion",
        "--comments",
        "--out",
        str(tmp_path),
        "--media",
        "none",
        "--last",
        "5",
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Only a channel's posts have comments; this chat was exported without them." in done.stdout


def test_several_channels_each_say_their_comments(tmp_path: Path) -> None:
    args = [sys.executable, "-m", "exporter", "export", "@tech_notes_sandbox", "@tech_notes_chat_sandbox"]
    args += ["--sandbox", "--scenario", "discussion", "--comments", "--out", str(tmp_path), "--media", "none"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # Under the channel's line its comments; the group (no channel) has no such line.
    at = next(i for i, line in enumerate(lines) if line.startswith("complete: Tech Notes 💬:"))
    assert lines[at + 1] == "  789 comments under 92 posts, each kept under its post."
    assert not any("Only a channel's posts" in line for line in lines)
