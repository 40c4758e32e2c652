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
    # the group itself is deactivated and out of the dialog list; the supergroup stands for both
    assert supergroup.peer_id in dialogs and group.peer_id not in dialogs
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
    with archive_files(result) as zf:
        html = "".join(zf.read(n).decode() for n in sorted(zf.namelist()) if n.endswith(".html"))
        markdown = "".join(zf.read(n).decode() for n in sorted(zf.namelist()) if n.endswith(".md"))
    html_ids = [int(i) for i in re.findall(r'id="message(-?\d+)"', html)]
    assert html_ids == expected
    markdown_ids = [int(i) for i in re.findall(r"\^msg-(-?\d+)$", markdown, re.MULTILINE)]
    assert markdown_ids == expected
    assert expected[0] == next(iter(group.slots)) - MIGRATED_ID_SHIFT
