"""Records against what Telegram Desktop's export writes for the same TL message.

Expected values follow tdesktop's export_data_types.cpp (parsing) and
export_output_json.cpp (serializing): key names, key order, value types and
strings, and Desktop's quirks where they show in real exports.
"""

from __future__ import annotations

from typing import Any

import pytest
from telethon.tl import types as tl

from exporter.records import (
    FILE_NOT_INCLUDED,
    FILE_UNAVAILABLE,
    FORWARDED_DATE,
    NameBook,
    iso_date,
    text_parts,
    to_record,
    topic_of,
)
from tests.exporter import tl as f

NAMES = f.names()


def record(msg: Any, topic_id: int | None = None) -> dict[str, Any]:
    return to_record(msg, names=NAMES, topic_id=topic_id)


def tail(rec: dict[str, Any]) -> dict[str, Any]:
    """The record without the four fields every message has."""
    return {k: v for k, v in rec.items() if k not in ("id", "type", "date", "date_unixtime")}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- basics


def test_plain_message_is_desktops_shape() -> None:
    rec = record(f.message(10, "hello"))
    assert rec == {
        "id": 10,
        "type": "message",
        "date": f.DATE_ISO,
        "date_unixtime": f.DATE_UNIX,
        "from": "Ann Lee",
        "from_id": "user5",
        "text": "hello",
        "text_entities": [{"type": "plain", "text": "hello"}],
    }


def test_empty_text_is_empty_string_and_no_entities() -> None:
    rec = record(f.message(10, ""))
    assert rec["text"] == ""
    assert rec["text_entities"] == []


def test_dates_are_utc_iso_without_offset() -> None:
    assert iso_date(0) == "1970-01-01T00:00:00"
    assert iso_date(1714979289) == f.DATE_ISO
    assert iso_date(951868799) == "2000-02-29T23:59:59"


def test_edited_message() -> None:
    rec = record(f.message(10, "x", edit_date=f.EDIT))
    assert list(rec)[:6] == ["id", "type", "date", "date_unixtime", "edited", "edited_unixtime"]
    assert rec["edited"] == "2024-05-06T08:00:00"
    assert rec["edited_unixtime"] == "1714982400"


def test_incoming_private_message_is_from_the_peer() -> None:
    rec = record(f.message(10, "hi", peer_id=tl.PeerUser(f.BOB), from_id=None))
    assert (rec["from"], rec["from_id"]) == ("Bob", "user6")


def test_channel_post_is_from_the_channel_with_signature() -> None:
    msg = f.message(
        10, "news", peer_id=tl.PeerChannel(f.CHANNEL), from_id=None, post=True, post_author="Editor"
    )
    rec = record(msg)
    assert (rec["from"], rec["from_id"], rec["author"]) == ("News", "channel99", "Editor")


def test_deleted_and_unknown_senders_have_null_names() -> None:
    # Desktop serializes an empty name as null, and an unknown peer as an empty user.
    assert record(f.message(10, "x", from_id=tl.PeerUser(f.GHOST)))["from"] is None
    rec = record(f.message(10, "x", from_id=tl.PeerUser(123456)))
    assert (rec["from"], rec["from_id"]) == (None, "user123456")


def test_namebook_takes_marked_ids_and_peers() -> None:
    assert NAMES.lookup(f.ANN) == ("Ann Lee", "user5")
    assert NAMES.lookup(-f.GROUP) == ("Old group", "chat40")
    assert NAMES.lookup(-1000000000000 - f.CHANNEL) == ("News", "channel99")
    assert NAMES.lookup(tl.PeerChat(f.GROUP)) == ("Old group", "chat40")
    assert NAMES.username(f.BOT) == "helper_bot"


def test_namebook_keeps_full_user_over_later_min_copy() -> None:
    book = NameBook()
    book.add_users([tl.User(id=1, first_name="Full", last_name="Name")])
    book.add_users([tl.User(id=1, min=True, first_name="Full")])
    assert book.name(tl.PeerUser(1)) == "Full Name"


def test_late_names_replace_cached_misses() -> None:
    book = NameBook()
    assert book.name(tl.PeerUser(1)) is None
    book.add_users([tl.User(id=1, first_name="Late")])
    assert book.name(tl.PeerUser(1)) == "Late"


