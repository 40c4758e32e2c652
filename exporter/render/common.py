"""Human-readable pieces shared by the HTML and Markdown renderers.

Everything here returns plain text; each renderer escapes it for its format.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from exporter.records import FILE_UNAVAILABLE
from exporter.render.model import TopicInfo

Record = dict[str, Any]

DELETED_ACCOUNT = "Deleted Account"
"""Shown for a null name, as Telegram Desktop's HTML export does."""

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def display_name(name: str | None) -> str:
    return name or DELETED_ACCOUNT


def format_size(size: int) -> str:
    """Telegram Desktop's FormatSizeText: tenths of KB/MB, truncated."""
    if size >= 1024 * 1024:
        tenths = size * 10 // (1024 * 1024)
        return f"{tenths // 10}.{tenths % 10} MB"
    if size >= 1024:
        tenths = size * 10 // 1024
        return f"{tenths // 10}.{tenths % 10} KB"
    return f"{size} B"


def format_duration(seconds: int) -> str:
    """Telegram Desktop's FormatDurationText: [h:]mm:ss."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def day_label(date: str) -> str:
    """'6 May 2024' from a record date."""
    return f"{int(date[8:10])} {_MONTHS[int(date[5:7]) - 1]} {date[:4]}"


def full_date(date: str, zone: str = "UTC") -> str:
    """'2024-05-06 07:08:09 Europe/Berlin' from a record date written in that zone."""
    return f"{date[:10]} {date[11:19]} {zone}"


def is_file_path(value: Any) -> bool:
    """True once the media stage has put a relative path where Desktop's skip reason was."""
    return isinstance(value, str) and bool(value) and not value.startswith("(")


def plain_text(text: str | list[Any]) -> str:
    """The message text without formatting."""
    if isinstance(text, str):
        return text
    return "".join(part if isinstance(part, str) else part.get("text", "") for part in text)


def snippet(rec: Record, limit: int = 80) -> str:
    """A one-line preview of a message for reply quotes."""
    if rec.get("type") == "service":
        text = service_text(rec)
    else:
        text = plain_text(rec.get("text", "")) or media_label(rec) or ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reply_target(rec: Record) -> int | None:
    """The id this message replies to, if it is a reply worth showing.

    Inside a forum topic every message's reply header points at the topic's
    first message when it replies to nothing else; that is membership, not a
    reply, and showing it on every message would be noise.
    """
    target: int | None = rec.get("reply_to_message_id")
    if target is None or target == rec.get("topic_id"):
        return None
    return target


# --------------------------------------------------------------------------- media

_MEDIA_TYPE_LABEL = {
    "sticker": "Sticker",
    "video_message": "Video message",
    "voice_message": "Voice message",
    "animation": "GIF",
    "video_file": "Video",
    "audio_file": "Audio",
}


def media_label(rec: Record) -> str | None:
    """A one-line description of the message's media, or None if it has none."""
    details: list[str] = []
    if "photo" in rec and rec.get("type") != "service":
        kind = "Photo"
        size = rec.get("photo_file_size")
    elif "file" in rec:
        kind = _MEDIA_TYPE_LABEL.get(rec.get("media_type", ""), "File")
        if rec.get("media_type") == "sticker" and rec.get("sticker_emoji"):
            kind += " " + rec["sticker_emoji"]
        if rec.get("media_type") == "audio_file":
            song = " – ".join(x for x in (rec.get("performer"), rec.get("title")) if x)
            if song:
                details.append(song)
        if rec.get("file_name"):
            details.append(rec["file_name"])
        size = rec.get("file_size")
    elif "contact_information" in rec:
        info = rec["contact_information"]
        name = " ".join(x for x in (info.get("first_name"), info.get("last_name")) if x)
        return "Contact: " + ", ".join(x for x in (name, info.get("phone_number")) if x)
    elif "location_information" in rec or "place_name" in rec:
        parts = [x for x in (rec.get("place_name"), rec.get("address")) if x]
        point = rec.get("location_information")
        if point:
            parts.append(f"{point['latitude']}, {point['longitude']}")
        if rec.get("live_location_period_seconds"):
            parts.append("live")
        return "Location: " + (", ".join(parts) if parts else "unknown")
    elif "poll" in rec:
        return "Poll: " + plain_text(rec["poll"]["question"])
    elif "todo_list" in rec:
        return "To-do list: " + plain_text(rec["todo_list"]["title"])
    elif "game_title" in rec:
        return f"Game: {rec['game_title']}"
    elif "invoice_information" in rec:
        # Desktop writes the invoice as a string of JSON text (exporter.records.desktop_nested).
        return f"Invoice: {json.loads(rec['invoice_information']).get('title', '')}"
    elif "paid_stars_amount" in rec:
        return f"Paid media: {rec['paid_stars_amount']} stars"
    elif "giveaway_information" in rec or "giveaway_results" in rec:
        return "Giveaway"
    else:
        return None
    if rec.get("width") and rec.get("height"):
        details.append(f"{rec['width']}×{rec['height']}")
    if rec.get("duration_seconds"):
        details.append(format_duration(rec["duration_seconds"]))
    if size:
        details.append(format_size(size))
    if rec.get("media_spoiler"):
        details.append("spoiler")
    if rec.get("self_destruct_period_seconds"):
        details.append("self-destructing")
    return kind + (" · " + ", ".join(details) if details else "")


