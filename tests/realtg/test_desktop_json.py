"""result.json as current Telegram Desktop writes it, checked end to end: real Telethon exports the
sandbox, whose channels sign their posts, whose groups and private chats name recent reactors and
whose forwards name their origin (sandbox/world/content.py cites the sources)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from telethon import TelegramClient
from telethon.tl import types as tl

from exporter.records import NameBook, to_record
from exporter.render.common import media_label
from sandbox.world import Chat, World, expected_messages
from tests.exporter.test_export_e2e import exported, run_export, target_of


def _desktop_id(world: World, peer: tl.TypePeer) -> str:
    if isinstance(peer, tl.PeerUser):
        return f"user{peer.user_id}"
    if isinstance(peer, tl.PeerChat):
        return f"chat{peer.chat_id}"
    return f"channel{peer.channel_id}"


def _largest(world: World, kind: str) -> Chat:
    return max((c for c in world.chats.values() if c.kind == kind and not c.left), key=lambda c: len(c.slots))


async def _export(client: TelegramClient, chat: Chat, tmp_path: Path) -> list[dict]:
    await client.get_dialogs(limit=None)
    return exported(await run_export(client, target_of(chat), tmp_path))


async def test_signed_channel_posts_carry_author_and_forwards_their_origin(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = world.by_username("daily_digest_sandbox")
    records = {r["id"]: r for r in await _export(client, chat, tmp_path)}
    assert list(records) == [i for i, _ in expected_messages(world, chat)]
    signed = forwards = 0
    for msg_id, record in records.items():
        message = world.message(chat, msg_id)
        if record["type"] != "message":
            continue
        assert record.get("author") == message.post_author
        signed += record.get("author") is not None
        keys = list(record)
        if "author" in record:
            # Desktop pushes the signature right after from/from_id (pushFrom, then push("author")).
            assert keys.index("author") == keys.index("from_id") + 1
        fwd = message.fwd_from
        if fwd is not None and fwd.from_id is not None:
            forwards += 1
            assert record["forwarded_from_id"] == _desktop_id(world, fwd.from_id)
            assert keys.index("forwarded_from_id") == keys.index("forwarded_from") + 1
        else:
            assert "forwarded_from_id" not in record
    assert signed == sum(r["type"] == "message" for r in records.values()) > 100
    assert forwards > 0


async def test_hidden_forwards_have_a_name_and_no_id(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = _largest(world, "saved")
    records = await _export(client, chat, tmp_path)
    kinds = {"hidden": 0, "known": 0}
    for record in records:
        fwd = world.message(chat, record["id"]).fwd_from
        if fwd is None:
            continue
        if fwd.from_id is None:
            kinds["hidden"] += 1
            assert record["forwarded_from"] == fwd.from_name and "forwarded_from_id" not in record
        else:
            kinds["known"] += 1
            assert record["forwarded_from_id"] == _desktop_id(world, fwd.from_id)
    assert kinds["hidden"] and kinds["known"]


async def test_recent_reactors_are_listed_as_desktop_writes_them(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = _largest(world, "supergroup")
    names = {u.id: " ".join(x for x in (u.first_name, u.last_name) if x) for u in world.users.values()}
    listed = 0
    for record in await _export(client, chat, tmp_path):
        reactions = world.message(chat, record["id"]).reactions
        if reactions is None:
            assert "reactions" not in record
            continue
        recent = reactions.recent_reactions or []
        first = record["reactions"][0]
        assert list(first)[:3] == ["type", "count", "emoji"]
        assert [(r["from"], r["from_id"]) for r in first.get("recent", [])] == [
            (names[p.peer_id.user_id], f"user{p.peer_id.user_id}") for p in recent
        ]
        for entry, peer in zip(first.get("recent", []), recent, strict=True):
            assert list(entry) == ["from", "from_id", "date"]
            # UTC by default: the export's time zone is the renderer's choice (test_timezone.py).
            when = dt.datetime.fromtimestamp(peer.date, dt.UTC)
            assert entry["date"] == when.strftime("%Y-%m-%dT%H:%M:%S")
        listed += len(recent)
    assert listed > 0


async def test_contact_phones_are_formatted_as_desktop_formats_them(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = _largest(world, "group")
    contacts = 0
    for record in await _export(client, chat, tmp_path):
        info = record.get("contact_information")
        if info is None:
            continue
        contacts += 1
        raw = world.message(chat, record["id"]).media.phone_number.lstrip("+")
        if raw.startswith("1"):
            # North America: Desktop's pattern "XXX XXX XXXX" after "+1 ".
            assert info["phone_number"] == f"+1 {raw[1:4]} {raw[4:7]} {raw[7:]}"
        else:
            assert info["phone_number"].startswith("+") and " " in info["phone_number"]
            assert info["phone_number"].replace(" ", "") == "+" + raw
    assert contacts > 0


def test_invoice_and_requested_peers_are_strings_of_json_text() -> None:
    """Desktop pushes SerializeObject/SerializeArray output through SerializeString, so both are strings
    (export_output_json.cpp); indented as its writer indents a message's fields in a one-chat export."""
    names = NameBook()
    invoice = tl.MessageMediaInvoice(
        title='Ticket "A"',
        description="Row 5",
        currency="EUR",
        total_amount=1250,
        start_param="",
        receipt_msg_id=9,
    )
    message = tl.Message(id=5, peer_id=tl.PeerUser(1), date=1_700_000_000, message="", media=invoice)
    text = to_record(message, names=names, topic_id=None)["invoice_information"]
    assert text == (
        '{\n    "title": "Ticket \\"A\\"",\n    "description": "Row 5",\n    "amount": 1250,\n'
        '    "currency": "EUR",\n    "receipt_message_id": 9\n   }'
    )
    assert json.loads(text)["amount"] == 1250
    # HTML and Markdown read the title back out of the string.
    assert media_label(to_record(message, names=names, topic_id=None)) == 'Invoice: Ticket "A"'
    action = tl.MessageActionRequestedPeer(button_id=2, peers=[tl.PeerUser(7), tl.PeerChat(8)])
    service = tl.MessageService(id=6, peer_id=tl.PeerUser(1), date=1_700_000_000, action=action)
    peers = to_record(service, names=names, topic_id=None)["peers"]
    assert json.loads(peers) == [7, 8 | 1 << 48]
    assert peers == f"[\n    7,\n    {8 | 1 << 48}\n   ]"
