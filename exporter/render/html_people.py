"""Who wrote a message, as the HTML export shows it: a coloured userpic, a coloured name, and
messages of one sender in a row joined under one name, as Telegram Desktop's export does.

Colours: Desktop picks one of eight by the sender's bare id (``PeerColorIndex``: ``{0, 7, 4, 1,
6, 3, 5}[id % 7]``, export_data_types.cpp) and writes it as the class ``userpic1`` … ``userpic8``
(index + 1; export_output_html.cpp); a sender known only by name gets ``StringBarePeerId`` of
the name (same file).  The stylesheet (:mod:`.html_style`) holds the colours.

Joining: Desktop's ``HtmlWriter::Wrap::messageNeedsWrap`` starts a new block (name and userpic)
unless the previous message is an ordinary one of the same sender, via the same bot, on the same
day, forwarded from the same origin, and at most ``kJoinWithinSeconds`` = 900 s earlier (1 s for
forwarded messages); :func:`joins` is its negation.

Photos: when photos are exported, the sender's profile photo (exporter.media.userpics,
``userpics/<from_id>.jpg``) lies over the initials, which stay underneath for a sender without one
and show through should the file be missing (an image with empty ``alt`` that fails to load shows
nothing).
"""

from __future__ import annotations

from html import escape
from typing import Any

Record = dict[str, Any]

# export_data_types.cpp PeerColorIndex.
_PEER_COLOR_MAP = (0, 7, 4, 1, 6, 3, 5)
# export_output_html.cpp kJoinWithinSeconds, and 1 s for forwarded messages.
JOIN_WITHIN = 900
_JOIN_FORWARDED = 1


def string_bare_id(name: str) -> int:
    """Desktop's StringBarePeerId: a byte hash of a name, for senders without an id."""
    result = 0xFF
    for byte in name.encode("utf-8"):
        result = (result * 239 + byte) & 0xFF
    return result


def color_index(from_id: Any, name: str | None) -> int:
    """1…8: the ``userpicN`` class Desktop's export gives this sender."""
    digits = from_id.lstrip("abcdefghijklmnopqrstuvwxyz") if isinstance(from_id, str) else ""
    bare = int(digits) if digits.isdigit() else string_bare_id(name or "")
    return _PEER_COLOR_MAP[bare % 7] + 1


def initials(name: str | None) -> str:
    """First letters of the first and the last word, as Desktop's userpic shows first and last name;
    a word without a letter or digit ("Yara 🌸") is no name and left out, else it takes a place."""
    words = (name or "").split()
    words = [word for word in words if any(ch.isalnum() for ch in word)] or words
    if not words:
        return ""
    first = _letter(words[0])
    return first + (_letter(words[-1]) if len(words) > 1 else "")


def _letter(word: str) -> str:
    return next((ch for ch in word if ch.isalnum()), word[0]).upper()


def userpic(from_id: Any, name: str | None, shown_name: str, photo: str | None = None) -> str:
    """The userpic of a sender: a circle of the sender's colour with initials, under the photo at
    ``photo`` (an escaped relative URL) if there is one; ``shown_name`` is what the page calls the
    sender (Deleted Account for a null name)."""
    index = color_index(from_id, name)
    letters = escape(initials(shown_name))
    picture = f'<img src="{photo}" alt="" loading="lazy">' if photo else ""
    return f'<div class="userpic userpic{index}" aria-hidden="true">{letters}{picture}</div>'


def joins(previous: Record | None, rec: Record) -> bool:
    """True when ``rec`` continues ``previous``'s block (Desktop's messageNeedsWrap, negated)."""
    if previous is None or previous.get("type") != "message":
        return False
    sender = rec.get("from_id")
    if not sender or sender != previous.get("from_id"):
        return False
    if rec.get("via_bot") != previous.get("via_bot") or rec["date"][:10] != previous["date"][:10]:
        return False
    forwarded = "forwarded_from" in rec
    if forwarded != ("forwarded_from" in previous) or (
        forwarded
        and (rec["forwarded_from"], rec.get("forwarded_from_id"))
        != (previous["forwarded_from"], previous.get("forwarded_from_id"))
    ):
        return False
    limit = _JOIN_FORWARDED if forwarded else JOIN_WITHIN
    return abs(int(rec["date_unixtime"]) - int(previous["date_unixtime"])) <= limit
