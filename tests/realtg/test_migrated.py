"""A supergroup upgraded from a basic group (issue 11, point 4).

The sandbox keeps the older history in the basic group as Telegram does (channelFull.
migrated_from_chat_id / migrated_from_max_id in the TL schema; messageActionChatMigrateTo last in
the group, messageActionChannelMigrateFrom first in the supergroup). The exporter reads both as
Telegram Desktop does (export_api_wrap.cpp, requestSinglePeerMigrated): the group's messages first,
their ids written as id - 1,000,000,000, in result.json, HTML and Markdown alike."""

from __future__ import annotations

import re
from pathlib import Path

from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.world import MIGRATED_ID_SHIFT, Chat, World, expected_export_ids, expected_messages
from tests.exporter.test_export_e2e import archive_files, exported, run_export


def _upgraded(world: World) -> Chat:
    return next(c for c in world.chats.values() if c.migrated_from is not None)


async def test_the_sandbox_keeps_the_old_history_in_the_basic_group(
    client: TelegramClient, world: World
) -> None:
    supergroup = _upgraded(world)
    group = supergroup.migrated_from
    dialogs = {d.id for d in await client.get_dialogs(limit=None)}
    # both stay in the dialog list, the group deactivated and pointing to its supergroup: Desktop's
    # export merges such a group into its supergroup (export_data_types.cpp ParseDialogsInfo reads
    # migratedToChannelId, AddMigrateFromSlice)
    assert supergroup.peer_id in dialogs and group.peer_id in dialogs
    old_entity = await client.get_entity(group.peer_id)
    assert old_entity.deactivated and old_entity.migrated_to.channel_id == supergroup.bare_id
    entity = await client.get_entity(supergroup.peer_id)
    full = (await client(F.channels.GetFullChannelRequest(entity))).full_chat
    assert (full.migrated_from_chat_id, full.migrated_from_max_id) == (group.bare_id, group.slots.last)
    first = (await client.get_messages(entity, limit=1, reverse=True))[0]
    assert isinstance(first.action, T.MessageActionChannelMigrateFrom)
    assert first.action.chat_id == group.bare_id
    old = await client.get_messages(T.PeerChat(group.bare_id), limit=1)
    assert isinstance(old[0].action, T.MessageActionChatMigrateTo)
    assert old[0].action.channel_id == supergroup.bare_id


