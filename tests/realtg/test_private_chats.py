"""Private chats and Saved Messages as Telegram sends them: outgoing messages carry `out` and no
`from_id` (Telethon's custom/message.py infers a sender only for incoming private messages), and the
export credits each message to whoever wrote it, as Telegram Desktop does."""

from __future__ import annotations

from pathlib import Path

from telethon import TelegramClient

from sandbox.world import Chat, World, expected_messages, expected_sender
from tests.exporter.test_export_e2e import archive_files, exported, run_export, target_of

HIDDEN_AUTHOR = 2666000  # TDLib SavedMessagesTopicId.cpp: HIDDEN_AUTHOR_DIALOG_ID


def _desktop_id(world: World, peer_id: int) -> str:
    if peer_id > 0:
        return f"user{peer_id}"
    chat = world.chats[peer_id]
    return f"{'chat' if chat.kind == 'group' else 'channel'}{chat.bare_id}"


def _name(world: World, peer_id: int) -> str:
    if peer_id > 0:
        user = world.users[peer_id]
        return f"{user.first_name} {user.last_name}" if user.last_name else user.first_name
    return world.chats[peer_id].title


def _assert_every_sender_right(world: World, chat: Chat, messages: list[dict]) -> None:
    assert [m["id"] for m in messages] == [i for i, _ in expected_messages(world, chat)]
    for record in messages:
        sender = expected_sender(world, chat, record["id"])
        key = ("actor", "actor_id") if record["type"] == "service" else ("from", "from_id")
        assert (record.get(key[0]), record.get(key[1])) == (
            _name(world, sender),
            _desktop_id(world, sender),
        ), record


def _largest(world: World, kind: str) -> Chat:
    return max((c for c in world.chats.values() if c.kind == kind), key=lambda c: len(c.slots))


async def test_a_private_chat_credits_outgoing_messages_to_the_account(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = _largest(world, "private")
    ids = [i for i, _ in expected_messages(world, chat)]
    outgoing = [i for i in ids if world.message(chat, i).out]
    # the sandbox sends them as Telegram does: `out`, and no from_id in a one-to-one chat
    assert outgoing and all(world.message(chat, i).from_id is None for i in ids)
    assert len(outgoing) < len(ids)
    await client.get_dialogs(limit=None)
    result = await run_export(client, target_of(chat), tmp_path, formats=("json", "md"))
    messages = exported(result)
    _assert_every_sender_right(world, chat, messages)
    me = _name(world, world.me.id)
    assert sum(me in (m.get("from"), m.get("actor")) for m in messages) == len(outgoing)
    with archive_files(result) as zf:
        markdown = "\n".join(
            zf.read(n).decode() for n in zf.namelist() if n.endswith(".md") and "manifest" not in n
        )
    assert me in markdown and chat.title in markdown


async def test_saved_messages_with_forwards_are_the_accounts_own(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = _largest(world, "saved")
    ids = [i for i, _ in expected_messages(world, chat)]
    forwards = [world.message(chat, i) for i in ids if getattr(world.message(chat, i), "fwd_from", None)]
    hidden = [m for m in forwards if m.fwd_from.from_id is None]
    # TDLib files a forward from a hidden sender under the pseudo-user 2666000, others under their origin
    assert hidden and all(m.saved_peer_id.user_id == HIDDEN_AUTHOR for m in hidden)
    assert any(m.fwd_from.from_id is not None for m in forwards)
    result = await run_export(client, "me", tmp_path)
    messages = exported(result)
    _assert_every_sender_right(world, chat, messages)
    by_id = {m["id"]: m for m in messages}
    for msg in hidden:
        assert by_id[msg.id]["forwarded_from"] == msg.fwd_from.from_name
    assert result.complete and result.manifest["messages"]["written"] == len(ids)
