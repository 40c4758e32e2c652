"""Telethon message → record: the Telegram Desktop ``result.json`` message object.

A record is a plain, JSON-able dict whose keys, value types and strings are the
ones Telegram Desktop's machine-readable export writes for one message (see
``export_output_json.cpp`` / ``export_data_types.cpp`` in tdesktop), in the same
key order.  Every renderer reads records, so the formats never disagree.

One extension key is added: ``topic_id`` (int) on every message of a forum
export; Desktop tools ignore unknown keys.  One more, :data:`FORWARDED_DATE`, is
for the HTML and Markdown only (Desktop's HTML shows when a forwarded message was
first sent, its JSON does not): ``result.json`` leaves it out.

Input is a *raw* TL message as found in ``messages.getHistory`` /
``messages.getReplies`` results (Telethon's ``_finish_init`` not called), so only
raw fields are read.  Names come from a :class:`NameBook` filled with the
``users``/``chats`` lists of each response before its messages are converted.

Deliberate difference from Desktop, because Desktop's output is broken there:
control characters are escaped as valid JSON by the writer (Desktop writes
``\\xNN``).  Dates are UTC here; the renderers put them in the export's time zone
(:mod:`exporter.render.local_time`), as Desktop writes the machine's local time.

A record is built in the order of its keys: the head and sender here, then
:mod:`.media` (files, polls, places, …) or, for service messages, :mod:`.actions`;
then :mod:`.text`, :mod:`.markup` (inline buttons) and :mod:`.reactions`.
:mod:`.names` and :mod:`.dates` give the names, peer ids and dates they all write.
"""

from __future__ import annotations

from typing import Any

from telethon.tl import types as tl

from .actions import service_record
from .dates import iso_date, unix_time
from .markup import inline_buttons
from .media import FILE_NOT_INCLUDED, FILE_UNAVAILABLE, add_media
from .names import NameBook
from .reactions import reaction_list
from .text import text_parts

__all__ = [
    "FILE_NOT_INCLUDED",
    "FILE_UNAVAILABLE",
    "FORWARDED_DATE",
    "GENERAL_TOPIC_ID",
    "NameBook",
    "iso_date",
    "text_parts",
    "to_record",
    "topic_of",
]

Record = dict[str, Any]

GENERAL_TOPIC_ID = 1
# Unix time a forwarded message was first sent (MessageFwdHeader.date), for the HTML and Markdown.
FORWARDED_DATE = "forwarded_date_unixtime"

_Message = tl.Message
_MessageService = tl.MessageService
_ReplyHeader = tl.MessageReplyHeader
_MessageActionTopicCreate = tl.MessageActionTopicCreate
_MessageMediaUnsupported = tl.MessageMediaUnsupported


def to_record(msg: tl.TypeMessage, *, names: NameBook, topic_id: int | None) -> Record:
    """The Desktop ``result.json`` object of one raw message, plus ``topic_id`` when not None."""
    cls = type(msg)
    if cls is _Message:
        rec = _message_record(msg, names)
    elif cls is _MessageService:
        rec = service_record(msg, names)
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


def _message_record(msg: Any, names: NameBook) -> Record:
    # Runs for nearly every message: absent parts cost one attribute read and one `is` each,
    # and the head is built inline.
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
        if "forwarded_from" in rec and fwd.date is not None:
            rec[FORWARDED_DATE] = unix_time(fwd.date)
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
        add_media(rec, media, names, msg)

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
    if markup is not None:
        rows = inline_buttons(markup)
        if rows:
            rec["inline_bot_buttons"] = rows

    reactions = msg.reactions
    if reactions is not None and (reactions.results or reactions.recent_reactions):
        rec["reactions"] = reaction_list(reactions, names)
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
    # Telethon's objects are untyped: ``Any`` says so, and the TL schema makes the ids ints.
    topic: int = GENERAL_TOPIC_ID
    header: Any = getattr(msg, "reply_to", None)
    if type(msg) is _MessageService and type(msg.action) is _MessageActionTopicCreate:
        topic = msg.id
    elif type(header) is _ReplyHeader and header.forum_topic:
        topic = header.reply_to_top_id or header.reply_to_msg_id or GENERAL_TOPIC_ID
    return topic
