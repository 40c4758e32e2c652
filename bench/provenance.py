"""Which code a bench run measures: the source tree its packages come from, and that tree's commit.

`python -m bench` puts its working directory first on ``sys.path``, before ``PYTHONPATH``, and its
contestants inherit both: a run started from another checkout than the one meant measures that
other checkout's code, and nothing in the figures shows it (an A/B set of the ninth session was lost
so, docs/benchmarks.md). Each run therefore says what it measured, on screen and in its JSON.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import exporter


def measured_code() -> dict[str, str | bool | None]:
    """The tree ``exporter`` was imported from, its commit (None outside git), and whether tracked
    files differ from that commit."""
    root = Path(exporter.__file__).resolve().parents[1]

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "--short=12", "HEAD")
    changes = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"path": str(root), "commit": commit, "uncommitted_changes": bool(changes) if commit else None}


def described(code: dict[str, str | bool | None]) -> str:
    if code["commit"] is None:
        return f"Code measured: {code['path']} (not a git checkout)"
    changes = ", with uncommitted changes" if code["uncommitted_changes"] else ""
    return f"Code measured: {code['path']} at {code['commit']}{changes}"
