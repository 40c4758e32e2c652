"""How big an export's archive will be, guessed before it starts from the chat's newest messages.

The bot warns before an export whose files would fill many archive parts (bot/handlers/export.py).
The guess must cost next to nothing, so it reads one or two pages of the newest messages
(messages.getHistory, 100 a page, as an export reads them) and adds up the files the export's
settings would download from them, chosen as the media stage chooses (exporter.media.capture rows
through exporter.media.selection, each Telegram file once). When the chat holds more messages than
were read, the sum is scaled by the message count Telegram sends with the page; a chat whose
files are not spread evenly makes that a guess, and the bot says so. Custom emoji are left out
(they need a request of their own; a sticker's few KB each).

Without a store of the export, this is the cheapest estimate there is: the per-export store's
captured sizes exist only once the history was read, which is most of an export's time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from .media.capture import EMOJI, PAID_PREFIX, file_refs
from .media.selection import Selection

PAGE = 100
# Messages in an archive besides their files: a 100,000-message sandbox channel zipped to 10.1 MB as
# JSON and HTML (exporter/archive.py, compression level 1), so about 100 bytes each.
TEXT_BYTES_PER_MESSAGE = 100


@dataclass(frozen=True)
class ArchiveEstimate:
    """``media_bytes`` of files and ``text_bytes`` of messages, from ``sampled`` of the ``messages``
    the export would read (all of them when ``whole``)."""

    media_bytes: int
    text_bytes: int
    sampled: int
    messages: int

    @property
    def bytes(self) -> int:
        return self.media_bytes + self.text_bytes

    @property
    def whole(self) -> bool:
        return self.sampled >= self.messages

    def parts(self, part_size: int) -> int:
        return max(1, -(-self.bytes // part_size))


def chosen_bytes(messages: list[Any], selection: Selection) -> int:
    """Bytes of the files of ``messages`` the media stage would download, each Telegram file once."""
    seen: set[str] = set()
    total = 0
    for message in messages:
        # RefRow fields (exporter.media.capture), the ones that decide.
        for _, _, role, _, kind, _, key, *_, size, full_size, _, _, _, content, _ in file_refs(
            message, {"id": message.id}, None, 0
        ):
            if kind == EMOJI or role.startswith(PAID_PREFIX):
                continue
            if content is not None:
                total += len(content)  # a vCard or an inline thumbnail: written whatever the settings
                continue
            if key is None or key in seen or selection.skipped(kind, full_size) is not None:
                continue
            seen.add(key)
            total += size
    return total


@dataclass(frozen=True)
class HistorySample:
    """The newest ``messages`` of an export's range, of ``total`` there are (as Telegram counts)."""

    messages: list[Any]
    total: int

    def estimate(self, selection: Selection) -> ArchiveEstimate:
        sampled = len(self.messages)
        media = chosen_bytes(self.messages, selection)
        # Scaled when more messages are left than were read (all of the chat's when a range was
        # asked: a range's estimate may come out high, never low for a chat of even files).
        scaled = media * self.total // sampled if sampled else 0
        return ArchiveEstimate(scaled, self.total * TEXT_BYTES_PER_MESSAGE, sampled, self.total)


async def sample_history(
    client: TelegramClient,
    peer: Any,
    *,
    since: dt.datetime | None = None,
    min_id: int = 0,
    pages: int = 2,
) -> HistorySample:
    """Up to ``pages`` pages of the newest messages newer than ``min_id`` and dated ``since`` or
    later. Telethon's errors are the caller's."""
    messages: list[Any] = []
    count: int | None = None
    offset_id = 0
    for _ in range(pages):
        page = await client(
            F.messages.GetHistoryRequest(
                peer=peer, offset_id=offset_id, offset_date=None, add_offset=0, limit=PAGE,
                max_id=0, min_id=min_id, hash=0,
            )
        )  # fmt: skip
        found = [m for m in page.messages if not isinstance(m, T.MessageEmpty)]
        # messages.messages has no count: it is every message there is. A page may hold fewer than
        # asked with more to come (messages hidden in a country), so the count says where the end is.
        count = getattr(page, "count", None)
        in_range = [m for m in found if since is None or m.date >= since]
        messages += in_range
        # The count may be the chat's whatever min_id asks: a short page above min_id is the end.
        short_above = min_id > 0 and len(found) < PAGE
        if count is None or not found or len(in_range) < len(found) or len(messages) >= count or short_above:
            # Every message there is, or past the range's start: all of the range was read.
            return HistorySample(messages, len(messages))
        offset_id = min(m.id for m in found)
    return HistorySample(messages, max(count or 0, len(messages)))
