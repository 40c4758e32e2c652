"""Media chats: every message a file (or a contact, or text with custom emoji), sizes as users meet them.

A chat of a media scenario gets a ``MediaChat`` (``chat.media``); its ``rewrite`` gives each composed
message the file its ``MediaMix`` picks, and ``World.blob`` finds the bytes through ``plan``. Files are
as lazy as messages: a 700 MB video is a FilePlan of a few fields until its parts are asked for.

Three kinds of files outlive one message, so clients meet the same file id more than once:
- the sticker pack (content.STICKER_POOL);
- a pool of documents and photos posted again and again (``POOL_FIRST``..): forwarding a file keeps its
  id, which is how Telegram Desktop's export recognizes a file it already wrote (a cache of locations
  keyed by file id: export_api_wrap.cpp, LocationKey / kLocationCacheSize);
- custom emoji documents (``EMOJI_FIRST``..), named by id in message entities and reactions and
  fetched with messages.getCustomEmojiDocuments (core.telegram.org/api/custom-emoji); their ids are
  the same in every world, as a public emoji pack's are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telethon.tl import types as T

from .content import (
    M63,
    MIB,
    SALT_MEDIA,
    STICKER_PACK_DATE,
    Composed,
    FilePlan,
    contact_media,
    file_reference,
    h64,
    media_tl,
    plain_text,
    sticker_index,
    sticker_plan,
)

if TYPE_CHECKING:
    from .model import Chat, World

SALT_KIND = 0x61D5
KB = 1000

# Telegram's photo size types and the longest side each stands for (core.telegram.org/api/files,
# "Image thumbnail types": s 100, m 320, x 800, y 1280, w 2560).
PHOTO_TYPES = {320: "m", 800: "x", 1280: "y", 2560: "w"}
# guess: JPEG bytes per pixel at each size, so a 1280 px photo is ~100 KB and a 2560 px one ~0.5-1 MB
_BYTES_PER_PX = {320: 0.12, 800: 0.09, 1280: 0.08, 2560: 0.1}

# Files posted many times: ids from the world's sticker_file_id formula, above the sticker pack's.
POOL_FIRST = 1 << 20
POOL_DOCUMENTS = 4
POOL_PHOTOS = 3
# Custom emoji document ids; content.formatted_text and topic icons name ids in this range too.
EMOJI_FIRST = 5_368_324_170_671_202_000
EMOJI_COUNT = 1000
# A media chat's custom emoji come from a few of them, so a chat names each many times.
MEDIA_EMOJI = tuple(EMOJI_FIRST + 300 + k for k in range(12))
_EMOJI_PACK = T.InputStickerSetID(id=0x5A4DB0C5_00000002, access_hash=0x2F6E_7A11_C0DE_E301)
_EMOJI_ALTS = ("😎", "🔥", "👍", "🎉", "🤔", "❤️", "🐍", "🚀")

# (mime, file name); None: a document sent without a name, which Telegram Desktop names file_N@...
_DOCUMENTS: tuple[tuple[str, str | None], ...] = (
    ("application/pdf", "report.pdf"),
    ("application/pdf", "Отчёт за квартал.pdf"),
    ("application/zip", "photos-2024.zip"),
    ("text/plain", "notes.txt"),
    ("text/csv", "export.csv"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "résumé.docx"),
    ("application/x-tar", "backup.tar.gz"),
    ("application/pdf", None),
    ("application/octet-stream", None),
    ("image/heic", "IMG_2031.HEIC"),
)

KINDS = (
    "photo", "video", "voice", "round", "gif", "audio", "document", "sticker", "contact",
    "repeat_document", "repeat_photo", "custom_emoji", "text",
)  # fmt: skip


@dataclass(frozen=True)
class MediaMix:
    """What a media chat's messages carry.

    ``weights``: kind -> relative frequency (kinds of ``KINDS``); ``photo_sides``: the sizes every
    photo comes in; ``video_bytes`` etc.: (least, most) bytes of each kind; ``big``: sizes of files placed evenly
    through the chat as videos, whatever the weights say; ``names``: file names documents take
    instead of their usual ones, one in ``named_every`` documents (hostile names, say)."""

    weights: dict[str, int]
    photo_sides: tuple[int, ...] = (320, 800, 1280)
    # guess: sizes as phones send them (a minute of round video ~3 MB, GIFs are short MP4s)
    video_bytes: tuple[int, int] = (300 * KB, 3 * MIB)
    document_bytes: tuple[int, int] = (3 * KB, 2 * MIB)
    round_bytes: tuple[int, int] = (300 * KB, 3 * MIB)
    gif_bytes: tuple[int, int] = (40 * KB, 1 * MIB)
    voice_bytes: tuple[int, int] = (8 * KB, 300 * KB)
    audio_bytes: tuple[int, int] = (2 * MIB, 9 * MIB)
    big: tuple[int, ...] = ()
    names: tuple[str, ...] = ()
    named_every: int = 4
    table: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown media kinds: {sorted(unknown)}")
        if any(side not in PHOTO_TYPES for side in self.photo_sides):
            raise ValueError(f"photo sides must be among {sorted(PHOTO_TYPES)}")
        table = tuple(kind for kind, weight in self.weights.items() for _ in range(weight))
        object.__setattr__(self, "table", table)


def _dims(h: int, side: int) -> tuple[int, int]:
    num, den = ((4, 3), (3, 4), (1, 1), (16, 9), (9, 16))[h % 5]
    return (side, side * den // num) if num >= den else (side * num // den, side)


def _dc(h: int) -> int:
    return 4 if h % 5 == 0 else 2  # guess, as content._dc_of: a fifth of files live on the other DC


def _within(h: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    return low + h % (high - low + 1)


def _access_hash(world: World, file_id: int) -> int:
    # files.FileFaults.stamp relies on every file's access hash being this
    return h64(world.key, file_id) & M63


def photo_plan(world: World, file_id: int, h: int, sides: tuple[int, ...]) -> FilePlan:
    parts = []
    for side in sides:
        w, hh = _dims(h, side)
        parts.append((PHOTO_TYPES[side], w, hh, int(w * hh * _BYTES_PER_PX[side]) + (h >> 8) % 4000 + 1000))
    dc, access = _dc(h >> 40), _access_hash(world, file_id)
    return FilePlan("photo", file_id, dc, access, "image/jpeg", parts[-1][3], tuple(parts), h)


def document_plan(world: World, kind: str, file_id: int, h: int, size: int, mime: str) -> FilePlan:
    """Documents as content.media_tl describes them; videos, round videos and GIFs have a thumbnail."""
    thumbs: tuple[tuple[str, int, int, int], ...] = ()
    if kind in ("video", "gif"):
        w, hh = _dims(h >> 3, 320)
        thumbs = (("m", w, hh, 6_000 + (h >> 30) % 9_000),)
    elif kind == "round":
        thumbs = (("m", 240, 240, 4_000 + (h >> 30) % 5_000),)
    return FilePlan(kind, file_id, _dc(h >> 40), _access_hash(world, file_id), mime, size, thumbs, h)


# -- files posted many times


def pool_plan(world: World, k: int) -> FilePlan | None:
    """The k-th file id of the world's sticker_file_id formula, when it is one of the pool's."""
    j = k - POOL_FIRST
    if not 0 <= j < POOL_DOCUMENTS + POOL_PHOTOS:
        return None
    file_id = world.sticker_file_id(k)
    h = h64(world.key ^ SALT_MEDIA, file_id)
    if j >= POOL_DOCUMENTS:
        return photo_plan(world, file_id, h, (320, 800, 1280))
    mime = _DOCUMENTS[h % len(_DOCUMENTS)][0]
    return document_plan(world, "document", file_id, h, 20 * KB + (h >> 8) % (900 * KB), mime)


# -- custom emoji


def is_custom_emoji(file_id: int) -> bool:
    return EMOJI_FIRST <= file_id < EMOJI_FIRST + EMOJI_COUNT


def custom_emoji_plan(world: World, file_id: int) -> FilePlan:
    """Two in three are animated (Lottie .tgs), the rest static WebP."""
    h = h64(world.key ^ SALT_MEDIA, file_id)
    animated = h % 3 != 0
    mime = "application/x-tgsticker" if animated else "image/webp"
    size = (3 * KB + (h >> 8) % (17 * KB)) if animated else (5 * KB + (h >> 8) % (25 * KB))
    return FilePlan("custom_emoji", file_id, _dc(h >> 40), _access_hash(world, file_id), mime, size, (), h)


def custom_emoji_document(plan: FilePlan, reference: bytes) -> T.Document:
    animated = plan.mime == "application/x-tgsticker"
    attributes = [
        T.DocumentAttributeCustomEmoji(_EMOJI_ALTS[plan.h % len(_EMOJI_ALTS)], _EMOJI_PACK, free=True),
        T.DocumentAttributeImageSize(100, 100),
        # guess: the names Telegram gives animated and static stickers' files
        T.DocumentAttributeFilename("AnimatedSticker.tgs" if animated else "sticker.webp"),
    ]
    return T.Document(
        plan.file_id,
        plan.access_hash,
        reference,
        STICKER_PACK_DATE,
        plan.mime,
        plan.size,
        plan.dc_id,
        attributes,
        None,
    )


# -- media chats


class MediaChat:
    """The files of one chat of a media scenario."""

    def __init__(self, world: World, chat: Chat, mix: MediaMix) -> None:
        self.world, self.chat, self.mix = world, chat, mix
        self.big_at: dict[int, int] = {}
        candidates = [i for i in chat.slots if i not in chat.service and not world.is_restricted(chat, i)]
        for k, size in enumerate(mix.big):
            self.big_at[candidates[(2 * k + 1) * len(candidates) // (2 * len(mix.big))]] = size

    def kind_of(self, msg_id: int) -> str:
        if msg_id in self.big_at:
            return "video"
        table = self.mix.table
        return table[h64(self.chat.key ^ SALT_KIND, msg_id) % len(table)]

    def plan(self, msg_id: int) -> FilePlan | None:
        """The file of a message; None for contacts, text and custom emoji messages."""
        world, chat, mix = self.world, self.chat, self.mix
        kind = self.kind_of(msg_id)
        h = h64(chat.key ^ SALT_MEDIA, msg_id)
        if kind == "sticker":
            return sticker_plan(world, sticker_index(chat, msg_id))
        if kind == "repeat_document":
            return pool_plan(world, POOL_FIRST + h % POOL_DOCUMENTS)
        if kind == "repeat_photo":
            return pool_plan(world, POOL_FIRST + POOL_DOCUMENTS + h % POOL_PHOTOS)
        file_id = world.file_id(chat, msg_id)
        if kind == "photo":
            return photo_plan(world, file_id, h, mix.photo_sides)
        big = self.big_at.get(msg_id)
        if big is not None:
            return document_plan(world, "video", file_id, h, big, "video/mp4")
        if kind == "video":
            return document_plan(world, kind, file_id, h, _within(h >> 8, mix.video_bytes), "video/mp4")
        if kind in ("round", "gif"):
            bounds = mix.round_bytes if kind == "round" else mix.gif_bytes
            return document_plan(world, kind, file_id, h, _within(h >> 8, bounds), "video/mp4")
        if kind == "voice":
            return document_plan(world, kind, file_id, h, _within(h >> 8, mix.voice_bytes), "audio/ogg")
        if kind == "audio":
            return document_plan(world, kind, file_id, h, _within(h >> 8, mix.audio_bytes), "audio/mpeg")
        if kind == "document":
            mime = _DOCUMENTS[h % len(_DOCUMENTS)][0]
            return document_plan(world, kind, file_id, h, _within(h >> 8, mix.document_bytes), mime)
        return None

    def rewrite(self, c: Composed, h: int) -> None:
        """Give a composed message its file (a Chat.rewrite hook); service messages stay as they are."""
        if c.service:
            return
        kw = c.kw
        msg_id = kw["id"]
        kind = self.kind_of(msg_id)
        for key in ("media", "entities", "reactions"):
            kw.pop(key, None)
        h2 = h64(h, 0x3D)
        # guess: a third of files come with a caption
        kw["message"] = plain_text(h2) if h2 % 3 == 0 else ""
        if kind == "text":
            kw["message"] = plain_text(h2)
        elif kind == "contact":
            kw["media"], users = contact_media(self.world, h2)
            c.users |= users
            kw["message"] = ""
        elif kind == "custom_emoji":
            self._custom_emoji(kw, h2)
        elif kind == "sticker":
            kw["media"] = self.world.shared.sticker(self.world, sticker_index(self.chat, msg_id))
            kw["message"] = ""
        else:
            plan = self.plan(msg_id)
            assert plan is not None
            own = plan.file_id == self.world.file_id(self.chat, msg_id)
            kw["media"] = self._media(plan, kw["date"], h2, own)

    def _media(
        self, plan: FilePlan, date: int, h: int, own: bool
    ) -> T.MessageMediaPhoto | T.MessageMediaDocument:
        if plan.kind != "document":
            return media_tl(plan, date)
        mime, name = _DOCUMENTS[plan.h % len(_DOCUMENTS)]
        names = self.mix.names
        # a file posted again keeps its name: only a message's own documents are renamed
        if names and own and (h >> 12) % self.mix.named_every == 0:
            name = names[(h >> 20) % len(names)]
        attributes = [T.DocumentAttributeFilename(name)] if name is not None else []
        document = T.Document(
            plan.file_id,
            plan.access_hash,
            file_reference(plan.file_id, plan.access_hash),
            date,
            mime,
            plan.size,
            plan.dc_id,
            attributes,
            None,
        )
        return T.MessageMediaDocument(document=document)

    def _custom_emoji(self, kw: dict, h: int) -> None:
        """A text of custom emoji (entities over each placeholder) with one custom emoji reaction."""
        count = 1 + h % 3
        text, entities = "", []
        for k in range(count):
            emoji = MEDIA_EMOJI[(h >> (4 + 5 * k)) % len(MEDIA_EMOJI)]
            # "😎" is two UTF-16 units, the unit entity offsets count in
            entities.append(T.MessageEntityCustomEmoji(3 * k, 2, emoji))
            text += "😎 "
        kw["message"] = text + "ok"
        kw["entities"] = entities
        reaction = T.ReactionCustomEmoji(MEDIA_EMOJI[(h >> 30) % len(MEDIA_EMOJI)])
        kw["reactions"] = T.MessageReactions(results=[T.ReactionCount(reaction, 1 + (h >> 40) % 9)])


def attach(world: World, chat: Chat, mix: MediaMix) -> MediaChat:
    """Make ``chat`` a media chat of ``world``."""
    media = chat.media = MediaChat(world, chat, mix)
    chat.rewrite = media.rewrite
    return media
