"""Every record key is one Telegram Desktop writes, with Desktop's JSON type, in Desktop's order."""

from __future__ import annotations

import json
import re
from typing import Any

from telethon.tl import types as tl

from exporter.records import FORWARDED_DATE, to_record, topic_of
from tests.exporter import test_records as cases
from tests.exporter import tl as f

NULL = type(None)

# Key → JSON types as Desktop writes them (export_output_json.cpp SerializeMessage).
FIELDS: dict[str, tuple[type, ...]] = {
    "id": (int,),
    "type": (str,),
    "date": (str,),
    "date_unixtime": (str,),
    "edited": (str,),
    "edited_unixtime": (str,),
    "from": (str, NULL),
    "from_id": (str,),
    "author": (str,),
    "forwarded_from": (str, NULL),
    "forwarded_from_id": (str,),
    "saved_from": (str, NULL),
    "reply_to_message_id": (int,),
    "reply_to_peer_id": (str,),
    "via_bot": (str,),
    "actor": (str, NULL),
    "actor_id": (str,),
    "action": (str,),
    "title": (str,),
    "members": (list,),
    "inviter": (str, NULL),
    "message_id": (int,),
    "game_message_id": (int,),
    "invoice_message_id": (int,),
    "score": (int,),
    "amount": (int,),
    "currency": (str,),
    "recurring": (str,),
    "duration_seconds": (int,),
    "discard_reason": (str,),
    "information_text": (str,),
    "reason_domain": (str,),
    "values": (list,),
    "to": (str, NULL),
    "to_id": (str,),
    "distance": (int,),
    "duration": (int,),
    "period": (int,),
    "schedule_date": (int,),
    "emoticon": (str,),
    "new_title": (str,),
    "new_icon_emoji_id": (int,),
    "button_id": (int,),
    # Desktop pushes a serialized array through SerializeString: a string of JSON text.
    "peers": (str,),
    "winners": (int,),
    "unclaimed": (int, bool),
    "stars": (int, bool),
    "boosts": (int,),
    "photo": (str,),
    "photo_file_size": (int,),
    "width": (int,),
    "height": (int,),
    "media_spoiler": (bool,),
    "self_destruct_period_seconds": (int,),
    "file": (str,),
    "file_name": (str,),
    "file_size": (int,),
    "thumbnail": (str,),
    "thumbnail_file_size": (int,),
    "media_type": (str,),
    "sticker_emoji": (str,),
    "performer": (str,),
    "mime_type": (str,),
    "contact_information": (dict,),
    # Desktop pushes a serialized object through SerializeString: a string of JSON text.
    "invoice_information": (str,),
    "location_information": (dict, NULL),
    "live_location_period_seconds": (int,),
    "place_name": (str,),
    "address": (str,),
    "game_title": (str,),
    "game_description": (str,),
    "game_link": (str,),
    "poll": (dict,),
    "text": (str, list),
    "text_entities": (list,),
    "inline_bot_buttons": (list,),
    "reactions": (list,),
    "topic_id": (int,),
}

# The order Desktop pushes the keys every ordinary message can have.
MESSAGE_ORDER = [
    "id",
    "type",
    "date",
    "date_unixtime",
    "edited",
    "edited_unixtime",
    "from",
    "from_id",
    "author",
    "forwarded_from",
    "forwarded_from_id",
    "saved_from",
    "reply_to_message_id",
    "reply_to_peer_id",
    "via_bot",
    "text",
    "text_entities",
    "inline_bot_buttons",
    "reactions",
    "topic_id",
]

ENTITY_TYPES = {
    "plain",
    "unknown",
    "mention",
    "hashtag",
    "bot_command",
    "link",
    "email",
    "bold",
    "italic",
    "code",
    "pre",
    "text_link",
    "mention_name",
    "phone",
    "cashtag",
    "underline",
    "strikethrough",
    "blockquote",
    "bank_card",
    "spoiler",
    "custom_emoji",
}
ENTITY_EXTRA = {"pre": ("language", str), "text_link": ("href", str), "mention_name": ("user_id", int)}
ENTITY_EXTRA |= {"custom_emoji": ("document_id", str), "blockquote": ("collapsed", bool)}
MEDIA_TYPES = {"sticker", "video_message", "voice_message", "animation", "video_file", "audio_file"}
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
PEER_ID = re.compile(r"(user|chat|channel)\d+")


