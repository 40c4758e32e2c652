"""What files a message holds, captured as it is fetched, for the media stage to choose and name later.

One row per file a record names, in the order Telegram Desktop meets them for a message: its custom
emoji (text, then reactions: ``messageCustomEmojiReady``), then its file, then the file's thumbnail
(``loadNextMessageFile``, export_api_wrap.cpp). Each row keeps what the stage needs without the
message: Desktop's kind of file, the location upload.getFile takes (file reference included, so a
file is fetched without asking for its message again), sizes, MIME type, own name and the message
date its name takes. Rows are stored with their page, in the page's transaction (db.store).

Rows without a location are files Telegram gives nothing to download for (a self-destructing photo,
an empty one): they still count in Desktop's numbering, and their records keep "unavailable".
Custom emoji rows name a document id only; the stage asks for the documents
(messages.getCustomEmojiDocuments), as Desktop does.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import types as tl

from .naming import ANIMATED, AUDIO, ROUND, STICKER, VIDEO_FILE, VOICE

# (msg_id, seq, role, topic_id, kind, flags, file_key, dc_id, loc_kind, file_id, access_hash,
#  file_reference, thumb_size, size, full_size, mime, file_name, date, content, ref_chat)
RefRow = tuple[
    int, int, str, int | None, str, int, str | None, int, str, int, int,
    bytes, str, int, int, str, str, int, bytes | None, int | None,
]  # fmt: skip

# Roles: the record field the row's value goes to. Emoji rows are "emoji:<document id>"; "paid:<n>"
# rows only count in the numbering (Desktop parses paid media but downloads none of it).
PHOTO, FILE, THUMBNAIL, VCARD = "photo", "file", "thumbnail", "contact_vcard"
EMOJI_PREFIX, PAID_PREFIX = "emoji:", "paid:"
# Kinds: MEDIA_TYPES of exporter.options, plus these that no setting chooses.
CONTACT, EMOJI = "contact", "emoji"


def _max_image(photo: Any) -> tuple[Any, int, bytes | None] | None:
    """(size, bytes, inline content) of the largest-area size, as Desktop's ParseMaxImage takes it."""
    best = None
    best_area = 0
    for size in photo.sizes:
        cls = type(size)
        if cls is tl.PhotoSize:
            found = (size, size.size, None)
        elif cls is tl.PhotoCachedSize:
            found = (size, len(size.bytes), size.bytes)
        elif cls is tl.PhotoSizeProgressive and size.sizes:
            found = (size, size.sizes[-1], None)
        else:
            continue
        area = size.w * size.h
        if area > best_area:
            best, best_area = found, area
    return best


def _document_thumb(document: Any) -> tuple[Any, int, bytes | None] | None:
    """The thumbnail Desktop's ParseDocumentThumb keeps: the first of largest area, if it has pixels."""
    thumbs = document.thumbs
    if not thumbs:
        return None
    best, best_area = thumbs[0], -1
    for size in thumbs:
        area = (
            size.w * size.h
            if type(size) in (tl.PhotoSize, tl.PhotoCachedSize, tl.PhotoSizeProgressive)
            else 0
        )
        if area > best_area:
            best, best_area = size, area
    cls = type(best)
    if cls is tl.PhotoSize:
        return best, best.size, None
    if cls is tl.PhotoCachedSize:
        return best, len(best.bytes), best.bytes
    if cls is tl.PhotoSizeProgressive and best.sizes:
        return best, best.sizes[-1], None
    return None


def document_facts(document: Any) -> tuple[int, str]:
    """(flags, own file name) from a document's attributes (ParseAttributes)."""
    flags, name = 0, ""
    for attr in document.attributes:
        cls = type(attr)
        if cls is tl.DocumentAttributeFilename:
            name = attr.file_name
        elif cls is tl.DocumentAttributeAnimated:
            flags |= ANIMATED
        elif cls is tl.DocumentAttributeSticker or cls is tl.DocumentAttributeCustomEmoji:
            flags |= STICKER
        elif cls is tl.DocumentAttributeVideo:
            flags |= ROUND if attr.round_message else VIDEO_FILE
        elif cls is tl.DocumentAttributeAudio:
            flags |= VOICE if attr.voice else AUDIO
    return flags, name


def document_kind(flags: int) -> str:
    """The setting that chooses a document (processFileLoad's order, not DocumentFolder's)."""
    if flags & STICKER:
        return "stickers"
    if flags & ROUND:
        return "round"
    if flags & VOICE:
        return "voice"
    if flags & ANIMATED:
        return "gifs"
    if flags & VIDEO_FILE:
        return "videos"
    return "files"


