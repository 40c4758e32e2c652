"""Telethon message → record: the Telegram Desktop ``result.json`` message object.

A record is a plain, JSON-able dict whose keys, value types and strings are the
ones Telegram Desktop's machine-readable export writes for one message (see
``export_output_json.cpp`` / ``export_data_types.cpp`` in tdesktop), in the same
key order.  Every renderer reads records, so the formats never disagree.

One extension key is added: ``topic_id`` (int) on every message of a forum
export; Desktop tools ignore unknown keys.

Input is a *raw* TL message as found in ``messages.getHistory`` /
``messages.getReplies`` results (Telethon's ``_finish_init`` not called), so only
raw fields are read.  Names come from a :class:`NameBook` filled with the
``users``/``chats`` lists of each response before its messages are converted.

Media files are not downloaded here: file-path fields hold the reason string
Desktop writes for a file it skipped (:data:`FILE_NOT_INCLUDED`); the media stage
replaces them with relative paths once the files exist.

Deliberate difference from Desktop, because Desktop's output is broken there:
control characters are escaped as valid JSON by the writer (Desktop writes
``\\xNN``).  Dates are UTC here; the renderers put them in the export's time zone
(:mod:`exporter.render.local_time`), as Desktop writes the machine's local time.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from datetime import date as _date
from datetime import datetime
from typing import Any

from telethon.tl import types as tl
from telethon.utils import resolve_id

from .desktop_nested import array_text, object_text, string_text
from .phone_format import format_phone

Record = dict[str, Any]

FILE_NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
FILE_UNAVAILABLE = "(File unavailable, please try again later)"

GENERAL_TOPIC_ID = 1

_PeerUser = tl.PeerUser
_PeerChat = tl.PeerChat
_PeerChannel = tl.PeerChannel

# Desktop packs the peer kind into bits 48+ of a PeerId; `requested_peer` writes these raw values.
_PEER_SHIFT_CHAT = 1 << 48
_PEER_SHIFT_CHANNEL = 2 << 48


# --------------------------------------------------------------------------- names


class NameBook:
    """Display names and Desktop peer ids ("user123", "chat5", "channel77") of peers.

    Fill it with every response's ``users`` and ``chats`` before converting that
    response's messages.  A peer that is unknown, or a deleted account, has the
    name ``None``: Desktop writes ``null`` in both cases (its lookup falls back to
    an empty user, and an empty name is serialized as null).
    """

    __slots__ = ("_channels", "_chats", "_usernames", "_users", "account")

    def __init__(self) -> None:
        # The exporting account: Telegram sends its messages to a user without from_id.
        self.account: tl.PeerUser | None = None
        # Each maps a bare id to (name, desktop_id); misses are cached the same way
        # and overwritten when the peer arrives later.
        self._users: dict[int, tuple[str | None, str]] = {}
        self._chats: dict[int, tuple[str | None, str]] = {}
        self._channels: dict[int, tuple[str | None, str]] = {}
        self._usernames: dict[int, str] = {}

    def add_users(self, users: Iterable[tl.TypeUser]) -> None:
        for user in users:
            uid = user.id
            if type(user) is tl.User:
                # A "min" user can lack fields a full copy had; keep the full one.
                if user.min and uid in self._users and self._users[uid][0] is not None:
                    continue
                first = user.first_name or ""
                last = user.last_name or ""
                name = f"{first} {last}" if first and last else (first or last or None)
                if user.username:
                    self._usernames[uid] = user.username
            else:
                name = None
            self._users[uid] = (name, f"user{uid}")

    def add_chats(self, chats: Iterable[tl.TypeChat]) -> None:
        for chat in chats:
            cid = chat.id
            title = getattr(chat, "title", None) or None
            if type(chat) in (tl.Channel, tl.ChannelForbidden):
                if type(chat) is tl.Channel and chat.min and cid in self._channels:
                    continue
                self._channels[cid] = (title, f"channel{cid}")
            else:
                self._chats[cid] = (title, f"chat{cid}")

    def lookup(self, peer: tl.TypePeer | int) -> tuple[str | None, str]:
        """(display name or None, Desktop id string) of a Peer* object or a marked id."""
        cls = type(peer)
        # Runs for every message: the hit path is one dict lookup.
        if cls is _PeerUser:
            entry = self._users.get(peer.user_id)
            return entry if entry is not None else self._miss(self._users, peer.user_id, "user")
        if cls is _PeerChannel:
            entry = self._channels.get(peer.channel_id)
            return entry if entry is not None else self._miss(self._channels, peer.channel_id, "channel")
        if cls is _PeerChat:
            entry = self._chats.get(peer.chat_id)
            return entry if entry is not None else self._miss(self._chats, peer.chat_id, "chat")
        if cls is int:
            bare, kind = resolve_id(peer)
            if kind is _PeerUser:
                return self._users.get(bare) or self._miss(self._users, bare, "user")
            if kind is _PeerChannel:
                return self._channels.get(bare) or self._miss(self._channels, bare, "channel")
            return self._chats.get(bare) or self._miss(self._chats, bare, "chat")
        raise TypeError(f"not a peer: {peer!r}")

    def sender(self, msg: Any) -> tuple[str | None, str]:
        """(name, Desktop id) of who wrote a message. Outgoing messages to a user (a private chat,
        Saved Messages) come with ``out`` and no ``from_id``: they are the account's, as Telegram
        Desktop shows them; Telethon (custom/message.py) infers the other side only for incoming ones."""
        peer = msg.from_id
        if peer is None:
            account = self.account
            mine = msg.out and account is not None and type(msg.peer_id) is _PeerUser
            peer = account if mine else msg.peer_id
        return self.lookup(peer)

    def name(self, peer: tl.TypePeer | int) -> str | None:
        return self.lookup(peer)[0]

    def desktop_id(self, peer: tl.TypePeer | int) -> str:
        return self.lookup(peer)[1]

    def user_name(self, user_id: int) -> str | None:
        entry = self._users.get(user_id)
        return entry[0] if entry is not None else None

    def username(self, user_id: int) -> str | None:
        return self._usernames.get(user_id)

    @staticmethod
    def _miss(book: dict[int, tuple[str | None, str]], bare: int, kind: str) -> tuple[str | None, str]:
        entry = book[bare] = (None, f"{kind}{bare}")
        return entry


def desktop_peer_value(peer: tl.TypePeer) -> int:
    """Desktop's internal 64-bit PeerId (kind in bits 48+), as `requested_peer` writes it."""
    cls = type(peer)
    if cls is tl.PeerUser:
        return peer.user_id
    if cls is tl.PeerChat:
        return peer.chat_id | _PEER_SHIFT_CHAT
    return peer.channel_id | _PEER_SHIFT_CHANNEL


