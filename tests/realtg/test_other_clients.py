"""Issue 11, point 11: a backup tool written by someone else runs against the sandbox unmodified.

The script below is plain Telethon (nothing from exporter/): it walks the account as typical
backup tools do and must run to the end, with answers that agree with the sandbox's world.
"""

from __future__ import annotations

import asyncio
import struct
from collections import Counter, defaultdict

import pytest
from telethon import TelegramClient, errors
from telethon.client import telegrambaseclient
from telethon.sessions import StringSession
from telethon.tl import TLRequest
from telethon.tl import functions as F
from telethon.tl import types as T
from telethon.tl.alltlobjects import LAYER

from sandbox.cluster import SANDBOX_API_HASH, SANDBOX_API_ID, Cluster
from sandbox.world import World, describe
from sandbox.world.userpics import user_photo_id


async def backup_like_script(session: str) -> dict[str, object]:
    """What a third-party backup tool does, written as its authors would; returns what it saw."""
    seen: dict[str, object] = {}
    async with TelegramClient(StringSession(session), SANDBOX_API_ID, SANDBOX_API_HASH) as client:
        me = await client.get_me()
        seen["filters"] = await client(F.messages.GetDialogFiltersRequest())
        seen["contacts"] = await client(F.contacts.GetContactsRequest(hash=0))
        seen["top_peers"] = await client(
            F.contacts.GetTopPeersRequest(offset=0, limit=20, hash=0, correspondents=True, groups=True)
        )
        seen["authorizations"] = await client(F.account.GetAuthorizationsRequest())
        seen["web_authorizations"] = await client(F.account.GetWebAuthorizationsRequest())
        seen["my_photos"] = await client.get_profile_photos("me")
        seen["pinned_stories"] = await client(F.stories.GetPinnedStoriesRequest("me", offset_id=0, limit=100))
        seen["stories_archive"] = await client(
            F.stories.GetStoriesArchiveRequest("me", offset_id=0, limit=100)
        )
        seen["ringtones"] = await client(F.account.GetSavedRingtonesRequest(hash=0))
        messages: Counter[int] = Counter()
        outgoing: Counter[int] = Counter()
        members: dict[int, tuple[int, int] | None] = {}
        senders: dict[int, set[int]] = defaultdict(set)
        admin_log: dict[int, str] = {}
        async for dialog in client.iter_dialogs():
            async for message in client.iter_messages(dialog, limit=None):
                messages[dialog.id] += 1
                outgoing[dialog.id] += bool(message.out)
                # Telegram sends outgoing private messages without from_id; Telethon leaves
                # sender_id unset for them, and tools fall back to the account.
                senders[dialog.id].add(message.sender_id or (me.id if message.out else dialog.id))
            if dialog.is_group or dialog.is_channel:
                try:
                    listed_members = await client.get_participants(dialog)
                    members[dialog.id] = (len(listed_members), listed_members.total)
                except errors.ChatAdminRequiredError:
                    members[dialog.id] = None
            if dialog.is_channel:
                try:
                    await client.get_admin_log(dialog, limit=10)
                    admin_log[dialog.id] = "read"
                except errors.ChatAdminRequiredError as exc:
                    admin_log[dialog.id] = type(exc).__name__
        seen.update(
            me=me, messages=messages, outgoing=outgoing, senders=senders, members=members, admin_log=admin_log
        )
    return seen


@pytest.fixture
async def seen(cluster: Cluster) -> dict[str, object]:
    return await backup_like_script(cluster.session_string())


async def test_a_backup_tool_runs_to_the_end_and_agrees_with_the_world(
    seen: dict[str, object], world: World
) -> None:
    truth = {c["peer_id"]: c for c in describe(world)["chats"] if c["exportable"]}
    listed = seen["messages"]
    assert dict(listed) == {peer: c["message_count"] for peer, c in truth.items() if peer in listed}
    private = [c for c in world.chats.values() if c.kind in ("private", "saved")]
    assert all(seen["outgoing"][c.peer_id] > 0 for c in private if len(c.slots) > 20)
    me = world.me.id
    assert all(seen["senders"][c.peer_id] <= {me, c.peer_id} for c in private if c.peer_id in listed)
    contacts = seen["contacts"]
    assert sorted(u.id for u in contacts.users) == sorted(world.contact_ids)
    assert all(isinstance(p, T.TopPeerCategoryPeers) for p in seen["top_peers"].categories)
    [current] = [a for a in seen["authorizations"].authorizations if a.current]
    assert current.api_id == SANDBOX_API_ID
    assert seen["web_authorizations"].authorizations == []
    assert seen["filters"].filters and isinstance(seen["filters"].filters[0], T.DialogFilterDefault)
    assert seen["pinned_stories"].count == seen["stories_archive"].count == 0
    for chat in world.chats.values():
        if chat.peer_id not in seen["members"]:
            continue
        if chat.kind == "channel":
            assert seen["members"][chat.peer_id] is None  # only admins list a channel's subscribers
        else:
            # The members the world knows, and the count getFullChannel/getFullChat report.
            assert seen["members"][chat.peer_id] == (len(set(chat.member_ids)), chat.participants), chat.title
    assert set(seen["admin_log"].values()) == {"ChatAdminRequiredError"}


