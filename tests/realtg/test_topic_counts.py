"""A whole forum's topic counts are asked once reading is done, with the real Telethon over TCP.

Nothing while reading a whole forum needs them (it is read by id ranges), and under a flood limit
each is a request that reading would otherwise have had (exporter/topics.py).  They still check
every topic, through the takeout when the export reads through one, and a count Telegram refuses
makes the archive incomplete and says why, with every message in it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter.export import Progress, export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from sandbox.world import World, expected_messages
from tests.exporter.test_export_e2e import exported, ids_of

FORUM = "project_forum_sandbox"
COUNTS = "messages.getReplies"  # a whole forum's history is read with messages.getHistory


@pytest.mark.parametrize("takeout", [False, True], ids=["client", "takeout"])
async def test_a_whole_forum_is_counted_after_reading_and_checked_topic_by_topic(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path, takeout: bool
) -> None:
    forum = world.by_username(FORUM)
    target = await resolve_target(client, parse_target(f"@{FORUM}"))
    if takeout:
        cluster.confirm_takeout()  # "Allow" in the service message on the phone
    asked_while_reading: list[int] = []

    def listen(progress: Progress) -> None:
        if progress.phase == "fetching":
            asked_while_reading.append(cluster.calls[COUNTS])

    result = await export_chat(
        client, target, ExportOptions(formats=("json",), takeout=takeout), tmp_path, on_progress=listen
    )
    assert asked_while_reading and set(asked_while_reading) == {0}
    assert cluster.calls[COUNTS] == len(forum.topics)
    # Through the takeout: closed before the counts, they could not have been asked at all.
    assert result.complete, result.reason
    truth = list(expected_messages(world, forum))
    assert ids_of(exported(result)) == truth
    for entry in result.manifest["topics"]:
        assert entry["expected"] == entry["written"] == sum(1 for _, t in truth if t == entry["id"]), entry


async def test_a_refused_count_leaves_every_message_in_an_archive_that_says_it_is_unchecked(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    forum = world.by_username(FORUM)
    target = await resolve_target(client, parse_target(f"@{FORUM}"))
    cluster.network.add_fault(parse_fault(f"{COUNTS}@2=400:CHANNEL_PRIVATE"))
    result = await export_chat(client, target, ExportOptions(formats=("json",)), tmp_path)
    assert not result.complete
    assert result.reason is not None and "Traceback" not in result.reason
    assert result.manifest["reason"] == result.reason
    assert result.parts[0].path.name.endswith(".PARTIAL.zip")
    assert ids_of(exported(result)) == list(expected_messages(world, forum))
