"""How a message's file looks in the HTML export (:mod:`.html` calls :func:`media_block`).

A downloaded file is shown as a person meets it in Telegram: photos and stickers
as pictures, loaded lazily and with their width and height so the page does not
jump while they load; videos and round videos with the browser's player and their
thumbnail as poster, nothing loaded before a tap; GIFs as silent looping videos;
voice and music with an audio player; any other file as a link with its name and
size.  A file not in the archive shows its thumbnail (when that is) and Desktop's
sentence saying why.  No JavaScript: browsers' own players do all of it.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from exporter.render.common import media_missing_reason

Record = dict[str, Any]
# The escaped relative URL of a file of the archive from the page written, or None when the
# record holds a sentence instead (HtmlWriter._file_href).
Href = Callable[[Any], "str | None"]

# The squares pictures and videos are scaled down into (never up). Telegram Desktop's HTML export shows
# a photo in 260 px and a sticker in 192 px: thumbnails of at most 520 and 384 px drawn at half size
# for high-density screens (export_output_html.cpp, kPhotoMaxWidth, kStickerMaxWidth, size / 2).
# The archive holds the photo itself, so it gets more room: 480 px keeps a portrait photo within a
# laptop's screen; stickers stay at Desktop's size.
_PHOTO_BOX = 480
_STICKER_BOX = 192
_ROUND = 240
SERVICE_PHOTO = 60
# Custom emoji sit in the text like emoji: a line's height.
_EMOJI = 20
# Sticker files a browser shows as a picture; animated .tgs (Lottie) ones are offered as files.
_INLINE_IMAGES = frozenset({"image/webp", "image/png", "image/jpeg"})


def _box(rec: Record, limit: int) -> str:
    """width and height attributes for a picture or video of the record's size scaled down to fit a
    ``limit`` square, so the page keeps its layout while files load; nothing when the size is unknown."""
    width, height = rec.get("width"), rec.get("height")
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        return ""
    scale = min(1.0, limit / width, limit / height)
    return f' width="{max(1, round(width * scale))}" height="{max(1, round(height * scale))}"'


def media_block(rec: Record, label: str, href: Href) -> str:
    """The ``media`` box of a message: ``label`` (what the file is: kind, name, size) over the file
    itself, or, for a file with neither picture nor player, one link: its thumbnail and label."""
    spoiler = " spoiler_media" if rec.get("media_spoiler") else ""
    title = escape(label)
    key = next((k for k in ("photo", "file", "contact_vcard") if k in rec), None)
    if key is None:
        return f'<div class="media{spoiler}"><div class="media_title">{title}</div></div>'
    src = href(rec[key])
    view: str | None
    if src is None:
        # A contact's vCard not saved leaves the contact's name and number, all there is to see.
        view = "" if key == "contact_vcard" else _missing(rec, href)
    else:
        poster = href(rec.get("thumbnail"))
        view = _picture_or_player(rec, src, poster) if key != "contact_vcard" else None
        if view is None:
            thumb = f'<img class="thumb" src="{poster}" loading="lazy" alt="">' if poster else ""
            return f'<div class="media{spoiler}"><a class="file" href="{src}">{thumb}{title}</a></div>'
    return f'<div class="media{spoiler}"><div class="media_title">{title}</div>{view}</div>'


def _picture_or_player(rec: Record, src: str, poster: str | None) -> str | None:
    """The file at ``src`` as a person meets it in Telegram: a picture or a player; None for a file
    a browser cannot show (a document, an animated .tgs sticker)."""
    if "photo" in rec:
        size = _box(rec, _PHOTO_BOX)
        return f'<a href="{src}"><img class="photo" src="{src}"{size} loading="lazy" alt="Photo"></a>'
    kind = rec.get("media_type")
    mime = rec.get("mime_type", "")
    poster_attr = f' poster="{poster}"' if poster else ""
    if kind == "sticker" and mime in _INLINE_IMAGES:
        size = _box(rec, _STICKER_BOX)
        alt = escape(rec.get("sticker_emoji") or "Sticker")
        return f'<img class="sticker" src="{src}"{size} loading="lazy" alt="{alt}">'
    if kind == "video_message":
        # Round videos are square, shown as circles; guess: 240 px, about Telegram's own bubble.
        return (
            f'<video class="round" src="{src}"{poster_attr} width="{_ROUND}" height="{_ROUND}" '
            'controls preload="none"></video>'
        )
    if kind == "animation" or (kind == "sticker" and mime.startswith("video/")):
        # GIFs are silent MP4s that Telegram plays in a loop on their own; so does the page.
        return (
            f'<video class="animation" src="{src}"{poster_attr}{_box(rec, _PHOTO_BOX)} '
            "autoplay loop muted playsinline></video>"
        )
    if kind == "video_file":
        return (
            f'<video class="video" src="{src}"{poster_attr}{_box(rec, _PHOTO_BOX)} '
            'controls preload="none"></video>'
        )
    if kind in ("voice_message", "audio_file"):
        return f'<audio src="{src}" controls preload="none"></audio>'
    return None


def _missing(rec: Record, href: Href) -> str:
    reason = media_missing_reason(rec) or ""
    thumb = href(rec.get("thumbnail"))
    out = []
    if thumb:
        out.append(f'<img class="photo" src="{thumb}"{_box(rec, _PHOTO_BOX)} loading="lazy" alt="">')
    out.append(f'<div class="missing details">{escape(reason)}</div>')
    return "".join(out)


def custom_emoji(document: Any, text: str, href: Href | None) -> str:
    """A custom emoji in a text or a reaction: its picture when the media stage saved a static one
    (WebP), a link to its file when it is an animation browsers cannot play (.tgs), as Telegram
    Desktop's export links it; else the emoji it stands for. ``text`` is already escaped."""
    # Saved, ``document_id`` holds the file's path (in a folder); otherwise Telegram's number.
    src = href(document) if href is not None and isinstance(document, str) and "/" in document else None
    if src is None:
        return f'<span class="custom_emoji">{text}</span>'
    if document.lower().endswith((".webp", ".png")):
        return (
            f'<img class="custom_emoji" src="{src}" width="{_EMOJI}" height="{_EMOJI}" '
            f'loading="lazy" alt="{text}">'
        )
    return f'<a class="custom_emoji" href="{src}">{text}</a>'