def test_via_bot_forward_and_reply_keys_in_desktop_order() -> None:
    msg = f.message(
        10,
        "x",
        edit_date=f.EDIT,
        post_author="Sig",
        fwd_from=tl.MessageFwdHeader(
            date=f.DATE, from_id=tl.PeerUser(f.BOB), saved_from_peer=tl.PeerChannel(f.CHANNEL)
        ),
        reply_to=tl.MessageReplyHeader(reply_to_msg_id=3),
        via_bot_id=f.BOT,
    )
    rec = record(msg, topic_id=1)
    # The original date is for the HTML and Markdown; result.json leaves it out (Desktop's JSON has none).
    assert rec.pop(FORWARDED_DATE) == int(f.DATE.timestamp())
    assert list(rec) == [
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
        "via_bot",
        "text",
        "text_entities",
        "topic_id",
    ]
    assert rec["forwarded_from"] == "Bob"
    assert rec["forwarded_from_id"] == f"user{f.BOB}"
    assert rec["saved_from"] == "News"
    assert rec["via_bot"] == "@helper_bot"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (tl.MessageFwdHeader(date=f.DATE, from_id=tl.PeerUser(f.BOB)), "Bob"),
        (tl.MessageFwdHeader(date=f.DATE, from_id=tl.PeerChannel(f.CHANNEL), channel_post=5), "News"),
        (tl.MessageFwdHeader(date=f.DATE, from_name="Hidden Sender"), "Hidden Sender"),
        (tl.MessageFwdHeader(date=f.DATE, from_id=tl.PeerUser(f.GHOST)), None),
    ],
)
def test_forwarded_from(header: tl.MessageFwdHeader, expected: str | None) -> None:
    rec = record(f.message(10, "x", fwd_from=header))
    assert "forwarded_from" in rec
    assert rec["forwarded_from"] == expected
    if header.from_id is None:
        # A sender hidden from forwards leaves a name and no id.
        assert "forwarded_from_id" not in rec
    else:
        kind = "channel" if isinstance(header.from_id, tl.PeerChannel) else "user"
        assert rec["forwarded_from_id"] == f"{kind}{tl_peer_bare(header.from_id)}"


def tl_peer_bare(peer: tl.TypePeer) -> int:
    return peer.channel_id if isinstance(peer, tl.PeerChannel) else peer.user_id


def test_forward_without_origin_has_no_key() -> None:
    assert "forwarded_from" not in record(f.message(10, "x", fwd_from=tl.MessageFwdHeader(date=f.DATE)))


def test_replies() -> None:
    same = record(f.message(10, "x", reply_to=tl.MessageReplyHeader(reply_to_msg_id=3)))
    assert same["reply_to_message_id"] == 3
    assert "reply_to_peer_id" not in same
    header = tl.MessageReplyHeader(reply_to_msg_id=3, reply_to_peer_id=tl.PeerChannel(f.CHANNEL))
    other = record(f.message(10, "x", reply_to=header))
    assert (other["reply_to_message_id"], other["reply_to_peer_id"]) == (3, "channel99")
    header = tl.MessageReplyHeader(reply_to_msg_id=3, reply_to_peer_id=tl.PeerChannel(f.FORUM))
    assert "reply_to_peer_id" not in record(f.message(10, "x", reply_to=header))
    story = tl.MessageReplyStoryHeader(peer=tl.PeerUser(f.BOB), story_id=1)
    assert "reply_to_message_id" not in record(f.message(10, "x", reply_to=story))


def test_topic_id_only_when_given() -> None:
    assert "topic_id" not in record(f.message())
    assert record(f.message(), topic_id=5)["topic_id"] == 5


def test_message_empty_like_desktop() -> None:
    rec = record(tl.MessageEmpty(id=4, peer_id=None))
    assert rec == {
        "id": 4,
        "type": "message",
        "date": "1970-01-01T00:00:00",
        "date_unixtime": "0",
        "text": "",
        "text_entities": [],
    }


# --------------------------------------------------------------------------- text and entities


def build(*runs: tuple[Any, str]) -> tuple[str, list[Any]]:
    """Text and entities from (entity factory or None, text) runs, with UTF-16 offsets."""
    text = ""
    entities = []
    for make, run in runs:
        if make is not None:
            entities.append(make(utf16_len(text), utf16_len(run)))
        text += run
    return text, entities


