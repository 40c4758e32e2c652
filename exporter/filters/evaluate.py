"""A parsed filter → a predicate over one stored record (exporter.records) and its raw message.

The record is Telegram Desktop's ``result.json`` object, which has almost
everything a term asks: sender (``from_id``, or ``actor_id`` on service
messages), date, text, media kind, file name and size, forward origin, edit
date, reactions and the forum topic.  Three terms need what Desktop does not
write, and read the raw message instead: ``pinned`` (``message.pinned``),
``mentions:me`` (``message.mentioned``) and ``views>N`` (``message.views``; a
message without a view counter has no views and never matches).

Before a predicate exists, the names in a filter are bound: ``from:@user`` to
that user's id (:func:`usernames`; the caller asks Telegram), ``from:me`` to
the account, ``topic:"title"`` to the topic so named, dates to the export's time
zone and ``last:`` to the moment the export started.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

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

Record = dict[str, Any]
Predicate = Callable[[Record, Any], bool]

# has: kind → the record's media_type (documents); photo, file and the rest are below.
_MEDIA_TYPES = {
    "video": "video_file",
    "gif": "animation",
    "voice": "voice_message",
    "round": "video_message",
    "audio": "audio_file",
    "sticker": "sticker",
}
# Desktop's entity types for a link in the text (export_data_types.cpp: TextPart::Type::Url, TextUrl).
_LINK_ENTITIES = frozenset(("link", "text_link"))
_CHANNEL_BASE = 1_000_000_000_000


class FilterBindError(ValueError):
    """A filter names something this chat or account does not have (a topic title, a username)."""


@dataclass(frozen=True)
class Context:
    """What the names of a filter mean in one export."""

    me: int  # the account's user id
    users: Mapping[str, str]  # "@name" (lower case) → Desktop's peer id ("user42", "channel7")
    topics: Mapping[int, str]  # forum topic id → title (empty outside forums)
    time_zone: str
    now: float  # unix time the export started (last:)


def usernames(node: Node) -> set[str]:
    """The "@name"s of from: terms, to be resolved before :func:`bind`."""
    return {n.who for n in walk(node) if isinstance(n, From) and n.who.startswith("@")}


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, And | Or):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Not):
        yield from walk(node.item)


def desktop_peer_id(marked: int) -> str:
    """A Bot API style id (users positive, groups -N, channels -100N) → Desktop's "user…"/"chat…"/"channel…"."""
    if marked > 0:
        return f"user{marked}"
    # Channels are -(10^12 + id) in the Bot API's form (Telethon's utils.resolve_id does the same).
    if marked <= -_CHANNEL_BASE:
        return f"channel{-marked - _CHANNEL_BASE}"
    return f"chat{-marked}"


def bind(node: Node, context: Context) -> Predicate:
    """The predicate of ``node``; FilterBindError when a name means nothing here."""
    return Binder(context).bind(node)


def binder(context: Context) -> Binder:
    """What the names and dates of terms mean here (exporter.filters.pushdown asks it too)."""
    return Binder(context)


