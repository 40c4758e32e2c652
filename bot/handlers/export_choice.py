"""What a person chose on the export screen (or typed after /export), in words and as ExportOptions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from db import JobKind
from exporter.options import ExportOptions

from .. import text

RANGES = ("all", "new", "7d", "30d")
# A typed range after the chat, e.g. /export @name 2024-01-01..2024-03-31; either side may be left
# out. Dates are UTC days, as the CLI's --since/--until; the end day is included (the CLI's --until
# is "before this date"), since that is what a person means by "..2024-03-31".
DATE_RANGE = re.compile(r"(?P<since>\d{4}-\d{2}-\d{2})?\.\.(?P<until>\d{4}-\d{2}-\d{2})?")


def typed_range(typed: str) -> tuple[str, dict[str, Any] | str | None]:
    """The target text and, if a range was typed after it, the choice it makes (or the sentence
    saying what is wrong with it)."""
    head, _, last = typed.rpartition(" ")
    if not head or DATE_RANGE.fullmatch(last) is None:
        return typed, None
    return head.strip(), date_range(last)


def date_range(typed: str) -> dict[str, Any] | str:
    """The choice a typed range makes ("2024-01-01..2024-03-31", either side may be left out), or
    the sentence saying what is wrong with it."""
    # "2024-01-01 .. 2024-03-31" is what a person means too.
    typed = re.sub(r"\s*\.\.\s*", "..", typed.strip())
    found = DATE_RANGE.fullmatch(typed)
    if found is None:
        return text.BAD_DATE_RANGE.format(typed=typed[:40])
    try:
        since = dt.date.fromisoformat(found["since"]) if found["since"] else None
        until = dt.date.fromisoformat(found["until"]) if found["until"] else None
    except ValueError:
        return text.BAD_DATE_RANGE.format(typed=typed)
    if since is None and until is None:
        return text.BAD_DATE_RANGE.format(typed=typed)
    if since and until and since > until:
        return text.DATE_RANGE_BACKWARDS.format(typed=typed)
    return {
        "range": "dates",
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }


def range_label(choice: dict[str, Any]) -> str:
    if choice["range"] != "dates":
        return text.RANGE_LABELS[choice["range"]]
    if choice["since"] and choice["until"]:
        return text.RANGE_DATES.format(since=choice["since"], until=choice["until"])
    if choice["since"]:
        return text.RANGE_FROM.format(since=choice["since"])
    return text.RANGE_UNTIL.format(until=choice["until"])


def options_for(picked: dict[str, Any]) -> tuple[JobKind, ExportOptions]:
    since = until = None
    if picked["range"] in ("7d", "30d"):
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=7 if picked["range"] == "7d" else 30)
    elif picked["range"] == "dates":
        midnight = dt.time(tzinfo=dt.UTC)
        if picked["since"]:
            since = dt.datetime.combine(dt.date.fromisoformat(picked["since"]), midnight)
        if picked["until"]:
            # The end day whole: messages before the next midnight.
            until = dt.datetime.combine(dt.date.fromisoformat(picked["until"]), midnight)
            until += dt.timedelta(days=1)
    topics = tuple(picked["topics"]) if picked["topics"] is not None else None
    options = ExportOptions(
        formats=tuple(picked["formats"]),
        since=since,
        until=until,
        topics=topics,
        takeout=picked["takeout"],
        media=tuple(picked["media"]),
        max_file_size=picked["max_file_size"],
        raw_title=picked.get("raw_title", False),
        comments=picked.get("comments", False),
        filter=picked.get("filter"),
    )
    return (JobKind.INCREMENTAL if picked["range"] == "new" else JobKind.FULL), options