def test_every_entity_type() -> None:
    text, entities = build(
        (lambda o, n: tl.MessageEntityMention(o, n), "@ann"),
        (None, " "),
        (lambda o, n: tl.MessageEntityHashtag(o, n), "#tag"),
        (None, " "),
        (lambda o, n: tl.MessageEntityBotCommand(o, n), "/start"),
        (None, " "),
        (lambda o, n: tl.MessageEntityUrl(o, n), "https://x.io"),
        (None, " "),
        (lambda o, n: tl.MessageEntityEmail(o, n), "a@b.co"),
        (None, " "),
        (lambda o, n: tl.MessageEntityBold(o, n), "bold"),
        (lambda o, n: tl.MessageEntityItalic(o, n), "italic"),
        (lambda o, n: tl.MessageEntityCode(o, n), "code"),
        (lambda o, n: tl.MessageEntityPre(o, n, language="py"), "pre"),
        (lambda o, n: tl.MessageEntityPre(o, n, language=""), "pre2"),
        (lambda o, n: tl.MessageEntityTextUrl(o, n, url="https://t.me"), "link"),
        (lambda o, n: tl.MessageEntityMentionName(o, n, user_id=f.BOB), "Bob"),
        (lambda o, n: tl.MessageEntityPhone(o, n), "+123"),
        (lambda o, n: tl.MessageEntityCashtag(o, n), "$USD"),
        (lambda o, n: tl.MessageEntityUnderline(o, n), "u"),
        (lambda o, n: tl.MessageEntityStrike(o, n), "s"),
        (lambda o, n: tl.MessageEntityBlockquote(o, n), "quote"),
        (lambda o, n: tl.MessageEntityBlockquote(o, n, collapsed=True), "folded"),
        (lambda o, n: tl.MessageEntityBankCard(o, n), "4111"),
        (lambda o, n: tl.MessageEntitySpoiler(o, n), "secret"),
        (lambda o, n: tl.MessageEntityCustomEmoji(o, n, document_id=5368324170671202286), "👍"),
        (lambda o, n: tl.MessageEntityUnknown(o, n), "?"),
    )
    rec = record(f.message(10, text, entities=entities))
    objects = [p for p in rec["text"] if not isinstance(p, str)]
    assert objects == [
        {"type": "mention", "text": "@ann"},
        {"type": "hashtag", "text": "#tag"},
        {"type": "bot_command", "text": "/start"},
        {"type": "link", "text": "https://x.io"},
        {"type": "email", "text": "a@b.co"},
        {"type": "bold", "text": "bold"},
        {"type": "italic", "text": "italic"},
        {"type": "code", "text": "code"},
        {"type": "pre", "text": "pre", "language": "py"},
        {"type": "pre", "text": "pre2", "language": ""},
        {"type": "text_link", "text": "link", "href": "https://t.me"},
        {"type": "mention_name", "text": "Bob", "user_id": 6},
        {"type": "phone", "text": "+123"},
        {"type": "cashtag", "text": "$USD"},
        {"type": "underline", "text": "u"},
        {"type": "strikethrough", "text": "s"},
        {"type": "blockquote", "text": "quote", "collapsed": False},
        {"type": "blockquote", "text": "folded", "collapsed": True},
        {"type": "bank_card", "text": "4111"},
        {"type": "spoiler", "text": "secret"},
        {"type": "custom_emoji", "text": "👍", "document_id": "5368324170671202286"},
        {"type": "unknown", "text": "?"},
    ]
    # text_entities: the same parts, plain runs as objects; a trailing empty
    # plain run because the text is not ASCII and the last entity ends it.
    assert rec["text_entities"][0] == {"type": "mention", "text": "@ann"}
    assert rec["text_entities"][1] == {"type": "plain", "text": " "}
    assert rec["text_entities"][-1] == {"type": "plain", "text": ""}
    assert rec["text"][-1] == ""
    assert "".join(p["text"] for p in rec["text_entities"]) == text


def test_astral_characters_before_an_entity_count_two_units() -> None:
    text = "😀 bold 😀"
    rec = record(f.message(10, text, entities=[tl.MessageEntityBold(offset=3, length=4)]))
    assert rec["text"] == ["😀 ", {"type": "bold", "text": "bold"}, " 😀"]


def test_entity_over_a_skin_toned_emoji() -> None:
    text = "hi 👍🏽 there"
    rec = record(f.message(10, text, entities=[tl.MessageEntityBold(offset=3, length=4)]))
    assert rec["text"] == ["hi ", {"type": "bold", "text": "👍🏽"}, " there"]


def test_entity_splitting_a_surrogate_pair_gives_replacement_characters() -> None:
    rec = record(f.message(10, "😀x", entities=[tl.MessageEntityBold(offset=1, length=2)]))
    assert rec["text"] == ["\ufffd", {"type": "bold", "text": "\ufffdx"}, ""]


def test_non_ascii_text_gets_desktops_trailing_empty_part() -> None:
    # Desktop bounds the last plain run by the UTF-8 size; the run past the
    # UTF-16 end is empty but still written.
    rec = record(f.message(10, "Привет мир", entities=[tl.MessageEntityBold(offset=7, length=3)]))
    assert rec["text"] == ["Привет ", {"type": "bold", "text": "мир"}, ""]
    assert rec["text_entities"] == [
        {"type": "plain", "text": "Привет "},
        {"type": "bold", "text": "мир"},
        {"type": "plain", "text": ""},
    ]


def test_ascii_text_has_no_trailing_part() -> None:
    rec = record(f.message(10, "hello world", entities=[tl.MessageEntityBold(offset=6, length=5)]))
    assert rec["text"] == ["hello ", {"type": "bold", "text": "world"}]


def test_nested_entities_are_dropped_like_desktop() -> None:
    entities = [tl.MessageEntityBold(offset=0, length=11), tl.MessageEntityItalic(offset=5, length=6)]
    rec = record(f.message(10, "bold italic", entities=entities))
    # One non-plain part is still an array.
    assert rec["text"] == [{"type": "bold", "text": "bold italic"}]
    assert rec["text_entities"] == [{"type": "bold", "text": "bold italic"}]