class Binder:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.zone = ZoneInfo(context.time_zone)

    def bind(self, node: Node) -> Predicate:
        if isinstance(node, And):
            parts = [self.bind(item) for item in node.items]
            return lambda rec, msg: all(p(rec, msg) for p in parts)
        if isinstance(node, Or):
            parts = [self.bind(item) for item in node.items]
            return lambda rec, msg: any(p(rec, msg) for p in parts)
        if isinstance(node, Not):
            inner = self.bind(node.item)
            return lambda rec, msg: not inner(rec, msg)
        return self.term(node)

    def term(self, node: Node) -> Predicate:
        if isinstance(node, Text):
            needle = node.needle
            return lambda rec, msg: needle in text_of(rec).casefold()
        if isinstance(node, From):
            sender = self._sender(node.who)
            return lambda rec, msg: (rec.get("from_id") or rec.get("actor_id")) == sender
        if isinstance(node, Has):
            kinds = node.kinds
            return lambda rec, msg: any(has(rec, kind) for kind in kinds)
        if isinstance(node, DateTerm):
            low, high = self.period(node)
            return lambda rec, msg: low <= int(rec.get("date_unixtime", "0")) < high
        if isinstance(node, Last):
            since = self.context.now - node.seconds
            return lambda rec, msg: int(rec.get("date_unixtime", "0")) >= since
        if isinstance(node, Ids):
            low = node.low if node.low is not None else 0
            high = node.high if node.high is not None else 1 << 62
            return lambda rec, msg: low <= rec["id"] <= high
        if isinstance(node, TopicTerm):
            topic = self.topic(node)
            return lambda rec, msg: rec.get("topic_id") == topic
        if isinstance(node, Flag):
            return _FLAGS[node.name]
        if isinstance(node, Reaction):
            emoji = node.emoji
            return lambda rec, msg: any(r.get("emoji") == emoji for r in rec.get("reactions", ()))
        if isinstance(node, Compare):
            return _compare(node)
        assert isinstance(node, Ext)
        suffixes = tuple("." + name for name in node.names)
        return lambda rec, msg: str(rec.get("file_name", "")).lower().endswith(suffixes)

    def _sender(self, who: str) -> str:
        if who == "me":
            return f"user{self.context.me}"
        if who.startswith("@"):
            found = self.context.users.get(who)
            if found is None:
                raise FilterBindError(f"from:{who}: nobody on Telegram is called {who}.")
            return found
        return desktop_peer_id(int(who))

    def period(self, node: DateTerm) -> tuple[int, int]:
        """[start, end) in unix time of the day, month or year named, in the export's zone."""
        start = dt.datetime(node.year, node.month or 1, node.day or 1, tzinfo=self.zone)
        if node.day is not None:
            end = start.date() + dt.timedelta(days=1)
        elif node.month is not None:
            end = dt.date(node.year + node.month // 12, node.month % 12 + 1, 1)
        else:
            end = dt.date(node.year + 1, 1, 1)
        # Midnight in the zone, computed per date (a DST change between start and end moves it).
        end_at = dt.datetime(end.year, end.month, end.day, tzinfo=self.zone)
        low, high = int(start.timestamp()), int(end_at.timestamp())
        if node.key == "after":
            return low, 1 << 62
        if node.key == "before":
            return -(1 << 62), low
        return low, high

    def topic(self, node: TopicTerm) -> int:
        topics = self.context.topics
        if node.id is not None:
            if topics and node.id not in topics:
                raise FilterBindError(f"topic:{node.id}: this forum has no topic {node.id}.")
            return node.id
        wanted = (node.title or "").casefold()
        found = [i for i, title in topics.items() if title.casefold() == wanted]
        if not found:
            raise FilterBindError(f"topic:“{node.title}”: no topic of this chat is called that.")
        if len(found) > 1:
            listed = ", ".join(map(str, found))
            raise FilterBindError(
                f"topic:“{node.title}”: several topics are called that ({listed}); use topic:ID."
            )
        return found[0]


def text_of(rec: Record) -> str:
    """The message's text (a caption for media) as Desktop wrote it, entities joined."""
    return "".join(part.get("text", "") for part in rec.get("text_entities", ()))


def has(rec: Record, kind: str) -> bool:
    media_type = rec.get("media_type")
    if kind in _MEDIA_TYPES:
        return media_type == _MEDIA_TYPES[kind]
    if kind == "photo":
        return "photo" in rec
    if kind == "file":
        # A document no other kind claims (PDFs, archives, …), as Desktop's "files".
        return "file" in rec and media_type is None
    if kind == "media":
        return "photo" in rec or "file" in rec
    if kind == "link":
        return any(part.get("type") in _LINK_ENTITIES for part in rec.get("text_entities", ()))
    if kind == "poll":
        return "poll" in rec
    if kind == "geo":
        return "location_information" in rec
    assert kind == "contact"
    return "contact_information" in rec


def _size(rec: Record) -> int | None:
    if "photo" in rec:
        return int(rec.get("photo_file_size", 0))
    if "file" in rec:
        return int(rec.get("file_size", 0))
    return None


def _compare(node: Compare) -> Predicate:
    op, number = node.op, node.number
    test: Callable[[int], bool] = {
        ">": lambda v: v > number,
        ">=": lambda v: v >= number,
        "<": lambda v: v < number,
        "<=": lambda v: v <= number,
        "=": lambda v: v == number,
    }[op]
    if node.field == "size":

        def by_size(rec: Record, msg: Any) -> bool:
            size = _size(rec)
            return size is not None and test(size)

        return by_size

    def by_views(rec: Record, msg: Any) -> bool:
        views = getattr(msg, "views", None)
        return views is not None and test(views)

    return by_views


_FLAGS: dict[str, Predicate] = {
    "pinned": lambda rec, msg: bool(getattr(msg, "pinned", False)),
    "mentions": lambda rec, msg: bool(getattr(msg, "mentioned", False)),
    "fwd": lambda rec, msg: "forwarded_from" in rec,
    "edited": lambda rec, msg: "edited" in rec,
}
