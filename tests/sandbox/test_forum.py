"""Forum topics: listing pages past 100, and each topic's replies against the ground truth."""

from __future__ import annotations

import pytest
from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.cluster import Cluster
from sandbox.world import ChatSpec, World, WorldSpec, build_world, expected_messages


@pytest.fixture
def world() -> World:
    return build_world(
        WorldSpec(
            chats=[
                ChatSpec("forum", "Big forum", "big_forum_sandbox", messages=4_000, topics=130),
                ChatSpec("channel", "Some channel", "some_channel_sandbox", messages=700),
            ],
            contacts=3,
        )
    )


async def test_forum_topics_page_past_one_hundred_and_replies_match(
    cluster: Cluster, client: TelegramClient, world: World
) -> None:
    forum = world.by_username("big_forum_sandbox")
    peer = await client.get_input_entity("big_forum_sandbox")
    seen: dict[int, T.ForumTopic] = {}
    offset_date, offset_id, offset_topic = None, 0, 0
    while True:
        result = await client(
            F.messages.GetForumTopicsRequest(peer, offset_date, offset_id, offset_topic, 100)
        )
        new = [t for t in result.topics if t.id not in seen]
        if not new:
            break
        seen.update((t.id, t) for t in new)
        dates = {m.id: m.date for m in result.messages}
        offset_date, offset_id, offset_topic = dates[new[-1].top_message], new[-1].top_message, new[-1].id
        assert result.count == len(forum.topics)
    assert sorted(seen) == sorted(forum.topics) and len(seen) > 100 and 1 in seen
    assert cluster.calls["messages.getForumTopics"] >= 3

    for topic_id in [1, *sorted(forum.topics)[1:4]]:
        expected = [msg_id for msg_id, _ in expected_messages(world, forum, topic_id)]
        got = [
            m.id
            async for m in client.iter_messages(
                peer, reply_to=topic_id, limit=None, wait_time=0, reverse=True
            )
        ]
        assert got == expected, topic_id
        for msg_id in got[:50]:
            assert world.topic_of(forum, msg_id) == topic_id


async def test_replies_follow_the_paging_rules_with_every_bound(client: TelegramClient, world: World) -> None:
    import random

    from sandbox.api.paging import page

    rng = random.Random(5)
    forum = world.by_username("big_forum_sandbox")
    peer = await client.get_input_entity("big_forum_sandbox")
    for topic in list(forum.topics.values())[:6]:
        visible = {msg_id for msg_id, _ in expected_messages(world, forum, topic.id)}
        top = topic.ids.last
        for _ in range(8):
            request = {
                "offset_id": rng.choice([0, rng.randint(1, top + 5)]),
                "add_offset": rng.choice([0, -100, -rng.randint(1, 40)]),
                "limit": rng.choice([100, rng.randint(1, 100)]),
                "max_id": rng.choice([0, rng.randint(1, top + 5)]),
                "min_id": rng.choice([0, rng.randint(1, top)]),
            }
            result = await client(
                F.messages.GetRepliesRequest(peer, topic.id, offset_date=None, hash=0, **request)
            )
            assert [m.id for m in result.messages] == [i for i in page(topic.ids, **request) if i in visible]
            assert result.count == len(visible)


async def test_full_channel_and_full_chat(client: TelegramClient, world: World) -> None:
    forum = world.by_username("big_forum_sandbox")
    full = await client(F.channels.GetFullChannelRequest(await client.get_input_entity("big_forum_sandbox")))
    assert full.full_chat.id == forum.bare_id
    assert full.chats[0].forum
    assert 0 < full.full_chat.read_inbox_max_id <= forum.slots.last