def file_url(path: str) -> str | None:
    """A relative URL for a file of the archive (``photos/photo_1@….jpg``), or None when ``path`` is
    not one: absolute, with a ``..``, ``.`` or empty segment, a backslash or a control character.

    Everything but letters, digits, ``-._~``, ``/`` and ``@`` is percent-encoded, so a name with
    spaces, brackets or ``#`` links right in browsers and Markdown readers alike, and a ``:`` can
    never start a scheme (``javascript:``, ``data:``)."""
    if not path or path.startswith("/") or "\\" in path or any(ch < " " or ch == "\x7f" for ch in path):
        return None
    if any(segment in ("", ".", "..") for segment in path.split("/")):
        return None
    return quote(path, safe="/@")


def media_missing_reason(rec: Record) -> str | None:
    """Why the message's main file (photo or document) is not in the archive, in Desktop's words;
    None when it is there or the message has none.  A value that is neither Desktop's sentence nor a
    safe relative path (:func:`file_url`) counts as unavailable."""
    for key in ("photo", "file"):
        if key in rec:
            value = rec[key]
            if isinstance(value, str) and value.startswith("("):
                return value.strip("()")
            if is_file_path(value) and file_url(value) is not None:
                return None
            return FILE_UNAVAILABLE.strip("()")
    return None


# --------------------------------------------------------------------------- service messages

_SERVICE_TEMPLATES = {
    "create_group": "{actor} created group «{title}»",
    "edit_group_title": "{actor} changed group name to «{title}»",
    "edit_group_photo": "{actor} changed group photo",
    "delete_group_photo": "{actor} removed group photo",
    "invite_members": "{actor} invited {members}",
    "remove_members": "{actor} removed {members}",
    "join_group_by_link": "{actor} joined group by link from {inviter}",
    "create_channel": "Channel «{title}» created",
    "migrate_to_supergroup": "{actor} converted this group to a supergroup",
    "migrate_from_group": "{actor} converted group «{title}» to this supergroup",
    "pin_message": "{actor} pinned a message",
    "clear_history": "History cleared",
    "score_in_game": "{actor} scored {score}",
    "send_payment": "Payment sent: {amount} {currency}",
    "phone_call": "{actor}: phone call{call_details}",
    "conference_call": "{actor}: group call{call_details}",
    "take_screenshot": "{actor} took a screenshot",
    "allow_sending_messages": "The bot was allowed to send messages",
    "attach_menu_bot_allowed": "The bot was allowed to send messages",
    "web_app_bot_allowed": "The bot was allowed to send messages",
    "send_passport_values": "Telegram Passport values were sent",
    "joined_telegram": "{actor} joined Telegram",
    "proximity_reached": "{from} is now within {distance} m of {to}",
    "group_call": "{actor} started a video chat{call_details}",
    "invite_to_group_call": "{actor} invited {members} to the video chat",
    "set_messages_ttl": "{actor} set messages to auto-delete after {period}",
    "group_call_scheduled": "{actor} scheduled a video chat",
    "edit_chat_theme": "{actor} changed the chat theme {emoticon}",
    "join_group_by_request": "{actor} was accepted into the group",
    "send_webview_data": "Data was sent to the bot",
    "send_premium_gift": "{actor} sent a gift: Telegram Premium",
    "topic_created": "{actor} created topic «{title}»",
    "topic_edit": "{actor} {topic_change}",
    "suggest_profile_photo": "{actor} suggested a profile photo",
    "requested_peer": "{actor} shared a chat with the bot",
    "gift_code_prize": "Gift code: Telegram Premium for {months} months",
    "giveaway_launch": "A giveaway was started",
    "giveaway_results": "Giveaway finished: {winners} winners",
    "set_chat_wallpaper": "{actor} set a new wallpaper",
    "set_same_chat_wallpaper": "{actor} set the same wallpaper",
    "boost_apply": "{actor} boosted the group {boosts} times",
    "refunded_payment": "A payment was refunded",
    "send_stars_gift": "{actor} sent a gift of stars",
    "send_ton_gift": "{actor} sent a gift of TON",
    "stars_prize": "{actor} won a stars prize",
    "send_star_gift": "{actor} sent a gift",
}


