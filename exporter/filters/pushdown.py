"""What of a filter Telegram can evaluate itself: one ``messages.search`` instead of a full read.

core.telegram.org/method/messages.search takes words (``q``), one sender (``from_id``), one kind of
content (``filter``, one InputMessagesFilter constructor), dates (``min_date``/``max_date``, both
exclusive: "a sending date bigger / smaller than") and one forum topic (``top_msg_id``), all ANDed;
there is no OR and no NOT.  So only the top-level AND's terms can be asked: each one that maps to a
condition of the method is, once (the first sender, the first kind); everything else (OR, NOT,
size, ext, views, reactions…) is evaluated on our side while paging, and every term is re-checked
on our side anyway: Telegram's answer is a superset to narrow, never the result.  A filter none of
whose terms Telegram can evaluate is read in full (dates alone are asked too: Telegram then sends
only the days asked for).

Words are the one place where the answer changes: Telegram matches a word at the start of the
text's words (``port`` does not find "export"), so a word asked of Telegram finds what both
Telegram's search and our case-insensitive containment find (docs/filters.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from telethon.tl import functions as F
from telethon.tl import types as T

from ..streams import PAGE_LIMIT, Stream
from .evaluate import Binder, Context, binder
from .syntax import And, DateTerm, Flag, From, Has, Last, Node, Text, TopicTerm
from .words import describe

# has: kinds (as a set) → the one InputMessagesFilter that finds exactly those, or a superset our
# side narrows (core.telegram.org/type/MessagesFilter).  Kinds without a filter (sticker, poll,
# media) and other sets stay on our side.
_KIND_FILTERS: dict[frozenset[str], str] = {
    frozenset({"photo"}): "photos",
    frozenset({"video"}): "video",
    frozenset({"photo", "video"}): "photo_video",
    frozenset({"gif"}): "gif",
    frozenset({"voice"}): "voice",
    frozenset({"round"}): "round_video",
    frozenset({"voice", "round"}): "round_voice",
    frozenset({"audio"}): "music",
    frozenset({"file"}): "document",
    frozenset({"link"}): "url",
    frozenset({"geo"}): "geo",
    frozenset({"contact"}): "contacts",
}
_FLAG_FILTERS = {"pinned": "pinned", "mentions": "my_mentions"}
_FILTER_TYPES: dict[str, type] = {
    "empty": T.InputMessagesFilterEmpty,
    "photos": T.InputMessagesFilterPhotos,
    "video": T.InputMessagesFilterVideo,
    "photo_video": T.InputMessagesFilterPhotoVideo,
    "gif": T.InputMessagesFilterGif,
    "voice": T.InputMessagesFilterVoice,
    "round_video": T.InputMessagesFilterRoundVideo,
    "round_voice": T.InputMessagesFilterRoundVoice,
    "music": T.InputMessagesFilterMusic,
    "document": T.InputMessagesFilterDocument,
    "url": T.InputMessagesFilterUrl,
    "geo": T.InputMessagesFilterGeo,
    "contacts": T.InputMessagesFilterContacts,
    "pinned": T.InputMessagesFilterPinned,
    "my_mentions": T.InputMessagesFilterMyMentions,
}


@dataclass(frozen=True)
class Search:
    """The part of a filter asked of Telegram: the arguments of messages.search."""

    q: str = ""
    sender: str | None = None  # a from: value ("me", "@name", an id), bound to ``sender_peer``
    sender_peer: Any = None
    kind: str = "empty"  # a key of _FILTER_TYPES
    min_date: int = 0
    max_date: int = 0
    top_msg_id: int | None = None
    asked: tuple[str, ...] = field(default=())  # the terms asked, as the user wrote them

    def narrows(self) -> bool:
        return bool(
            self.q or self.sender or self.kind != "empty" or self.top_msg_id or self.min_date or self.max_date
        )

    def request(self, peer: Any, offset_id: int, add_offset: int, limit: int, topic_id: int | None) -> Any:
        return F.messages.SearchRequest(
            peer=peer,
            q=self.q,
            filter=_FILTER_TYPES[self.kind](),
            min_date=self.min_date or None,
            max_date=self.max_date or None,
            offset_id=offset_id,
            add_offset=add_offset,
            limit=limit,
            max_id=0,
            min_id=0,
            hash=0,
            from_id=self.sender_peer,
            top_msg_id=topic_id or self.top_msg_id,
        )

    def to_dict(self) -> dict[str, Any]:
        """For the manifest: what Telegram was asked."""
        return {
            "terms": list(self.asked),
            "q": self.q or None,
            "from": self.sender,
            "filter": None if self.kind == "empty" else self.kind,
            "min_date": self.min_date or None,
            "max_date": self.max_date or None,
            "top_msg_id": self.top_msg_id,
        }


@dataclass(frozen=True)
class SearchStream(Stream):
    """A stream paged through messages.search instead of the history (exporter.streams pages it)."""

    search: Search = field(default_factory=Search)

    def request(self, offset_id: int, *, add_offset: int = -PAGE_LIMIT, limit: int = PAGE_LIMIT) -> Any:
        return self.search.request(self.peer, offset_id, add_offset, limit, self.topic_id)


def senders(node: Node) -> list[str]:
    """The from: values a search could ask for (the first is asked): they need an input peer."""
    return [n.who for n in _conjuncts(node) if isinstance(n, From)][:1]


def plan_search(node: Node, context: Context, peers: dict[str, Any]) -> Search | None:
    """The search for ``node``, or None when Telegram can narrow nothing (read everything).

    ``peers``: from: value → InputPeer, for the senders that could be bound (an id Telethon has
    never seen cannot be: that term stays on our side)."""
    bound = binder(context)
    q: list[str] = []
    sender: str | None = None
    kind = "empty"
    low, high = 0, 0
    topic: int | None = None
    asked: list[str] = []
    for term in _conjuncts(node):
        if isinstance(term, Text):
            q.append(term.shown)
        elif isinstance(term, From) and sender is None and term.who in peers:
            sender = term.who
        elif isinstance(term, Has) and kind == "empty" and frozenset(term.kinds) in _KIND_FILTERS:
            kind = _KIND_FILTERS[frozenset(term.kinds)]
        elif isinstance(term, Flag) and kind == "empty" and term.name in _FLAG_FILTERS:
            kind = _FLAG_FILTERS[term.name]
        elif isinstance(term, TopicTerm) and topic is None:
            topic = bound.topic(term)
        elif isinstance(term, DateTerm | Last):
            start, end = _dates(bound, term, context.now)
            # Telegram's bounds are exclusive: a day starting at ``start`` is asked as "after start - 1".
            low = max(low, start - 1) if start > 0 else low
            high = min(high, end) if high and end else (end or high)
        else:
            continue
        asked.append(_shown(term))
    search = Search(
        q=" ".join(q),
        sender=sender,
        sender_peer=peers.get(sender) if sender else None,
        kind=kind,
        min_date=low,
        max_date=high,
        top_msg_id=topic,
        asked=tuple(asked),
    )
    return search if search.narrows() else None


def _conjuncts(node: Node) -> tuple[Node, ...]:
    return node.items if isinstance(node, And) else (node,)


def _dates(bound: Binder, term: DateTerm | Last, now: float) -> tuple[int, int]:
    """[start, end) in unix time, 0 where open."""
    if isinstance(term, Last):
        return math.ceil(now - term.seconds), 0
    start, end = bound.period(term)
    return max(start, 0), (end if end < 1 << 61 else 0)


def _shown(term: Node) -> str:
    return describe(term)
