"""Dates as a record writes them: unix seconds, and Desktop's ISO form without a zone."""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import date as _date

_DAY_PREFIX: dict[int, str] = {}
_HOUR_MINUTE = [f"T{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECONDS = [f"{s:02d}" for s in range(60)]
_EPOCH_ORDINAL = _date(1970, 1, 1).toordinal()


def unix_time(value: datetime | int) -> int:
    if isinstance(value, int):
        return value
    if value.tzinfo is None:
        # Telethon always gives aware UTC datetimes; naive ones are taken as UTC too.
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def iso_date(ts: int) -> str:
    """'YYYY-MM-DDTHH:MM:SS' in UTC, the shape Desktop's Qt::ISODate gives without a zone.

    Formatting through tables and a per-day cache costs a fraction of strftime or
    isoformat, and this runs twice for every edited message.
    """
    day, second = divmod(ts, 86400)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = _date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
    minute, second = divmod(second, 60)
    return prefix + _HOUR_MINUTE[minute] + _SECONDS[second]
