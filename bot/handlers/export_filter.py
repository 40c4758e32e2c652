"""A filter typed after the chat: /export @chat from:@alice has:photo,video -"giveaway".

The filter language is exporter.filters' (docs/filters.md).  The options screen shows it back in
words before anything starts; a mistake is one sentence saying where and what was expected.
Dates in it are days of the person's zone (/settings), as the job takes that zone when queued.
"""

from __future__ import annotations

from typing import Any

from exporter.filters import FilterSyntaxError, describe, parse

from .. import text

# How much of the filter from the mistake on a sentence quotes.
NEAR = 20


def typed_filter(typed: str) -> tuple[str, dict[str, Any] | str | None]:
    """The target text and, if a filter follows it, the choice it makes (or the sentence saying
    what is wrong with it)."""
    target, _, rest = typed.strip().partition(" ")
    return target, filter_choice(rest)


def filter_choice(typed: str) -> dict[str, Any] | str | None:
    """The choice a typed filter makes, the sentence saying what is wrong with it, or None when
    nothing was typed (/export in a group takes the filter alone: the chat is the group)."""
    typed = typed.strip()
    if not typed:
        return None
    try:
        parse(typed)
    except FilterSyntaxError as exc:
        return mistake(exc)
    return {"filter": typed}


def mistake(exc: FilterSyntaxError) -> str:
    near = exc.query[exc.position : exc.position + NEAR]
    if not near.strip():
        return text.FILTER_MISTAKE_AT_END.format(expected=exc.expected)
    shown = near + ("…" if len(exc.query) > exc.position + NEAR else "")
    return text.FILTER_MISTAKE.format(column=exc.position + 1, near=shown, expected=exc.expected)


def filter_line(choice: dict[str, Any]) -> str | None:
    """The options screen's line for the filter, in words; None without one."""
    typed = choice.get("filter")
    return None if typed is None else text.OPTIONS_FILTER.format(words=describe(parse(typed)))
