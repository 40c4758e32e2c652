"""A forum that keeps receiving messages while it is exported, with the real Telethon over TCP.

An export is a snapshot: every message up to the newest one seen when it started, exact and in its
topic; everything newer left out, in every topic, and the manifest says how many per topic.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from sandbox.world import World, build_scenario, expected_messages
from tests.bot.conftest import Product
from tests.bot.test_jobs_and_admin import start_export
from tests.exporter.test_export_e2e import exported, ids_of, run_export

FORUM = "live_forum_sandbox"


@pytest.fixture
def world() -> World:
    return build_scenario("live-forum")


@pytest.mark.parametrize("topics", [None, (1, 2)], ids=["whole-forum", "two-topics"])
async def test_a_live_forum_exports_exactly_as_of_its_snapshot(
    client: TelegramClient, world: World, tmp_path: Path, topics: tuple[int, ...] | None
) -> None:
    forum = world.by_username(FORUM)
    assert world.live is not None
    if topics is not None:
        topics = (1, min(t for t in forum.topics if t != 1))
    result = await run_export(client, f"@{FORUM}", tmp_path, formats=("json",), topics=topics)
    world.live.paused = True  # the ground truth must hold still while we compare

    snapshot = result.manifest["snapshot"]["max_id"]
    arrived = world.live.arrived
    assert any(i <= snapshot for i in arrived), "messages arrived before the snapshot was taken"
    late = [i for i in arrived if i > snapshot]
    assert late, "messages arrived while the export ran"

    wanted = set(topics) if topics is not None else set(forum.topics)
    truth = [(i, t) for i, t in expected_messages(world, forum) if i <= snapshot and t in wanted]
    assert ids_of(exported(result)) == truth
    assert result.complete and result.manifest["complete"] is True

    assert {entry["id"] for entry in result.manifest["topics"]} == wanted
    late_topics = {world.topic_of(forum, i) for i in late}
    assert 1 in late_topics and len(late_topics) > 2  # General and topics both kept receiving
    for entry in result.manifest["topics"]:
        as_of_snapshot = sum(1 for _, t in truth if t == entry["id"])
        assert entry["written"] == entry["expected"] == as_of_snapshot, entry
        # Left out, every one of them, and counted once reading was done.
        newer_now = sum(1 for i in late if world.topic_of(forum, i) == entry["id"])
        assert 0 <= entry["newer_messages_left_out"] <= newer_now
    assert any(entry["newer_messages_left_out"] > 0 for entry in result.manifest["topics"])


async def test_a_resumed_live_export_keeps_its_first_snapshot(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    """Stopped by a long flood wait, then resumed while the forum went on: the export still covers
    exactly what it covered when it first started, and says so."""
    forum = world.by_username(FORUM)
    target = await resolve_target(client, parse_target(f"@{FORUM}"))
    work = tmp_path / "work"
    options = ExportOptions(formats=("json",))
    cluster.network.add_fault(parse_fault("messages.getHistory@3=420:FLOOD_WAIT_3600*1000"))
    partial = await export_chat(client, target, options, tmp_path, work_dir=work)
    assert not partial.complete
    first = partial.manifest["snapshot"]["max_id"]

    cluster.network.faults.clear()
    result = await export_chat(client, target, options, tmp_path, work_dir=work)
    assert world.live is not None
    world.live.paused = True
    assert result.complete and result.manifest["snapshot"]["max_id"] == first
    assert max(world.live.arrived) > first
    truth = [(i, t) for i, t in expected_messages(world, forum) if i <= first]
    assert ids_of(exported(result)) == truth
    # The topics are counted once reading is done: not after a reading that stopped, and after the
    # resumed one as of the first snapshot, everything since counted as left out.
    assert all(e["expected"] is None for e in partial.manifest["topics"])
    late = [i for i in world.live.arrived if i > first]
    for entry in result.manifest["topics"]:
        assert entry["written"] == entry["expected"] == sum(1 for _, t in truth if t == entry["id"])
        assert (
            0
            <= entry["newer_messages_left_out"]
            <= sum(1 for i in late if world.topic_of(forum, i) == entry["id"])
        )
    assert sum(e["newer_messages_left_out"] for e in result.manifest["topics"]) > 0


async def test_the_bot_summary_says_what_the_snapshot_left_out(product: Product, world: World) -> None:
    admin = product.admin
    await start_export(product, admin, f"@{FORUM}")
    summary = await product.reply(
        admin.id, lambda m: (m.text or "").startswith("Done: Live Forum"), timeout=60
    )
    assert world.live is not None
    world.live.paused = True
    assert "The chat is a snapshot up to message " in summary.text, summary.text
    assert "newer messages arrived while it was exported and are left out" in summary.text
    assert await product.archive(admin.id)
