"""When a schedule fires: ``daily 03:00``, ``weekly mon 08:00`` or ``every 6h``, in a time zone; and
a schedule in words, as /schedules and ``python -m bot schedules`` show it (no aiogram here, so the
command line starts fast).

Wall-clock rules (daily, weekly) follow the zone's daylight saving as RFC 5545 (iCalendar,
section 3.3.5, "FORM #3: date with local time and time zone reference") reads a local time: a
time that does not exist on a spring-forward day is read with the offset in force before the gap
(02:30 in Europe/Berlin on the last Sunday of March is 03:30 CEST), and a time that exists twice on
a fall-back day is its first occurrence (02:30 CEST, never again at 02:30 CET). Python's
``zoneinfo`` with ``fold=0`` reads local times exactly so (PEP 495), which is why the candidates
below are built with the default fold. ``every`` is elapsed time and ignores the zone: six hours
are six hours across a change.

Missed periods are not made up one by one: :meth:`Rule.next_after` gives the first occurrence
after a moment, so a schedule that was due while the bot was down runs once, then resumes its
rhythm (each run is incremental, so that one run carries everything new).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from db.schedules import DELIVERED, NOTHING_NEW, Schedule
from exporter.render.local_time import UnknownTimeZone, zone_info

from .. import text

DAILY, WEEKLY, EVERY = "daily", "weekly", "every"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Shorter than this would run exports back to back; Telegram's flood limits are per account.
SHORTEST_EVERY = 15 * 60
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_EVERY = re.compile(r"(\d{1,4})(m|min|h|d)")
_UNIT_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400}


class RuleError(ValueError):
    """What is wrong with a typed rule, in words for the user."""


@dataclass(frozen=True)
class Rule:
    kind: str
    # Wall-clock rules: minutes after local midnight, and the weekday (0 = Monday) of weekly ones.
    at_minute: int = 0
    weekday: int | None = None
    # ``every``: the period in seconds, counted from ``anchor`` (when the schedule was made).
    every_seconds: int = 0
    anchor: float = 0.0
    time_zone: str = "UTC"

    def next_after(self, moment: float) -> float:
        """The first time this rule fires strictly after ``moment`` (Unix seconds)."""
        if self.kind == EVERY:
            periods = max(0, int((moment - self.anchor) // self.every_seconds) + 1)
            return self.anchor + periods * self.every_seconds
        zone = zone_info(self.time_zone)
        day = dt.datetime.fromtimestamp(moment, zone).date()
        hour, minute = divmod(self.at_minute, 60)
        # Today's slot may have passed; a weekly one comes within the week after.
        for offset in range(8):
            date = day + dt.timedelta(days=offset)
            if self.weekday is not None and date.weekday() != self.weekday:
                continue
            candidate = dt.datetime.combine(date, dt.time(hour, minute), tzinfo=zone).timestamp()
            if candidate > moment:
                return candidate
        raise AssertionError("a daily or weekly rule fires within eight days")

    def describe(self) -> str:
        """The rule in words, as /schedules lists it."""
        if self.kind == EVERY:
            return text.RULE_EVERY.format(period=period_words(self.every_seconds))
        at = f"{self.at_minute // 60:02d}:{self.at_minute % 60:02d}"
        if self.weekday is None:
            return text.RULE_DAILY.format(at=at, zone=self.time_zone)
        return text.RULE_WEEKLY.format(day=text.WEEKDAY_NAMES[self.weekday], at=at, zone=self.time_zone)


def period_words(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    pieces = [f"{value} {unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if value]
    return " ".join(pieces)


def parse_rule(words: list[str], time_zone: str, anchor: float) -> tuple[Rule, int]:
    """The rule at the start of ``words`` and how many words it took (raises :class:`RuleError`)."""
    if not words:
        raise RuleError(text.SCHEDULE_NO_RULE)
    head = words[0].lower()
    try:
        zone_info(time_zone)
    except UnknownTimeZone as exc:
        raise RuleError(str(exc)) from None
    if head == DAILY:
        return Rule(DAILY, at_minute=_clock(words[1:2]), time_zone=time_zone), 2
    if head == WEEKLY:
        if len(words) < 2:
            raise RuleError(text.SCHEDULE_RULE_CUT)
        day = words[1].lower()[:3]
        if day not in WEEKDAYS:
            raise RuleError(text.SCHEDULE_BAD_WEEKDAY.format(typed=words[1]))
        minute = _clock(words[2:3])
        return Rule(WEEKLY, at_minute=minute, weekday=WEEKDAYS.index(day), time_zone=time_zone), 3
    if head == EVERY:
        if len(words) < 2:
            raise RuleError(text.SCHEDULE_RULE_CUT)
        found = _EVERY.fullmatch(words[1].lower())
        if found is None:
            raise RuleError(text.SCHEDULE_BAD_EVERY.format(typed=words[1]))
        seconds = int(found[1]) * _UNIT_SECONDS[found[2]]
        if seconds < SHORTEST_EVERY:
            raise RuleError(text.SCHEDULE_TOO_OFTEN.format(shortest=period_words(SHORTEST_EVERY)))
        return Rule(EVERY, every_seconds=seconds, anchor=anchor, time_zone=time_zone), 2
    raise RuleError(text.SCHEDULE_UNKNOWN_RULE.format(typed=words[0]))


def _clock(words: list[str]) -> int:
    if not words:
        raise RuleError(text.SCHEDULE_RULE_CUT)
    found = _TIME.fullmatch(words[0])
    if found is None:
        raise RuleError(text.SCHEDULE_BAD_TIME.format(typed=words[0]))
    return int(found[1]) * 60 + int(found[2])


def rule_of(schedule: Schedule) -> Rule:
    return Rule(
        schedule.rule_kind,
        at_minute=schedule.at_minute,
        weekday=schedule.weekday,
        every_seconds=schedule.every_seconds,
        anchor=schedule.anchor_at,
        time_zone=schedule.time_zone,
    )


def when_words(moment: float, zone: str) -> str:
    """A moment as the schedule's owner reads it: in the schedule's zone, with the zone's abbreviation."""
    return dt.datetime.fromtimestamp(moment, zone_info(zone)).strftime(text.WHEN_FORMAT)


def last_words(item: Schedule) -> str:
    """How the schedule's last run ended, in words (also the command line's)."""
    if item.running:
        return text.SCHEDULE_LAST_RUNNING
    if item.last_run_at is None:
        return text.SCHEDULE_LAST_NEVER
    when = when_words(item.last_run_at, item.time_zone)
    if item.last_result == DELIVERED:
        return text.SCHEDULE_LAST_DELIVERED.format(when=when, messages=item.last_messages or 0)
    if item.last_result == NOTHING_NEW:
        return text.SCHEDULE_LAST_NOTHING.format(when=when)
    return text.SCHEDULE_LAST_FAILED.format(when=when, reason=item.last_error)