def varied_records() -> list[dict[str, Any]]:
    """Records of every kind the record tests build, plus forum topic messages."""
    names = f.names()
    messages: list[Any] = [
        f.message(1, "plain"),
        f.message(2, "x", edit_date=f.EDIT, via_bot_id=f.BOT, post_author="Sig"),
        f.message(3, "x", fwd_from=tl.MessageFwdHeader(date=f.DATE, from_name="Hidden")),
        f.message(4, "x", fwd_from=tl.MessageFwdHeader(date=f.DATE, from_id=tl.PeerUser(f.GHOST))),
        f.message(
            5, "x", reply_to=tl.MessageReplyHeader(reply_to_msg_id=1, reply_to_peer_id=tl.PeerUser(f.BOB))
        ),
        f.message(6, "Привет мир", entities=[tl.MessageEntityBold(offset=7, length=3)]),
        f.message(7, "x", peer_id=tl.PeerChannel(f.CHANNEL), from_id=None),
        f.service(tl.MessageActionTopicCreate(title="T", icon_color=0), 8),
        f.message(9, "in topic", reply_to=tl.MessageReplyHeader(reply_to_msg_id=8, forum_topic=True)),
        f.message(
            10,
            "",
            media=tl.MessageMediaInvoice(
                title="Ticket",
                description="Row 5",
                currency="EUR",
                total_amount=500,
                start_param="",
                receipt_msg_id=3,
            ),
        ),
        f.message(11, "x", fwd_from=tl.MessageFwdHeader(date=f.DATE, from_id=tl.PeerChannel(f.CHANNEL))),
    ]
    records = [to_record(m, names=names, topic_id=topic_of(m, is_forum=True)) for m in messages]
    for i, (document, _) in enumerate(cases.DOCUMENT_CASES):
        records.append(
            to_record(
                f.message(100 + i, "", media=tl.MessageMediaDocument(document=document)),
                names=names,
                topic_id=1,
            )
        )
    for i, (_, action, fields, _) in enumerate(cases.SERVICE_CASES + cases.ACTORLESS_CASES):
        records.append(to_record(f.service(action, 200 + i, **fields), names=names, topic_id=1))
    records.append(cases.record(f.message(300, "", media=tl.MessageMediaPhoto(photo=cases.PHOTO))))
    return records


def check_text(value: Any) -> None:
    if isinstance(value, str):
        return
    assert isinstance(value, list)
    for part in value:
        if not isinstance(part, str):
            check_entity(part)
            assert part["type"] != "plain"


def check_entity(entity: dict[str, Any]) -> None:
    assert entity["type"] in ENTITY_TYPES
    assert isinstance(entity["text"], str)
    extra = ENTITY_EXTRA.get(entity["type"])
    expected_keys = {"type", "text"} | ({extra[0]} if extra else set())
    assert set(entity) == expected_keys, entity
    if extra:
        assert isinstance(entity[extra[0]], extra[1])


def test_schema_of_varied_records() -> None:
    records = varied_records()
    assert len(records) > 50
    for rec in records:
        assert json.loads(json.dumps(rec, ensure_ascii=False)) == rec
        for key, value in rec.items():
            if key == FORWARDED_DATE:
                # For the HTML and Markdown; result.json leaves it out (tests/exporter/test_render_json.py).
                assert isinstance(value, int) and "forwarded_from" in rec
                continue
            assert key in FIELDS, f"{key} is not a Desktop key"
            allowed = FIELDS[key]
            # bool is an int in Python but not in JSON.
            assert (bool in allowed) if isinstance(value, bool) else isinstance(value, allowed), (key, value)
        assert rec["type"] in ("message", "service", "unsupported")
        assert DATE.fullmatch(rec["date"])
        assert rec["date_unixtime"].isdigit()
        for key in ("from_id", "actor_id", "to_id", "reply_to_peer_id", "forwarded_from_id"):
            if key in rec:
                assert PEER_ID.fullmatch(rec[key])
        for key in ("invoice_information", "peers"):
            if key in rec:
                # Strings of JSON text: a reader json.loads them, as it must for Desktop's.
                assert isinstance(json.loads(rec[key]), dict if key == "invoice_information" else list)
        if "media_type" in rec:
            assert rec["media_type"] in MEDIA_TYPES
        check_text(rec["text"])
        for entity in rec["text_entities"]:
            check_entity(entity)
        if rec["type"] == "message":
            order = [k for k in rec if k in MESSAGE_ORDER]
            assert order == sorted(order, key=MESSAGE_ORDER.index), order
        else:
            assert "from" not in rec or rec.get("action") == "proximity_reached"
            assert (rec["text"], rec["text_entities"]) == ("", [])