def test_invalid_entities_are_skipped() -> None:
    entities = [tl.MessageEntityBold(offset=0, length=0), tl.MessageEntityItalic(offset=3, length=50)]
    rec = record(f.message(10, "hello", entities=entities))
    assert rec["text"] == "hello"
    assert rec["text_entities"] == [{"type": "plain", "text": "hello"}]


def test_text_parts_of_plain_text() -> None:
    assert text_parts("", None) == ("", [])
    assert text_parts(None, []) == ("", [])
    assert text_parts("a", None) == ("a", [{"type": "plain", "text": "a"}])


# --------------------------------------------------------------------------- media


def test_photo_takes_largest_size() -> None:
    media = tl.MessageMediaPhoto(
        photo=f.photo(
            tl.PhotoStrippedSize(type="i", bytes=b"\x01\x02"),
            tl.PhotoSize(type="m", w=320, h=240, size=1000),
            tl.PhotoSizeProgressive(type="y", w=1280, h=960, sizes=[100, 200, 3000]),
            tl.PhotoCachedSize(type="s", w=90, h=90, bytes=b"abc"),
        )
    )
    rec = record(f.message(10, "caption", media=media))
    assert tail(rec) == {
        "from": "Ann Lee",
        "from_id": "user5",
        "photo": FILE_NOT_INCLUDED,
        "photo_file_size": 3000,
        "width": 1280,
        "height": 960,
        "text": "caption",
        "text_entities": [{"type": "plain", "text": "caption"}],
    }
    assert FILE_NOT_INCLUDED == "(File not included. Change data exporting settings to download.)"


def test_self_destructing_spoiler_photo() -> None:
    media = tl.MessageMediaPhoto(
        photo=f.photo(tl.PhotoSize(type="x", w=800, h=600, size=5)), spoiler=True, ttl_seconds=10
    )
    rec = record(f.message(10, "", media=media))
    assert rec["photo"] == FILE_UNAVAILABLE == "(File unavailable, please try again later)"
    assert (rec["photo_file_size"], rec["width"], rec["height"]) == (0, 800, 600)
    assert rec["media_spoiler"] is True
    assert rec["self_destruct_period_seconds"] == 10


def test_photo_without_photo_is_unavailable() -> None:
    rec = record(f.message(10, "", media=tl.MessageMediaPhoto(photo=tl.PhotoEmpty(id=1))))
    assert (rec["photo"], rec["photo_file_size"]) == (FILE_UNAVAILABLE, 0)
    assert "width" not in rec


THUMB = [tl.PhotoStrippedSize(type="i", bytes=b"\x01"), tl.PhotoSize(type="m", w=128, h=128, size=2000)]


DOCUMENT_CASES: list[tuple[tl.Document, dict[str, Any]]] = [
    (
        f.document(
            "image/webp",
            30000,
            tl.DocumentAttributeImageSize(w=512, h=512),
            tl.DocumentAttributeSticker(alt="😀", stickerset=tl.InputStickerSetEmpty()),
            tl.DocumentAttributeFilename(file_name="sticker.webp"),
            thumbs=THUMB,
        ),
        {
            "file": FILE_NOT_INCLUDED,
            "file_name": "sticker.webp",
            "file_size": 30000,
            "thumbnail": FILE_NOT_INCLUDED,
            "thumbnail_file_size": 2000,
            "media_type": "sticker",
            "sticker_emoji": "😀",
            "mime_type": "image/webp",
            "width": 512,
            "height": 512,
        },
    ),
    (
        f.document(
            "video/mp4", 900, tl.DocumentAttributeVideo(duration=5.7, w=240, h=240, round_message=True)
        ),
        {
            "file": FILE_NOT_INCLUDED,
            "file_size": 900,
            "media_type": "video_message",
            "mime_type": "video/mp4",
            "duration_seconds": 5,
            "width": 240,
            "height": 240,
        },
    ),
    (
        f.document("audio/ogg", 700, tl.DocumentAttributeAudio(duration=3, voice=True)),
        {
            "file": FILE_NOT_INCLUDED,
            "file_size": 700,
            "media_type": "voice_message",
            "mime_type": "audio/ogg",
            "duration_seconds": 3,
        },
    ),
    (
        f.document(
            "video/mp4",
            800,
            tl.DocumentAttributeAnimated(),
            tl.DocumentAttributeVideo(duration=2, w=320, h=240),
            tl.DocumentAttributeFilename(file_name="fun.gif.mp4"),
        ),
        {
            "file": FILE_NOT_INCLUDED,
            "file_name": "fun.gif.mp4",
            "file_size": 800,
            "media_type": "animation",
            "mime_type": "video/mp4",
            "duration_seconds": 2,
            "width": 320,
            "height": 240,
        },
    ),
    (
        f.document(
            "video/mp4",
            5_000_000,
            tl.DocumentAttributeVideo(duration=62.4, w=1920, h=1080, supports_streaming=True),
            tl.DocumentAttributeFilename(file_name="clip.mp4"),
        ),
        {
            "file": FILE_NOT_INCLUDED,
            "file_name": "clip.mp4",
            "file_size": 5_000_000,
            "media_type": "video_file",
            "mime_type": "video/mp4",
            "duration_seconds": 62,
            "width": 1920,
            "height": 1080,
        },
    ),
    (
        f.document(
            "audio/mpeg",
            4000,
            tl.DocumentAttributeAudio(duration=200, performer="Perf", title="Song"),
            tl.DocumentAttributeFilename(file_name="song.mp3"),
        ),
        {
            "file": FILE_NOT_INCLUDED,
            "file_name": "song.mp3",
            "file_size": 4000,
            "media_type": "audio_file",
            "performer": "Perf",
            "title": "Song",
            "mime_type": "audio/mpeg",
            "duration_seconds": 200,
        },
    ),
    (
        f.document("application/pdf", 123456, tl.DocumentAttributeFilename(file_name="report.pdf")),
        {
            "file": FILE_NOT_INCLUDED,
            "file_name": "report.pdf",
            "file_size": 123456,
            "mime_type": "application/pdf",
        },
    ),
    (
        f.document(
            "application/x-tgsticker",
            10,
            tl.DocumentAttributeCustomEmoji(alt="🔥", stickerset=tl.InputStickerSetEmpty()),
        ),
        {
            "file": FILE_NOT_INCLUDED,
            "file_size": 10,
            "media_type": "sticker",
            "sticker_emoji": "🔥",
            "mime_type": "application/x-tgsticker",
        },
    ),
]


