"""A message's media as Desktop's fields: photo, file, contact, place, game, invoice, poll, to-do list, giveaway.

Files are not downloaded here: file-path fields hold the reason string Desktop
writes for a file it skipped (:data:`FILE_NOT_INCLUDED`); the media stage
replaces them with relative paths once the files exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telethon.tl import types as tl

from .dates import iso_date, unix_time
from .desktop_nested import object_text, string_text
from .names import NameBook
from .phone_format import format_phone
from .text import text_with_entities

Record = dict[str, Any]

FILE_NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
FILE_UNAVAILABLE = "(File unavailable, please try again later)"


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


def push_photo(rec: Record, photo: Any, path: str) -> None:
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
        push_photo(rec, media.photo, FILE_NOT_INCLUDED)
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
        origin: Any = fwd.from_id if fwd is not None else None
        sender = msg.from_id or msg.peer_id
        if type(origin) is tl.PeerUser:
            bot = origin.user_id
        elif type(sender) is tl.PeerUser:
            bot = sender.user_id
    username = names.username(bot) if bot else None
    if username and game.short_name:
        rec["game_link"] = f"https://t.me/{username}?game={game.short_name}"


def _media_invoice(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    # A string holding the object's JSON text, as Desktop writes it (see exporter.records.desktop_nested).
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
        answers.append({"text": text_with_entities(answer.text), "voters": count, "chosen": chosen})
    rec["poll"] = {
        "question": text_with_entities(poll.question),
        "closed": bool(poll.closed),
        "total_voters": total,
        "answers": answers,
    }


def _media_todo(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    todo = media.todo
    rec["todo_list"] = {
        "title": text_with_entities(todo.title),
        "others_can_append": bool(todo.others_can_append),
        "others_can_complete": bool(todo.others_can_complete),
        "answers": [{"text": text_with_entities(item.title), "id": item.id} for item in todo.list],
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


def add_media(rec: Record, media: Any, names: NameBook, msg: Any) -> None:
    """Desktop's fields for the message's media; media Desktop does not export adds nothing."""
    handler = _MEDIA.get(type(media))
    if handler is not None:
        handler(rec, media, names, msg)
