"""When schedules fire: wall-clock rules across Europe/Berlin's daylight-saving changes (RFC 5545
3.3.5), elapsed-time rules, one catch-up after downtime, and the words a mistyped rule gets."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from bot.jobs.schedule_rules import DAILY, EVERY, Rule, RuleError, parse_rule

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int, minute: int, zone: dt.tzinfo = UTC) -> float:
    return dt.datetime(year, month, day, hour, minute, tzinfo=zone).timestamp()


def utc(moment: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(moment, UTC)


def firings(rule: Rule, start: float, end: float) -> list[dt.datetime]:
    """Every time the rule fires in (start, end], as a timer that runs each one would see them."""
    found, moment = [], start
    while (moment := rule.next_after(moment)) <= end:
        found.append(utc(moment))
    return found


def test_daily_0230_on_the_spring_forward_day_runs_once_at_0330_summer_time() -> None:
    # 2026-03-29 02:00 CET the clocks jump to 03:00 CEST: 02:30 does not exist that day.
    rule = Rule(DAILY, at_minute=2 * 60 + 30, time_zone="Europe/Berlin")
    runs = firings(rule, at(2026, 3, 27, 12, 0), at(2026, 3, 30, 12, 0))
    assert runs == [
        dt.datetime(2026, 3, 28, 1, 30, tzinfo=UTC),  # 02:30 CET
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # the missing 02:30, read with CET: 03:30 CEST
        dt.datetime(2026, 3, 30, 0, 30, tzinfo=UTC),  # 02:30 CEST
    ]
    assert runs[1].astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"


def test_daily_0230_on_the_fall_back_day_runs_once_at_its_first_occurrence() -> None:
    # 2026-10-25 03:00 CEST the clocks go back to 02:00 CET: 02:30 happens twice that day.
    rule = Rule(DAILY, at_minute=2 * 60 + 30, time_zone="Europe/Berlin")
    runs = firings(rule, at(2026, 10, 23, 12, 0), at(2026, 10, 26, 12, 0))
    assert runs == [
        dt.datetime(2026, 10, 24, 0, 30, tzinfo=UTC),  # 02:30 CEST
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the first 02:30 (CEST); not again at 01:30 UTC
        dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC),  # 02:30 CET
    ]
    # Looked at from between the two 02:30s, the day's run is behind, not ahead.
    between = at(2026, 10, 25, 1, 0)
    assert utc(rule.next_after(between)) == dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_weekly_keeps_its_local_time_across_the_change() -> None:
    rule = Rule("weekly", at_minute=8 * 60, weekday=0, time_zone="Europe/Berlin")
    runs = firings(rule, at(2026, 3, 20, 0, 0), at(2026, 4, 5, 0, 0))
    assert [run.astimezone(BERLIN).strftime("%a %d %H:%M") for run in runs] == [
        "Mon 23 08:00",
        "Mon 30 08:00",
    ]
    assert [run.hour for run in runs] == [7, 6]  # 08:00 CET, then 08:00 CEST


def test_every_is_elapsed_time_through_a_change() -> None:
    rule = Rule(EVERY, every_seconds=6 * 3600, anchor=at(2026, 3, 28, 22, 0), time_zone="Europe/Berlin")
    runs = firings(rule, at(2026, 3, 28, 22, 0), at(2026, 3, 29, 22, 0))
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(runs)] == [6 * 3600] * 3


def test_after_downtime_the_next_slot_is_after_now_not_each_missed_one() -> None:
    rule = Rule(DAILY, at_minute=3 * 60, time_zone="UTC")
    # Due at day 1 03:00; the bot came back on day 4 at 12:00: one run now, next on day 5.
    now = at(2026, 5, 4, 12, 0)
    assert utc(rule.next_after(now)) == dt.datetime(2026, 5, 5, 3, 0, tzinfo=UTC)
    every = Rule(EVERY, every_seconds=6 * 3600, anchor=at(2026, 5, 1, 0, 0))
    assert utc(every.next_after(now)) == dt.datetime(2026, 5, 4, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "zone", "expected"),
    [
        ("daily 03:00", "Europe/Berlin", "daily at 03:00 (Europe/Berlin)"),
        ("weekly MON 08:05", "UTC", "every Monday at 08:05 (UTC)"),
        ("weekly friday 23:59", "UTC+05:30", "every Friday at 23:59 (UTC+05:30)"),
        ("every 6h", "UTC", "every 6 h"),
        ("every 90m", "UTC", "every 1 h 30 min"),
    ],
)
def test_rules_in_words(typed: str, zone: str, expected: str) -> None:
    rule, used = parse_rule(typed.split(), zone, 0.0)
    assert used == len(typed.split())
    assert rule.describe() == expected


@pytest.mark.parametrize(
    ("typed", "zone", "words"),
    [
        ("daily 25:00", "UTC", "“25:00” is not a time of day"),
        # Cut short: what is missing, never an empty “” in quotes.
        ("daily", "UTC", "Say when in full: daily 03:00"),
        ("weekly", "UTC", "Say when in full: daily 03:00"),
        ("every", "UTC", "Say when in full: daily 03:00"),
        ("weekly someday 08:00", "UTC", "“someday” is not a day of the week"),
        ("every 5m", "UTC", "At most once every 15 min"),
        ("every often", "UTC", "“often” is not a period"),
        ("hourly", "UTC", "“hourly” is not a schedule: say daily 03:00"),
        ("dayly 03:00", "UTC", "“dayly” is not a schedule"),
        ("daily 03:00", "Mars/Olympus", "Unknown time zone 'Mars/Olympus'"),
    ],
)
def test_mistyped_rules_say_what_is_wrong(typed: str, zone: str, words: str) -> None:
    with pytest.raises(RuleError, match=words):
        parse_rule(typed.split(), zone, 0.0)