@pytest.mark.parametrize(
    ("document", "expected"),
    DOCUMENT_CASES,
    ids=["sticker", "video_message", "voice", "animation", "video", "audio", "file", "custom_emoji"],
)
def test_documents(document: tl.Document, expected: dict[str, Any]) -> None:
    rec = record(f.message(10, "", media=tl.MessageMediaDocument(document=document)))
    assert tail(rec) == {"from": "Ann Lee", "from_id": "user5", **expected, "text": "", "text_entities": []}


def test_spoiler_document_without_document() -> None:
    rec = record(
        f.message(10, "", media=tl.MessageMediaDocument(document=tl.DocumentEmpty(id=1), spoiler=True))
    )
    assert (rec["file"], rec["file_size"], rec["media_spoiler"]) == (FILE_UNAVAILABLE, 0, True)


def test_poll() -> None:
    poll = tl.Poll(
        id=1,
        question=tl.TextWithEntities(text="Best?", entities=[]),
        answers=[
            tl.PollAnswer(text=tl.TextWithEntities(text="A", entities=[]), option=b"0"),
            tl.PollAnswer(
                text=tl.TextWithEntities(text="B b", entities=[tl.MessageEntityBold(offset=2, length=1)]),
                option=b"1",
            ),
            tl.PollAnswer(text=tl.TextWithEntities(text="C", entities=[]), option=b"2"),
        ],
        hash=0,
        closed=True,
    )
    results = tl.PollResults(
        results=[
            tl.PollAnswerVoters(option=b"0", voters=3, chosen=True),
            tl.PollAnswerVoters(option=b"1", voters=1),
        ],
        total_voters=4,
    )
    rec = record(f.message(10, "", media=tl.MessageMediaPoll(poll=poll, results=results)))
    assert rec["poll"] == {
        "question": "Best?",
        "closed": True,
        "total_voters": 4,
        "answers": [
            {"text": "A", "voters": 3, "chosen": True},
            {"text": ["B ", {"type": "bold", "text": "b"}], "voters": 1, "chosen": False},
            {"text": "C", "voters": 0, "chosen": False},
        ],
    }


def test_contact_location_venue() -> None:
    contact = tl.MessageMediaContact(
        phone_number="15551234567", first_name="Jo", last_name="", vcard="", user_id=0
    )
    assert record(f.message(10, "", media=contact))["contact_information"] == {
        "first_name": "Jo",
        "last_name": "",
        # Grouped by the country's pattern, as Desktop's FormatPhoneNumber does (exporter.records.phone_format).
        "phone_number": "+1 555 123 4567",
    }
    point = tl.GeoPoint(long=13.4050001, lat=52.52, access_hash=0)
    assert record(f.message(10, "", media=tl.MessageMediaGeo(geo=point)))["location_information"] == {
        "latitude": 52.52,
        "longitude": 13.405,
    }
    assert (
        record(f.message(10, "", media=tl.MessageMediaGeo(geo=tl.GeoPointEmpty())))["location_information"]
        is None
    )
    live = record(f.message(10, "", media=tl.MessageMediaGeoLive(geo=point, period=900)))
    assert live["live_location_period_seconds"] == 900
    venue = tl.MessageMediaVenue(
        geo=point, title="Cafe", address="Main St 1", provider="", venue_id="", venue_type=""
    )
    rec = record(f.message(10, "", media=venue))
    assert [k for k in rec if k in ("place_name", "address", "location_information")] == [
        "place_name",
        "address",
        "location_information",
    ]
    assert (rec["place_name"], rec["address"]) == ("Cafe", "Main St 1")


