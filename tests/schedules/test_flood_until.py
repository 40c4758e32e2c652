"""A flood wait too long to wait out says until when (UTC), so a person, or a schedule's next run,
knows when reading can go on; the day is named when it is not today."""

from __future__ import annotations

import datetime as dt

from telethon import errors

from exporter.errors import explain, until

NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def test_until_names_the_time_and_the_day_when_it_is_another() -> None:
    assert until(2000, NOON) == "until 12:33 UTC"
    assert until(15 * 3600, NOON) == "until 8 Dec 03:00 UTC"


def test_a_flood_wait_sentence_says_until_when() -> None:
    flood = errors.FloodWaitError(request=None, capture=2000)
    before = dt.datetime.now(dt.UTC)
    sentence = explain(flood)
    after = dt.datetime.now(dt.UTC)
    assert sentence.startswith("Telegram asked us to wait 33 min 20 s (until ")
    assert any(f"({until(2000, moment)})" in sentence for moment in (before, after)), sentence
