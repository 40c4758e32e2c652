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