def test_game_links_through_the_via_bot() -> None:
    game = tl.Game(
        id=1,
        access_hash=2,
        short_name="tetris",
        title="Tetris",
        description="Play",
        photo=tl.PhotoEmpty(id=0),
    )
    rec = record(f.message(10, "", media=tl.MessageMediaGame(game=game), via_bot_id=f.BOT))
    assert (rec["game_title"], rec["game_description"], rec["game_link"]) == (
        "Tetris",
        "Play",
        "https://t.me/helper_bot?game=tetris",
    )


def test_ignored_and_unsupported_media() -> None:
    dice = record(f.message(10, "", media=tl.MessageMediaDice(value=4, emoticon="🎲")))
    assert tail(dice) == {"from": "Ann Lee", "from_id": "user5", "text": "", "text_entities": []}
    web = record(f.message(10, "see", media=tl.MessageMediaWebPage(webpage=tl.WebPageEmpty(id=1))))
    assert set(tail(web)) == {"from", "from_id", "text", "text_entities"}
    unsupported = record(f.message(10, "", media=tl.MessageMediaUnsupported()), topic_id=3)
    assert unsupported == {"id": 10, "type": "unsupported", "topic_id": 3}


def test_reactions() -> None:
    reactions = tl.MessageReactions(
        results=[
            tl.ReactionCount(reaction=tl.ReactionEmoji(emoticon="👍"), count=3),
            tl.ReactionCount(reaction=tl.ReactionCustomEmoji(document_id=555), count=2),
            tl.ReactionCount(reaction=tl.ReactionPaid(), count=1),
        ],
        recent_reactions=[
            tl.MessagePeerReaction(
                peer_id=tl.PeerUser(f.BOB), date=f.DATE, reaction=tl.ReactionEmoji(emoticon="👍")
            ),
            tl.MessagePeerReaction(
                peer_id=tl.PeerUser(f.ANN), date=f.DATE, reaction=tl.ReactionEmoji(emoticon="🔥")
            ),
        ],
    )
    rec = record(f.message(10, "x", reactions=reactions))
    assert list(rec)[-1] == "reactions"
    assert rec["reactions"] == [
        {
            "type": "emoji",
            "count": 3,
            "emoji": "👍",
            "recent": [{"from": "Bob", "from_id": "user6", "date": f.DATE_ISO}],
        },
        {"type": "custom_emoji", "count": 2, "document_id": "555"},
        {"type": "paid", "count": 1},
        {
            "type": "emoji",
            "count": 0,
            "emoji": "🔥",
            "recent": [{"from": "Ann Lee", "from_id": "user5", "date": f.DATE_ISO}],
        },
    ]


def test_inline_buttons() -> None:
    markup = tl.ReplyInlineMarkup(
        rows=[
            tl.KeyboardInlineButtonRow(
                buttons=[
                    tl.KeyboardInlineButton(text="Open", type=tl.InlineButtonTypeUrl(url="https://x.io")),
                    tl.KeyboardInlineButton(
                        text="Press", type=tl.InlineButtonTypeCallback(data=b"\xff\x00a")
                    ),
                ]
            )
        ]
    )
    rec = record(f.message(10, "x", reply_markup=markup))
    assert rec["inline_bot_buttons"] == [
        [
            {"type": "url", "text": "Open", "data": "https://x.io"},
            {"type": "callback", "text": "Press", "dataBase64": "_wBh", "data": ""},
        ]
    ]


# --------------------------------------------------------------------------- service messages

CALL = tl.InputGroupCall(id=1, access_hash=2)


def reply(msg_id: int) -> tl.MessageReplyHeader:
    return tl.MessageReplyHeader(reply_to_msg_id=msg_id)


PHOTO = f.photo(tl.PhotoSize(type="x", w=640, h=640, size=4321))

