"""Interrupted exports resume exactly; incremental exports bring exactly what is new.

The exporter runs as a real ``python -m exporter export`` subprocess against a
sandbox running in the test's event loop, and is killed with SIGKILL at
several points.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter.dedupe import SeenFilter
from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.world import ChatSpec, World, WorldSpec, build_world, expected_messages

CHANNEL = "@resume_channel_sandbox"
FORUM = "@resume_forum_sandbox"


@pytest.fixture
def world() -> World:
    return build_world(
        WorldSpec(
            chats=[
                ChatSpec("channel", "Resume channel", "resume_channel_sandbox", messages=12_000),
                ChatSpec("forum", "Resume forum", "resume_forum_sandbox", messages=6_000, topics=12),
            ],
            contacts=2,
        )
    )


def truth(world: World, username: str) -> list[tuple[int, int | None]]:
    return list(expected_messages(world, world.by_username(username.lstrip("@"))))


def archive_messages(out: Path) -> tuple[list[dict], dict]:
    archives = sorted(p for p in out.glob("*.zip") if "PARTIAL" not in p.name)
    assert len(archives) == 1, [p.name for p in out.iterdir()]
    with zipfile.ZipFile(archives[0]) as zf:
        return json.loads(zf.read("result.json"))["messages"], json.loads(zf.read("manifest.json"))


def stored_count(out: Path) -> int:
    stores = list((out / ".work").glob("*/messages.sqlite"))
    if not stores:
        return 0
    try:
        with sqlite3.connect(f"file:{stores[0]}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    except sqlite3.Error:
        return 0


class ExporterProcess:
    def __init__(self, session: Path, out: Path, target: str, *extra: str) -> None:
        self.args = [sys.executable, "-m", "exporter", "--session-file", str(session), "export", target]
        self.args += ["--out", str(out), "--format", "json,html,md", *extra]
        self.lines: list[str] = []

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )

    async def wait_for_line(self, text: str, limit: float = 60) -> None:
        async def scan() -> None:
            while True:
                line = await self.process.stderr.readline()
                if not line:
                    raise AssertionError(f"exporter ended before printing {text!r}: {self.lines[-5:]}")
                self.lines.append(line.decode())
                if text in self.lines[-1]:
                    return

        await asyncio.wait_for(scan(), limit)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    async def finish(self, limit: float = 120) -> int:
        await asyncio.wait_for(self.process.communicate(), limit)
        return self.process.returncode


async def run_to_end(session: Path, out: Path, target: str, *extra: str) -> int:
    process = ExporterProcess(session, out, target, *extra)
    await process.start()
    return await process.finish()


@pytest.fixture
def session(cluster: Cluster, tmp_path: Path) -> Path:
    return cluster.write_session_file(tmp_path / "session.json")


@pytest.mark.parametrize("target", [CHANNEL, FORUM])
async def test_killed_while_fetching_resumes_exactly(
    cluster: Cluster, world: World, session: Path, tmp_path: Path, target: str
) -> None:
    out = tmp_path / "out"
    cluster.network.latency = 0.01
    process = ExporterProcess(session, out, target)
    await process.start()
    for _ in range(600):
        if stored_count(out) > 1_000:
            break
        await asyncio.sleep(0.02)
    process.kill()
    await process.finish()
    stored = stored_count(out)
    assert 0 < stored < len(truth(world, target)), "the kill should land mid-fetch"
    requests_before = cluster.calls["messages.getHistory"] + cluster.calls["messages.getReplies"]

    assert await run_to_end(session, out, target) == 0
    messages, manifest = archive_messages(out)
    assert [(m["id"], m.get("topic_id")) for m in messages] == truth(world, target)
    assert manifest["complete"] is True
    # It continued rather than starting again: pages for what was missing, plus per range at
    # most a partial page and the empty page that ends it.
    resumed = cluster.calls["messages.getHistory"] + cluster.calls["messages.getReplies"] - requests_before
    chat = world.by_username(target.lstrip("@"))
    ranges = len(chat.topics) if chat.topics else 3
    assert resumed <= (len(truth(world, target)) - stored) / 100 + 2 * ranges + 2
    assert not (out / ".work").exists() or not any((out / ".work").iterdir())


@pytest.mark.parametrize("phase", ["rendering", "packaging"])
async def test_killed_while_rendering_or_packaging_resumes_exactly(
    world: World, session: Path, tmp_path: Path, phase: str
) -> None:
    out = tmp_path / "out"
    process = ExporterProcess(session, out, FORUM)
    await process.start()
    await process.wait_for_line(phase)
    if phase == "packaging":
        # Killed once its zip is begun. Killed on the line alone it mostly died before; under
        # load it did not, and its .partial stayed beside the rerun's archive.
        for _ in range(2000):
            if list(out.glob("*.zip.partial")) or process.process.returncode is not None:
                break
            await asyncio.sleep(0.002)
        assert list(out.glob("*.zip.partial")), "the export ended before its zip was begun"
    process.kill()
    await process.finish()
    assert not list(out.glob("*.zip")), "nothing that looks like a finished archive may be left"

    assert await run_to_end(session, out, FORUM) == 0
    messages, manifest = archive_messages(out)
    assert [(m["id"], m.get("topic_id")) for m in messages] == truth(world, FORUM)
    assert manifest["complete"] is True
    assert not list(out.glob("*.partial"))


async def test_dropped_connections_mid_export_lose_nothing(
    cluster: Cluster, world: World, session: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    cluster.network.latency = 0.01
    process = ExporterProcess(session, out, CHANNEL)
    await process.start()
    for _ in range(600):
        if stored_count(out) > 2_000:
            break
        await asyncio.sleep(0.02)
    assert cluster.drop_connections() >= 1
    assert await process.finish() == 0
    messages, manifest = archive_messages(out)
    assert [(m["id"], m.get("topic_id")) for m in messages] == truth(world, CHANNEL)
    assert manifest["complete"] is True


async def test_a_tiny_bloom_filter_loses_nothing(
    client: TelegramClient, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filter of 50 ids at a 50 % error rate answers "maybe" all the time: every one is
    confirmed against the store, so nothing is skipped that was not stored."""
    target = await resolve_target(client, parse_target(FORUM))
    options = ExportOptions(formats=("json",), bloom_capacity=50, bloom_error_rate=0.5)
    confirmations: list[int] = []
    from db.store import ExportStore

    original = ExportStore.present

    def counting_present(self: ExportStore, ids: list[int]) -> set[int]:
        confirmations.append(len(ids))
        return original(self, ids)

    monkeypatch.setattr(ExportStore, "present", counting_present)
    result = await export_chat(client, target, options, tmp_path)
    with zipfile.ZipFile(result.parts[0].path) as zf:
        messages = json.loads(zf.read("result.json"))["messages"]
    assert [(m["id"], m["topic_id"]) for m in messages] == truth(world, FORUM)
    assert sum(confirmations) > 100, "the tiny filter should have said 'maybe' often"


