"""What the fake Bot API remembers: users, chats, forum topics, messages with their history, files.

Everything renders itself as the Bot API JSON object a bot would receive
(``to_api``).  Guesses about Telegram, written down where they shape the JSON:

* A message in a forum topic carries ``message_thread_id`` and
  ``is_topic_message`` and, when it replies to nothing else, a
  ``reply_to_message`` pointing at the topic's ``forum_topic_created`` service
  message (what bots observe on real forums).  Messages in General (topic 1)
  carry neither field.
* Topic ids are the ids of their creation service messages, as in MTProto.
* A re-sent file keeps its ``file_id`` (Telegram may hand out a different
  ``file_id`` for the same file; only ``file_unique_id`` is promised stable).
* ``sendPhoto`` answers with one ``PhotoSize`` of the original dimensions;
  Telegram re-encodes to JPEG and returns up to four sizes.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import shutil
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

GENERAL_TOPIC_ID = 1
# Telegram's own choice of topic icon colours (Bot API createForumTopic).
TOPIC_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
# The Bot API's file type codes, so ids start like real ones ("Ag…" photo, "BQ…" document).
_FILE_TYPE_CODE = {"photo": 2, "document": 5}
# mimetypes' built-in table only: the system's /etc/mime.types differs between machines.
_MIME = mimetypes.MimeTypes(filenames=())
_MIME.add_type("text/markdown", ".md")
_COMPRESSED_MIME = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    FORUM = "forum"  # a supergroup with topics; the API type is still "supergroup"


class MemberStatus(StrEnum):
    CREATOR = "creator"
    ADMINISTRATOR = "administrator"
    MEMBER = "member"
    LEFT = "left"
    KICKED = "kicked"


@dataclass(eq=False)
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked_bot: bool = False  # sends to this user's private chat get 403

    def to_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                user[key] = value
        return user


@dataclass(eq=False)
class Topic:
    id: int
    title: str
    icon_color: int


@dataclass(eq=False)
class Chat:
    id: int
    kind: ChatKind
    title: str | None = None
    user: User | None = None  # the other side of a private chat
    bot_status: MemberStatus = MemberStatus.MEMBER
    members: dict[int, MemberStatus] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1

    @property
    def is_private(self) -> bool:
        return self.kind is ChatKind.PRIVATE

    @property
    def is_forum(self) -> bool:
        return self.kind is ChatKind.FORUM

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def to_api(self) -> dict[str, Any]:
        if self.user is not None:
            chat = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name is not None:
                chat["last_name"] = self.user.last_name
            if self.user.username is not None:
                chat["username"] = self.user.username
            return chat
        chat = {
            "id": self.id,
            "type": "group" if self.kind is ChatKind.GROUP else "supergroup",
            "title": self.title,
        }
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def full_info(self) -> dict[str, Any]:
        """getChat's ChatFullInfo, with the fields every chat has; nothing optional is invented."""
        return {
            **self.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


@dataclass
class Version:
    """One state of a message: what was sent, or what an edit made of it."""

    content: dict[str, Any]
    reply_markup: dict[str, Any] | None
    at: float  # event-loop time

    @property
    def text(self) -> str | None:
        return self.content.get("text", self.content.get("caption"))


@dataclass(eq=False)
class Message:
    chat: Chat
    message_id: int
    sender: User
    outgoing: bool  # sent by the bot
    date: int
    versions: list[Version]
    thread_id: int | None = None  # forum topic
    reply_to: Message | None = None
    file: StoredFile | None = None
    edit_date: int | None = None
    deleted_at: float | None = None

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def text(self) -> str | None:
        return self.current.content.get("text")

    @property
    def caption(self) -> str | None:
        return self.current.content.get("caption")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.current.reply_markup

    @property
    def edits(self) -> list[Version]:
        return self.versions[1:]

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def button_data(self) -> list[str]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button["callback_data"] for row in rows for button in row if "callback_data" in button]

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.thread_id is not None:
            message["message_thread_id"] = self.thread_id
            message["is_topic_message"] = True
        # Telegram nests one level of reply only.
        if with_reply and self.reply_to is not None:
            message["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        message.update(self.current.content)
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass(eq=False)
class StoredFile:
    kind: str  # "document" or "photo"
    file_id: str
    file_unique_id: str
    path: Path  # where the bytes are, absolute
    api_path: str  # getFile's file_path in cloud mode, relative to the files folder
    size: int
    sha256: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    def to_api(self) -> dict[str, Any]:
        """The Document, or the PhotoSize list, that a Message carries."""
        base: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.kind == "photo":
            return {"photo": [{**base, "width": self.width, "height": self.height, "file_size": self.size}]}
        document = {**base, "file_size": self.size}
        if self.file_name is not None:
            document["file_name"] = self.file_name
        if self.mime_type is not None:
            document["mime_type"] = self.mime_type
        return {"document": document}


class FileStore:
    """Uploaded files on disk under ``root``, addressed by the ids the server hands out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / "incoming"
        self._salt = os.urandom(8)  # ids of another server instance are well-formed but unknown here
        self._files: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._count = 0

    def prepare(self) -> None:
        self.incoming.mkdir(parents=True, exist_ok=True)

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def by_api_path(self, api_path: str) -> StoredFile | None:
        return self._by_path.get(api_path)

    @staticmethod
    def looks_like_file_id(value: str) -> bool:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except ValueError:
            return False
        return len(raw) == 17 and raw[0] in _FILE_TYPE_CODE.values()

    def add(
        self,
        kind: str,
        source: Path,
        *,
        sha256: str,
        size: int,
        file_name: str | None,
        dimensions: tuple[int, int] = (0, 0),
    ) -> StoredFile:
        """Move an upload into the store and give it ids and the name/MIME type Telegram would report."""
        self._count += 1
        number = self._count
        code = bytes([_FILE_TYPE_CODE[kind]]) + number.to_bytes(8, "big")
        file_id = base64.urlsafe_b64encode(code + self._salt).decode().rstrip("=")
        unique_id = base64.urlsafe_b64encode(code).decode().rstrip("=")
        if kind == "photo":
            # Telegram re-encodes photos as JPEG and forgets the name.
            suffix, mime, name = ".jpg", None, None
        else:
            suffix = Path(file_name or "").suffix
            mime, name = guess_mime_type(file_name or ""), file_name
        api_path = f"{kind}s/file_{number}{suffix}"
        path = self.root / api_path
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, path)
        width, height = dimensions
        stored = StoredFile(
            kind, file_id, unique_id, path.resolve(), api_path, size, sha256, name, mime, width, height
        )
        self._files[file_id] = stored
        self._by_path[api_path] = stored
        return stored


def guess_mime_type(file_name: str) -> str:
    """The MIME type Telegram reports for a document: from its name, whatever the client claimed.

    aiogram labels every upload application/octet-stream, so the part's own type says nothing.
    """
    mime, encoding = _MIME.guess_type(file_name, strict=False)
    if encoding is not None:
        return _COMPRESSED_MIME.get(encoding, "application/octet-stream")
    return mime or "application/octet-stream"


def image_size(path: Path) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG file; None for anything else."""
    with path.open("rb") as file:
        head = file.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            width, height = struct.unpack(">II", head[16:24])
            return width, height
        if head[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", head[6:10])
            return width, height
        if head.startswith(b"\xff\xd8"):
            return _jpeg_size(file)
    return None


def _jpeg_size(file: BinaryIO) -> tuple[int, int] | None:
    file.seek(2)
    while True:
        marker = file.read(4)
        if len(marker) < 4 or marker[0] != 0xFF:
            return None
        kind, length = marker[1], struct.unpack(">H", marker[2:4])[0]
        # SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
        if 0xC0 <= kind <= 0xCF and kind not in (0xC4, 0xC8, 0xCC):
            frame = file.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        file.seek(length - 2, os.SEEK_CUR)


@dataclass(frozen=True)
class SentDocument:
    """A document the bot sent: the message that carries it and the file on disk."""

    message: Message
    file: StoredFile

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def sha256(self) -> str:
        return self.file.sha256

    @property
    def file_name(self) -> str | None:
        return self.file.file_name

    @property
    def mime_type(self) -> str | None:
        return self.file.mime_type

    @property
    def caption(self) -> str | None:
        return self.message.caption


@dataclass(eq=False)
class CallbackQuery:
    id: str
    user: User
    message: Message
    data: str
    answer: dict[str, str] | None = None  # answerCallbackQuery's parameters, once answered


class BotState:
    """The bot's view of Telegram: whom it knows, where it talks, what it said."""

    def __init__(self, bot: User, files: FileStore, clock: Callable[[], float]) -> None:
        self.bot = bot
        self.files = files
        self.clock = clock  # event-loop time, for ordering and rate limits
        self.users: dict[int, User] = {bot.id: bot}
        self.chats: dict[int, Chat] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook_url = ""
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.chat_actions: list[tuple[int, str, int | None]] = []  # (chat id, action, topic)
        self._next_group = 1
        self._next_callback = 1

    # ----------------------------------------------------------------- building the world

    def add_user(self, user: User) -> User:
        if user.id in self.users:
            raise ValueError(f"user {user.id} exists already")
        self.users[user.id] = user
        self.chats[user.id] = Chat(
            user.id, ChatKind.PRIVATE, user=user, members={user.id: MemberStatus.MEMBER}
        )
        return user

    def add_chat(
        self,
        kind: ChatKind,
        title: str,
        *,
        chat_id: int | None,
        owner: User | None,
        admins: Iterable[User],
        members: Iterable[User],
        bot_status: MemberStatus,
    ) -> Chat:
        if kind is ChatKind.PRIVATE:
            raise ValueError("private chats come with add_user")
        if chat_id is None:
            number, self._next_group = self._next_group, self._next_group + 1
            # Basic groups have small negative ids, supergroups "-100…" ones.
            chat_id = -(4_000_000_000 + number) if kind is ChatKind.GROUP else -(1_000_000_000_000 + number)
        if chat_id in self.chats:
            raise ValueError(f"chat {chat_id} exists already")
        chat = Chat(chat_id, kind, title=title, bot_status=bot_status)
        if kind is ChatKind.FORUM:
            # Message 1 is the chat's creation, which General (topic 1) is named after; topics
            # created later get the ids of their own service messages, so never 1.
            chat.next_message_id = GENERAL_TOPIC_ID + 1
        for user in members:
            chat.members[user.id] = MemberStatus.MEMBER
        for user in admins:
            chat.members[user.id] = MemberStatus.ADMINISTRATOR
        if owner is not None:
            chat.members[owner.id] = MemberStatus.CREATOR
        self.chats[chat_id] = chat
        return chat

    def add_topic(self, chat: Chat, title: str, creator: User) -> Topic:
        if not chat.is_forum:
            raise ValueError(f"chat {chat.id} is not a forum")
        color = TOPIC_COLORS[len(chat.topics) % len(TOPIC_COLORS)]
        content = {"forum_topic_created": {"name": title, "icon_color": color}}
        service = self.post(chat, creator, content, outgoing=False)
        service.thread_id = service.message_id
        topic = Topic(service.message_id, title, color)
        chat.topics[topic.id] = topic
        return topic

    def post(
        self,
        chat: Chat,
        sender: User,
        content: dict[str, Any],
        *,
        outgoing: bool,
        thread_id: int | None = None,
        reply_to: Message | None = None,
        reply_markup: dict[str, Any] | None = None,
        file: StoredFile | None = None,
    ) -> Message:
        """Store a new message; in a topic it replies to the topic's opening message by default."""
        if reply_to is None and thread_id is not None:
            reply_to = chat.messages.get(thread_id)
        if file is not None:
            content = {**content, **file.to_api()}
        message = Message(
            chat,
            chat.allocate_message_id(),
            sender,
            outgoing,
            self.unix_time(),
            [Version(content, reply_markup, self.clock())],
            thread_id=thread_id,
            reply_to=reply_to,
            file=file,
        )
        chat.messages[message.message_id] = message
        return message

    def new_callback_query(self, user: User, message: Message, data: str) -> CallbackQuery:
        # Real ids are decimal strings of a 64-bit number.
        query_id = str(4_200_000_000_000_000_000 + self._next_callback)
        self._next_callback += 1
        query = CallbackQuery(query_id, user, message, data)
        self.callback_queries[query_id] = query
        return query

    # ----------------------------------------------------------------- lookups

    def unix_time(self) -> int:
        return int(time.time())

    def resolve_user(self, user_id: int) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        return None if user is None else user.to_api()

    def find_chat(self, chat_id: str) -> Chat | None:
        """A chat by numeric id or by ``@username`` (private chats of users with a username)."""
        if chat_id.startswith("@"):
            name = chat_id[1:].lower()
            return next(
                (
                    c
                    for c in self.chats.values()
                    if c.user is not None and (c.user.username or "").lower() == name
                ),
                None,
            )
        try:
            return self.chats.get(int(chat_id))
        except ValueError:
            return None
