"""History, replies, dialogs and topics paging, message for message against the ground truth."""

from __future__ import annotations

import random

from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.api.paging import page
from sandbox.cluster import Cluster
from sandbox.world import World, expected_messages


def readable_chats(world: World) -> list:
    return [
        chat for chat in world.chats.values() if not chat.left and not chat.banned and len(chat.slots) > 2
    ]


async def test_every_chat_reads_completely_in_both_directions(
    cluster: Cluster, client: TelegramClient, world: World
) -> None:
    await client.get_dialogs(limit=None)  # caches every access hash, as a real client does
    for chat in readable_chats(world)[:7]:
        expected = [msg_id for msg_id, _ in expected_messages(world, chat)]
        entity = await client.get_input_entity(chat.peer_id)
        newest_first = [m.id async for m in client.iter_messages(entity, limit=None, wait_time=0)]
        oldest_first = [
            m.id async for m in client.iter_messages(entity, limit=None, wait_time=0, reverse=True)
        ]
        assert newest_first == expected[::-1], chat.title
        assert oldest_first == expected, chat.title


async def test_bounds_and_offsets_match_telegrams_rules(client: TelegramClient, world: World) -> None:
    """Raw getHistory with every paging field, against the paging rules applied to the ground truth."""
    rng = random.Random(3)
    await client.get_dialogs(limit=None)
    for chat in readable_chats(world)[:6]:
        peer = await client.get_input_entity(chat.peer_id)
        visible = [msg_id for msg_id, _ in expected_messages(world, chat)]
        top = chat.slots.last
        for _ in range(12):
            request = {
                "offset_id": rng.choice([0, rng.randint(1, top + 5)]),
                "add_offset": rng.choice([0, -100, -rng.randint(1, 60), rng.randint(1, 30)]),
                "limit": rng.choice([100, rng.randint(1, 120)]),
                "max_id": rng.choice([0, rng.randint(1, top + 5)]),
                "min_id": rng.choice([0, rng.randint(1, top)]),
            }
            result = await client(
                F.messages.GetHistoryRequest(peer=peer, offset_date=None, hash=0, **request)
            )
            got = [m.id for m in result.messages]
            slots = page(chat.slots, **request)
            assert got == [msg_id for msg_id in slots if msg_id in set(visible)], (chat.title, request)
            assert result.count == len(visible)


async def test_offset_date_pages_by_date(client: TelegramClient, world: World) -> None:
    chat = world.by_username("daily_digest_sandbox")
    peer = await client.get_input_entity("daily_digest_sandbox")
    visible = [msg_id for msg_id, _ in expected_messages(world, chat)]
    pivot = visible[len(visible) // 2]
    date = world.date_of(chat, pivot)
    messages = await client.get_messages(peer, limit=5, offset_date=date)
    window = [chat.slots.select(k) for k in range(len(chat.slots))]
    window = [i for i in window if world.date_of(chat, i) < date][::-1][:5]
    assert [m.id for m in messages] == [i for i in window if i in set(visible)]


async def test_result_types_follow_the_chat_kind(client: TelegramClient, world: World) -> None:
    await client.get_dialogs(limit=None)
    channel = await client.get_input_entity("daily_digest_sandbox")
    assert isinstance(
        await client(F.messages.GetHistoryRequest(channel, 0, None, 0, 100, 0, 0, 0)),
        T.messages.ChannelMessages,
    )
    private = next(c for c in world.chats.values() if c.kind == "private" and len(c.slots) > 100)
    peer = await client.get_input_entity(private.peer_id)
    assert isinstance(
        await client(F.messages.GetHistoryRequest(peer, 0, None, 0, 100, 0, 0, 0)), T.messages.MessagesSlice
    )
    tiny = next(c for c in world.chats.values() if c.kind == "private" and len(c.slots) <= 5)
    peer = await client.get_input_entity(tiny.peer_id)
    assert isinstance(
        await client(F.messages.GetHistoryRequest(peer, 0, None, 0, 100, 0, 0, 0)), T.messages.Messages
    )


async def test_channels_have_short_pages_in_the_middle(client: TelegramClient, world: World) -> None:
    """Restricted messages take a place in the window, as on real channels: never stop on a short page."""
    peer = await client.get_input_entity("daily_digest_sandbox")
    chat = world.by_username("daily_digest_sandbox")
    sizes = []
    offset = 1
    while True:
        result = await client(F.messages.GetHistoryRequest(peer, offset, None, -100, 100, 0, 0, 0))
        if not result.messages:
            break
        sizes.append(len(result.messages))
        offset = max(m.id for m in result.messages) + 1
    assert sum(sizes) == len(list(expected_messages(world, chat)))
    assert any(size < 100 for size in sizes[:-1]), sizes


async def test_dialogs_page_past_one_hundred(cluster: Cluster, client: TelegramClient, world: World) -> None:
    dialogs = await client.get_dialogs(limit=None)
    expected = {c.peer_id for c in world.chats.values() if not c.left and not c.banned and len(c.slots)}
    assert len(expected) > 100
    assert sorted(d.id for d in dialogs) == sorted(expected)
    assert len({d.id for d in dialogs}) == len(dialogs)
    assert cluster.calls["messages.getDialogs"] >= 2


async def test_messages_by_id_in_the_common_box_and_in_channels(client: TelegramClient, world: World) -> None:
    await client.get_dialogs(limit=None)
    group = next(c for c in world.chats.values() if c.kind == "group")
    wanted = [group.slots.select(k) for k in (0, 5, 50)]
    got = await client.get_messages(group.peer_id, ids=[*wanted, 10**9])
    assert [m.id for m in got[:3]] == wanted and got[3] is None
    channel = world.by_username("daily_digest_sandbox")
    got = await client.get_messages("daily_digest_sandbox", ids=[channel.slots.select(3), 10**8])
    assert got[0].id == channel.slots.select(3) and got[1] is None


async def test_basic_group_full_chat_lists_its_members(client: TelegramClient, world: World) -> None:
    group = next(c for c in world.chats.values() if c.kind == "group")
    full = await client(F.messages.GetFullChatRequest(group.bare_id))
    assert full.full_chat.id == group.bare_id
    assert {p.user_id for p in full.full_chat.participants.participants} == set(group.member_ids)
    assert {u.id for u in full.users} >= set(group.member_ids)