def test_seen_filter_never_calls_a_stored_id_new() -> None:
    seen = SeenFilter(10_000, error_rate=0.01)
    stored = range(1, 10_000, 3)
    seen.add_all(stored)
    assert all(seen.maybe_seen(i) for i in stored)
    assert seen.check_and_add_page(list(stored)) == list(stored)
    new = list(range(2, 10_000, 3))
    maybe = seen.check_and_add_page(new)
    assert len(maybe) < 100, "most new ids should read as definitely new"
    assert seen.check_and_add_page(new) == new
    assert seen.check_and_add_page([]) == []
    tight = SeenFilter(10_000_000, error_rate=0.0001, memory_bound=64 * 1024)
    assert tight.error_rate > 0.0001  # the memory bound wins; more lookups, same answers


async def test_incremental_export_brings_exactly_the_new_messages(
    world: World, session: Path, tmp_path: Path
) -> None:
    out, data = tmp_path / "out", tmp_path / "data"
    for target in (CHANNEL, FORUM):
        assert await run_to_end(session, out, target, "--incremental", "--data-dir", str(data)) == 0
    for archive in out.glob("*.zip"):
        archive.unlink()

    channel = world.by_username("resume_channel_sandbox")
    forum = world.by_username("resume_forum_sandbox")
    new_channel = world.add_messages(channel.peer_id, 37)
    topic = sorted(forum.topics)[3]
    new_forum = sorted([(i, topic) for i in world.add_messages(forum.peer_id, 11, topic)] +
                       [(i, 1) for i in world.add_messages(forum.peer_id, 5, 1)])  # fmt: skip

    assert await run_to_end(session, out, CHANNEL, "--incremental", "--data-dir", str(data)) == 0
    messages, manifest = archive_messages(out)
    assert [m["id"] for m in messages] == new_channel
    assert manifest["incremental"]["after_ids"]["chat"] == new_channel[0] - 1
    for archive in out.glob("*.zip"):
        archive.unlink()

    assert await run_to_end(session, out, FORUM, "--incremental", "--data-dir", str(data)) == 0
    messages, manifest = archive_messages(out)
    assert [(m["id"], m["topic_id"]) for m in messages] == new_forum
    assert manifest["incremental"]["after_ids"][str(topic)] < new_forum[0][0]


async def test_partial_export_keeps_its_store_and_resumes_but_not_with_other_options(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    from exporter.errors import ExportError
    from sandbox.netmodel import parse_fault

    target = await resolve_target(client, parse_target(CHANNEL))
    work = tmp_path / "work"
    options = ExportOptions(formats=("json",))
    cluster.network.add_fault(parse_fault("messages.getHistory@6=420:FLOOD_WAIT_3600*1000"))
    partial = await export_chat(client, target, options, tmp_path, work_dir=work)
    assert not partial.complete and "wait 1 h 0 min" in partial.reason
    assert (work / "messages.sqlite").exists()

    with pytest.raises(ExportError, match="another export"):
        await export_chat(client, target, ExportOptions(formats=("json", "md")), tmp_path, work_dir=work)

    cluster.network.faults.clear()
    result = await export_chat(client, target, options, tmp_path, work_dir=work)
    assert result.complete
    with zipfile.ZipFile(result.parts[0].path) as zf:
        messages = json.loads(zf.read("result.json"))["messages"]
    assert [(m["id"], m.get("topic_id")) for m in messages] == truth(world, CHANNEL)
    assert not work.exists()
