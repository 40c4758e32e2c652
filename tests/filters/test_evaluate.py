"""The predicate on hand-made records: terms the sandbox never exercises (pinned, mentions:me), service
messages' senders, the zone of dates across a daylight-saving change, and binding errors."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from exporter.filters import Context, FilterBindError, bind, parse
from exporter.filters.evaluate import desktop_peer_id

CONTEXT = Context(
    me=7, users={"@alice": "user42"}, topics={1: "General", 5: "Ideas"}, time_zone="Europe/Berlin", now=1e9
)
PLAIN = SimpleNamespace(pinned=None, mentioned=None, views=None)


def keeps(query: str, record: dict, msg: object = PLAIN) -> bool:
    return bind(parse(query), CONTEXT)(record, msg)


def test_pinned_mentions_and_views_read_the_raw_message() -> None:
    rec = {"id": 1, "type": "message"}
    assert keeps("pinned", rec, SimpleNamespace(pinned=True)) and not keeps("pinned", rec)
    assert keeps("mentions:me", rec, SimpleNamespace(mentioned=True)) and not keeps("mentions:me", rec)
    assert keeps("views>=5", rec, SimpleNamespace(views=5)) and not keeps(
        "views>5", rec, SimpleNamespace(views=5)
    )
    assert not keeps("views<5", rec)  # no view counter: never matches


def test_senders_of_messages_and_service_messages() -> None:
    assert keeps("from:@alice", {"id": 1, "from_id": "user42"})
    assert keeps("from:@alice", {"id": 1, "type": "service", "actor_id": "user42"})
    assert keeps("from:me", {"id": 1, "from_id": "user7"}) and not keeps(
        "from:me", {"id": 1, "from_id": "user42"}
    )
    assert keeps("from:-1000000001234", {"id": 1, "from_id": "channel1234"})
    assert keeps("from:-55", {"id": 1, "from_id": "chat55"})
    assert [desktop_peer_id(i) for i in (5, -5, -1001234567890, -999999999999)] == [
        "user5",
        "chat5",
        "channel1234567890",
        "chat999999999999",
    ]


def test_dates_are_days_of_the_export_zone_across_a_daylight_saving_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2024-03-31 had 23 hours in Berlin (clocks went forward at 02:00).
    first = int(dt.datetime(2024, 3, 31, 0, 0, tzinfo=berlin).timestamp())
    last = int(dt.datetime(2024, 3, 31, 23, 59, 59, tzinfo=berlin).timestamp())
    for stamp, inside in ((first - 1, False), (first, True), (last, True), (last + 1, False)):
        rec = {"id": 1, "date_unixtime": str(stamp)}
        assert keeps("on:2024-03-31", rec) is inside
        assert keeps("after:2024-03-31", rec) is (stamp >= first)
        assert keeps("before:2024-03-31", rec) is (stamp < first)
    december = {
        "id": 1,
        "date_unixtime": str(int(dt.datetime(2024, 12, 31, 23, 0, tzinfo=berlin).timestamp())),
    }
    assert keeps("on:2024-12", december) and keeps("on:2024", december) and not keeps("after:2025", december)


def test_media_text_and_files() -> None:
    video = {"id": 1, "file": "x", "file_name": "Clip.MP4", "media_type": "video_file", "file_size": 60 << 20}
    assert keeps("has:video size>50MB ext:mp4 has:media", video)
    assert not keeps("has:file", video) and not keeps("has:gif", video)
    doc = {"id": 2, "file": "x", "file_name": "a.pdf", "file_size": 10}
    assert keeps("has:file ext:pdf,zip size<1KB", doc)
    text = {
        "id": 3,
        "text_entities": [{"type": "plain", "text": "Grüße aus der "}, {"type": "bold", "text": "STRASSE"}],
    }
    assert keeps("straße", text) and keeps('"der strasse"', text) and not keeps("has:link", text)
    assert keeps("has:link", {"id": 4, "text_entities": [{"type": "text_link", "text": "here", "href": "x"}]})
    reacted = {"id": 5, "reactions": [{"type": "emoji", "count": 2, "emoji": "👍"}]}
    assert keeps("reaction:👍", reacted) and not keeps("reaction:🔥", reacted)
    assert keeps("topic:Ideas", {"id": 6, "topic_id": 5}) and keeps('topic:"ideas"', {"id": 6, "topic_id": 5})


@pytest.mark.parametrize(
    "query, words",
    [
        ("from:@bob", "nobody on Telegram is called @bob"),
        ("topic:9", "this forum has no topic 9"),
        ('topic:"Nope"', "no topic of this chat is called that"),
    ],
)
def test_names_that_mean_nothing_here_are_refused(query: str, words: str) -> None:
    with pytest.raises(FilterBindError, match=words):
        bind(parse(query), CONTEXT)
