"""Deterministic message content.

Every message is a pure function of (seed, chat, id): its variant comes from its rank in the chat,
every other choice from an integer hash of the id. Nothing is stored per message, so a channel of a
million messages costs no memory until a message is asked for.
"""

from __future__ import annotations

import hashlib
import struct
from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telethon.tl import types as T
from telethon.tl.tlobject import TLObject

if TYPE_CHECKING:
    from .model import Chat, World

M64 = (1 << 64) - 1
M63 = (1 << 63) - 1

# Salts keep the hash streams of unrelated decisions independent.
SALT_VARIANT = 0x5A17
SALT_RESTRICT = 0x1A55
SALT_MEDIA = 0x3ED1A
SALT_BOX = 0xB0C5


def h64(key: int, x: int) -> int:
    """splitmix64 of ``key + x``: stable across processes, unlike ``hash()``."""
    z = (key + (x + 1) * 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def world_key(seed: int) -> int:
    return h64(0x5EED, seed)


# Where decisions read a message's hash h = h64(chat.key, id), so that they stay unrelated (a range
# open at the top is taken modulo a small number, so it mostly depends on its lowest bits):
#   0 private `out` | 1.. sender | 8.. date jitter | 20.. views | 24.. topic pick | 36.. forwards
#   40-43 edited | 44-46 has reactions | 47-50 reply | 51-55 which reactions | 56-63 General or not
# guess: a fifth of forum messages are written in General
GENERAL_CUTOFF = 51  # of 256


def date_for(chat: Chat, msg_id: int, hd: int) -> int:
    """``hd`` = h64(chat.date_key, msg_id). Strictly increasing in msg_id: the jitter stays below the step."""
    step = chat.step
    return chat.date0 + msg_id * step + ((hd >> 8) % step if step > 1 else 0)


def topic_for(chat: Chat, msg_id: int, h: int) -> int:
    """Forum topic of an existing message: General, or one of the topics created before it."""
    topic = chat.topic_override.get(msg_id)
    if topic is not None:
        return topic
    if msg_id in chat.topics:
        return msg_id
    busy = chat.busy_topics
    c = bisect_left(busy, msg_id)
    if c == 0 or (h >> 56) < GENERAL_CUTOFF:
        return 1
    return busy[(h >> 24) % c]


# ---------------------------------------------------------------- variants

TEXT_VARIANTS = ("ru", "rtl", "emoji", "formatted", "long", "reply", "fwd_user", "fwd_channel", "fwd_hidden")
FILE_MEDIA = ("photo", "document", "video", "voice", "audio", "round", "sticker", "gif")
OTHER_MEDIA = ("poll", "contact", "geo")
# Actions about the chat as a whole; in a forum they only make sense in General.
CHAT_SERVICE = ("add_user", "joined", "title")

# Every variant once per 256 messages: rich ones are rare enough that a page stays cheap to generate.
TABLE_BITS = 8
TABLE_SIZE = 1 << TABLE_BITS
_TABLE_MASK = TABLE_SIZE - 1


def _table(*variants: str) -> tuple[str, ...]:
    table = ["text"] * TABLE_SIZE
    for i, v in enumerate(variants):
        table[i * TABLE_SIZE // len(variants)] = v
    return tuple(table)


_COMMON = (*TEXT_VARIANTS, *FILE_MEDIA, *OTHER_MEDIA, "pin")
# guess: Saved Messages is mostly things forwarded there, so it gets each kind of forward four times
_SAVED = (*_COMMON, *("fwd_user", "fwd_channel", "fwd_hidden") * 3)
TABLES = {
    "saved": _table(*_SAVED),
    "private": _table(*_COMMON),
    "group": _table(*_COMMON, *CHAT_SERVICE),
    "supergroup": _table(*_COMMON, *CHAT_SERVICE),
    "forum": _table(*_COMMON, *CHAT_SERVICE),
    # subscribers see no join messages in a channel
    "channel": _table(*_COMMON, "title"),
}


def variant_and_rank(chat: Chat, msg_id: int) -> tuple[str, int]:
    """Each block of 256 consecutive messages of a chat holds every variant of its table exactly once,
    in an order shuffled per block by an odd affine map (a bijection modulo 256)."""
    r = chat.slots.rank(msg_id)
    block = r >> TABLE_BITS
    memo = chat.variant_memo
    if memo[0] != block:
        hb = h64(chat.key ^ SALT_VARIANT, block)
        # pages read consecutive messages: remember the last block's map
        memo = chat.variant_memo = (block, (hb & _TABLE_MASK) | 1, hb >> TABLE_BITS)
    return chat.table[(memo[1] * (r & _TABLE_MASK) + memo[2]) & _TABLE_MASK], r


# ---------------------------------------------------------------- text

_EN = tuple(
    "the export channel topic message server backup archive photo tomorrow meeting release build coffee "
    "weekend update thanks great idea check link file done soon please review fixed bug test deploy ok "
    "yes no maybe later today night morning call me you we they it is was will be and or but with from "
    "to in on for of a an new old big small".split()
)
_RU = tuple(
    "привет как дела сегодня завтра встреча отлично спасибо файл канал сообщение выгрузка архив ёлка "
    "щука съезд пожалуйста хорошо да нет может быть вечером утром проверь ссылку готово скоро новый "
    "старый большой маленький".split()
)
_ARABIC = ("مرحبا بالعالم", "كيف حالك؟", "شكرا جزيلا", "إلى اللقاء غدا", "الأرشيف 2024")
_HEBREW = ("שלום עולם", "מה שלומך?", "תודה רבה", "נתראה מחר", "קובץ מס׳ 7")
_EMOJI = (
    "😀", "😂", "🔥", "👍", "👍🏽", "❤️", "🎉", "🤔", "👨‍👩‍👧‍👦", "🇺🇦",
    "🇯🇵", "1️⃣", "☕", "🚀", "🐍", "✅", "🏳️‍🌈", "🧑🏿‍💻", "😎", "🥲",
)  # fmt: skip
# Telegram's reaction emoticons carry no variation selector
_REACTIONS = ("👍", "❤", "🔥", "😂", "🎉", "🤔", "👎", "😢")


def u16len(s: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(s.encode("utf-16-le")) // 2


def _words(vocab: tuple[str, ...], x: int, n: int) -> str:
    size = len(vocab)
    out = []
    for _ in range(n):
        out.append(vocab[x % size])
        x //= size
        if x < size:
            x = h64(x, n)
    return " ".join(out)


# Most messages are short plain text: taken from tables built once, because joining words per message
# would be a good part of the budget for generating one.
_PLAIN = tuple(_words(_EN, h64(0x7E47, i), 2 + i % 8) for i in range(4096))
_TEXT_K = 0x9E3779B97F4A7C15


def plain_text(h: int) -> str:
    return _PLAIN[((h * _TEXT_K) >> 52) & 4095]


class _Rich:
    """Accumulates text and entities, tracking the UTF-16 offset."""

    def __init__(self):
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list = []

    def add(self, s: str, make=None) -> _Rich:
        n = u16len(s)
        if make is not None:
            self.entities.append(make(self.pos, n))
        self.parts.append(s)
        self.pos += n
        return self

    def wrap(self, make, fill) -> _Rich:
        start, at = self.pos, len(self.entities)
        fill(self)
        # the outer entity goes before the ones it contains, as Telegram orders them
        self.entities.insert(at, make(start, self.pos - start))
        return self

    @property
    def text(self) -> str:
        return "".join(self.parts)


def formatted_text(world: World, h: int) -> tuple[str, list, set[int]]:
    """A text using every entity type, some over emoji and Cyrillic so UTF-16 offsets matter."""
    users = world.contact_ids
    target = world.users[users[h % len(users)]] if users else world.me
    named = next((world.users[u] for u in users if world.users[u].username), world.me)
    if named.username is None:
        raise ValueError("a formatted text mentions a username: the world needs one")
    n = h % 1000
    emoji = _EMOJI[(h >> 10) % len(_EMOJI)]
    url = f"https://example.org/docs/{n}"
    r = _Rich()
    r.add(f"{emoji} Release notes #{n}", T.MessageEntityBold).add("\n")
    r.add("курсив " + _words(_RU, h >> 16, 2), T.MessageEntityItalic).add(", ")
    r.add("underlined", T.MessageEntityUnderline).add(", ")
    r.add("struck", T.MessageEntityStrike).add(", ")
    r.add(f"x = {n}", T.MessageEntityCode).add("\n")
    r.add(f'print("{emoji} {n}")', lambda o, k: T.MessageEntityPre(o, k, "python")).add("\n")
    r.add("the docs", lambda o, k: T.MessageEntityTextUrl(o, k, url)).add(" by ")
    r.add(target.first_name, lambda o, k: T.MessageEntityMentionName(o, k, target.id)).add(" cc ")
    r.add("@" + named.username, T.MessageEntityMention).add(" ")
    r.add("#export", T.MessageEntityHashtag).add(" ")
    r.add("$TON", T.MessageEntityCashtag).add(" ")
    r.add("/start", T.MessageEntityBotCommand).add("\n")
    r.add(f"https://telegram.org/blog/{n}", T.MessageEntityUrl).add(" ")
    r.add(f"team{n}@example.org", T.MessageEntityEmail).add(" ")
    r.add(f"+1 555 010 {n:04d}", T.MessageEntityPhone).add(" ")
    r.add("4111 1111 1111 1111", T.MessageEntityBankCard).add("\n")
    r.add("the ending 🤫", T.MessageEntitySpoiler).add("\n")

    def quote(q: _Rich):
        q.add("quoted ").add("📌 bold", T.MessageEntityBold).add(" " + _words(_EN, h >> 24, 3))

    r.wrap(T.MessageEntityBlockquote, quote).add("\n")
    r.add("😎", lambda o, k: T.MessageEntityCustomEmoji(o, k, 5_368_324_170_671_202_286 + (h & 0xFF)))
    return r.text, r.entities, {target.id}


FORMATTED_VARIANTS = 16
LONG_TEXT_LEN = 4096


def _long_text(h: int) -> tuple[str, list]:
    """Exactly 4096 characters, all in the BMP so characters and UTF-16 units agree."""
    chunks, total, x = [], 0, h
    while total < LONG_TEXT_LEN:
        x = h64(x, total)
        chunk = _words(_RU if x & 1 else _EN, x >> 1, 8) + ". "
        chunks.append(chunk)
        total += len(chunk)
    text = "".join(chunks)[: LONG_TEXT_LEN - 1] + "!"
    return text, [T.MessageEntityItalic(0, 16), T.MessageEntityBold(LONG_TEXT_LEN - 16, 16)]


_LONG = tuple(_long_text(h64(0x10E6, i)) for i in range(8))
# Serialized forms of the fixed texts, so encoding a message does not redo them.
_TEXT_BYTES = {t: TLObject.serialize_bytes(t) for t in (*_PLAIN, *(text for text, _ in _LONG))}


def text_for(variant: str, h: int) -> str:
    if variant == "ru":
        return _words(_RU, h >> 4, 3 + (h & 7)).capitalize() + "!"
    if variant == "rtl":
        return _ARABIC[h % len(_ARABIC)] + f" {h % 100} " + _HEBREW[(h >> 8) % len(_HEBREW)]
    if variant == "emoji":
        return " ".join(_EMOJI[(h >> (5 * i)) % len(_EMOJI)] for i in range(1 + (h >> 60) % 6)) + " ok"
    return plain_text(h)


# ---------------------------------------------------------------- files

# A file reference (core.telegram.org/api/file-references) is opaque to clients; the sandbox's names the
# file, the generation it was handed out in, and a check only the server can compute. Messages are
# generated with generation 0; sandbox.world.files hands out later ones when references expire.
REFERENCE_PREFIX = b"\x02sbx"
SALT_REFERENCE = 0xF11E


def file_reference(file_id: int, access_hash: int, generation: int = 0) -> bytes:
    check = h64(access_hash ^ SALT_REFERENCE, generation)
    return REFERENCE_PREFIX + struct.pack("<IQQ", generation, file_id, check)


MIB = 1 << 20
STICKER_POOL = 12
STICKER_PACK_DATE = 1_650_000_000  # guess: the pack was uploaded before any history here

_DOC_TYPES = (
    ("application/pdf", "report {n}.pdf"),
    ("application/pdf", "Отчёт за {n}.pdf"),
    ("application/zip", "archive-{n}.zip"),
    ("text/plain", "notes {n}.txt"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "résumé {n}.docx"),
    ("application/octet-stream", "dump_{n}.bin"),
)
_SONGS = (
    ("Nina Simone", "Feeling Good"),
    ("Кино", "Группа крови"),
    ("Fairuz", "نسم علينا الهوى"),
    ("Daft Punk", "One More Time"),
    ("Unknown Artist", "Track 07"),
)
_STICKER_ALTS = ("😀", "😂", "👍", "🔥", "🎉", "😢", "🤔", "❤️", "🐍", "🚀", "😎", "🥳")
# a public pack: the same for everyone, so for every world too
_STICKER_PACK = T.InputStickerSetID(id=0x5A4DB0C5_00000001, access_hash=0x2F6E_7A11_C0DE_5EED)


@dataclass(frozen=True, slots=True)
class FilePlan:
    """What a message's file looks like, enough to describe it and to serve its bytes."""

    kind: str
    file_id: int
    dc_id: int
    access_hash: int
    mime: str
    size: int  # the main file; for photos, the largest size
    parts: tuple[tuple[str, int, int, int], ...]  # (thumb type, w, h, size); for photos, every size
    h: int  # the hash the remaining details come from

    def part(self, thumb: str) -> tuple[str, int, str] | None:
        """(thumb type, size, mime) of the main file (``''``) or of a thumbnail; for a photo ``''`` is
        its largest size, under that size's type."""
        if thumb == "":
            return (self.parts[-1][0] if self.kind == "photo" else ""), self.size, self.mime
        for t, _w, _h, size in self.parts:
            if t == thumb:
                return t, size, "image/jpeg"
        return None


def _dc_of(h: int) -> int:
    return 4 if h % 5 == 0 else 2  # guess: a fifth of files live on another DC than the account's


def _dims(h: int, side: int) -> tuple[int, int]:
    num, den = ((4, 3), (3, 4), (1, 1), (16, 9), (9, 16))[h % 5]
    return (side, side * den // num) if num >= den else (side * num // den, side)


def _photo_plan(world: World, file_id: int, h: int, big: bool) -> FilePlan:
    parts = []
    for t, side, per_px in (("m", 320, 12), ("x", 800, 9), ("y", 1280, 8)):
        w, hh = _dims(h, side)
        parts.append((t, w, hh, w * hh * per_px // 100 + (h >> 8) % 4000 + 1000))
    if big:
        w, hh = _dims(h, 2560)
        parts.append(("w", w, hh, MIB + 50_000 + (h >> 20) % (MIB // 2)))
    access_hash = h64(world.key, file_id) & M63
    return FilePlan(
        "photo", file_id, _dc_of(h >> 40), access_hash, "image/jpeg", parts[-1][3], tuple(parts), h
    )


def _doc_plan(world: World, kind: str, file_id: int, h: int, big: bool) -> FilePlan:
    thumbs: tuple[tuple[str, int, int, int], ...] = ()
    if kind == "document":
        mime = _DOC_TYPES[h % len(_DOC_TYPES)][0]
        size = 2 * MIB + 200_000 + (h >> 8) % MIB if big else 3_000 + (h >> 8) % 600_000
    elif kind == "video":
        mime, size = "video/mp4", 150_000 + (h >> 8) % 850_000
        w, hh = _dims(h >> 3, 320)
        thumbs = (("m", w, hh, 6_000 + (h >> 30) % 9_000),)
    elif kind == "round":
        mime, size = "video/mp4", 80_000 + (h >> 8) % 420_000
        thumbs = (("m", 240, 240, 4_000 + (h >> 30) % 5_000),)
    elif kind == "gif":
        mime, size = "video/mp4", 30_000 + (h >> 8) % 370_000
        thumbs = (("m", 320, 240, 3_000 + (h >> 30) % 5_000),)
    elif kind == "voice":
        mime, size = "audio/ogg", 4_000 + (h >> 8) % 76_000
    elif kind == "audio":
        mime, size = "audio/mpeg", 200_000 + (h >> 8) % 700_000
    else:
        mime, size = "image/webp", 8_000 + (h >> 8) % 32_000
    return FilePlan(kind, file_id, _dc_of(h >> 40), h64(world.key, file_id) & M63, mime, size, thumbs, h)


def sticker_plan(world: World, k: int) -> FilePlan:
    """Stickers come from one small pack, so the same file recurs across messages and chats."""
    file_id = world.sticker_file_id(k)
    return _doc_plan(world, "sticker", file_id, h64(world.key ^ SALT_MEDIA, file_id), False)


def sticker_index(chat: Chat, msg_id: int) -> int:
    return h64(chat.key ^ SALT_MEDIA, msg_id) % STICKER_POOL


def file_plan(world: World, chat: Chat, msg_id: int, variant: str, rank: int) -> FilePlan | None:
    return media_plan(world, chat, msg_id, variant, rank) if variant in FILE_MEDIA else None


def media_plan(world: World, chat: Chat, msg_id: int, variant: str, rank: int) -> FilePlan:
    """The file of a message whose variant is one of FILE_MEDIA."""
    if variant == "sticker":
        return sticker_plan(world, sticker_index(chat, msg_id))
    h = h64(chat.key ^ SALT_MEDIA, msg_id)
    file_id = world.file_id(chat, msg_id)
    # Only the first block of every 8 holds big files, so small worlds stay cheap to download.
    first_block = (rank >> TABLE_BITS) % 8 == 0
    if variant == "photo":
        return _photo_plan(world, file_id, h, first_block and chat.kind not in ("private", "saved"))
    big = first_block and variant == "document" and chat.kind == "channel"
    return _doc_plan(world, variant, file_id, h, big)


def stripped_thumb(h: int, w: int, hh: int) -> T.PhotoStrippedSize:
    scale = max(w, hh) / 40
    body = hashlib.shake_128(h.to_bytes(8, "little")).digest(40 + h % 60)
    return T.PhotoStrippedSize("i", bytes((1, int(hh / scale), int(w / scale))) + body)


def media_tl(plan: FilePlan, date: int) -> T.MessageMediaPhoto | T.MessageMediaDocument:
    h = plan.h
    reference = file_reference(plan.file_id, plan.access_hash)
    if plan.kind == "photo":
        sizes: list = [stripped_thumb(h, plan.parts[0][1], plan.parts[0][2])]
        sizes += [T.PhotoSize(t, w, hh, size) for t, w, hh, size in plan.parts[:-1]]
        t, w, hh, size = plan.parts[-1]
        sizes.append(T.PhotoSizeProgressive(t, w, hh, [size // 8, size // 4, size // 2, size * 3 // 4, size]))
        photo = T.Photo(plan.file_id, plan.access_hash, reference, date, sizes, plan.dc_id)
        return T.MessageMediaPhoto(photo=photo)
    duration = 1 + (h >> 12) % 120
    flags = {}
    if plan.kind == "document":
        attrs = [T.DocumentAttributeFilename(_DOC_TYPES[h % len(_DOC_TYPES)][1].format(n=h % 1000))]
    elif plan.kind == "video":
        w, hh = _dims(h >> 3, 1280)
        attrs = [
            T.DocumentAttributeVideo(duration, w, hh, supports_streaming=True),
            T.DocumentAttributeFilename(f"VID_{h % 100000:05d}.mp4"),
        ]
        flags["video"] = True
    elif plan.kind == "round":
        attrs = [T.DocumentAttributeVideo(duration % 60 + 1, 384, 384, round_message=True)]
        # guess: Telegram flags round videos with both `video` and `round`
        flags.update(video=True, round=True)
    elif plan.kind == "gif":
        w, hh = _dims(h >> 3, 480)
        attrs = [
            T.DocumentAttributeAnimated(),
            T.DocumentAttributeVideo(duration % 10 + 1, w, hh, nosound=True),
            T.DocumentAttributeFilename("animation.gif.mp4"),
        ]
    elif plan.kind == "voice":
        waveform = hashlib.shake_128(h.to_bytes(8, "little")).digest(63)
        attrs = [T.DocumentAttributeAudio(duration % 60 + 1, voice=True, waveform=waveform)]
        flags["voice"] = True
    elif plan.kind == "audio":
        performer, title = _SONGS[h % len(_SONGS)]
        attrs = [
            T.DocumentAttributeAudio(duration + 60, title=title, performer=performer),
            T.DocumentAttributeFilename(f"{performer} - {title}.mp3"),
        ]
    else:
        attrs = [
            T.DocumentAttributeImageSize(512, 512),
            T.DocumentAttributeSticker(_STICKER_ALTS[plan.file_id % len(_STICKER_ALTS)], _STICKER_PACK),
            T.DocumentAttributeFilename("sticker.webp"),
        ]
    thumbs = None
    if plan.parts:
        t, w, hh, size = plan.parts[0]
        thumbs = [stripped_thumb(h, w, hh), T.PhotoSize(t, w, hh, size)]
    document = T.Document(
        plan.file_id, plan.access_hash, reference, date, plan.mime, plan.size, plan.dc_id, attrs, thumbs
    )
    return T.MessageMediaDocument(document=document, **flags)


# ---------------------------------------------------------------- other media


def _poll(h: int) -> T.MessageMediaPoll:
    questions = (
        ("Which format for the export?", ("JSON", "HTML", "Both", "Neither 🙃")),
        ("Когда встречаемся?", ("Сегодня", "Завтра", "В пятницу")),
        ("Best topic layout? 🤔", ("One file per topic", "One big file")),
    )
    q, answers = questions[h % len(questions)]
    quiz = (h >> 4) % 4 == 0
    correct = (h >> 8) % len(answers)
    voters = [(h >> (12 + 5 * i)) % 30 for i in range(len(answers))]
    poll = T.Poll(
        id=h64(h, 1) & M63,
        question=T.TextWithEntities(q, []),
        answers=[T.PollAnswer(T.TextWithEntities(a, []), bytes([48 + i])) for i, a in enumerate(answers)],
        hash=0,
        closed=(h >> 40) % 3 == 0 or None,
        quiz=quiz or None,
        multiple_choice=(not quiz and (h >> 42) % 3 == 0) or None,
        public_voters=(h >> 44) % 2 == 0 or None,
    )
    # Telethon serializes voters and recent_voters under one flag: both or neither
    counts = [
        T.PollAnswerVoters(
            bytes([48 + i]), voters=v, recent_voters=[], correct=(quiz and i == correct) or None
        )
        for i, v in enumerate(voters)
    ]
    return T.MessageMediaPoll(poll, T.PollResults(results=counts, total_voters=sum(voters)))


# guess: the same polls get forwarded around, so a fixed set (shared by reference) is realistic enough
_POLLS = tuple(_poll(h64(0x9011, i)) for i in range(32))


def contact_media(world: World, h: int) -> tuple[T.MessageMediaContact, set[int]]:
    contacts = world.contact_ids
    if contacts and h % 3:
        u = world.users[contacts[(h >> 2) % len(contacts)]]
        return T.MessageMediaContact(u.phone or "", u.first_name, u.last_name or "", "", u.id), {u.id}
    phone = f"+1555{h % 10_000_000:07d}"
    vcard = f"BEGIN:VCARD\nVERSION:3.0\nFN:Not On Telegram\nTEL:{phone}\nEND:VCARD"
    # user_id 0: a phone-book contact who has no Telegram account
    return T.MessageMediaContact(phone, "Not On", "Telegram", vcard, 0), set()


def geo_media(h: int) -> T.MessageMediaGeo:
    lat = (h % 130_000_000) / 1e6 - 60
    long = ((h >> 28) % 360_000_000) / 1e6 - 180
    return T.MessageMediaGeo(T.GeoPoint(long=long, lat=lat, access_hash=(h >> 1) & M63))


def _reactions(h: int) -> T.MessageReactions:
    results: list[T.ReactionCount] = []
    for i in range(1 + h % 3):
        emoticon = _REACTIONS[(h >> (3 + 3 * i)) % len(_REACTIONS)]
        if all(r.reaction.emoticon != emoticon for r in results):
            results.append(T.ReactionCount(T.ReactionEmoji(emoticon), 1 + (h >> (20 + 6 * i)) % 40))
    return T.MessageReactions(results=results)


# A fixed set of reaction summaries, shared by reference (see SharedTL).
_REACTION_SETS = tuple(_reactions(h64(0x4EAC, i)) for i in range(32))


# ---------------------------------------------------------------- whole messages

_VECTOR_CID = struct.pack("<I", 0x1CB5C415)


class SharedTL:
    """TL objects many messages reuse (peers, a topic's plain reply header, pack stickers, polls,
    reaction summaries, the entities of formatted and long texts), each serialized once and found again
    by identity. Messages hold them by reference: never mutate them."""

    def __init__(self):
        self._objs: dict = {}
        self._bytes: dict[int, bytes] = dict(_STATIC_BYTES)
        self.known_bytes = self._bytes.get  # the hot path calls it per nested object

    def _put(self, key, obj):
        # kept alive in _objs, so no other object can take its id
        self._objs[key] = obj
        self._bytes[id(obj)] = obj._bytes()
        return obj

    def add(self, obj) -> None:
        self._put(("obj", id(obj)), obj)

    def peer_user(self, user_id: int) -> T.PeerUser:
        obj = self._objs.get(("user", user_id))
        return obj if obj is not None else self._put(("user", user_id), T.PeerUser(user_id))

    def user_bytes(self, user_id: int) -> bytes:
        return self._bytes[id(self.peer_user(user_id))]

    def user_set(self, user_id: int) -> frozenset[int]:
        key = ("users", user_id)
        got = self._objs.get(key)
        if got is None:
            got = self._objs[key] = frozenset((user_id,))
        return got

    def chat_set(self, peer_id: int) -> frozenset[int]:
        key = ("chats", peer_id)
        got = self._objs.get(key)
        if got is None:
            got = self._objs[key] = frozenset((peer_id,))
        return got

    def topic_header(self, chat_peer_id: int, topic: int) -> T.MessageReplyHeader:
        key = ("topic", chat_peer_id, topic)
        obj = self._objs.get(key)
        if obj is None:
            obj = self._put(key, T.MessageReplyHeader(forum_topic=True, reply_to_msg_id=topic))
        return obj

    def sticker(self, world: World, k: int) -> T.MessageMediaDocument:
        key = ("sticker", k)
        obj = self._objs.get(key)
        if obj is None:
            # a sticker's document keeps the date it was uploaded, whoever sends it later
            obj = self._put(key, media_tl(sticker_plan(world, k), STICKER_PACK_DATE))
        return obj

    def formatted(self, world: World, k: int) -> tuple[str, list, set[int]]:
        key = ("formatted", k)
        got = self._objs.get(key)
        if got is None:
            got = self._objs[key] = formatted_text(world, h64(world.key, k))
            self._bytes[id(got[1])] = _entities_bytes(got[1])
        return got


def _entities_bytes(entities: list) -> bytes:
    return b"".join([_VECTOR_CID, struct.pack("<i", len(entities)), *(e._bytes() for e in entities)])


# Shared objects every world has: module-level, so their ids are stable for the whole process.
_STATIC_BYTES = {
    **{id(r): r._bytes() for r in (*_REACTION_SETS, *_POLLS)},
    **{id(entities): _entities_bytes(entities) for _, entities in _LONG},
}


_HIDDEN_NAMES = ("Anonymous Fox", "Скрытый отправитель", "مجهول")
# guess: the pseudo-user is named in saved_peer_id only; responses do not list it among their users
HIDDEN_AUTHOR_ID = 2666000


@dataclass(slots=True)
class Composed:
    """A message as Telethon constructor arguments plus the users and chats it mentions."""

    service: bool
    kw: dict
    users: set[int]
    chats: set[int]

    def tl(self) -> T.Message | T.MessageService:
        return (T.MessageService if self.service else T.Message)(**self.kw)


def reply_target(world: World, chat: Chat, msg_id: int, topic: int | None, h: int) -> int | None:
    """An earlier displayable message to reply to: in the same topic mostly, sometimes in another."""
    ids = chat.slots if topic is None else chat.topics[topic].ids
    if topic is not None and (h >> 20) % 4 == 0:
        busy = chat.busy_topics
        c = bisect_left(busy, msg_id)
        other = busy[(h >> 24) % c] if c and (h >> 22) % 2 else 1
        ids = chat.topics[other].ids
    r = ids.rank(msg_id)
    if r == 0:
        return None
    k = r - 1 - (h >> 32) % min(r, 40)
    for target in (ids.select(i) for i in range(k, max(k - 4, -1), -1)):
        if target != topic and not world.is_restricted(chat, target):
            return target
    return None


def reply_header(
    world: World, chat: Chat, topic: int | None, target: int | None
) -> T.MessageReplyHeader | None:
    if topic is None or topic == 1:
        # guess: General messages carry no forum_topic flag, even when replying into another topic
        return None if target is None else T.MessageReplyHeader(reply_to_msg_id=target)
    if target is None:
        return world.shared.topic_header(chat.peer_id, topic)
    # guess: a reply to another topic's message keeps its own topic in reply_to_top_id
    return T.MessageReplyHeader(forum_topic=True, reply_to_msg_id=target, reply_to_top_id=topic)


def _forward(world: World, chat: Chat, variant: str, h: int, c: Composed) -> None:
    kw = c.kw
    src = world.fwd_source
    if variant == "fwd_channel" and src is not None:
        # a channel forwarding its own post forwards an older one
        span = src.slots.rank(kw["id"]) if src is chat else len(src.slots)
        post = src.slots.select(h % max(span, 1))
        c.chats.add(src.peer_id)
        peer = src.peer
        date = min(world.date_of(src, post), kw["date"] - 60)
        fwd = T.MessageFwdHeader(date=date, from_id=peer, channel_post=post)
    elif variant == "fwd_hidden":
        # a sender who hides their account from forwards leaves only a name
        # Saved Messages files such forwards under the pseudo-user "Author Hidden", 2666000
        # (TDLib SavedMessagesTopicId.cpp, HIDDEN_AUTHOR_DIALOG_ID)
        peer = world.shared.peer_user(HIDDEN_AUTHOR_ID)
        fwd = T.MessageFwdHeader(date=kw["date"] - 600 - h % 86_400, from_name=_HIDDEN_NAMES[h % 3])
    else:
        uid = world.user_ids[h % len(world.user_ids)]
        c.users.add(uid)
        peer = world.shared.peer_user(uid)
        fwd = T.MessageFwdHeader(date=kw["date"] - 600 - h % 86_400, from_id=peer)
    kw["fwd_from"] = fwd
    if chat.kind == "saved":
        # Saved Messages files a forward under the peer it came from (TDLib SavedMessagesTopicId.cpp)
        kw["saved_peer_id"] = peer


def _set_sender(world: World, sender: int, c: Composed) -> None:
    kw = c.kw
    kw["from_id"] = world.shared.peer_user(sender)
    if sender == world.me.id:
        kw["out"] = True
    else:
        kw.pop("out", None)
    c.users.add(sender)


def _service(world: World, chat: Chat, tag: str, topic: int | None, h: int, c: Composed) -> bool:
    """Fill ``c`` as a service message; False when the action has nothing to act on."""
    kw, msg_id = c.kw, c.kw["id"]
    header = None
    if tag == "create":
        if chat.member_ids:
            _set_sender(world, chat.member_ids[0], c)  # guess: the account created its groups
        if chat.kind == "group":
            action = T.MessageActionChatCreate(chat.title, list(chat.member_ids))
            c.users.update(chat.member_ids)
        else:
            action = T.MessageActionChannelCreate(chat.title)
    elif tag == "migrate_to":
        # the basic group's last message points to its supergroup (TL: messageActionChatMigrateTo)
        successor = chat.migrated_to
        if successor is None:
            return False
        _set_sender(world, chat.member_ids[0], c)
        action = T.MessageActionChatMigrateTo(successor.bare_id)
        c.chats.add(successor.peer_id)
    elif tag == "migrate_from":
        # the supergroup's first message names the group (TL: messageActionChannelMigrateFrom)
        origin = chat.migrated_from
        if origin is None:
            return False
        _set_sender(world, chat.member_ids[0], c)
        action = T.MessageActionChannelMigrateFrom(origin.title, origin.bare_id)
        c.chats.add(origin.peer_id)
    elif tag == "topic_create":
        t = chat.topics[msg_id]
        action = T.MessageActionTopicCreate(t.initial_title, t.icon_color, icon_emoji_id=t.icon_emoji_id)
        _set_sender(world, t.creator_id, c)
    elif tag == "topic_edit":
        if topic is None:
            return False
        action = T.MessageActionTopicEdit(title=chat.topics[topic].title)
        header = reply_header(world, chat, topic, None)
    elif tag == "topic_close":
        action = T.MessageActionTopicEdit(closed=True)
        header = reply_header(world, chat, topic, None)
    elif tag == "general_hide":
        action = T.MessageActionTopicEdit(hidden=True)
    elif tag == "pin":
        target = reply_target(world, chat, msg_id, topic, h)
        if target is None:
            return False
        action = T.MessageActionPinMessage()
        header = reply_header(world, chat, topic, target)
    elif tag == "add_user":
        # the adder may be the added user: that is how joining a public group looks
        added = kw["from_id"].user_id
        action = T.MessageActionChatAddUser([added])
        _set_sender(world, chat.member_ids[(h >> 9) % len(chat.member_ids)], c)
        c.users.add(added)
    elif tag == "joined":
        # guess: invite links in these groups are the account's own
        action = T.MessageActionChatJoinedByLink(inviter_id=chat.member_ids[0])
        c.users.add(chat.member_ids[0])
    else:
        # guess: renames are to the title the chat still has, so dialogs and history agree
        action = T.MessageActionChatEditTitle(chat.title)
    c.service = True
    kw["action"] = action
    if header is not None:
        kw["reply_to"] = header
    return True


_GROUP_KINDS = frozenset({"group", "supergroup", "forum"})


# The decisions every message shares, used both by _compose and by the plain-text fast path.


def _date(chat: Chat, msg_id: int, h: int) -> int:
    return date_for(chat, msg_id, h if chat.date_key == chat.key else h64(chat.date_key, msg_id))


def _sender(chat: Chat, h: int) -> int | None:
    """Who wrote it, in the chats whose messages name their sender."""
    members = chat.member_ids
    return members[(h >> 1) % len(members)] if chat.kind in _GROUP_KINDS else None


def _out(world: World, chat: Chat, h: int, sender: int | None) -> bool:
    if chat.kind == "private":
        # private messages carry no from_id since layer 119; `out` tells who wrote them
        return bool(h & 1)  # guess: each side writes about half
    return chat.kind == "saved" or (sender is not None and sender == world.me.id)


def _plain_target(world: World, chat: Chat, msg_id: int, topic: int | None, h: int) -> int | None:
    return reply_target(world, chat, msg_id, topic, h64(h, 7)) if (h >> 47) & 15 == 0 else None


def _views(h: int) -> tuple[int, int]:
    # Telethon serializes views and forwards under one flag: both or neither
    return 40 + (h >> 20) % 20_000, (h >> 36) % 300


def _edit_date(h: int, date: int) -> int | None:
    return date + 60 + h64(h, 9) % 7_200 if (h >> 40) & 15 == 0 else None


def _reactions_of(h: int, kind: str) -> T.MessageReactions | None:
    return _REACTION_SETS[(h >> 51) & 31] if (h >> 44) & 7 == 0 and kind != "saved" else None


# Chats whose reaction summaries name the recent reactors: messageReactions.recent_reactions, "list of
# recent peers and their reactions" (core.telegram.org/constructor/messageReactions). guess: Telegram
# fills it in private chats and groups, where members see each other, and not in broadcast channels.
_RECENT_REACTOR_KINDS = frozenset({"private", "group", "supergroup", "forum"})


def _recent_reactors(
    world: World, chat: Chat, base: T.MessageReactions, h: int, date: int
) -> tuple[T.MessageReactions, frozenset[int]]:
    """The summary with up to three recent reactors of its first reaction, and their user ids."""
    first = base.results[0]
    candidates = (chat.bare_id, world.me.id) if chat.kind == "private" else chat.member_ids
    reactors: list[int] = []
    for i in range(min(first.count, 3, len(candidates))):
        uid = candidates[(h >> (5 + 4 * i)) % len(candidates)]
        if uid not in reactors:
            reactors.append(uid)
    recent = [
        # newest first, each a little after the message (guess: the order Telegram lists them)
        T.MessagePeerReaction(world.shared.peer_user(uid), date + 60 * (len(reactors) - i), first.reaction)
        for i, uid in enumerate(reactors)
    ]
    reactions = T.MessageReactions(results=base.results, can_see_list=True, recent_reactions=recent)
    return reactions, frozenset(reactors)


def _reactions_for(
    world: World, chat: Chat, h: int, date: int
) -> tuple[T.MessageReactions | None, frozenset[int]]:
    reactions = _reactions_of(h, chat.kind)
    if reactions is None or chat.kind not in _RECENT_REACTOR_KINDS:
        return reactions, frozenset()
    return _recent_reactors(world, chat, reactions, h, date)


# Signed posts: a channel with signatures on (channel.signatures, core.telegram.org/constructor/channel)
# sends each post with message.post_author, the posting admin's name. guess: the sandbox's broadcast
# channels all sign, and three admins take turns.
_SIGNERS = ("Mira Hale", "Desk Editor", "Jonas P.")
_SIGNER_BYTES = {name: TLObject.serialize_bytes(name) for name in _SIGNERS}


def _signer(h: int) -> str:
    return _SIGNERS[(h >> 9) % len(_SIGNERS)]


def compose(world: World, chat: Chat, msg_id: int) -> Composed:
    h = h64(chat.key, msg_id)
    c = _compose(world, chat, msg_id, h, topic_for(chat, msg_id, h) if chat.kind == "forum" else None)
    if chat.rewrite is not None:
        chat.rewrite(c, h)
    return c


def _compose(world: World, chat: Chat, msg_id: int, h: int, topic: int | None) -> Composed:
    kind = chat.kind
    kw = {"id": msg_id, "peer_id": chat.peer, "date": _date(chat, msg_id, h)}
    c = Composed(False, kw, set(), {chat.peer_id})
    sender = _sender(chat, h)
    if sender is not None:
        _set_sender(world, sender, c)
    elif kind == "channel":
        # guess: the account only reads its channels, so posts are neither `out` nor signed (no from_id)
        kw["post"] = True
    else:
        c.users.add(chat.bare_id)
        if _out(world, chat, h, None):
            kw["out"] = True
        if kind == "saved":
            # guess: own notes in Saved Messages carry the account itself as saved_peer_id
            kw["saved_peer_id"] = chat.peer

    tag = chat.service.get(msg_id)
    if tag is None and topic == msg_id and msg_id != 1:
        tag = "topic_create"
    if tag is not None:
        _service(world, chat, tag, topic, h, c)
        return c
    variant, rank = variant_and_rank(chat, msg_id)
    if variant == "text":
        kw["message"] = plain_text(h)
        target = _plain_target(world, chat, msg_id, topic, h)
    else:
        if variant in CHAT_SERVICE and topic not in (None, 1):
            variant = "text"
        if (variant == "pin" or variant in CHAT_SERVICE) and _service(world, chat, variant, topic, h, c):
            return c
        target = _rich_body(world, chat, msg_id, variant, rank, topic, h, c)
    if (topic is not None and topic != 1) or target is not None:
        kw["reply_to"] = reply_header(world, chat, topic, target)
    if kind == "channel":
        kw["views"], kw["forwards"] = _views(h)
    edit_date = _edit_date(h, kw["date"])
    if edit_date is not None:
        kw["edit_date"] = edit_date
    if kind == "channel":
        kw["post_author"] = _signer(h)
    reactions, reactors = _reactions_for(world, chat, h, kw["date"])
    if reactions is not None:
        kw["reactions"] = reactions
        c.users |= reactors
    return c


def _rich_body(
    world: World, chat: Chat, msg_id: int, variant: str, rank: int, topic: int | None, h: int, c: Composed
) -> int | None:
    """Fill text and media of anything but plain text; returns the message replied to, if any."""
    kw = c.kw
    h2 = h64(h, 7)
    text, target = "", None
    if variant == "sticker":
        kw["media"] = world.shared.sticker(world, sticker_index(chat, msg_id))
    elif variant in FILE_MEDIA:
        kw["media"] = media_tl(media_plan(world, chat, msg_id, variant, rank), kw["date"])
        if (h2 >> 50) % 3 == 0:
            text = plain_text(h2 >> 3)
    elif variant == "poll":
        kw["media"] = _POLLS[h2 % len(_POLLS)]
    elif variant == "contact":
        kw["media"], users = contact_media(world, h2)
        c.users |= users
    elif variant == "geo":
        kw["media"] = geo_media(h2)
    elif variant == "formatted":
        text, kw["entities"], users = world.shared.formatted(world, h2 % FORMATTED_VARIANTS)
        c.users |= users
    elif variant == "long":
        text, kw["entities"] = _LONG[h2 % len(_LONG)]
    else:
        text = text_for(variant, h2)
        if variant.startswith("fwd_"):
            _forward(world, chat, variant, h2, c)
        elif variant == "reply":
            target = reply_target(world, chat, msg_id, topic, h2)
    kw["message"] = text
    return target


# The envelope of `message` in Telethon 1.45's layer, written out by hand: constructing a full telethon
# Message (its __init__ does client bookkeeping) and its generic _bytes cost more than generating the
# content. Nested objects serialize themselves or come from SharedTL; test_world checks the result is
# byte-identical to bytes(T.Message(...)) for every variant.
_MESSAGE_CID = struct.pack("<I", T.Message.CONSTRUCTOR_ID)
_F_OUT, _F_FWD, _F_REPLY, _F_ENTITIES, _F_FROM, _F_MEDIA = 1 << 1, 1 << 2, 1 << 3, 1 << 7, 1 << 8, 1 << 9
_F_VIEWS, _F_POST, _F_EDIT, _F_REACTIONS, _F_SAVED_PEER = 1 << 10, 1 << 14, 1 << 15, 1 << 20, 1 << 28
_F_AUTHOR = 1 << 16
_FLAGS = {
    "out": _F_OUT,
    "fwd_from": _F_FWD,
    "reply_to": _F_REPLY,
    "entities": _F_ENTITIES,
    "from_id": _F_FROM,
    "media": _F_MEDIA,
    "views": _F_VIEWS,
    "forwards": _F_VIEWS,
    "post": _F_POST,
    "edit_date": _F_EDIT,
    "post_author": _F_AUTHOR,
    "reactions": _F_REACTIONS,
    "saved_peer_id": _F_SAVED_PEER,
}
_ENCODABLE = frozenset({"id", "peer_id", "date", "message", *_FLAGS})
_pack = struct.pack
_serialize_bytes = TLObject.serialize_bytes


def _shape_flags(shape: tuple[str, ...]) -> int | None:
    """The flags word for messages with these fields; None if one of them is not written here."""
    if not _ENCODABLE.issuperset(shape):
        return None
    flags = 0
    for k in shape:
        flags |= _FLAGS.get(k, 0)
    return flags


# Few field combinations ever occur, so their flags are computed once each.
_SHAPES: dict[tuple[str, ...], int | None] = {}


def encode(world: World, c: Composed) -> bytes:
    kw = c.kw
    shape = tuple(kw)
    flags = _SHAPES.get(shape, -1)
    if flags == -1:
        flags = _SHAPES[shape] = _shape_flags(shape)
    if flags is None or c.service:
        return bytes(c.tl())
    known = world.shared.known_bytes
    get = kw.get
    x = get("from_id")
    out = [
        _MESSAGE_CID,
        _pack("<IIi", flags, 0, kw["id"]),
        b"" if x is None else known(id(x)) or x._bytes(),
        known(id(kw["peer_id"])) or kw["peer_id"]._bytes(),
    ]
    x = get("saved_peer_id")
    if x is not None:
        out.append(known(id(x)) or x._bytes())
    x = get("fwd_from")
    if x is not None:
        out.append(x._bytes())
    x = get("reply_to")
    if x is not None:
        out.append(known(id(x)) or x._bytes())
    out.append(_pack("<i", kw["date"]))
    text = kw["message"]
    out.append(_TEXT_BYTES.get(text) or _serialize_bytes(text))
    x = get("media")
    if x is not None:
        out.append(known(id(x)) or x._bytes())
    x = get("entities")
    if x is not None:
        out.append(known(id(x)) or _entities_bytes(x))
    if "views" in kw:
        out.append(_pack("<ii", kw["views"], kw["forwards"]))
    x = get("edit_date")
    if x is not None:
        out.append(_pack("<i", x))
    x = get("post_author")
    if x is not None:
        out.append(_SIGNER_BYTES.get(x) or _serialize_bytes(x))
    x = get("reactions")
    if x is not None:
        out.append(known(id(x)) or x._bytes())
    return b"".join(out)


def refs(world: World, chat: Chat, msg_id: int) -> tuple[bytes, frozenset[int], frozenset[int]]:
    """A message's bytes and the users and chats it mentions. Plain text messages, most of them, are
    written straight from the decisions above without building any TL object."""
    h = h64(chat.key, msg_id)
    topic = topic_for(chat, msg_id, h) if chat.kind == "forum" else None
    if (
        chat.rewrite is None
        and msg_id not in chat.service
        and (topic != msg_id or msg_id == 1)
        and variant_and_rank(chat, msg_id)[0] == "text"
    ):
        return _plain_refs(world, chat, msg_id, h, topic)
    c = _compose(world, chat, msg_id, h, topic)
    if chat.rewrite is not None:
        chat.rewrite(c, h)
    return encode(world, c), frozenset(c.users), frozenset(c.chats)


def _plain_refs(
    world: World, chat: Chat, msg_id: int, h: int, topic: int | None
) -> tuple[bytes, frozenset[int], frozenset[int]]:
    """What encode(_compose(...)) gives for a plain text message, field for field."""
    kind = chat.kind
    shared = world.shared
    date = _date(chat, msg_id, h)
    sender = _sender(chat, h)
    flags = _F_OUT if _out(world, chat, h, sender) else 0
    peer = shared.known_bytes(id(chat.peer)) or chat.peer._bytes()
    if sender is not None:
        flags |= _F_FROM
        parts = [_MESSAGE_CID, b"", shared.user_bytes(sender), peer]
        users = shared.user_set(sender)
    else:
        parts = [_MESSAGE_CID, b"", peer]
        users = frozenset() if kind == "channel" else shared.user_set(chat.bare_id)
    if kind == "saved":
        flags |= _F_SAVED_PEER
        parts.append(peer)
    target = _plain_target(world, chat, msg_id, topic, h)
    # None exactly when the message is in General (or outside forums) and replies to nothing.
    header = reply_header(world, chat, topic, target)
    if header is not None:
        flags |= _F_REPLY
        parts.append(shared.known_bytes(id(header)) or header._bytes())
    parts.append(_pack("<i", date))
    parts.append(_TEXT_BYTES[plain_text(h)])
    if kind == "channel":
        flags |= _F_POST | _F_VIEWS
        parts.append(_pack("<ii", *_views(h)))
    edit_date = _edit_date(h, date)
    if edit_date is not None:
        flags |= _F_EDIT
        parts.append(_pack("<i", edit_date))
    if kind == "channel":
        flags |= _F_AUTHOR
        parts.append(_SIGNER_BYTES[_signer(h)])
    reactions, reactors = _reactions_for(world, chat, h, date)
    if reactions is not None:
        flags |= _F_REACTIONS
        parts.append(shared.known_bytes(id(reactions)) or reactions._bytes())
        users = users | reactors
    parts[1] = _pack("<IIi", flags, 0, msg_id)
    return b"".join(parts), users, shared.chat_set(chat.peer_id)
