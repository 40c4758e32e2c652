"""The synthetic account: users, chats, forum topics, and lazily generated messages and files.

Build worlds with :func:`sandbox.world.scenarios.build_world`; this module only answers questions about
one that exists.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telethon.tl import types as T
from telethon.tl.tlobject import TLObject

from . import content, media, pictures, userpics
from .content import SALT_RESTRICT, STICKER_POOL, h64
from .files import FileFaults
from .ids import ArrayIds, IdSet

if TYPE_CHECKING:
    from .discussion import Discussion
    from .live import LiveForum
    from .media import MediaChat

BOX_KINDS = frozenset({"saved", "private", "group"})
CHANNEL_KINDS = frozenset({"channel", "supergroup", "forum"})
KINDS = BOX_KINDS | CHANNEL_KINDS

# guess: about 0.8 % of 8-id blocks of a channel start with a run of 1–3 messages hidden "due to local
# laws", so about 0.2 % of messages, never more than 3 in a row
RESTRICT_BLOCK_PER_MILLE = 8
RESTRICT_MAX_RUN = 3

_M62 = (1 << 62) - 1
_FID_MUL = 0x2545F4914F6CDD1D
_FID_INV = pow(_FID_MUL, -1, 1 << 62)

_HEADERS = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01",
    "image/webp": b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    "video/mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00",
    "audio/ogg": b"OggS\x00\x02\x00\x00",
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00",
    "application/pdf": b"%PDF-1.7\n",
    "application/zip": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": b"PK\x03\x04",
}


@dataclass
class UserInfo:
    id: int
    access_hash: int
    first_name: str
    last_name: str | None
    username: str | None
    phone: str | None
    is_self: bool = False
    contact: bool = False
    bot: bool = False

    def tl(self) -> T.User:
        return T.User(
            id=self.id,
            is_self=self.is_self or None,
            contact=self.contact or None,
            mutual_contact=self.contact or None,
            bot=self.bot or None,
            access_hash=self.access_hash,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            phone=self.phone,
            status=T.UserStatusRecently(),
            bot_info_version=1 if self.bot else None,
            photo=userpics.user_tl(self),
        )


@dataclass
class Topic:
    id: int
    title: str
    icon_color: int
    icon_emoji_id: int | None
    date: int
    creator_id: int
    closed: bool = False
    hidden: bool = False
    pinned: bool = False
    ids: IdSet = field(default_factory=ArrayIds)
    initial_title: str = ""  # the title in its creation message, before any rename


@dataclass(eq=False)
class Chat:
    peer_id: int
    bare_id: int
    kind: str
    title: str
    username: str | None
    access_hash: int
    date: int
    member_ids: list[int]
    slots: IdSet
    topics: dict[int, Topic] = field(default_factory=dict)
    left: bool = False
    banned: bool = False
    # The dialog sits in the archive folder (peer folder 1: core.telegram.org/api/folders).
    archived: bool = False
    participants: int = 0
    pts: int = 0
    # How the world generates this chat; set by the builder.
    index: int = 0  # position in the world, part of file ids
    key: int = 0  # hash key of everything generated here
    date0: int = 0  # date_of(id) = date0 + id * step + jitter
    step: int = 1
    date_key: int = 0  # = key, except in the common box, whose chats share one so their dates interleave
    service: dict[int, str] = field(default_factory=dict)  # ids with a fixed service action
    busy_topics: list[int] = field(default_factory=list)  # ids of topics that get messages, ascending
    topic_override: dict[int, int] = field(default_factory=dict)  # topic of messages added later
    restrict_above: int = 0  # messages added later are never restricted
    forced_restricted_block: int = -1  # an 8-id block restricted whatever the hash says
    # Forums: the server lists topics by creation date instead of last activity, and says so with
    # messages.forumTopics.order_by_create_date (core.telegram.org/constructor/messages.forumTopics).
    topics_by_create_date: bool = False
    variant_memo: tuple[int, int, int] = (-1, 0, 0)  # see content.variant_and_rank
    # A supergroup upgraded from a basic group keeps the group's history there (channelFull.
    # migrated_from_chat_id, core.telegram.org/constructor/channelFull); the group points forward.
    migrated_from: Chat | None = None
    migrated_to: Chat | None = None
    # A scenario's last word on each message: (composed message, its hash) -> None, changing it in place.
    rewrite: Callable[[content.Composed, int], None] | None = None
    # A media scenario's files for this chat (sandbox.world.media.attach sets it and ``rewrite``).
    media: MediaChat | None = None
    # A channel and its linked discussion group share one (sandbox.world.discussion).
    discussion: Discussion | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown chat kind {self.kind!r}")
        if self.kind in BOX_KINDS and self.kind != "group":
            self.peer = T.PeerUser(self.bare_id)
        elif self.kind == "group":
            self.peer = T.PeerChat(self.bare_id)
        else:
            self.peer = T.PeerChannel(self.bare_id)
        self.table = content.TABLES[self.kind]

    def tl(self) -> TLObject | None:
        if self.kind in ("private", "saved"):
            return None
        if self.kind == "group":
            if self.banned:
                return T.ChatForbidden(self.bare_id, self.title)
            successor = self.migrated_to
            return T.Chat(
                self.bare_id,
                self.title,
                T.ChatPhotoEmpty(),
                len(self.member_ids),
                self.date,
                version=1,
                left=self.left or None,
                # an upgraded group is deactivated and names its supergroup (TL schema: chat.migrated_to)
                deactivated=(successor is not None) or None,
                migrated_to=(T.InputChannel(successor.bare_id, successor.access_hash) if successor else None),
            )
        broadcast = self.kind == "channel"
        if self.banned:
            return T.ChannelForbidden(
                self.bare_id,
                self.access_hash,
                self.title,
                broadcast=broadcast or None,
                megagroup=(not broadcast) or None,
            )
        return T.Channel(
            id=self.bare_id,
            title=self.title,
            photo=userpics.channel_tl(self),
            date=self.date,
            access_hash=self.access_hash,
            username=self.username,
            broadcast=broadcast or None,
            megagroup=(not broadcast) or None,
            forum=(self.kind == "forum") or None,
            # the sandbox's channels sign their posts (content._signer); Telegram says so with this flag
            signatures=broadcast or None,
            # a channel with a discussion group, and that group (constructor/channel: has_link)
            has_link=(self.discussion is not None) or None,
            left=self.left or None,
            participants_count=self.participants,
        )


# The bytes every file's blocks are cut from (Blob._block).
_POOL = hashlib.shake_128(b"sandbox file bytes").digest((1 << 20) + 64 * 1024)
_POOL_SPAN = (1 << 20) + 1


@dataclass(frozen=True)
class Blob:
    """One downloadable file: pseudo-random bytes made block by block, never held whole."""

    BLOCK = 64 * 1024

    dc_id: int
    size: int
    access_hash: int
    mime: str
    key: int
    # A picture's size (photos, thumbnails, stickers): the file then starts with a real picture.
    width: int = 0
    height: int = 0

    def _block(self, b: int) -> bytes:
        """A stamp of (file, block), then pool bytes from an offset the pair picks: no two blocks of
        any files are alike, and a block costs a copy (0.2 ms a MiB) where hashing it out costs
        3.4 ms, as much as encrypting and sending it (measured)."""
        n = min(self.BLOCK, self.size - b * self.BLOCK)
        start = h64(self.key, b) % _POOL_SPAN
        header = self._header() if b == 0 else b""
        stamp = struct.pack("<QQ", self.key, b)
        return (header + stamp + _POOL[start : start + n])[:n]

    def _header(self) -> bytes:
        """A picture a browser shows (sandbox.world.pictures) when the file is one and it fits in the
        first block, else a real magic number, for tools that sniff file types."""
        image = pictures.picture(self.mime, self.width, self.height, self.key)
        if image is not None and len(image) <= min(self.size, self.BLOCK):
            return image
        return _HEADERS.get(self.mime, b"")

    def read(self, offset: int, limit: int) -> bytes:
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative")
        end = min(offset + limit, self.size)
        if offset >= end:
            return b""
        first, last = offset // self.BLOCK, (end - 1) // self.BLOCK
        data = b"".join(self._block(b) for b in range(first, last + 1))
        skip = offset - first * self.BLOCK
        return data[skip : skip + end - offset]


def _restricted_run(chat: Chat, block: int) -> int:
    """How many ids at the start of this 8-id block are restricted (if they exist)."""
    if block == chat.forced_restricted_block:
        return RESTRICT_MAX_RUN
    hb = h64(chat.key ^ SALT_RESTRICT, block)
    return 1 + (hb >> 10) % RESTRICT_MAX_RUN if hb % 1000 < RESTRICT_BLOCK_PER_MILLE else 0


class World:
    """A deterministic account. Messages and files are generated on demand from (seed, chat, id)."""

    CACHE_SIZE = 10_000

    def __init__(
        self,
        seed: int,
        me: UserInfo,
        users: dict[int, UserInfo],
        chats: list[Chat],
        password: str | None = None,
        login_code: str = "12345",
        box_last: int = 0,
    ):
        self.seed = seed
        self.key = content.world_key(seed)
        self.me = me
        self.users = users
        self.chats: dict[int, Chat] = {c.peer_id: c for c in chats}
        self.password = password
        self.login_code = login_code
        # A first takeout waits for the user's confirmation in another app (api/takeout):
        # scenarios where the account already confirmed one say so.
        self.takeout_confirmed = False
        # The DC the account's data lives on; None: the cluster's home DC (api/datacenter).
        self.account_dc: int | None = None
        self.contact_ids = [u.id for u in users.values() if u.contact]
        self.user_ids = [u.id for u in users.values() if not u.is_self and not u.bot]
        self.fwd_source = next(
            (c for c in chats if c.kind == "channel" and not c.left and not c.banned), None
        )
        self.pts = 1 + box_last
        self._box_last = box_last
        self._chat_list = chats
        self._fid_xor = self.key & _M62
        self.shared = content.SharedTL()
        for c in chats:
            self.shared.add(c.peer)
        self._names: dict[str, UserInfo | Chat] = {}
        everyone: list[UserInfo | Chat] = [*users.values(), *chats]
        for named in everyone:
            if named.username:
                self._names[named.username.lower()] = named
        # functools' LRU cache is written in C: much cheaper per call than one kept by hand
        self._refs = functools.lru_cache(maxsize=self.CACHE_SIZE)(self._make_refs)
        # A forum that keeps receiving messages while clients read it (the live-forum scenario).
        self.live: LiveForum | None = None
        # Exporting accounts besides ``me``: user id -> the chats it is a member of (sandbox/world/accounts.py).
        self.accounts: dict[int, frozenset[int]] = {}
        # Expiring references, unavailable and stalling files (none unless a scenario or test says so).
        self.file_faults = FileFaults()

    @property
    def box_last(self) -> int:
        """The newest id of the common message box (private chats and basic groups)."""
        return self._box_last

    def by_username(self, name: str) -> UserInfo | Chat | None:
        return self._names.get(name.lower().lstrip("@"))

    # -- messages

    def message(self, chat: Chat, msg_id: int) -> T.Message | T.MessageService:
        """A new Telethon object, built the same way every time; KeyError if the id does not exist.
        Its nested parts may be shared with other messages (see content.SharedTL): read, don't modify."""
        if msg_id not in chat.slots:
            raise KeyError(f"no message {msg_id} in {chat.peer_id}")
        return content.compose(self, chat, msg_id).tl()

    def message_refs(self, chat: Chat, msg_id: int) -> tuple[bytes, frozenset[int], frozenset[int]]:
        """(TL bytes, user ids, chat peer_ids) the message mentions, the chat itself included;
        KeyError if the id does not exist. Kept in a bounded LRU cache; a file reference in it is the
        one to hand out now."""
        refs = self._refs(chat, msg_id)
        if self.file_faults.references_expire:
            return self.file_faults.stamp(refs[0], self.key), refs[1], refs[2]
        return refs

    def _make_refs(self, chat: Chat, msg_id: int) -> tuple[bytes, frozenset[int], frozenset[int]]:
        if msg_id not in chat.slots:
            raise KeyError(f"no message {msg_id} in {chat.peer_id}")
        return content.refs(self, chat, msg_id)

    def is_restricted(self, chat: Chat, msg_id: int) -> bool:
        """Takes a slot in history windows but is never returned ("unavailable due to local laws")."""
        # guess: only channel-type chats (channels, supergroups, forums) have restricted messages
        if chat.kind not in CHANNEL_KINDS or msg_id > chat.restrict_above:
            return False
        if msg_id & 7 >= _restricted_run(chat, msg_id >> 3):
            return False
        return msg_id in chat.slots and msg_id not in chat.service and msg_id not in chat.topics

    def restricted_ids(self, chat: Chat) -> Iterator[int]:
        """Every restricted id of the chat, ascending, in O(last id / 8) without touching the others."""
        if chat.kind not in CHANNEL_KINDS:
            return
        for b in range((min(chat.slots.last, chat.restrict_above) >> 3) + 1):
            for msg_id in range(b << 3, (b << 3) + _restricted_run(chat, b)):
                if self.is_restricted(chat, msg_id):
                    yield msg_id

    def date_of(self, chat: Chat, msg_id: int) -> int:
        """Unix time; strictly increasing with the id within a chat and across the common box."""
        return content.date_for(chat, msg_id, h64(chat.date_key, msg_id))

    def topic_of(self, chat: Chat, msg_id: int) -> int | None:
        """The forum topic of a message (1 = General); None outside forums."""
        if chat.kind != "forum":
            return None
        return content.topic_for(chat, msg_id, h64(chat.key, msg_id))

    def forum_topic_of(self, chat: Chat, msg_id: int) -> int:
        """The topic of a message of ``chat``, which must be a forum."""
        topic = self.topic_of(chat, msg_id)
        if topic is None:
            raise ValueError(f"{chat.title} is not a forum")
        return topic

    def add_messages(self, peer_id: int, count: int, topic_id: int | None = None) -> list[int]:
        """Append ``count`` new messages (forums: to ``topic_id``, General if None); returns their ids."""
        chat = self.chats[peer_id]
        if chat.kind == "forum":
            topic_id = 1 if topic_id is None else topic_id
            if topic_id not in chat.topics:
                raise ValueError(f"no topic {topic_id} in {peer_id}")
        elif topic_id is not None:
            raise ValueError(f"{peer_id} is not a forum")
        new = []
        for _ in range(count):
            if chat.kind in BOX_KINDS:
                self._box_last += 1
                msg_id = self._box_last
            else:
                msg_id = chat.slots.last + 1
            chat.slots.append(msg_id)
            if topic_id is not None:
                chat.topic_override[msg_id] = topic_id
                chat.topics[topic_id].ids.append(msg_id)
            new.append(msg_id)
        self.pts += count
        chat.pts += count
        return new

    # -- files

    def file_id(self, chat: Chat, msg_id: int) -> int:
        """Invertible, so a file id leads back to its message without any table."""
        return (((chat.index + 1) << 32 | msg_id) * _FID_MUL & _M62) ^ self._fid_xor

    def sticker_file_id(self, k: int) -> int:
        return (k * _FID_MUL & _M62) ^ self._fid_xor

    def file_plan(self, file_id: int) -> content.FilePlan | None:
        """What a file id stands for: a message's file, a pack sticker, a file of the pool posted many
        times, or a custom emoji; None if no such file."""
        if media.is_custom_emoji(file_id):
            return media.custom_emoji_plan(self, file_id)
        raw = ((file_id ^ self._fid_xor) * _FID_INV) & _M62
        index, msg_id = (raw >> 32) - 1, raw & 0xFFFFFFFF
        if index == -1:
            return (
                content.sticker_plan(self, msg_id) if msg_id < STICKER_POOL else media.pool_plan(self, msg_id)
            )
        if not 0 <= index < len(self._chat_list):
            return None
        chat = self._chat_list[index]
        if msg_id not in chat.slots or msg_id in chat.service or (chat.topics and msg_id in chat.topics):
            return None
        if chat.media is not None:
            plan = chat.media.plan(msg_id)
        else:
            variant, rank = content.variant_and_rank(chat, msg_id)
            plan = content.file_plan(self, chat, msg_id, variant, rank)
        return plan if plan is not None and plan.file_id == file_id else None

    def blob(self, file_id: int, thumb_size: str = "") -> Blob | None:
        """The bytes behind a photo size or document (``thumb_size`` '' = the whole file; for a photo,
        its largest size); None if no such file."""
        plan = self.file_plan(file_id)
        part = plan.part(thumb_size) if plan is not None else None
        if plan is None or part is None:
            return None
        thumb, size, mime = part
        key = h64(self.key ^ file_id, ord(thumb) if thumb else 0)
        width, height = pictures.size_of(plan.kind, plan.parts, thumb_size)
        return Blob(plan.dc_id, size, plan.access_hash, mime, key, width, height)