SERVICE_CASES: list[tuple[str, Any, dict[str, Any], dict[str, Any]]] = [
    (
        "create_group",
        tl.MessageActionChatCreate(title="Team", users=[f.ANN, f.BOB, f.GHOST]),
        {},
        {"action": "create_group", "title": "Team", "members": ["Ann Lee", "Bob", None]},
    ),
    (
        "edit_group_title",
        tl.MessageActionChatEditTitle(title="New"),
        {},
        {"action": "edit_group_title", "title": "New"},
    ),
    (
        "edit_group_photo",
        tl.MessageActionChatEditPhoto(photo=PHOTO),
        {},
        {
            "action": "edit_group_photo",
            "photo": FILE_NOT_INCLUDED,
            "photo_file_size": 4321,
            "width": 640,
            "height": 640,
        },
    ),
    ("delete_group_photo", tl.MessageActionChatDeletePhoto(), {}, {"action": "delete_group_photo"}),
    (
        "invite_members",
        tl.MessageActionChatAddUser(users=[f.BOB]),
        {},
        {"action": "invite_members", "members": ["Bob"]},
    ),
    (
        "remove_members",
        tl.MessageActionChatDeleteUser(user_id=f.BOB),
        {},
        {"action": "remove_members", "members": ["Bob"]},
    ),
    (
        "join_group_by_link",
        tl.MessageActionChatJoinedByLink(inviter_id=f.BOB),
        {},
        {"action": "join_group_by_link", "inviter": "Bob"},
    ),
    (
        "create_channel",
        tl.MessageActionChannelCreate(title="News"),
        {},
        {"action": "create_channel", "title": "News"},
    ),
    (
        "migrate_to_supergroup",
        tl.MessageActionChatMigrateTo(channel_id=1),
        {},
        {"action": "migrate_to_supergroup"},
    ),
    (
        "migrate_from_group",
        tl.MessageActionChannelMigrateFrom(title="Old", chat_id=f.GROUP),
        {},
        {"action": "migrate_from_group", "title": "Old"},
    ),
    (
        "pin_message",
        tl.MessageActionPinMessage(),
        {"reply_to": reply(9)},
        {"action": "pin_message", "message_id": 9},
    ),
    ("clear_history", tl.MessageActionHistoryClear(), {}, {"action": "clear_history"}),
    (
        "score_in_game",
        tl.MessageActionGameScore(game_id=1, score=42),
        {"reply_to": reply(8)},
        {"action": "score_in_game", "game_message_id": 8, "score": 42},
    ),
    (
        "phone_call",
        tl.MessageActionPhoneCall(call_id=1, reason=tl.PhoneCallDiscardReasonHangup(), duration=65),
        {},
        {"action": "phone_call", "duration_seconds": 65, "discard_reason": "hangup"},
    ),
    ("take_screenshot", tl.MessageActionScreenshotTaken(), {}, {"action": "take_screenshot"}),
    ("custom_action", tl.MessageActionCustomAction(message="Hi there"), {}, {"information_text": "Hi there"}),
    ("joined_telegram", tl.MessageActionContactSignUp(), {}, {"action": "joined_telegram"}),
    (
        "group_call",
        tl.MessageActionGroupCall(call=CALL, duration=30),
        {},
        {"action": "group_call", "duration": 30},
    ),
    (
        "invite_to_group_call",
        tl.MessageActionInviteToGroupCall(call=CALL, users=[f.BOB]),
        {},
        {"action": "invite_to_group_call", "members": ["Bob"]},
    ),
    (
        "set_messages_ttl",
        tl.MessageActionSetMessagesTTL(period=86400),
        {},
        {"action": "set_messages_ttl", "period": 86400},
    ),
    (
        "group_call_scheduled",
        tl.MessageActionGroupCallScheduled(call=CALL, schedule_date=f.DATE),
        {},
        {"action": "group_call_scheduled", "schedule_date": 1714979289},
    ),
    (
        "edit_chat_theme",
        tl.MessageActionSetChatTheme(theme=tl.ChatTheme(emoticon="🎄")),
        {},
        {"action": "edit_chat_theme", "emoticon": "🎄"},
    ),
    ("join_group_by_request", tl.MessageActionChatJoinedByRequest(), {}, {"action": "join_group_by_request"}),
    (
        "topic_created",
        tl.MessageActionTopicCreate(title="Ideas", icon_color=0x6FB9F0),
        {},
        {"action": "topic_created", "title": "Ideas"},
    ),
    (
        "topic_edit_title",
        tl.MessageActionTopicEdit(title="Renamed"),
        {},
        {"action": "topic_edit", "new_title": "Renamed"},
    ),
    (
        "topic_edit_icon",
        tl.MessageActionTopicEdit(icon_emoji_id=0),
        {},
        {"action": "topic_edit", "new_icon_emoji_id": 0},
    ),
    ("topic_edit_closed", tl.MessageActionTopicEdit(closed=True), {}, {"action": "topic_edit"}),
    (
        "requested_peer",
        tl.MessageActionRequestedPeer(button_id=1, peers=[tl.PeerUser(f.BOB), tl.PeerChannel(f.CHANNEL)]),
        {},
        # A string of JSON text, as Desktop writes it (exporter.records.desktop_nested).
        {
            "action": "requested_peer",
            "button_id": 1,
            "peers": f"[\n    6,\n    {f.CHANNEL | (2 << 48)}\n   ]",
        },
    ),
    (
        "set_same_chat_wallpaper",
        tl.MessageActionSetChatWallPaper(wallpaper=tl.WallPaperNoFile(id=1), same=True),
        {"reply_to": reply(5)},
        {"action": "set_same_chat_wallpaper", "message_id": 5},
    ),
    ("boost_apply", tl.MessageActionBoostApply(boosts=2), {}, {"action": "boost_apply", "boosts": 2}),
]