_PLAIN_FIELDS = (
    "title",
    "score",
    "amount",
    "currency",
    "months",
    "winners",
    "boosts",
    "emoticon",
    "distance",
)


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def service_text(rec: Record) -> str:
    """What a service message says, in English."""
    action = rec.get("action")
    actor = display_name(rec.get("actor"))
    if action is None:
        return rec.get("information_text") or actor
    template = _SERVICE_TEMPLATES.get(action)
    if template is None:
        return f"{actor}: {action.replace('_', ' ')}"
    fields = _Fields(actor=actor)
    for key in _PLAIN_FIELDS:
        if key in rec:
            fields[key] = str(rec[key])
    if "members" in rec:
        fields["members"] = ", ".join(display_name(m) for m in rec["members"]) or "nobody"
    if "inviter" in rec:
        fields["inviter"] = display_name(rec["inviter"])
    if action == "proximity_reached":
        fields["from"] = display_name(rec.get("from"))
        fields["to"] = display_name(rec.get("to"))
    if "period" in rec:
        fields["period"] = format_duration(rec["period"]) if rec["period"] else "never"
    call = [x for x in (rec.get("discard_reason"),) if x]
    duration = rec.get("duration_seconds") or rec.get("duration")
    if duration:
        call.insert(0, format_duration(duration))
    fields["call_details"] = f" ({', '.join(call)})" if call else ""
    if action == "topic_edit":
        if rec.get("new_title"):
            fields["topic_change"] = f"renamed the topic to «{rec['new_title']}»"
        elif "new_icon_emoji_id" in rec:
            fields["topic_change"] = "changed the topic icon"
        else:
            fields["topic_change"] = "edited the topic"
    return template.format_map(fields)


def service_link_target(rec: Record) -> int | None:
    """The message a service message refers to (the pinned one, the game, the invoice)."""
    for key in ("message_id", "game_message_id", "invoice_message_id"):
        if key in rec and "reply_to_peer_id" not in rec:
            target: int = rec[key]
            return target
    return None


def topic_title(topic_id: int, info: TopicInfo | None) -> str:
    """The topic's title; a title with nothing to see (only zero-width or format characters) would
    make a link nobody can find, so it is named by its id as an untitled topic is."""
    if info is not None and any(unicodedata.category(ch)[0] not in "CZ" for ch in info.title):
        return info.title
    return "General" if topic_id == 1 else f"Topic {topic_id}"


def topic_marks(info: TopicInfo | None) -> list[str]:
    if info is None:
        return []
    return [label for label, on in (("closed", info.closed), ("hidden", info.hidden)) if on]


def reaction_label(reaction: dict[str, Any]) -> str:
    kind = reaction.get("type")
    if kind == "emoji":
        symbol = reaction.get("emoji", "")
    elif kind == "paid":
        symbol = "⭐"
    else:
        # Custom emoji are images we do not have; a neutral mark stands in.
        symbol = "◆"
    return f"{symbol} {reaction.get('count', 0):,}"


def poll_lines(poll: dict[str, Any]) -> Iterator[tuple[str, int, bool, int]]:
    """(answer text, voters, chosen, percent) per answer."""
    total = poll.get("total_voters") or 0
    for answer in poll.get("answers", ()):
        voters = answer.get("voters", 0)
        percent = round(100 * voters / total) if total else 0
        yield plain_text(answer.get("text", "")), voters, bool(answer.get("chosen")), percent


_SAFE_SCHEMES = ("http://", "https://", "mailto:", "tg://")


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an http(s), mailto or tg link (a bare domain gets http://), else None.

    Anything else — javascript:, data:, file:, relative paths — is never made a link.
    """
    if not url:
        return None
    url = url.strip()
    if url.lower().startswith(_SAFE_SCHEMES):
        return url
    host = url.split("/", 1)[0]
    if "." in host and ":" not in host and not any(ch.isspace() or ch < " " for ch in url):
        return "http://" + url
    return None
