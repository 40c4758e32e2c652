"""A pushed-down export stopped half-way resumes from its search cursor and is then complete, with
every answer Telegram counted read once (real Telethon against the sandbox)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from telethon import TelegramClient

from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from sandbox.world import World

from .test_filter_export import ZONE, _brute, _chat


async def test_a_stopped_search_resumes_from_its_cursor_and_counts_every_answer(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = _chat(world, "channel")
    query = "after:2020-01-01 -fwd"  # every day asked of Telegram, forwards left out here
    target = await resolve_target(client, parse_target(f"@{chat.username}"))
    options = ExportOptions(formats=("json",), media=(), time_zone=ZONE, filter=query, max_shards=1)
    work = tmp_path / "work"
    # The plan's count is the first search, the first page the second: the third is refused.
    cluster.network.add_fault(parse_fault("messages.search@3=420:FLOOD_WAIT_3600*1000"))
    partial = await export_chat(client, target, options, tmp_path, work_dir=work)
    assert not partial.complete
    cluster.network.faults.clear()
    before = cluster.calls["messages.search"]
    result = await export_chat(client, target, options, tmp_path, work_dir=work)
    assert result.complete, result.reason
    with zipfile.ZipFile(result.parts[0].path) as zf:
        messages = json.loads(zf.read("result.json"))["messages"]
        manifest = json.loads(zf.read("manifest.json"))
    assert [m["id"] for m in messages] == _brute(world, chat, query)
    searched = manifest["filter"]
    assert searched["read"] == searched["telegram_count"] > 200
    # Resumed after the first page: the other pages, not the first again.
    pages = -(-searched["telegram_count"] // 100)
    assert cluster.calls["messages.search"] - before == pages - 1


async def test_an_incremental_search_of_one_topic_starts_at_that_topics_checkpoint(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    forum = _chat(world, "forum")
    topic = max((t for t in forum.topics.values() if t.id != 1), key=lambda t: len(t.ids))
    ids = list(topic.ids)
    checkpoint = ids[len(ids) // 2]
    query = f"topic:{topic.id}"
    target = await resolve_target(client, parse_target(f"@{forum.username}"))
    # Delivered up to the middle of this topic; General (not listed) would be read whole.
    options = ExportOptions(
        formats=("json",), media=(), time_zone=ZONE, filter=query, after=((topic.id, checkpoint),)
    )
    result = await export_chat(client, target, options, tmp_path)
    assert result.complete, result.reason
    with zipfile.ZipFile(result.parts[0].path) as zf:
        messages = json.loads(zf.read("result.json"))["messages"]
    assert [m["id"] for m in messages] == [i for i in _brute(world, forum, query) if i > checkpoint]
