"""Ground truth: what a complete export of a world must contain."""

from __future__ import annotations

import hashlib
import weakref
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from telethon import utils
from telethon.tl import types as T

from .access import unreadable_reason
from .model import Chat, World


def expected_messages(
    world: World, chat: Chat, topic_id: int | None = None
) -> Iterator[tuple[int, int | None]]:
    """(msg_id, topic_id) ascending for every message an export must hold (restricted ones excluded);
    ``topic_id`` limits a forum to one topic. Topic is None outside forums."""
    restricted = set(world.restricted_ids(chat))
    ids = chat.slots if topic_id is None else chat.topics[topic_id].ids
    if chat.kind != "forum":
        return ((i, None) for i in ids if i not in restricted)
    if topic_id is not None:
        return ((i, topic_id) for i in ids if i not in restricted)
    return ((i, world.topic_of(chat, i)) for i in ids if i not in restricted)


def describe(world: World) -> dict:
    """A JSON-able summary: every chat with its expected message count, forum topics included."""
    chats = []
    for chat in world.chats.values():
        restricted = list(world.restricted_ids(chat))
        entry = {
            "peer_id": chat.peer_id,
            "kind": chat.kind,
            "title": chat.title,
            "username": chat.username,
            "message_count": len(chat.slots) - len(restricted),
            "left": chat.left,
            "banned": chat.banned,
            # An export of a chat the account cannot read is refused, whatever its messages.
            "exportable": unreadable_reason(chat) is None,
            "unreadable_because": unreadable_reason(chat),
        }
        if chat.migrated_to is not None:
            entry["migrated_to"] = chat.migrated_to.peer_id
        if chat.migrated_from is not None:
            # an export of the supergroup holds the group's messages too, first
            entry["migrated_from"] = chat.migrated_from.peer_id
        if chat.kind == "forum":
            hidden = Counter(world.topic_of(chat, i) for i in restricted)
            entry["topics"] = [
                {
                    "id": t.id,
                    "title": t.title,
                    "message_count": len(t.ids) - hidden[t.id],
                    "closed": t.closed,
                    "hidden": t.hidden,
                }
                for t in chat.topics.values()
            ]
        chats.append(entry)
    return {
        "seed": world.seed,
        "me": {"id": world.me.id, "username": world.me.username, "phone": world.me.phone},
        "chats": chats,
    }


def expected_sender(world: World, chat: Chat, msg_id: int) -> int:
    """Who wrote a message, as a marked peer id: the account for its outgoing private and saved
    messages (which Telegram sends without ``from_id``), the channel for a channel's posts."""
    msg = world.message(chat, msg_id)
    if msg.from_id is not None:
        return utils.get_peer_id(msg.from_id)
    if chat.kind == "channel":
        return chat.peer_id
    return world.me.id if msg.out else chat.peer_id


# Telegram Desktop writes the ids of an upgraded group's messages shifted down by this much, so they
# sort before the supergroup's own (export_data_types.cpp kMigratedMessagesIdShift, applied by
# AdjustMigrateMessageIds to the group's slices in export_api_wrap.cpp).
MIGRATED_ID_SHIFT = 1_000_000_000


def expected_export_ids(world: World, chat: Chat) -> list[int]:
    """The ids a complete export of ``chat`` writes in result.json, in order: a supergroup upgraded
    from a basic group first holds the group's messages, shifted as Desktop shifts them."""
    old = chat.migrated_from
    before = [] if old is None else [i - MIGRATED_ID_SHIFT for i, _ in expected_messages(world, old)]
    return before + [i for i, _ in expected_messages(world, chat)]


# ---------------------------------------------------------------- files