class _Refs:
    def __init__(self, msg_id: int, topic_id: int | None, date: int, ref_chat: int | None) -> None:
        self.msg_id, self.topic_id, self.date, self.ref_chat = msg_id, topic_id, date, ref_chat
        self.rows: list[RefRow] = []

    def add(
        self,
        role: str,
        kind: str,
        *,
        flags: int = 0,
        location: tuple[str, int, int, bytes, str, int] | None = None,
        size: int = 0,
        full_size: int = 0,
        mime: str = "",
        name: str = "",
        content: bytes | None = None,
        document_id: int = 0,
    ) -> None:
        loc_kind, file_id, access_hash, reference, thumb, dc_id = location or ("", document_id, 0, b"", "", 0)
        key = None
        if location is not None:
            key = f"{loc_kind}:{file_id}:{thumb}" if thumb else f"{loc_kind}:{file_id}"
        self.rows.append(
            (
                self.msg_id, len(self.rows), role, self.topic_id, kind, flags, key, dc_id, loc_kind,
                file_id, access_hash, reference, thumb, size, full_size or size, mime, name, self.date,
                content, self.ref_chat,
            )
        )  # fmt: skip

    def photo(self, role: str, photo: Any, ttl: bool) -> None:
        if type(photo) is not tl.Photo:
            self.add(role, "photos")  # photoEmpty: counted, nothing to load
            return
        image = _max_image(photo)
        if image is None or ttl:
            self.add(role, "photos", size=0 if image is None else image[1])
            return
        size, nbytes, content = image
        location = ("photo", photo.id, photo.access_hash, photo.file_reference, size.type, photo.dc_id)
        self.add(role, "photos", location=location, size=nbytes, content=content, mime="image/jpeg")

    def document(self, document: Any, ttl: bool, role_prefix: str = "") -> None:
        flags, name = document_facts(document)
        kind = document_kind(flags)
        mime = document.mime_type or ""
        location = None
        if not ttl:
            location = (
                "document",
                document.id,
                document.access_hash,
                document.file_reference,
                "",
                document.dc_id,
            )
        self.add(
            role_prefix or FILE,
            kind,
            flags=flags,
            location=location,
            size=document.size,
            mime=mime,
            name=name,
        )
        thumb = _document_thumb(document)
        if role_prefix or thumb is None or thumb[0].w <= 0:
            return  # Desktop writes a thumbnail only with a width (export_output_json.cpp)
        size, nbytes, content = thumb
        location = None
        if not ttl:
            location = (
                "document",
                document.id,
                document.access_hash,
                document.file_reference,
                size.type,
                document.dc_id,
            )
        self.add(
            THUMBNAIL, kind, flags=flags, location=location, size=nbytes, full_size=document.size,
            mime="image/jpeg", content=content,
        )  # fmt: skip


def file_refs(message: Any, record: dict[str, Any], topic_id: int | None, date: int) -> list[RefRow]:
    """The rows of one raw message whose record is ``record`` (custom emoji are taken from the
    record: Desktop looks for them in the text parts it kept and in the reactions)."""
    cls = type(message)
    emoji: list[str] = []
    if cls is tl.Message:
        media = message.media
        # The record's lists are read only when Telegram's say there is a custom emoji.
        if _has_custom_emoji(message.entities, message.reactions):
            emoji = _emoji_ids(record)
        if not emoji and (media is None or type(media) not in _FILE_MEDIA):
            return []  # most messages end here
    elif cls is tl.MessageService:
        action = message.action
        if type(action) not in (tl.MessageActionChatEditPhoto, tl.MessageActionSuggestProfilePhoto):
            return []
        media = None
    else:
        return []
    # An upgraded group's messages are stored shifted (exporter.migrated): Telegram knows them in the group.
    peer = message.peer_id
    ref_chat = peer.chat_id if type(peer) is tl.PeerChat and record["id"] < 0 else None
    refs = _Refs(record["id"], topic_id, date, ref_chat)
    for document_id in emoji:
        refs.add(EMOJI_PREFIX + document_id, EMOJI, document_id=int(document_id))
    if cls is tl.MessageService:
        refs.photo(PHOTO, message.action.photo, ttl=False)
        return refs.rows
    mtype = type(media)
    if mtype is tl.MessageMediaPhoto:
        if media.photo is not None:
            refs.photo(PHOTO, media.photo, ttl=bool(media.ttl_seconds))
    elif mtype is tl.MessageMediaDocument:
        if type(media.document) is tl.Document:
            refs.document(media.document, ttl=bool(media.ttl_seconds))
    elif mtype is tl.MessageMediaContact:
        if media.vcard:
            vcard = media.vcard.encode("utf-8")
            refs.add(VCARD, CONTACT, size=len(vcard), content=vcard, mime="text/vcard")
    elif mtype is tl.MessageMediaPaidMedia:
        for n, extended in enumerate(media.extended_media or ()):
            inner: Any = getattr(extended, "media", None)
            if type(inner) is tl.MessageMediaPhoto and inner.photo is not None:
                refs.add(f"{PAID_PREFIX}{n}", "photos")
            elif type(inner) is tl.MessageMediaDocument and type(inner.document) is tl.Document:
                refs.document(inner.document, ttl=True, role_prefix=f"{PAID_PREFIX}{n}")
    return refs.rows


_FILE_MEDIA = frozenset(
    {tl.MessageMediaPhoto, tl.MessageMediaDocument, tl.MessageMediaContact, tl.MessageMediaPaidMedia}
)
_CUSTOM_EMOJI = tl.MessageEntityCustomEmoji
_CUSTOM_REACTION = tl.ReactionCustomEmoji


def _has_custom_emoji(entities: list[Any] | None, reactions: Any) -> bool:
    for entity in entities or ():
        if type(entity) is _CUSTOM_EMOJI:
            return True
    if reactions is None:
        return False
    results = reactions.results or ()
    return any(type(r.reaction) is _CUSTOM_REACTION for r in (*results, *(reactions.recent_reactions or ())))


def _emoji_ids(record: dict[str, Any]) -> list[str]:
    ids = [part["document_id"] for part in record.get("text_entities", ()) if part["type"] == "custom_emoji"]
    ids += [r["document_id"] for r in record.get("reactions", ()) if r["type"] == "custom_emoji"]
    return list(dict.fromkeys(ids))
