"""Forum topic lists as Telegram pages them, read by the real Telethon over TCP.

core.telegram.org/constructor/messages.forumTopics: topics come newest activity first, or by
creation date when the answer sets ``order_by_create_date`` (then ``offset_date`` is the creation
date); pinned topics lead the list.
"""

from __future__ import annotations

import pytest
from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter.streams import list_topics
from sandbox.api.messages import topic_top_message
from sandbox.cluster import Cluster
from sandbox.world import ChatSpec, World, WorldSpec, build_scenario, build_world

FORUM = "topics_forum_sandbox"


@pytest.fixture
def world() -> World:
    return build_world(
        WorldSpec(chats=[ChatSpec("forum", "Topics", FORUM, messages=2_000, topics=129)], contacts=3)
    )


async def naive_pass(client: TelegramClient, peer: object) -> list[T.ForumTopic]:
    """What a client that trusts one walk down the list gets (our listing before issue 11)."""
    seen: dict[int, T.ForumTopic] = {}
    offset_date, offset_id, offset_topic = None, 0, 0
    while True:
        result = await client(
            F.messages.GetForumTopicsRequest(peer, offset_date, offset_id, offset_topic, 100)
        )
        new = [t for t in result.topics if t.id not in seen]
        if not new:
            return list(seen.values())
        seen.update((t.id, t) for t in new)
        last = new[-1]
        dates = {m.id: m.date for m in result.messages}
        offset_date, offset_id, offset_topic = dates[last.top_message], last.top_message, last.id


async def test_topics_come_by_last_activity_with_the_pinned_one_first(
    client: TelegramClient, world: World
) -> None:
    forum = world.by_username(FORUM)
    peer = await client.get_input_entity(FORUM)
    listed = await naive_pass(client, peer)
    pinned = [t.id for t in forum.topics.values() if t.pinned]
    assert len(pinned) == 1 and [t.id for t in listed[:1]] == pinned
    rest = [t for t in listed if not t.pinned]
    assert [t.top_message for t in rest] == sorted((t.top_message for t in rest), reverse=True)
    assert sorted(t.id for t in listed) == sorted(forum.topics)

    # A new message in the quietest topic moves it to the front (after the pinned one).
    quiet = rest[-1].id
    world.add_messages(forum.peer_id, 1, quiet)
    first = await client(F.messages.GetForumTopicsRequest(peer, None, 0, 0, 3))
    assert [t.id for t in first.topics][:2] == [pinned[0], quiet]
    assert not first.order_by_create_date


async def test_creation_order_pages_by_creation_date(client: TelegramClient, world: World) -> None:
    forum = world.by_username(FORUM)
    forum.topics_by_create_date = True
    peer = await client.get_input_entity(FORUM)
    ids: list[int] = []
    offset_date, offset_topic = None, 0
    while True:
        result = await client(F.messages.GetForumTopicsRequest(peer, offset_date, 0, offset_topic, 50))
        if not result.topics:
            break
        assert result.order_by_create_date
        ids += [t.id for t in result.topics]
        offset_date, offset_topic = result.topics[-1].date, result.topics[-1].id
    pinned = [t.id for t in forum.topics.values() if t.pinned]
    assert ids == pinned + sorted(set(forum.topics) - set(pinned), reverse=True)


@pytest.mark.parametrize("by_create_date", [False, True])
async def test_the_exporter_lists_every_topic_once_while_the_forum_reorders(
    by_create_date: bool, tmp_path: object
) -> None:
    """In the live forum, topics jump to the front while they are paged: one walk misses some,
    the exporter's listing misses none (and needs a single pass in creation order)."""
    from exporter.client import SessionFile, build_client

    live = build_scenario("live-forum")
    forum = live.by_username("live_forum_sandbox")
    forum.topics_by_create_date = by_create_date
    assert live.live is not None
    # one message per topic-list request: every page sees a topic jump
    live.live.every = 1
    TelegramClient._config = None
    async with Cluster(live) as running:
        client = build_client(
            SessionFile.from_payload(running.session_file_payload(running.session_string()))
        )
        async with client:
            peer = await client.get_input_entity("live_forum_sandbox")
            naive = await naive_pass(client, peer)
            calls = running.calls["messages.getForumTopics"]
            topics, _, _ = await list_topics(client, peer)
            passes_calls = running.calls["messages.getForumTopics"] - calls
    assert sorted(t.id for t in topics) == sorted(forum.topics)
    assert len(topics) == len({t.id for t in topics})
    # Activity order defeats a single walk; in creation order, a walk that ignores the answer's
    # order_by_create_date pages by the wrong date and skips topics too.
    assert len(naive) < len(forum.topics)
    if by_create_date:
        assert passes_calls == 2  # 130 topics, at most 100 a page: one pass
    else:
        assert passes_calls > 2
    # The sandbox's idea of each topic's last message moved on: the listing saw real activity.
    assert any(topic_top_message(forum, t) > t.id for t in forum.topics.values())
