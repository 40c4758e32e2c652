"""A parsed filter in words, shown back before an export starts.

``from:@alice has:photo,video after:2024-01-01 -"giveaway"`` reads
"from @alice · photos or videos · since 1 Jan 2024 · without “giveaway”":
AND is " · ", OR is " or " (parenthesised inside an AND), NOT is "not (…)"
except for words, which read "without".
"""

from __future__ import annotations

from .syntax import (
    And,
    Compare,
    DateTerm,
    Ext,
    Flag,
    From,
    Has,
    Ids,
    Last,
    Node,
    Not,
    Or,
    Reaction,
    Text,
    TopicTerm,
)

_KIND_WORDS = {
    "photo": "photos",
    "video": "videos",
    "gif": "GIFs",
    "voice": "voice messages",
    "round": "round videos",
    "audio": "music",
    "file": "files",
    "sticker": "stickers",
    "link": "links",
    "poll": "polls",
    "geo": "locations",
    "contact": "contacts",
    "media": "any media",
}
_FLAG_WORDS = {"pinned": "pinned", "fwd": "forwarded", "edited": "edited", "mentions": "mentioning me"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_OP_WORDS = {">": "over", ">=": "at least", "<": "under", "<=": "at most", "=": "exactly"}
_PERIODS = {3600: "hour", 86400: "day", 7 * 86400: "week"}


def describe(node: Node) -> str:
    if isinstance(node, And):
        return " · ".join(_grouped(item) for item in node.items)
    if isinstance(node, Or):
        return " or ".join(_grouped(item) for item in node.items)
    if isinstance(node, Not):
        if isinstance(node.item, Text):
            return f"without “{node.item.shown}”"
        return f"not {_grouped(node.item, always=True)}"
    return _term(node)


def _grouped(node: Node, *, always: bool = False) -> str:
    text = describe(node)
    return (
        f"({text})"
        if isinstance(node, And | Or) or (always and " " in text and not isinstance(node, Not))
        else text
    )


def _date(node: DateTerm) -> str:
    if node.day is not None and node.month is not None:
        return f"{node.day} {_MONTHS[node.month - 1]} {node.year}"
    if node.month is not None:
        return f"{_MONTHS[node.month - 1]} {node.year}"
    return str(node.year)


def _term(node: Node) -> str:
    if isinstance(node, Text):
        return f"containing “{node.shown}”"
    if isinstance(node, From):
        return (
            "from me"
            if node.who == "me"
            else f"from {node.who if node.who.startswith('@') else 'id ' + node.who}"
        )
    if isinstance(node, Has):
        return " or ".join(_KIND_WORDS[k] for k in node.kinds)
    if isinstance(node, DateTerm):
        if node.key == "after":
            return f"since {_date(node)}"
        if node.key == "before":
            return f"before {_date(node)}"
        return f"{'on' if node.day is not None else 'in'} {_date(node)}"
    if isinstance(node, Last):
        for seconds, unit in sorted(_PERIODS.items(), reverse=True):
            if node.seconds % seconds == 0:
                count = node.seconds // seconds
                return f"in the last {unit}" if count == 1 else f"in the last {count} {unit}s"
        raise AssertionError(node)
    if isinstance(node, Ids):
        if node.low == node.high:
            return f"message {node.low}"
        if node.low is None:
            return f"messages up to {node.high}"
        if node.high is None:
            return f"messages from {node.low}"
        return f"messages {node.low} to {node.high}"
    if isinstance(node, TopicTerm):
        return f"in topic {node.id}" if node.id is not None else f"in topic “{node.title}”"
    if isinstance(node, Flag):
        return _FLAG_WORDS[node.name]
    if isinstance(node, Reaction):
        return f"with a {node.emoji} reaction"
    if isinstance(node, Compare):
        what = "files" if node.field == "size" else "views"
        if node.field == "size":
            return f"files {_OP_WORDS[node.op]} {node.shown}"
        return f"{_OP_WORDS[node.op]} {node.number:,} {what}"
    assert isinstance(node, Ext)
    return " or ".join(f".{name}" for name in node.names) + " files"
