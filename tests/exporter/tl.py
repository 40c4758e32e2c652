"""Real Telethon TL objects for exporter tests, built the way raw history responses hold them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telethon.tl import types as tl

from exporter.records import NameBook

DATE = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
DATE_ISO = "2024-05-06T07:08:09"
DATE_UNIX = "1714979289"
EDIT = datetime(2024, 5, 6, 8, 0, 0, tzinfo=UTC)

ANN = 5
BOB = 6
GHOST = 7  # a deleted account
BOT = 8
GROUP = 40
CHANNEL = 99
FORUM = 77


def users() -> list[tl.TypeUser]:
    return [
        tl.User(id=ANN, first_name="Ann", last_name="Lee", username="ann"),
        tl.User(id=BOB, first_name="Bob"),
        tl.User(id=GHOST, deleted=True),
        tl.User(id=BOT, first_name="Helper", username="helper_bot", bot=True, bot_info_version=1),
    ]


def chats() -> list[tl.TypeChat]:
    return [
        tl.Chat(
            id=GROUP, title="Old group", photo=tl.ChatPhotoEmpty(), participants_count=3, date=DATE, version=1
        ),
        tl.Channel(id=CHANNEL, title="News", photo=tl.ChatPhotoEmpty(), date=DATE, broadcast=True),
        tl.Channel(id=FORUM, title="Forum", photo=tl.ChatPhotoEmpty(), date=DATE, megagroup=True, forum=True),
    ]


def names() -> NameBook:
    book = NameBook()
    book.add_users(users())
    book.add_chats(chats())
    return book


def message(msg_id: int = 10, text: str = "hello", **fields: Any) -> tl.Message:
    """A group message from Ann unless fields say otherwise."""
    fields.setdefault("peer_id", tl.PeerChannel(FORUM))
    fields.setdefault("from_id", tl.PeerUser(ANN))
    fields.setdefault("date", DATE)
    return tl.Message(id=msg_id, message=text, **fields)


def service(action: Any, msg_id: int = 20, **fields: Any) -> tl.MessageService:
    fields.setdefault("peer_id", tl.PeerChannel(FORUM))
    fields.setdefault("from_id", tl.PeerUser(ANN))
    fields.setdefault("date", DATE)
    return tl.MessageService(id=msg_id, action=action, **fields)


def photo(*sizes: Any) -> tl.Photo:
    return tl.Photo(id=1, access_hash=2, file_reference=b"", date=DATE, sizes=list(sizes), dc_id=2)


def document(mime: str, size: int, *attributes: Any, thumbs: list[Any] | None = None) -> tl.Document:
    return tl.Document(
        id=3,
        access_hash=4,
        file_reference=b"",
        date=DATE,
        mime_type=mime,
        size=size,
        dc_id=2,
        attributes=list(attributes),
        thumbs=thumbs,
    )
