"""Dates in the export's time zone: Telegram Desktop writes the exporting machine's local time.

Desktop's writer formats every date with ``QDateTime::fromSecsSinceEpoch(date)
.toString(Qt::ISODate)`` (``export_output_json.cpp`` ``SerializeDate``): local
time, no zone suffix; ``date_unixtime`` is the same instant as a number and does
not depend on the zone.  Records are stored with UTC dates (``exporter.records``)
and put into the chosen zone here, as they are rendered, so one store renders
into any zone and a resumed export may change it.

A zone is an IANA name (``Europe/Berlin``, through :mod:`zoneinfo`), ``UTC``,
or a fixed offset ``UTC+05:30`` (what :func:`machine_zone` falls back to when the
machine's zone has no IANA name).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exporter.records import iso_date

UTC_NAME = "UTC"

_OFFSET_NAME = re.compile(r"UTC([+-])(\d\d):(\d\d)")
# Fields of a record (and where they sit) holding an ISO date without a unix twin beside it.
_NESTED_DATES = (("giveaway_information", "until_date"), ("giveaway_results", "until_date"))


class UnknownTimeZone(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"Unknown time zone {name!r}: use an IANA name such as Europe/Berlin or America/New_York, "
            "UTC, or an offset such as UTC+05:30."
        )


def zone_info(name: str) -> dt.tzinfo:
    """The tzinfo of a zone name (raises :class:`UnknownTimeZone`)."""
    if name == UTC_NAME:
        return dt.UTC
    offset = _OFFSET_NAME.fullmatch(name)
    if offset is not None:
        sign = -1 if offset[1] == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=int(offset[2]), minutes=int(offset[3])))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimeZone(name) from exc


def machine_zone() -> str:
    """The name of this machine's time zone, as Desktop would use it: $TZ, else /etc/localtime's
    IANA name, else /etc/timezone; failing all three, today's offset (no daylight saving then)."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        candidates.append(target.partition("zoneinfo/")[2])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if name:
            try:
                zone_info(name)
            except UnknownTimeZone:
                continue
            return name
    offset = dt.datetime.now().astimezone().utcoffset() or dt.timedelta()
    if not offset:
        return UTC_NAME
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class LocalTime:
    """Formats instants as Desktop does, in one zone; ``name`` is what the HTML and Markdown say."""

    def __init__(self, name: str = UTC_NAME) -> None:
        self.name = name
        self._zone = zone_info(name)
        self.is_utc = name == UTC_NAME
        # Hour → offset in seconds, when the offset is the same at both ends of that hour.
        self._offsets: dict[int, int | None] = {}

    def offset(self, ts: int) -> int:
        hour = ts // 3600
        cached = self._offsets.get(hour, -1)
        if cached == -1:
            start, end = self._exact(hour * 3600), self._exact(hour * 3600 + 3599)
            cached = self._offsets[hour] = start if start == end else None
        return cached if cached is not None else self._exact(ts)

    def _exact(self, ts: int) -> int:
        delta = dt.datetime.fromtimestamp(ts, self._zone).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    def iso(self, ts: int) -> str:
        """'YYYY-MM-DDTHH:MM:SS' in this zone, no suffix (Qt::ISODate of a local QDateTime)."""
        return iso_date(ts if self.is_utc else ts + self.offset(ts))

    def localize(self, rec: dict[str, Any]) -> dict[str, Any]:
        """The record with its dates in this zone (changed in place; unix times stay)."""
        if self.is_utc:
            return rec
        unix = rec.get("date_unixtime")
        if unix is not None:
            rec["date"] = self.iso(int(unix))
        unix = rec.get("edited_unixtime")
        if unix is not None:
            rec["edited"] = self.iso(int(unix))
        for reaction in rec.get("reactions") or ():
            for recent in reaction.get("recent") or ():
                recent["date"] = self._from_utc(recent["date"])
        for outer, key in _NESTED_DATES:
            inner = rec.get(outer)
            if inner is not None and key in inner:
                inner[key] = self._from_utc(inner[key])
        return rec

    def _from_utc(self, date: str) -> str:
        return self.iso(int(dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC).timestamp()))