async def test_an_upgraded_supergroup_exports_both_histories_like_desktop(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    supergroup = _upgraded(world)
    group = supergroup.migrated_from
    await client.get_dialogs(limit=None)
    result = await run_export(
        client,
        f"@{supergroup.username}" if supergroup.username else str(supergroup.peer_id),
        tmp_path,
        formats=("json", "html", "md"),
    )
    messages = exported(result)
    expected = expected_export_ids(world, supergroup)
    old_count = len(list(expected_messages(world, group)))
    assert [m["id"] for m in messages] == expected
    assert all(i < 0 for i in expected[:old_count]) and all(i > 0 for i in expected[old_count:])
    assert messages[old_count - 1]["action"] == "migrate_to_supergroup"
    assert messages[old_count]["action"] == "migrate_from_group"
    # a reply inside the old group points to the shifted id, which the export holds
    ids = set(expected)
    old_replies = [m for m in messages[:old_count] if "reply_to_message_id" in m]
    assert old_replies and all(m["reply_to_message_id"] in ids for m in old_replies)
    manifest = result.manifest
    assert result.complete and manifest["complete"] is True
    assert manifest["messages"]["expected"] == manifest["messages"]["written"] == len(expected)
    # the step from the old group's ids to the supergroup's is no gap
    assert all((a < 0) == (b < 0) for a, b in manifest["messages"]["gaps"]["ranges"])
    assert manifest["messages"]["gaps"]["missing_ids"] < supergroup.slots.last + group.slots.last
    with archive_files(result) as zf:
        html = "".join(zf.read(n).decode() for n in sorted(zf.namelist()) if n.endswith(".html"))
        markdown = "".join(zf.read(n).decode() for n in sorted(zf.namelist()) if n.endswith(".md"))
    html_ids = [int(i) for i in re.findall(r'id="message(-?\d+)"', html)]
    assert html_ids == expected
    markdown_ids = [int(i) for i in re.findall(r"\^msg-(-?\d+)$", markdown, re.MULTILINE)]
    assert markdown_ids == expected
    assert expected[0] == next(iter(group.slots)) - MIGRATED_ID_SHIFT


async def test_an_interrupted_export_of_an_upgraded_group_resumes_exactly(tmp_path: Path) -> None:
    """The old group's stream stores shifted ids; resuming must page on from the real one."""
    from exporter.client import SessionFile, build_client
    from exporter.export import export_chat
    from exporter.options import ExportOptions
    from exporter.targets import parse_target, resolve_target
    from sandbox.cluster import Cluster
    from sandbox.netmodel import parse_fault
    from sandbox.world import ChatSpec, WorldSpec, build_world

    def world() -> World:
        # an old group of several pages, so an interruption can fall inside it
        group = ChatSpec("group", "Chess Club", messages=420, members=6)
        upgraded = ChatSpec(
            "supergroup", "Chess Club ♟", username="chess_sandbox", messages=150, migrated_from=0
        )
        return build_world(WorldSpec(contacts=5, chats=[group, upgraded]))

    async def export(work: Path, fault_at: int | None = None) -> tuple[object, int]:
        TelegramClient._config = None
        async with Cluster(world()) as cluster:
            if fault_at is not None:
                cluster.network.add_fault(
                    parse_fault(f"messages.getHistory@{fault_at}=420:FLOOD_WAIT_3600*1000")
                )
            client = build_client(
                SessionFile.from_payload(cluster.session_file_payload(cluster.session_string()))
            )
            async with client:
                target = await resolve_target(client, parse_target("@chess_sandbox"))
                options = ExportOptions(formats=("json",))
                result = await export_chat(client, target, options, tmp_path / "out", work_dir=work)
            return result, cluster.calls["messages.getHistory"]

    whole, calls = await export(tmp_path / "whole")
    truth = world()
    expected = expected_export_ids(truth, truth.by_username("chess_sandbox"))
    assert [m["id"] for m in exported(whole)] == expected
    # the last three history requests fail: the old group's last pages are missing
    partial, _ = await export(tmp_path / "work", fault_at=calls - 2)
    assert not partial.complete
    resumed, resumed_calls = await export(tmp_path / "work")
    assert resumed.complete and [m["id"] for m in exported(resumed)] == expected
    assert (
        resumed.manifest["messages"]["written"] == resumed.manifest["messages"]["expected"] == len(expected)
    )
    # it reads on from where it stopped (one request a page of 100 left, one more to see the end),
    # not the whole old group again
    left = len(expected) - partial.manifest["messages"]["written"]
    assert 0 < left and resumed_calls <= -(-left // 100) + 1 < calls


async def test_an_account_that_joined_after_the_upgrade_exports_the_supergroup_alone(tmp_path: Path) -> None:
    """The old group refuses an account that was never in it (CHAT_FORBIDDEN): the supergroup's
    own history is still exported, whole and complete."""
    from exporter.client import SessionFile, build_client
    from sandbox.cluster import Cluster
    from sandbox.world import ChatSpec, WorldSpec, build_world

    group = ChatSpec("group", "Chess Club", messages=40, members=6, left=True)
    upgraded = ChatSpec("supergroup", "Chess Club ♟", username="chess_sandbox", messages=60, migrated_from=0)
    world = build_world(WorldSpec(contacts=5, chats=[group, upgraded]))
    supergroup = world.by_username("chess_sandbox")
    TelegramClient._config = None
    async with Cluster(world) as cluster:
        client = build_client(
            SessionFile.from_payload(cluster.session_file_payload(cluster.session_string()))
        )
        async with client:
            result = await run_export(client, "@chess_sandbox", tmp_path, formats=("json",))
    own = [i for i, _ in expected_messages(world, supergroup)]
    assert [m["id"] for m in exported(result)] == own
    assert result.complete and result.manifest["messages"]["expected"] == len(own)


async def test_dates_choose_from_both_histories(client: TelegramClient, world: World, tmp_path: Path) -> None:
    """--since and --until pick messages by date across the upgrade; ids stay Desktop's."""
    import datetime as dt

    supergroup = _upgraded(world)
    group = supergroup.migrated_from
    old = [i for i, _ in expected_messages(world, group)]
    new = [i for i, _ in expected_messages(world, supergroup)]
    dated = [(world.date_of(group, i), i - MIGRATED_ID_SHIFT) for i in old]
    dated += [(world.date_of(supergroup, i), i) for i in new]
    await client.get_dialogs(limit=None)
    cases = [(dated[len(old) // 2][0], None), (None, dated[len(old) // 3][0]), (dated[10][0], dated[-10][0])]
    for n, (since, until) in enumerate(cases):
        options = {
            "since": since and dt.datetime.fromtimestamp(since, dt.UTC),
            "until": until and dt.datetime.fromtimestamp(until, dt.UTC),
        }
        result = await run_export(client, str(supergroup.peer_id), tmp_path / str(n), **options)
        wanted = [i for d, i in dated if (since is None or d >= since) and (until is None or d < until)]
        assert [m["id"] for m in exported(result)] == wanted, (since, until)
        assert result.complete


async def test_a_takeout_export_of_an_upgraded_supergroup_holds_both_histories(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    world.takeout_confirmed = True
    supergroup = _upgraded(world)
    await client.get_dialogs(limit=None)
    result = await run_export(client, str(supergroup.peer_id), tmp_path, takeout=True)
    assert [m["id"] for m in exported(result)] == expected_export_ids(world, supergroup)
    assert result.complete