# --------------------------------------------------------------------------- dates

_DAY_PREFIX: dict[int, str] = {}
_HOUR_MINUTE = [f"T{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECONDS = [f"{s:02d}" for s in range(60)]
_EPOCH_ORDINAL = _date(1970, 1, 1).toordinal()


def unix_time(value: datetime | int) -> int:
    if type(value) is int:
        return value
    if value.tzinfo is None:
        # Telethon always gives aware UTC datetimes; naive ones are taken as UTC too.
        return int((value - datetime(1970, 1, 1)).total_seconds())
    return int(value.timestamp())


def iso_date(ts: int) -> str:
    """'YYYY-MM-DDTHH:MM:SS' in UTC, the shape Desktop's Qt::ISODate gives without a zone.

    Formatting through tables and a per-day cache costs a fraction of strftime or
    isoformat, and this runs twice for every edited message.
    """
    day, second = divmod(ts, 86400)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = _date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
    minute, second = divmod(second, 60)
    return prefix + _HOUR_MINUTE[minute] + _SECONDS[second]


# --------------------------------------------------------------------------- text

# Entity class → Desktop type string.  Classes missing here (newer layers) are
# left out of the entity list, so their text stays in the surrounding plain run.
_ENTITY_TYPE: dict[type, str] = {
    tl.MessageEntityUnknown: "unknown",
    tl.MessageEntityMention: "mention",
    tl.MessageEntityHashtag: "hashtag",
    tl.MessageEntityBotCommand: "bot_command",
    tl.MessageEntityUrl: "link",
    tl.MessageEntityEmail: "email",
    tl.MessageEntityBold: "bold",
    tl.MessageEntityItalic: "italic",
    tl.MessageEntityCode: "code",
    tl.MessageEntityPre: "pre",
    tl.MessageEntityTextUrl: "text_link",
    tl.MessageEntityMentionName: "mention_name",
    tl.InputMessageEntityMentionName: "mention_name",
    tl.MessageEntityPhone: "phone",
    tl.MessageEntityCashtag: "cashtag",
    tl.MessageEntityUnderline: "underline",
    tl.MessageEntityStrike: "strikethrough",
    tl.MessageEntityBlockquote: "blockquote",
    tl.MessageEntityBankCard: "bank_card",
    tl.MessageEntitySpoiler: "spoiler",
    tl.MessageEntityCustomEmoji: "custom_emoji",
}


def _entity_extra(entity: Any, kind: str, part: dict[str, Any]) -> None:
    if kind == "pre":
        part["language"] = entity.language or ""
    elif kind == "text_link":
        part["href"] = entity.url or ""
    elif kind == "mention_name":
        user = entity.user_id
        part["user_id"] = user if type(user) is int else getattr(user, "user_id", 0)
    elif kind == "custom_emoji":
        part["document_id"] = str(entity.document_id)
    elif kind == "blockquote":
        part["collapsed"] = bool(entity.collapsed)


_EXTRA_KINDS = frozenset({"pre", "text_link", "mention_name", "custom_emoji", "blockquote"})


def text_parts(text: str | None, entities: list[Any] | None) -> tuple[str | list[Any], list[dict[str, Any]]]:
    """(``text``, ``text_entities``) exactly as Desktop's ParseText + SerializeText build them.

    Offsets are UTF-16 code units.  Like Desktop, entities are taken in the order
    given and one that starts inside the previous one (nesting, overlap) is
    dropped, so parts never overlap.  Desktop bounds entities by the UTF-8 byte
    length of the text, which is why a non-ASCII text whose last entity reaches
    the end gets a trailing empty plain part; that is reproduced on purpose so
    records match real Desktop exports.
    """
    if not text:
        text = ""
    if not entities:
        if not text:
            return "", []
        return text, [{"type": "plain", "text": text}]

    if text.isascii():
        units = None
        limit = len(text)
    else:
        utf16 = text.encode("utf-16-le", "surrogatepass")
        size = len(utf16) // 2
        limit = len(text.encode("utf-8", "surrogatepass"))
        # Without astral characters, code points and UTF-16 units coincide.
        units = utf16 if size != len(text) else None

    def piece(start: int, end: int) -> str:
        if units is None:
            return text[start:end]
        return units[start * 2 : end * 2].decode("utf-16-le", "replace")

    mixed: list[Any] = []
    objects: list[dict[str, Any]] = []
    offset = 0
    for entity in entities:
        kind = _ENTITY_TYPE.get(type(entity))
        if kind is None:
            continue
        start = entity.offset
        length = entity.length
        if start < offset or length <= 0 or start + length > limit:
            continue
        if start > offset:
            plain = piece(offset, start)
            mixed.append(plain)
            objects.append({"type": "plain", "text": plain})
        part: dict[str, Any] = {"type": kind, "text": piece(start, start + length)}
        if kind in _EXTRA_KINDS:
            _entity_extra(entity, kind, part)
        mixed.append(part)
        objects.append(part)
        offset = start + length
    if limit > offset:
        plain = piece(offset, limit)
        mixed.append(plain)
        objects.append({"type": "plain", "text": plain})

    if len(objects) == 1 and objects[0]["type"] == "plain":
        return objects[0]["text"], objects
    return mixed, objects


def _text_with_entities(value: Any) -> str | list[Any]:
    """SerializeText of a TextWithEntities (poll question/answers), or of a plain string."""
    if value is None:
        return ""
    if type(value) is str:
        return text_parts(value, None)[0]
    return text_parts(value.text, value.entities)[0]


# --------------------------------------------------------------------------- media


def _photo_image(photo: Any) -> tuple[int, int, int] | None:
    """(width, height, size) of the largest size of a Photo, as Desktop's ParseMaxImage picks it."""
    if type(photo) is not tl.Photo:
        return None
    best = None
    best_area = 0
    for size in photo.sizes:
        cls = type(size)
        if cls is tl.PhotoSize:
            nbytes = size.size
        elif cls is tl.PhotoSizeProgressive:
            if not size.sizes:
                continue
            nbytes = size.sizes[-1]
        elif cls is tl.PhotoCachedSize:
            nbytes = len(size.bytes)
        else:
            continue
        area = size.w * size.h
        if area > best_area:
            best_area = area
            best = (size.w, size.h, nbytes)
    return best


def _push_photo(rec: Record, photo: Any, path: str) -> None:
    image = _photo_image(photo)
    if image is None:
        # Desktop has nothing to load and marks the file unavailable.
        rec["photo"] = FILE_UNAVAILABLE
        rec["photo_file_size"] = 0
        return
    width, height, nbytes = image
    rec["photo"] = path
    rec["photo_file_size"] = nbytes
    if width and height:
        rec["width"] = width
        rec["height"] = height


def _media_photo(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    ttl = media.ttl_seconds
    if ttl:
        # Self-destructing media: Desktop drops the location, so the file is unavailable.
        image = _photo_image(media.photo)
        rec["photo"] = FILE_UNAVAILABLE
        rec["photo_file_size"] = 0
        if image and image[0] and image[1]:
            rec["width"] = image[0]
            rec["height"] = image[1]
    else:
        _push_photo(rec, media.photo, FILE_NOT_INCLUDED)
    if media.spoiler:
        rec["media_spoiler"] = True
    if ttl:
        rec["self_destruct_period_seconds"] = ttl


_SIZED_THUMBS = (tl.PhotoSize, tl.PhotoCachedSize, tl.PhotoSizeProgressive)


def _document_thumb(document: Any) -> tuple[int, int] | None:
    """(width, size) of the thumbnail Desktop's ParseDocumentThumb keeps, if any.

    Desktop takes the first thumb of largest area, counting stripped and path
    thumbs as area 0, and keeps nothing if that one has no pixels to load.
    """
    thumbs = document.thumbs
    if not thumbs:
        return None
    best = thumbs[0]
    best_area = -1
    for size in thumbs:
        area = size.w * size.h if type(size) in _SIZED_THUMBS else 0
        if area > best_area:
            best, best_area = size, area
    cls = type(best)
    if cls is tl.PhotoSize:
        return best.w, best.size
    if cls is tl.PhotoCachedSize:
        return best.w, len(best.bytes)
    if cls is tl.PhotoSizeProgressive and best.sizes:
        return best.w, best.sizes[-1]
    return None


def _media_document(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    document = media.document
    ttl = media.ttl_seconds
    if type(document) is not tl.Document:
        rec["file"] = FILE_UNAVAILABLE
        rec["file_size"] = 0
        if media.spoiler:
            rec["media_spoiler"] = True
        if ttl:
            rec["self_destruct_period_seconds"] = ttl
        return

    name = ""
    width = height = duration = 0
    sticker = video_message = voice = animated = video = audio = False
    emoji = performer = title = ""
    for attr in document.attributes:
        cls = type(attr)
        if cls is tl.DocumentAttributeFilename:
            name = attr.file_name
        elif cls is tl.DocumentAttributeImageSize:
            width, height = attr.w, attr.h
        elif cls is tl.DocumentAttributeAnimated:
            animated = True
        elif cls is tl.DocumentAttributeSticker or cls is tl.DocumentAttributeCustomEmoji:
            sticker = True
            emoji = attr.alt or ""
        elif cls is tl.DocumentAttributeVideo:
            if attr.round_message:
                video_message = True
            else:
                video = True
            width, height = attr.w, attr.h
            duration = int(attr.duration or 0)
        elif cls is tl.DocumentAttributeAudio:
            if attr.voice:
                voice = True
            else:
                audio = True
            performer = attr.performer or ""
            title = attr.title or ""
            duration = int(attr.duration or 0)

    rec["file"] = FILE_UNAVAILABLE if ttl else FILE_NOT_INCLUDED
    if name:
        rec["file_name"] = name
    rec["file_size"] = 0 if ttl else document.size
    thumb = _document_thumb(document)
    if thumb is not None and thumb[0] > 0:
        rec["thumbnail"] = FILE_UNAVAILABLE if ttl else FILE_NOT_INCLUDED
        rec["thumbnail_file_size"] = thumb[1]
    if sticker:
        rec["media_type"] = "sticker"
        if emoji:
            rec["sticker_emoji"] = emoji
    elif video_message:
        rec["media_type"] = "video_message"
    elif voice:
        rec["media_type"] = "voice_message"
    elif animated:
        rec["media_type"] = "animation"
    elif video:
        rec["media_type"] = "video_file"
    elif audio:
        rec["media_type"] = "audio_file"
        if performer:
            rec["performer"] = performer
        if title:
            rec["title"] = title
    if document.mime_type:
        rec["mime_type"] = document.mime_type
    if duration:
        rec["duration_seconds"] = duration
    if width and height:
        rec["width"] = width
        rec["height"] = height
    if media.spoiler:
        rec["media_spoiler"] = True
    if ttl:
        rec["self_destruct_period_seconds"] = ttl


def _media_contact(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    rec["contact_information"] = {
        "first_name": media.first_name or "",
        "last_name": media.last_name or "",
        "phone_number": format_phone(media.phone_number),
    }
    if media.vcard:
        rec["contact_vcard"] = FILE_NOT_INCLUDED
        rec["contact_vcard_file_size"] = len(media.vcard.encode("utf-8"))


def _geo(point: Any) -> dict[str, float] | None:
    if type(point) is not tl.GeoPoint:
        return None
    # Desktop prints coordinates with six decimals (std::to_string).
    return {"latitude": round(point.lat, 6), "longitude": round(point.long, 6)}


def _media_geo(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    rec["location_information"] = _geo(media.geo)


def _media_geo_live(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    rec["location_information"] = _geo(media.geo)
    if media.period:
        rec["live_location_period_seconds"] = media.period


def _media_venue(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    if media.title:
        rec["place_name"] = media.title
    if media.address:
        rec["address"] = media.address
    point = _geo(media.geo)
    if point is not None:
        rec["location_information"] = point


def _media_game(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    game = media.game
    if game.title:
        rec["game_title"] = game.title
    if game.description:
        rec["game_description"] = game.description
    # Desktop links the game through the bot that sent it: via-bot, forward origin or sender.
    bot = msg.via_bot_id
    if not bot:
        fwd = msg.fwd_from
        origin = fwd.from_id if fwd is not None else None
        sender = msg.from_id or msg.peer_id
        if type(origin) is tl.PeerUser:
            bot = origin.user_id
        elif type(sender) is tl.PeerUser:
            bot = sender.user_id
    username = names.username(bot) if bot else None
    if username and game.short_name:
        rec["game_link"] = f"https://t.me/{username}?game={game.short_name}"


def _media_invoice(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    # A string holding the object's JSON text, as Desktop writes it (see exporter.desktop_nested).
    fields = [
        ("title", string_text(media.title or "")),
        ("description", string_text(media.description or "")),
        ("amount", str(media.total_amount)),
        ("currency", string_text(media.currency or "")),
    ]
    if media.receipt_msg_id:
        fields.append(("receipt_message_id", str(media.receipt_msg_id)))
    rec["invoice_information"] = object_text(fields)


def _media_poll(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    poll = media.poll
    votes: dict[bytes, tuple[int, bool]] = {}
    total = 0
    results = media.results
    if results is not None:
        total = results.total_voters or 0
        for voters in results.results or ():
            votes[voters.option] = (voters.voters or 0, bool(voters.chosen))
    answers = []
    for answer in poll.answers:
        count, chosen = votes.get(answer.option, (0, False))
        answers.append({"text": _text_with_entities(answer.text), "voters": count, "chosen": chosen})
    rec["poll"] = {
        "question": _text_with_entities(poll.question),
        "closed": bool(poll.closed),
        "total_voters": total,
        "answers": answers,
    }


def _media_todo(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    todo = media.todo
    rec["todo_list"] = {
        "title": _text_with_entities(todo.title),
        "others_can_append": bool(todo.others_can_append),
        "others_can_complete": bool(todo.others_can_complete),
        "answers": [{"text": _text_with_entities(item.title), "id": item.id} for item in todo.list],
    }


def _media_paid(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    rec["paid_stars_amount"] = media.stars_amount


def _media_giveaway(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    rec["giveaway_information"] = {
        "quantity": media.quantity,
        "months": media.months or 0,
        "until_date": iso_date(unix_time(media.until_date)),
        "channels": list(media.channels),
        "countries": list(media.countries_iso2 or ()),
        "additional_prize": media.prize_description or "",
        "stars": media.stars or 0,
        "is_only_new_subscribers": bool(media.only_new_subscribers),
    }


def _media_giveaway_results(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    rec["giveaway_results"] = {
        "channel": media.channel_id,
        "winners": list(media.winners),
        "additional_prize": media.prize_description or "",
        "until_date": iso_date(unix_time(media.until_date)),
        "launch_message_id": media.launch_msg_id,
        "additional_peers_count": media.additional_peers_count or 0,
        "winners_count": media.winners_count,
        "unclaimed_count": media.unclaimed_count,
        "months": media.months or 0,
        "stars": media.stars or 0,
        "is_refunded": bool(media.refunded),
        "is_only_new_subscribers": bool(media.only_new_subscribers),
    }


_MediaHandler = Callable[[Record, Any, NameBook, Any], None]

# Web pages, dice and stories are skipped by Desktop's export; so are they here.
_MEDIA: dict[type, _MediaHandler] = {
    tl.MessageMediaPhoto: _media_photo,
    tl.MessageMediaDocument: _media_document,
    tl.MessageMediaContact: _media_contact,
    tl.MessageMediaGeo: _media_geo,
    tl.MessageMediaGeoLive: _media_geo_live,
    tl.MessageMediaVenue: _media_venue,
    tl.MessageMediaGame: _media_game,
    tl.MessageMediaInvoice: _media_invoice,
    tl.MessageMediaPoll: _media_poll,
    tl.MessageMediaToDo: _media_todo,
    tl.MessageMediaPaidMedia: _media_paid,
    tl.MessageMediaGiveaway: _media_giveaway,
    tl.MessageMediaGiveawayResults: _media_giveaway_results,
}


# --------------------------------------------------------------------------- service actions


class _Ctx:
    """What an action handler needs besides the action: the record and the message's peers."""

    __slots__ = ("msg", "names", "rec")

    def __init__(self, rec: Record, msg: Any, names: NameBook) -> None:
        self.rec = rec
        self.msg = msg
        self.names = names

    def actor(self) -> None:
        name, pid = self.names.sender(self.msg)
        self.rec["actor"] = name
        self.rec["actor_id"] = pid

    def reply_to(self, label: str) -> None:
        header = self.msg.reply_to
        if type(header) is tl.MessageReplyHeader and header.reply_to_msg_id:
            self.rec[label] = header.reply_to_msg_id
            other = header.reply_to_peer_id
            if other is not None and other != self.msg.peer_id:
                self.rec["reply_to_peer_id"] = self.names.desktop_id(other)

    def members(self, user_ids: Iterable[int], label: str = "members") -> None:
        self.rec[label] = [self.names.user_name(uid) for uid in user_ids]


def _set(rec: Record, key: str, value: Any) -> None:
    """Desktop leaves out empty strings."""
    if value:
        rec[key] = value


def _money(amount: int, currency: str | None) -> str:
    # Desktop renders a localized "$4.99"; the amount in major units and the code carry the same facts.
    return f"{amount / 100:.2f} {currency or ''}".rstrip()


def _months_from_days(days: int | None) -> int:
    # Newer layers give gift lengths in days where Desktop's layer had months.
    return round((days or 0) / 30)


def _credits(price: Any) -> tuple[int, int, str]:
    if type(price) is tl.StarsTonAmount:
        whole, nano = divmod(price.amount, 1_000_000_000)
        return whole, nano, "TON"
    if price is None:
        return 0, 0, "Stars"
    return price.amount, price.nanos, "Stars"


def _a_chat_create(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "create_group"
    _set(c.rec, "title", a.title)
    c.members(a.users)


def _a_edit_title(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "edit_group_title"
    _set(c.rec, "title", a.title)


def _a_edit_photo(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "edit_group_photo"
    _push_photo(c.rec, a.photo, FILE_NOT_INCLUDED)


def _a_delete_photo(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "delete_group_photo"


def _a_add_user(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "invite_members"
    c.members(a.users)


def _a_delete_user(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "remove_members"
    c.members((a.user_id,))


def _a_joined_by_link(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "join_group_by_link"
    c.rec["inviter"] = c.names.user_name(a.inviter_id)


def _a_channel_create(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "create_channel"
    _set(c.rec, "title", a.title)


def _a_migrate_to(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "migrate_to_supergroup"


def _a_migrate_from(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "migrate_from_group"
    _set(c.rec, "title", a.title)


def _a_pin(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "pin_message"
    c.reply_to("message_id")


def _a_history_clear(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "clear_history"


def _a_game_score(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "score_in_game"
    c.reply_to("game_message_id")
    c.rec["score"] = a.score


def _a_payment_sent(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "send_payment"
    c.rec["amount"] = a.total_amount
    _set(c.rec, "currency", a.currency)
    c.reply_to("invoice_message_id")
    if a.recurring_used:
        c.rec["recurring"] = "used"
    elif a.recurring_init:
        c.rec["recurring"] = "init"


_DISCARD_REASON: dict[type, str] = {
    tl.PhoneCallDiscardReasonBusy: "busy",
    tl.PhoneCallDiscardReasonDisconnect: "disconnect",
    tl.PhoneCallDiscardReasonHangup: "hangup",
    tl.PhoneCallDiscardReasonMissed: "missed",
    tl.PhoneCallDiscardReasonMigrateConferenceCall: "migrate_conference_all",
}


def _a_phone_call(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "phone_call"
    if a.duration:
        c.rec["duration_seconds"] = a.duration
    _set(c.rec, "discard_reason", _DISCARD_REASON.get(type(a.reason), ""))


def _a_conference_call(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "conference_call"
    if a.duration:
        c.rec["duration_seconds"] = a.duration
    c.rec["is_active"] = bool(a.active) and not a.missed
    c.rec["is_missed"] = bool(a.missed)


def _a_screenshot(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "take_screenshot"


def _a_custom(c: _Ctx, a: Any) -> None:
    c.actor()
    _set(c.rec, "information_text", a.message)


def _a_bot_allowed(c: _Ctx, a: Any) -> None:
    app = a.app if type(a.app) is tl.BotApp else None
    if a.attach_menu:
        c.rec["action"] = "attach_menu_bot_allowed"
    elif a.from_request:
        c.rec["action"] = "web_app_bot_allowed"
    elif app is not None:
        c.rec["action"] = "allow_sending_messages"
        c.rec["reason_app_id"] = app.id
        _set(c.rec, "reason_app_name", app.title)
    else:
        c.rec["action"] = "allow_sending_messages"
        _set(c.rec, "reason_domain", a.domain)


_SECURE_VALUE: dict[type, str] = {
    tl.SecureValueTypePersonalDetails: "personal_details",
    tl.SecureValueTypePassport: "passport",
    tl.SecureValueTypeDriverLicense: "driver_license",
    tl.SecureValueTypeIdentityCard: "identity_card",
    tl.SecureValueTypeInternalPassport: "internal_passport",
    tl.SecureValueTypeAddress: "address_information",
    tl.SecureValueTypeUtilityBill: "utility_bill",
    tl.SecureValueTypeBankStatement: "bank_statement",
    tl.SecureValueTypeRentalAgreement: "rental_agreement",
    tl.SecureValueTypePassportRegistration: "passport_registration",
    tl.SecureValueTypeTemporaryRegistration: "temporary_registration",
    tl.SecureValueTypePhone: "phone_number",
    tl.SecureValueTypeEmail: "email",
}


def _a_secure_values(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "send_passport_values"
    c.rec["values"] = [_SECURE_VALUE.get(type(t), "") for t in a.types]


def _a_contact_sign_up(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "joined_telegram"


def _a_proximity(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "proximity_reached"
    c.rec["from"], c.rec["from_id"] = c.names.lookup(a.from_id)
    c.rec["to"], c.rec["to_id"] = c.names.lookup(a.to_id)
    c.rec["distance"] = a.distance


def _a_group_call(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "group_call"
    if a.duration:
        c.rec["duration"] = a.duration


def _a_invite_to_call(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "invite_to_group_call"
    c.members(a.users)


def _a_set_ttl(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "set_messages_ttl"
    c.rec["period"] = a.period


def _a_call_scheduled(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "group_call_scheduled"
    c.rec["schedule_date"] = unix_time(a.schedule_date)


def _a_chat_theme(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "edit_chat_theme"
    _set(c.rec, "emoticon", getattr(a.theme, "emoticon", ""))


def _a_joined_by_request(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "join_group_by_request"


def _a_web_view_data(c: _Ctx, a: Any) -> None:
    # Desktop writes the button text under "text" and then the (empty) message
    # text under "text" again; JSON readers keep the last one, so only that stays.
    c.rec["action"] = "send_webview_data"


def _a_gift_premium(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "send_premium_gift"
    _set(c.rec, "cost", _money(a.amount, a.currency))
    months = _months_from_days(a.days)
    if months:
        c.rec["months"] = months


def _a_topic_create(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "topic_created"
    _set(c.rec, "title", a.title)


def _a_topic_edit(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "topic_edit"
    _set(c.rec, "new_title", a.title)
    if a.icon_emoji_id is not None:
        c.rec["new_icon_emoji_id"] = a.icon_emoji_id


def _a_suggest_photo(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "suggest_profile_photo"
    _push_photo(c.rec, a.photo, FILE_NOT_INCLUDED)


def _a_requested_peer(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "requested_peer"
    c.rec["button_id"] = a.button_id
    # A string holding the array's JSON text, as Desktop writes it (see exporter.desktop_nested).
    c.rec["peers"] = array_text([str(desktop_peer_value(p)) for p in a.peers])


def _a_gift_code(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "gift_code_prize"
    _set(c.rec, "gift_code", a.slug)
    if a.boost_peer is not None:
        c.rec["boost_peer_id"] = c.names.desktop_id(a.boost_peer)
    c.rec["months"] = _months_from_days(a.days)
    c.rec["unclaimed"] = bool(a.unclaimed)
    c.rec["via_giveaway"] = bool(a.via_giveaway)


def _a_giveaway_launch(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "giveaway_launch"


def _a_giveaway_results(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "giveaway_results"
    c.rec["winners"] = a.winners_count
    c.rec["unclaimed"] = a.unclaimed_count
    c.rec["stars"] = bool(a.stars)


def _a_wallpaper(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "set_same_chat_wallpaper" if a.same else "set_chat_wallpaper"
    c.reply_to("message_id")


def _a_boost_apply(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "boost_apply"
    c.rec["boosts"] = a.boosts


def _a_payment_refunded(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "refunded_payment"
    c.rec["amount"] = a.total_amount
    _set(c.rec, "currency", a.currency)
    c.rec["peer_name"], c.rec["peer_id"] = c.names.lookup(a.peer)
    _set(c.rec, "charge_id", getattr(a.charge, "id", ""))


def _a_gift_stars(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "send_stars_gift"
    _set(c.rec, "cost", _money(a.amount, a.currency))
    if a.stars:
        c.rec["amount_whole"] = a.stars
        c.rec["amount_nano"] = 0


def _a_gift_ton(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "send_ton_gift"
    _set(c.rec, "cost", _money(a.amount, a.currency))
    if a.amount:
        # Desktop reads the TON amount from the same field as the cost, in nanotons.
        c.rec["amount_whole"], c.rec["amount_nano"] = divmod(a.amount, 1_000_000_000)


def _a_prize_stars(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "stars_prize"
    name, peer_id = c.names.lookup(a.boost_peer)
    c.rec["boost_peer_id"] = peer_id
    c.rec["boost_peer_name"] = name
    c.rec["stars"] = a.stars
    c.rec["is_unclaimed"] = bool(a.unclaimed)
    c.rec["giveaway_msg_id"] = a.giveaway_msg_id
    _set(c.rec, "transaction_id", a.transaction_id)


def _a_star_gift(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "send_star_gift"
    gift = a.gift
    c.rec["gift_id"] = gift.id
    regular = type(gift) is tl.StarGift
    c.rec["stars"] = gift.stars if regular else 0
    c.rec["is_limited"] = bool(regular and gift.limited)
    c.rec["is_anonymous"] = bool(getattr(a, "name_hidden", False))
    message = getattr(a, "message", None)
    c.rec["gift_text"] = _text_with_entities(message) if message is not None else ""


def _a_paid_refund(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "paid_messages_refund"
    c.rec["messages_count"] = a.count
    c.rec["stars_count"] = a.stars


def _a_paid_price(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "paid_messages_price_change"
    c.rec["price_stars"] = a.stars
    c.rec["is_broadcast_messages_allowed"] = bool(a.broadcast_messages_allowed)


def _a_todo_completions(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "todo_completions"
    c.rec["completed"] = list(a.completed)
    c.rec["incompleted"] = list(a.incompleted)


def _a_todo_append(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "todo_append_tasks"
    c.rec["items"] = [{"text": _text_with_entities(item.title), "id": item.id} for item in a.list]


def _a_post_approval(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "process_suggested_post"
    if a.rejected:
        c.rec["rejected"] = True
        _set(c.rec, "comment", a.reject_comment)
    else:
        whole, nano, currency = _credits(a.price)
        c.rec["price_amount_whole"] = whole
        c.rec["price_amount_nano"] = nano
        c.rec["price_currency"] = currency
        c.rec["scheduled_date"] = unix_time(a.schedule_date) if a.schedule_date else 0


def _a_post_success(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "suggested_post_success"
    whole, nano, currency = _credits(a.price)
    c.rec["price_amount_whole"] = whole
    c.rec["price_amount_nano"] = nano
    c.rec["price_currency"] = currency


def _a_post_refund(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "suggested_post_refund"
    c.rec["user_initiated"] = bool(a.payer_initiated)


_ActionHandler = Callable[[_Ctx, Any], None]

_ACTIONS: dict[type, _ActionHandler] = {
    tl.MessageActionChatCreate: _a_chat_create,
    tl.MessageActionChatEditTitle: _a_edit_title,
    tl.MessageActionChatEditPhoto: _a_edit_photo,
    tl.MessageActionChatDeletePhoto: _a_delete_photo,
    tl.MessageActionChatAddUser: _a_add_user,
    tl.MessageActionChatDeleteUser: _a_delete_user,
    tl.MessageActionChatJoinedByLink: _a_joined_by_link,
    tl.MessageActionChannelCreate: _a_channel_create,
    tl.MessageActionChatMigrateTo: _a_migrate_to,
    tl.MessageActionChannelMigrateFrom: _a_migrate_from,
    tl.MessageActionPinMessage: _a_pin,
    tl.MessageActionHistoryClear: _a_history_clear,
    tl.MessageActionGameScore: _a_game_score,
    tl.MessageActionPaymentSent: _a_payment_sent,
    tl.MessageActionPhoneCall: _a_phone_call,
    tl.MessageActionConferenceCall: _a_conference_call,
    tl.MessageActionScreenshotTaken: _a_screenshot,
    tl.MessageActionCustomAction: _a_custom,
    tl.MessageActionBotAllowed: _a_bot_allowed,
    tl.MessageActionSecureValuesSent: _a_secure_values,
    tl.MessageActionContactSignUp: _a_contact_sign_up,
    tl.MessageActionGeoProximityReached: _a_proximity,
    tl.MessageActionGroupCall: _a_group_call,
    tl.MessageActionInviteToGroupCall: _a_invite_to_call,
    tl.MessageActionSetMessagesTTL: _a_set_ttl,
    tl.MessageActionGroupCallScheduled: _a_call_scheduled,
    tl.MessageActionSetChatTheme: _a_chat_theme,
    tl.MessageActionChatJoinedByRequest: _a_joined_by_request,
    tl.MessageActionWebViewDataSent: _a_web_view_data,
    tl.MessageActionGiftPremium: _a_gift_premium,
    tl.MessageActionTopicCreate: _a_topic_create,
    tl.MessageActionTopicEdit: _a_topic_edit,
    tl.MessageActionSuggestProfilePhoto: _a_suggest_photo,
    tl.MessageActionRequestedPeer: _a_requested_peer,
    tl.MessageActionGiftCode: _a_gift_code,
    tl.MessageActionGiveawayLaunch: _a_giveaway_launch,
    tl.MessageActionGiveawayResults: _a_giveaway_results,
    tl.MessageActionSetChatWallPaper: _a_wallpaper,
    tl.MessageActionBoostApply: _a_boost_apply,
    tl.MessageActionPaymentRefunded: _a_payment_refunded,
    tl.MessageActionGiftStars: _a_gift_stars,
    tl.MessageActionGiftTon: _a_gift_ton,
    tl.MessageActionPrizeStars: _a_prize_stars,
    tl.MessageActionStarGift: _a_star_gift,
    tl.MessageActionStarGiftUnique: _a_star_gift,
    tl.MessageActionPaidMessagesRefunded: _a_paid_refund,
    tl.MessageActionPaidMessagesPrice: _a_paid_price,
    tl.MessageActionTodoCompletions: _a_todo_completions,
    tl.MessageActionTodoAppendTasks: _a_todo_append,
    tl.MessageActionSuggestedPostApproval: _a_post_approval,
    tl.MessageActionSuggestedPostSuccess: _a_post_success,
    tl.MessageActionSuggestedPostRefund: _a_post_refund,
}

# Actions a user's own history never holds; Desktop parses them to nothing and so
# writes a plain (empty) message, which is kept here.
_NO_ACTION = frozenset(
    {
        tl.MessageActionEmpty,
        tl.MessageActionPaymentSentMe,
        tl.MessageActionSecureValuesSentMe,
        tl.MessageActionWebViewDataSentMe,
        tl.MessageActionRequestedPeerSentMe,
    }
)


def _fallback_action_name(action: Any) -> str:
    """snake_case of the TL name for actions newer than Desktop's list, so they stay visible."""
    name = type(action).__name__.removeprefix("MessageAction")
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")


# --------------------------------------------------------------------------- buttons

_BUTTON_TYPE: dict[type, str] = {
    tl.InlineButtonTypeUrl: "url",
    tl.InlineButtonTypeCallback: "callback",
    tl.InlineButtonTypeSwitchInline: "switch_inline",
    tl.InlineButtonTypeGame: "game",
    tl.InlineButtonTypeBuy: "buy",
    tl.InlineButtonTypeUrlAuth: "auth",
    tl.InlineButtonTypeUserProfile: "user_profile",
    tl.InlineButtonTypeWebView: "web_view",
    tl.InlineButtonTypeCopy: "copy_text",
}


def _button(button: Any) -> dict[str, Any]:
    kind = button.type
    cls = type(kind)
    type_name = _BUTTON_TYPE.get(cls, "default")
    if cls is tl.InlineButtonTypeCallback and kind.requires_password:
        type_name = "callback_with_password"
    elif cls is tl.InlineButtonTypeSwitchInline and kind.same_peer:
        type_name = "switch_inline_same"
    out: dict[str, Any] = {"type": type_name}
    if button.text:
        out["text"] = button.text
    if cls is tl.InlineButtonTypeCallback:
        if kind.data:
            out["dataBase64"] = base64.urlsafe_b64encode(kind.data).rstrip(b"=").decode("ascii")
            out["data"] = ""
    else:
        data = ""
        if cls in (tl.InlineButtonTypeUrl, tl.InlineButtonTypeUrlAuth, tl.InlineButtonTypeWebView):
            data = kind.url
        elif cls is tl.InlineButtonTypeSwitchInline:
            data = kind.query
        elif cls is tl.InlineButtonTypeUserProfile:
            data = str(kind.user_id)
        elif cls is tl.InlineButtonTypeCopy:
            data = kind.copy_text
        if data:
            out["data"] = data
    if cls is tl.InlineButtonTypeUrlAuth:
        if kind.fwd_text:
            out["forward_text"] = kind.fwd_text
        if kind.button_id:
            out["button_id"] = kind.button_id
    return out


# --------------------------------------------------------------------------- reactions


def _reaction_key(reaction: Any) -> tuple[str, Any]:
    cls = type(reaction)
    if cls is tl.ReactionEmoji:
        return "emoji", reaction.emoticon
    if cls is tl.ReactionCustomEmoji:
        return "custom_emoji", str(reaction.document_id)
    if cls is tl.ReactionPaid:
        return "paid", None
    return "empty", None


def _reactions(reactions: Any, names: NameBook) -> list[dict[str, Any]]:
    by_key: dict[tuple[str, Any], dict[str, Any]] = {}
    for result in reactions.results:
        key = _reaction_key(result.reaction)
        if key in by_key:
            continue
        entry: dict[str, Any] = {"type": key[0], "count": result.count}
        if key[0] == "emoji":
            entry["emoji"] = key[1]
        elif key[0] == "custom_emoji":
            entry["document_id"] = key[1]
        by_key[key] = entry
    for recent in reactions.recent_reactions or ():
        key = _reaction_key(recent.reaction)
        entry = by_key.get(key)
        if entry is None:
            entry = by_key[key] = {"type": key[0], "count": 0}
            if key[0] == "emoji":
                entry["emoji"] = key[1]
            elif key[0] == "custom_emoji":
                entry["document_id"] = key[1]
        name, pid = names.lookup(recent.peer_id)
        entry.setdefault("recent", []).append(
            {"from": name, "from_id": pid, "date": iso_date(unix_time(recent.date))}
        )
    return list(by_key.values())


# --------------------------------------------------------------------------- messages

_Message = tl.Message
_MessageService = tl.MessageService
_ReplyHeader = tl.MessageReplyHeader
_ReplyInlineMarkup = tl.ReplyInlineMarkup
_MessageActionTopicCreate = tl.MessageActionTopicCreate
_MessageMediaUnsupported = tl.MessageMediaUnsupported


def to_record(msg: tl.TypeMessage, *, names: NameBook, topic_id: int | None) -> Record:
    """The Desktop ``result.json`` object of one raw message, plus ``topic_id`` when not None."""
    cls = type(msg)
    if cls is _Message:
        rec = _message_record(msg, names)
    elif cls is _MessageService:
        rec = _service_record(msg, names)
    else:
        # messageEmpty: Desktop keeps the id and writes an empty message at the epoch.
        rec = {
            "id": msg.id,
            "type": "message",
            "date": iso_date(0),
            "date_unixtime": "0",
            "text": "",
            "text_entities": [],
        }
    if topic_id is not None:
        rec["topic_id"] = topic_id
    return rec


def _head(msg: Any, kind: str) -> Record:
    ts = unix_time(msg.date)
    return {"id": msg.id, "type": kind, "date": iso_date(ts), "date_unixtime": str(ts)}


def _message_record(msg: Any, names: NameBook) -> Record:
    # Runs for nearly every message: absent parts cost one attribute read and one `is` each,
    # and the head is built inline rather than through _head.
    media = msg.media
    if media is not None and type(media) is _MessageMediaUnsupported:
        return {"id": msg.id, "type": "unsupported"}

    ts = unix_time(msg.date)
    rec = {"id": msg.id, "type": "message", "date": iso_date(ts), "date_unixtime": str(ts)}
    # Desktop reads edit dates of ordinary messages only.
    edited = msg.edit_date
    if edited is not None:
        edited_ts = unix_time(edited)
        if edited_ts:
            rec["edited"] = iso_date(edited_ts)
            rec["edited_unixtime"] = str(edited_ts)
    rec["from"], rec["from_id"] = names.sender(msg)
    author = msg.post_author
    if author:
        rec["author"] = author

    fwd = msg.fwd_from
    if fwd is not None:
        if fwd.from_id is not None:
            # forwarded_from_id: the origin in Desktop's peer id form ("user1", "channel2"), right
            # after the name as recent Desktop exports have it. guess: tdesktop's writer up to
            # commit 929032d (Sept 2025) has no such key; the sample exports (issue 11) do.
            rec["forwarded_from"], rec["forwarded_from_id"] = names.lookup(fwd.from_id)
        elif fwd.from_name:
            rec["forwarded_from"] = fwd.from_name
        if fwd.saved_from_peer is not None:
            rec["saved_from"] = names.lookup(fwd.saved_from_peer)[0]

    header = msg.reply_to
    if header is not None and type(header) is _ReplyHeader and header.reply_to_msg_id:
        rec["reply_to_message_id"] = header.reply_to_msg_id
        other = header.reply_to_peer_id
        if other is not None and other != msg.peer_id:
            rec["reply_to_peer_id"] = names.desktop_id(other)

    if msg.via_bot_id:
        username = names.username(msg.via_bot_id)
        if username:
            rec["via_bot"] = "@" + username

    if media is not None:
        handler = _MEDIA.get(type(media))
        if handler is not None:
            handler(rec, media, names, msg)

    text = msg.message
    entities = msg.entities
    if entities:
        rec["text"], rec["text_entities"] = text_parts(text, entities)
    elif text:
        rec["text"] = text
        rec["text_entities"] = [{"type": "plain", "text": text}]
    else:
        rec["text"] = ""
        rec["text_entities"] = []

    markup = msg.reply_markup
    if markup is not None and type(markup) is _ReplyInlineMarkup and markup.rows:
        rows = [[_button(b) for b in row.buttons] for row in markup.rows]
        rows = [row for row in rows if row]
        if rows:
            rec["inline_bot_buttons"] = rows

    reactions = msg.reactions
    if reactions is not None and (reactions.results or reactions.recent_reactions):
        rec["reactions"] = _reactions(reactions, names)
    return rec


def _service_record(msg: Any, names: NameBook) -> Record:
    action = msg.action
    action_cls = type(action)
    if action_cls in _NO_ACTION:
        rec = _head(msg, "message")
        rec["from"], rec["from_id"] = names.sender(msg)
    else:
        rec = _head(msg, "service")
        handler = _ACTIONS.get(action_cls)
        ctx = _Ctx(rec, msg, names)
        if handler is not None:
            handler(ctx, action)
        else:
            ctx.actor()
            rec["action"] = _fallback_action_name(action)
    rec["text"] = ""
    rec["text_entities"] = []
    return rec


def topic_of(msg: tl.TypeMessage, *, is_forum: bool) -> int | None:
    """Forum topic of a message: the topic's id, General (1) by default; None outside forums.

    A topic's id is the id of its ``messageActionTopicCreate`` service message,
    which therefore belongs to its own topic.  Other messages carry the topic in
    their reply header when ``forum_topic`` is set: the thread top when replying
    inside the topic, else the replied-to id, which is then the topic itself.
    """
    if not is_forum:
        return None
    if type(msg) is _MessageService and type(msg.action) is _MessageActionTopicCreate:
        return msg.id
    header = getattr(msg, "reply_to", None)
    if type(header) is _ReplyHeader and header.forum_topic:
        return header.reply_to_top_id or header.reply_to_msg_id or GENERAL_TOPIC_ID
    return GENERAL_TOPIC_ID