@dataclass(frozen=True)
class FileTruth:
    """One downloadable file of an export: a message's file, one of its thumbnails, or a custom emoji
    document the message names (in its text or a reaction).

    ``thumb``: '' for the file itself (for a photo, its largest size, whose type ``photo_size``
    names), else the thumbnail's type, as upload.getFile's thumb_size takes it. ``fault``: what
    upload.getFile does to it under the world's FileFaults, "unavailable" or "stalls" (None: it
    downloads); ``reference_expires``: its references expire (sandbox.world.files)."""

    chat_id: int
    msg_id: int
    kind: str
    file_id: int
    thumb: str
    size: int
    dc_id: int
    mime: str
    name: str | None
    fault: str | None
    reference_expires: bool
    photo_size: str
    world: World = field(compare=False, repr=False)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes upload.getFile serves (computed once per world and file)."""
        return file_sha256(self.world, self.file_id, self.thumb)


_READ = 1 << 20
_SHA256: weakref.WeakKeyDictionary[World, dict[tuple[int, str], str]] = weakref.WeakKeyDictionary()


def file_sha256(world: World, file_id: int, thumb: str = "") -> str:
    """Hex SHA-256 of a file as upload.getFile serves it; KeyError if there is no such file. Reads it
    1 MiB at a time, so memory stays flat however big the file is (a 200 MB file takes ~1 s)."""
    known = _SHA256.setdefault(world, {})
    digest = known.get((file_id, thumb))
    if digest is None:
        blob = world.blob(file_id, thumb)
        if blob is None:
            raise KeyError(f"no file {file_id} (thumb {thumb!r})")
        sha = hashlib.sha256()
        for offset in range(0, blob.size, _READ):
            sha.update(blob.read(offset, _READ))
        digest = known[(file_id, thumb)] = sha.hexdigest()
    return digest


def expected_file(world: World, file_id: int, thumb: str = "") -> tuple[int, str]:
    """(size, hex SHA-256) of a file as upload.getFile serves it; KeyError if there is no such file."""
    blob = world.blob(file_id, thumb)
    if blob is None:
        raise KeyError(f"no file {file_id} (thumb {thumb!r})")
    return blob.size, file_sha256(world, file_id, thumb)


def expected_files(world: World, chat: Chat, *, thumbnails: bool = True) -> Iterator[FileTruth]:
    """Every file the messages of a complete export of ``chat`` hold, message by message (restricted
    messages left out, as in expected_messages); a file posted many times comes once per message."""
    for msg_id, _topic in expected_messages(world, chat):
        yield from message_files(world, chat, msg_id, thumbnails=thumbnails)


def message_files(world: World, chat: Chat, msg_id: int, *, thumbnails: bool = True) -> Iterator[FileTruth]:
    message = world.message(chat, msg_id)
    media = getattr(message, "media", None)
    parts: list[tuple[int, str, str]] = []  # (file id, thumb, name)
    photo_size = ""
    if isinstance(media, T.MessageMediaPhoto) and isinstance(media.photo, T.Photo):
        sizes = [s.type for s in media.photo.sizes if isinstance(s, T.PhotoSize | T.PhotoSizeProgressive)]
        photo_size = sizes[-1]  # Telegram lists a photo's sizes smallest first
        parts.append((media.photo.id, "", ""))
        parts += [(media.photo.id, t, "") for t in sizes[:-1] if thumbnails]
    elif isinstance(media, T.MessageMediaDocument) and isinstance(media.document, T.Document):
        document = media.document
        name = next(
            (a.file_name for a in document.attributes if isinstance(a, T.DocumentAttributeFilename)), ""
        )
        parts.append((document.id, "", name))
        thumbs = [t.type for t in document.thumbs or () if isinstance(t, T.PhotoSize)]
        parts += [(document.id, t, "") for t in thumbs if thumbnails]
    emoji = [
        e.document_id
        for e in getattr(message, "entities", None) or ()
        if isinstance(e, T.MessageEntityCustomEmoji)
    ]
    reactions = getattr(message, "reactions", None)
    emoji += [
        count.reaction.document_id
        for count in (reactions.results if reactions is not None else ())
        if isinstance(count.reaction, T.ReactionCustomEmoji)
    ]
    parts += [(document_id, "", "") for document_id in dict.fromkeys(emoji)]
    faults = world.file_faults
    for file_id, thumb, name in parts:
        plan = world.file_plan(file_id)
        blob = world.blob(file_id, thumb)
        if plan is None or blob is None:
            raise AssertionError(f"message {msg_id} of {chat.peer_id} names a file the world cannot serve")
        fault = None
        if faults.is_unavailable(file_id):
            fault = "unavailable"
        elif faults.stalls(file_id) and blob.size > faults.stall_at:
            fault = "stalls"
        yield FileTruth(
            chat_id=chat.peer_id,
            msg_id=msg_id,
            kind=plan.kind if thumb == "" else "thumbnail",
            file_id=file_id,
            thumb=thumb,
            size=blob.size,
            dc_id=blob.dc_id,
            mime=blob.mime,
            name=name or None,
            fault=fault,
            reference_expires=faults.expires(file_id),
            photo_size=photo_size if thumb == "" else "",
            world=world,
        )
