"""The sandbox's discussion groups as the real Telethon client sees them over TCP."""

from __future__ import annotations

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.world import Chat, World, build_scenario
from sandbox.world.discussion import HOT_COMMENTS, expected_comments


@pytest.fixture
def world() -> World:
    return build_scenario("discussion")


def _chat(world: World, username: str) -> Chat:
    chat = world.by_username(username)
    assert isinstance(chat, Chat)
    return chat


async def test_channel_and_group_name_each_other(client: TelegramClient, world: World) -> None:
    channel, group = _chat(world, "tech_notes_sandbox"), _chat(world, "tech_notes_chat_sandbox")
    full = await client(
        F.channels.GetFullChannelRequest(await client.get_input_entity("@" + channel.username))
    )
    assert full.full_chat.linked_chat_id == group.bare_id
    back = await client(F.channels.GetFullChannelRequest(await client.get_input_entity("@" + group.username)))
    assert back.full_chat.linked_chat_id == channel.bare_id
    assert all(c.has_link for c in back.chats if c.id in (channel.bare_id, group.bare_id))
    quiet = _chat(world, "quiet_notes_sandbox")
    alone = await client(
        F.channels.GetFullChannelRequest(await client.get_input_entity("@" + quiet.username))
    )
    assert alone.full_chat.linked_chat_id is None


async def test_get_replies_pages_every_comment_of_each_post(client: TelegramClient, world: World) -> None:
    channel = _chat(world, "tech_notes_sandbox")
    truth = expected_comments(channel)
    assert any(not c for c in truth.values()), "some posts have no comments"
    assert max(map(len, truth.values())) == HOT_COMMENTS > 100
    peer = await client.get_input_entity("@" + channel.username)
    posts = {m.id: m for m in await client.get_messages(peer, limit=None, wait_time=0)}
    for post, comments in truth.items():
        replies = posts[post].replies
        assert replies.comments and replies.replies == len(comments)
        assert replies.max_id == (comments[-1] if comments else None)
        got = [m.id async for m in client.iter_messages(peer, reply_to=post, reverse=True, wait_time=0)]
        assert got == comments
    # Posts from before the group was linked have no comment section at all.
    unthreaded = [m for i, m in posts.items() if i not in truth and isinstance(m, T.Message)]
    assert unthreaded and all(m.replies is None for m in unthreaded)
    with pytest.raises(errors.MsgIdInvalidError):
        await client(F.messages.GetRepliesRequest(peer, unthreaded[0].id, 0, None, 0, 100, 0, 0, 0))


async def test_comments_reply_within_their_thread(client: TelegramClient, world: World) -> None:
    channel = _chat(world, "tech_notes_sandbox")
    d = channel.discussion
    assert d is not None
    hot = next(p for p, c in expected_comments(channel).items() if len(c) == HOT_COMMENTS)
    peer = await client.get_input_entity("@" + channel.username)
    first = await client(F.messages.GetRepliesRequest(peer, hot, 0, None, 0, 100, 0, 0, 0))
    assert first.count == HOT_COMMENTS and len(first.messages) == 100
    top = d.forward_of[hot]
    nested = 0
    async for m in client.iter_messages(peer, reply_to=hot, wait_time=0):
        header = m.reply_to
        if header.reply_to_msg_id == top:
            assert header.reply_to_top_id is None
        else:
            nested += 1
            assert header.reply_to_top_id == top and d.thread_of[header.reply_to_msg_id] == hot
    assert nested > 10
    # The same thread asked of the group, by the forward that tops it.
    group = await client.get_input_entity("@" + d.group.username)
    from_group = [m.id async for m in client.iter_messages(group, reply_to=top, wait_time=0)]
    assert from_group == expected_comments(channel)[hot][::-1]
    found = await client(F.messages.GetDiscussionMessageRequest(peer, hot))
    (forward,) = found.messages
    assert forward.id == top and forward.fwd_from.channel_post == hot
    assert found.max_id == expected_comments(channel)[hot][-1]
