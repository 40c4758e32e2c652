"""--incremental and files: what earlier archives of the chat hold is not downloaded again. The records
of the new archive point at the earlier paths, new files take names that clash with none of them,
so both archives unzip into one folder. python -m exporter in a child process, the sandbox here."""

from __future__ import annotations

import asyncio
import json
import sys
import zipfile
from pathlib import Path

import pytest

from sandbox.cluster import Cluster
from sandbox.world import World, build_scenario, expected_messages, message_files

GROUP = "media_small_sandbox"
SPLIT = 90


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


def command(session: Path, out: Path, data: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "exporter", "--session-file", str(session), "export", "@" + GROUP,
        "--out", str(out), "--data-dir", str(data), "--incremental", "--media", "all",
        "--max-file-size", "4000MB", "--format", "json", "--timezone", "UTC", *extra,
    ]  # fmt: skip


async def run(args: list[str], cwd: Path) -> None:
    process = await asyncio.create_subprocess_exec(*args, cwd=cwd, stdout=asyncio.subprocess.DEVNULL)
    assert await asyncio.wait_for(process.wait(), 110) == 0


def archive(out: Path) -> dict[str, bytes]:
    (path,) = out.glob("*.zip")
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def served(cluster: Cluster) -> int:
    return sum(n for key, n in cluster.stats().items() if key.startswith("file_bytes:"))


async def test_an_incremental_export_points_at_files_earlier_archives_hold(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    cwd = Path(__file__).resolve().parents[2]
    data = tmp_path / "data"
    # The first archive: messages before SPLIT (a ranged export records its checkpoint too).
    await run(command(session, tmp_path / "first", data, "--max-id", str(SPLIT)), cwd)
    before = served(cluster)
    await run(command(session, tmp_path / "second", data), cwd)
    second_bytes = served(cluster) - before
    first, second = archive(tmp_path / "first"), archive(tmp_path / "second")

    chat = world.by_username(GROUP)
    old, new, again = set(), {}, set()
    for msg_id, _ in expected_messages(world, chat):
        files = list(message_files(world, chat, msg_id))
        main = next((f for f in files if f.thumb == "" and f.kind != "custom_emoji"), None)
        for f in files:
            if f.thumb and main is not None and main.kind == "photo":
                continue  # a photo's smaller size: Desktop exports the largest only
            identity = (f.file_id, f.thumb)
            if msg_id < SPLIT:
                old.add(identity)
            elif identity in old:
                again.add(identity)
            else:
                new[identity] = f.size
    assert again and new
    # Only the files no earlier archive holds crossed the network.
    assert second_bytes == sum(new.values())

    records = json.loads(second["result.json"])["messages"]
    assert records[0]["id"] >= SPLIT
    pointed = 0
    for record in records:
        for field in ("photo", "file", "thumbnail"):
            path = record.get(field)
            if path is None or path.startswith("("):
                continue
            # In this archive, or in the earlier one under the same path: one folder holds both.
            assert (path in second) != (path in first), path
            pointed += path in first
    assert pointed > 0
    media_paths = {name for name in second if "/" in name}
    assert not media_paths & {name for name in first if "/" in name}, "a new file took an earlier name"
    manifest = json.loads(second["manifest.json"])["media"]
    assert manifest["in_earlier_archives"] >= pointed