# Desktop writes no actor for these.
ACTORLESS_CASES: list[tuple[str, Any, dict[str, Any], dict[str, Any]]] = [
    (
        "send_payment",
        tl.MessageActionPaymentSent(currency="EUR", total_amount=500, recurring_init=True),
        {"reply_to": reply(7)},
        {
            "action": "send_payment",
            "amount": 500,
            "currency": "EUR",
            "invoice_message_id": 7,
            "recurring": "init",
        },
    ),
    (
        "allow_sending_messages",
        tl.MessageActionBotAllowed(domain="example.com"),
        {},
        {"action": "allow_sending_messages", "reason_domain": "example.com"},
    ),
    (
        "send_passport_values",
        tl.MessageActionSecureValuesSent(types=[tl.SecureValueTypePassport(), tl.SecureValueTypeEmail()]),
        {},
        {"action": "send_passport_values", "values": ["passport", "email"]},
    ),
    (
        "proximity_reached",
        tl.MessageActionGeoProximityReached(
            from_id=tl.PeerUser(f.ANN), to_id=tl.PeerUser(f.BOB), distance=50
        ),
        {},
        {
            "action": "proximity_reached",
            "from": "Ann Lee",
            "from_id": "user5",
            "to": "Bob",
            "to_id": "user6",
            "distance": 50,
        },
    ),
    ("giveaway_launch", tl.MessageActionGiveawayLaunch(), {}, {"action": "giveaway_launch"}),
    (
        "giveaway_results",
        tl.MessageActionGiveawayResults(winners_count=3, unclaimed_count=1),
        {},
        {"action": "giveaway_results", "winners": 3, "unclaimed": 1, "stars": False},
    ),
]


@pytest.mark.parametrize(
    ("name", "action", "fields", "expected"), SERVICE_CASES, ids=[c[0] for c in SERVICE_CASES]
)
def test_service_actions(name: str, action: Any, fields: dict[str, Any], expected: dict[str, Any]) -> None:
    rec = record(f.service(action, 20, **fields))
    assert rec["type"] == "service"
    assert tail(rec) == {"actor": "Ann Lee", "actor_id": "user5", **expected, "text": "", "text_entities": []}


@pytest.mark.parametrize(
    ("name", "action", "fields", "expected"), ACTORLESS_CASES, ids=[c[0] for c in ACTORLESS_CASES]
)
def test_actorless_service_actions(
    name: str, action: Any, fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    rec = record(f.service(action, 20, **fields))
    assert rec["type"] == "service"
    assert tail(rec) == {**expected, "text": "", "text_entities": []}


def test_channel_service_message_actor_is_the_channel() -> None:
    rec = record(
        f.service(
            tl.MessageActionChannelCreate(title="News"), peer_id=tl.PeerChannel(f.CHANNEL), from_id=None
        )
    )
    assert (rec["actor"], rec["actor_id"]) == ("News", "channel99")


def test_empty_action_is_a_plain_message_like_desktop() -> None:
    rec = record(f.service(tl.MessageActionEmpty()))
    assert rec["type"] == "message"
    assert tail(rec) == {"from": "Ann Lee", "from_id": "user5", "text": "", "text_entities": []}


def test_actions_newer_than_desktop_stay_visible() -> None:
    rec = record(f.service(tl.MessageActionNoForwardsToggle(prev_value=False, new_value=True)))
    assert rec["type"] == "service"
    assert (rec["actor"], rec["action"]) == ("Ann Lee", "no_forwards_toggle")


# --------------------------------------------------------------------------- forum topics


def test_topic_of() -> None:
    create = f.service(tl.MessageActionTopicCreate(title="Ideas", icon_color=0), 50)
    assert topic_of(create, is_forum=True) == 50
    in_topic = f.message(51, reply_to=tl.MessageReplyHeader(reply_to_msg_id=50, forum_topic=True))
    assert topic_of(in_topic, is_forum=True) == 50
    reply_in_topic = f.message(
        52, reply_to=tl.MessageReplyHeader(reply_to_msg_id=51, reply_to_top_id=50, forum_topic=True)
    )
    assert topic_of(reply_in_topic, is_forum=True) == 50
    general = f.message(53)
    assert topic_of(general, is_forum=True) == 1
    reply_in_general = f.message(54, reply_to=tl.MessageReplyHeader(reply_to_msg_id=53))
    assert topic_of(reply_in_general, is_forum=True) == 1
    assert topic_of(in_topic, is_forum=False) is None


def test_forum_message_keeps_desktops_reply_to_topic_root() -> None:
    # Desktop reads reply_to_msg_id as it is: a plain topic message "replies" to the topic's first message.
    msg = f.message(51, reply_to=tl.MessageReplyHeader(reply_to_msg_id=50, forum_topic=True))
    rec = record(msg, topic_id=topic_of(msg, is_forum=True))
    assert (rec["reply_to_message_id"], rec["topic_id"]) == (50, 50)