class MethodOfALaterLayer(TLRequest):
    """A request whose constructor the sandbox's schema does not have (as a newer client may send)."""

    CONSTRUCTOR_ID = 0x0BADC0DE
    SUBCLASS_OF_ID = 0x8AF52AAC

    def _bytes(self) -> bytes:
        return struct.pack("<I", self.CONSTRUCTOR_ID)


async def test_a_client_of_another_layer_gets_a_clear_error_not_a_dropped_connection(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telegrambaseclient, "LAYER", LAYER - 40)
    client = TelegramClient(StringSession(cluster.session_string()), SANDBOX_API_ID, SANDBOX_API_HASH)
    with pytest.raises(errors.InputLayerInvalidError):
        await client.connect()
    await client.disconnect()
    assert cluster.stats()["dropped_connections"] == 0


async def test_an_unknown_method_is_refused_and_the_connection_stays(cluster: Cluster) -> None:
    async with TelegramClient(
        StringSession(cluster.session_string()), SANDBOX_API_ID, SANDBOX_API_HASH
    ) as client:
        with pytest.raises(errors.InputMethodInvalidError):
            # A dropped connection would have Telethon resend it forever: bound the wait.
            await asyncio.wait_for(client(MethodOfALaterLayer()), 10)
        # Sent together in one container: only the unknown one is refused.
        me, refused = await asyncio.gather(
            client.get_me(), client(MethodOfALaterLayer()), return_exceptions=True
        )
        assert me.id == cluster.world.me.id and isinstance(refused, errors.InputMethodInvalidError)
        assert (await client.get_me()).id == cluster.world.me.id
    assert cluster.stats()["connections"] == 1


async def test_what_tools_ask_about_people_members_and_replies_agrees_with_the_world(
    client: TelegramClient, world: World
) -> None:
    """The finer questions tools ask: a contact's full profile, photos and stories; a group's admins,
    bots, contacts and members found by name; the message a reply points at; a channel's updates."""
    group = world.by_username("py_meetup_sandbox")
    assert group is not None
    members = list(dict.fromkeys(group.member_ids))
    # As a tool starts: the dialogs and the contacts (Telethon learns their access hashes).
    await client.get_dialogs(limit=None)
    await client(F.contacts.GetContactsRequest(hash=0))
    contact = await client.get_input_entity(world.contact_ids[0])
    channel = await client.get_input_entity(group.peer_id)
    full = await client(F.users.GetFullUserRequest(contact))
    assert full.full_user.id == world.contact_ids[0] and [u.id for u in full.users] == [world.contact_ids[0]]
    with pytest.raises(errors.UserIdInvalidError):
        await client(F.users.GetFullUserRequest(T.InputUser(contact.user_id, contact.access_hash + 1)))
    [user] = await client(F.users.GetUsersRequest([contact]))
    assert user.id == world.contact_ids[0]
    # The contact's photos are the world's: its one current photo, or none (sandbox/world/userpics.py).
    photo_id = user_photo_id(world.users[world.contact_ids[0]])
    assert [p.id for p in await client.get_profile_photos(contact)] == ([photo_id] if photo_id else [])
    stories = await client(F.stories.GetPeerStoriesRequest(contact))
    assert stories.stories.peer == T.PeerUser(world.contact_ids[0]) and stories.stories.stories == []

    def ids(found: list[object]) -> list[int]:
        return sorted(u.id for u in found)  # type: ignore[attr-defined]

    # The creator is the first member after the account (sandbox/api/participants.py).
    assert ids(await client.get_participants(channel, filter=T.ChannelParticipantsAdmins())) == [members[1]]
    bots = [uid for uid in members if world.users[uid].bot]
    assert bots and ids(await client.get_participants(channel, filter=T.ChannelParticipantsBots())) == bots
    contacts = sorted(uid for uid in members if world.users[uid].contact)
    assert ids(await client.get_participants(channel, filter=T.ChannelParticipantsContacts(q=""))) == contacts
    someone = world.users[members[-1]]
    named = ids(await client.get_participants(channel, search=someone.first_name))
    assert someone.id in named and all(someone.first_name.casefold() in world.users[u].first_name.casefold()
                                       + " " + (world.users[u].last_name or "").casefold()
                                       + " " + (world.users[u].username or "").casefold() for u in named)  # fmt: skip
    with pytest.raises(errors.ChatAdminRequiredError):
        await client.get_participants(channel, filter=T.ChannelParticipantsKicked(q=""))

    # A reply's target, asked for by the reply (InputMessageReplyTo), and the pinned message.
    reply = next(i for i in group.slots if getattr(world.message(group, i).reply_to, "reply_to_msg_id", None))
    target = world.message(group, reply).reply_to.reply_to_msg_id
    found = await client(F.channels.GetMessagesRequest(channel, [T.InputMessageReplyTo(reply)]))
    assert [m.id for m in found.messages] == [target]
    pinned = await client(F.channels.GetMessagesRequest(channel, [T.InputMessagePinned()]))
    # guess (sandbox/api/messages.py): nothing is pinned in the sandbox's chats.
    assert [type(m) for m in pinned.messages] == [T.MessageEmpty]

    # Catching up on a channel after a reconnect: nothing happened meanwhile.
    difference = await client(
        F.updates.GetChannelDifferenceRequest(channel, T.ChannelMessagesFilterEmpty(), 1, 100)
    )
    assert isinstance(difference, T.updates.ChannelDifferenceEmpty) and difference.pts == world.pts
