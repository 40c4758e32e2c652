"""What every renderer is told about the chat besides its records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from telethon.utils import resolve_id

# Chat types as Telegram Desktop spells them in result.json.
CHAT_TYPES = frozenset(
    {
        "personal_chat",
        "bot_chat",
        "private_group",
        "private_supergroup",
        "public_supergroup",
        "private_channel",
        "public_channel",
        "saved_messages",
        "replies",
        "verification_codes",
    }
)

PAGE_SIZE = 1000
"""Messages per HTML page, as in Telegram Desktop's export."""

Locate = Callable[[int], tuple[int | None, int] | None]
"""Message id → (topic id or None outside forums, 1-based page number), or None if not exported.

Page n of a topic (or of the whole chat outside forums) holds the messages of
0-based rank (n-1)*PAGE_SIZE … n*PAGE_SIZE-1 in that topic's ascending id order;
:func:`page_of_rank` gives it, so a store can answer with one ranked query.
"""


Quote = Callable[[int], "dict[str, Any] | None"]
"""Message id → its record as stored (for a reply's "In reply to Name: first words" when the
message replied to is on another page or in another topic), or None if it is not stored."""


def page_of_rank(rank: int) -> int:
    """1-based page of the message with this 0-based rank inside its topic (or chat)."""
    return rank // PAGE_SIZE + 1


def bare_id(chat_id: int) -> int:
    """Desktop's PeerToBareId: the id without Telethon's marking (-id for groups, -100…id for channels)."""
    return resolve_id(chat_id)[0] if chat_id < 0 else chat_id


@dataclass(frozen=True, slots=True)
class ChatInfo:
    id: int
    """Telegram id of the chat: bare (as result.json writes it) or Telethon's marked form."""
    name: str | None
    type: str
    """One of :data:`CHAT_TYPES`."""
    username: str | None = None
    is_forum: bool = False

    def __post_init__(self) -> None:
        if self.type not in CHAT_TYPES:
            raise ValueError(f"unknown chat type {self.type!r}")


@dataclass(frozen=True, slots=True)
class TopicInfo:
    id: int
    title: str
    closed: bool = False
    hidden: bool = False
    icon_color: int = 0
    message_count: int = 0


class RecordWriter(Protocol):
    """A format's writer: records go in one by one; ``finish`` returns the files written."""

    def add(self, rec: dict[str, Any]) -> None: ...
    def finish(self) -> list[Path]: ...
    def close(self) -> None: ...


def write_records(writers: Sequence[RecordWriter], records: Iterable[dict[str, Any]]) -> list[Path]:
    """Feed every record to every writer (one read of the records for all), then finish them and
    return their files; on any error every writer's open file is closed."""
    try:
        adds = [writer.add for writer in writers]
        for record in records:
            for add in adds:
                add(record)
        return [path for writer in writers for path in writer.finish()]
    except BaseException:
        for writer in writers:
            writer.close()
        raise
