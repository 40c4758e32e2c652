"""What of a filter is asked of Telegram (exporter.filters.pushdown), term by term."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from telethon.tl import types as T

from exporter.completeness import count_mismatch
from exporter.filters import Context, parse
from exporter.filters.pushdown import Search, plan_search

NOW = 1_717_000_000.5
CONTEXT = Context(
    me=42, users={"@alice": "user7"}, topics={1: "General", 9: "Releases"}, time_zone="Europe/Berlin", now=NOW
)
PEERS = {"me": T.InputPeerSelf(), "@alice": T.InputPeerUser(7, 77)}


def _plan(query: str) -> Search | None:
    return plan_search(parse(query), CONTEXT, PEERS)


def _berlin(*day: int) -> int:
    return int(dt.datetime(*day, tzinfo=ZoneInfo("Europe/Berlin")).timestamp())


def test_or_not_and_local_terms_alone_are_read_in_full() -> None:
    for query in (
        "from:@alice | has:photo",
        "-from:@alice",
        "not has:photo",
        "size>1MB edited fwd",
        "id:5..9",
    ):
        assert _plan(query) is None, query
    # An id Telethon has not met cannot be asked.
    assert _plan("from:123456") is None


def test_the_top_level_terms_are_asked_once_each() -> None:
    search = _plan('from:@alice from:me has:photo,video has:gif "good news" (a | b) topic:"releases" -x')
    assert search is not None
    assert (search.sender, search.sender_peer, search.kind, search.q, search.top_msg_id) == (
        "@alice",
        PEERS["@alice"],
        "photo_video",
        "good news",
        9,
    )
    assert search.asked == (
        "from @alice",
        "photos or videos",
        "containing “good news”",
        "in topic “releases”",
    )
    assert _plan("pinned has:photo").kind == "pinned"  # type: ignore[union-attr]
    assert _plan("has:sticker mentions:me").kind == "my_mentions"  # type: ignore[union-attr]
    assert _plan("has:round,voice").kind == "round_voice"  # type: ignore[union-attr]


def test_dates_are_asked_as_telegrams_exclusive_bounds_in_the_zone() -> None:
    # 31 March 2024 in Berlin has 23 hours (summer time starts): [start, end) is asked as (start - 1, end).
    search = _plan("on:2024-03-31")
    assert search is not None
    assert (search.min_date, search.max_date) == (_berlin(2024, 3, 31) - 1, _berlin(2024, 4, 1))
    assert search.max_date - search.min_date - 1 == 23 * 3600
    search = _plan("after:2024-01-01 before:2024-06-01 after:2024-02-01 last:4000w")
    assert search is not None
    assert (search.min_date, search.max_date) == (_berlin(2024, 2, 1) - 1, _berlin(2024, 6, 1))
    search = _plan("last:7d")
    assert search is not None and search.min_date == int(NOW - 7 * 86400) + 1 - 1
    assert search.max_date == 0


def test_an_export_that_read_fewer_answers_than_telegram_counted_is_incomplete() -> None:
    manifest = {
        "messages": {"expected": None, "written": 3},
        "topics": None,
        "filter": {"query": "from:me", "telegram_count": 5, "read": 4},
    }
    said = count_mismatch(manifest)
    assert said is not None and said.startswith("Telegram's search counts 5 matches but 4 were read")
    manifest["filter"]["read"] = 5  # type: ignore[index]
    assert count_mismatch(manifest) is None
    # Read in full, or only part of what Telegram counted was asked for: nothing to compare.
    manifest["filter"] = {"query": "from:me", "telegram_count": None, "read": 4}
    assert count_mismatch(manifest) is None
