"""kill -9 while the media stage downloads, then the same export again: the archive holds exactly what an
uninterrupted export holds, and the rerun fetches none of the files the first run had finished. The
exports run as python -m exporter in a child process, against the sandbox in this one over TCP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from db.media_store import PENDING
from sandbox.cluster import Cluster
from sandbox.netmodel import NetworkModel
from sandbox.world import World, build_scenario

GROUP = "@media_small_sandbox"
PARTIAL = (".part", ".part.json", ".part.log")


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


def command(session: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "exporter", "--session-file", str(session), "export", GROUP, "--out", str(out),
        "--media", "all", "--max-file-size", "4000MB", "--format", "json,html", "--timezone", "UTC",
    ]  # fmt: skip


def finished_files(out: Path) -> dict[Path, int]:
    """Files the media stage has completed in the work folder (name and size)."""
    return {
        p: p.stat().st_size
        for p in out.glob(".work/*/media/*/*")
        if p.is_file() and not p.name.endswith(PARTIAL)
    }


def contents(out: Path) -> dict[str, bytes]:
    (archive,) = out.glob("*.zip")
    with zipfile.ZipFile(archive) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    del manifest["timing"], manifest["created"]
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def forget_one_download(out: Path, done: dict[Path, int]) -> str:
    """Put the store where a kill between a download's rename into place and its record leaves it
    (CI's load once made the test's kill land there): the last file finished is still pending."""
    (store,) = out.glob(".work/*/messages.sqlite")
    media_dir = store.parent / "media"
    last = max((p for p in done if p.parent.name != "contacts"), key=lambda p: p.stat().st_mtime_ns)
    path = last.relative_to(media_dir).as_posix()
    with closing(sqlite3.connect(store)) as connection, connection:
        changed = connection.execute("UPDATE media_files SET status = ? WHERE path = ?", (PENDING, path))
        assert changed.rowcount == 1
    return path


def served(cluster: Cluster) -> int:
    return sum(n for key, n in cluster.stats().items() if key.startswith("file_bytes:"))


async def run(args: list[str], cwd: Path) -> None:
    process = await asyncio.create_subprocess_exec(*args, cwd=cwd, stdout=asyncio.subprocess.DEVNULL)
    assert await asyncio.wait_for(process.wait(), 110) == 0


# 3 MB/s for the account: the group's ~27 MB of files take about 9 s, so the kill lands among them.
@pytest.mark.parametrize("network", [NetworkModel(account_bandwidth=3e6)], ids=["3MB/s"])
async def test_kill_9_in_the_media_stage_then_rerun_gives_the_same_archive(
    cluster: Cluster, tmp_path: Path
) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    cwd = Path(__file__).resolve().parents[2]
    out = tmp_path / "interrupted"

    process = await asyncio.create_subprocess_exec(
        *command(session, out), cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    deadline = time.monotonic() + 90
    try:
        while len(finished_files(out)) < 40 or not list(out.glob(".work/*/media/*/*.part")):
            assert process.returncode is None, (await process.stderr.read()).decode()[-2000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the export made no progress"
            await asyncio.sleep(0.05)
    finally:
        if process.returncode is None:
            os.kill(process.pid, signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL
    done_before = finished_files(out)
    unrecorded = forget_one_download(out, done_before)
    first = served(cluster)

    await run(command(session, out), cwd)
    rerun = served(cluster) - first
    await run(command(session, tmp_path / "whole"), cwd)
    whole = served(cluster) - first - rerun

    # The files finished before the kill were not fetched again (vCards never cross the network).
    fetched_before = sum(size for path, size in done_before.items() if path.parent.name != "contacts")
    print(
        f"\nkilled with {len(done_before)} files done ({fetched_before / 1e6:.1f} MB); the rerun fetched "
        f"{rerun / 1e6:.1f} MB, an uninterrupted export {whole / 1e6:.1f} MB"
    )
    # Slack: only the bytes of the .part files kept (none, when the kill caught no part logged).
    assert rerun <= whole - fetched_before, f"fetched again, among others: {unrecorded}"
    resumed, reference = contents(out), contents(tmp_path / "whole")
    assert resumed.keys() == reference.keys()
    different = [name for name in reference if resumed[name] != reference[name]]
    assert not different, different
