"""Paged HTML export, readable offline: no external resources, readable without JavaScript.

Contract
--------
``render_html(out_dir, chat, topics, records, locate, *, zone, pages, quote)`` writes and returns:

* ``css/style.css`` (:mod:`.html_style`) and ``js/archive.js`` (:mod:`.html_script`);
* outside forums: ``messages.html``, ``messages2.html``, … with
  :data:`~exporter.render.model.PAGE_SIZE` messages each, like Telegram Desktop;
* in forums: ``topics/<topic id>/messages.html``, ``messages2.html``, … per
  topic, and ``index.html`` listing the topics (:mod:`.html_page`).  A topic in
  ``topics`` that gets no records still gets an (empty) first page, so every
  link on the index resolves;
* ``search/1.js``, ``search/2.js``, …: the index the search box reads (:mod:`.html_search`).

``records`` come in the order pages are written: ascending id, and in forums
grouped by topic (all of one topic, then the next; topics may come in any
order, but a topic must not come back once left, which raises ``ValueError``).
Only one page is open at a time and only the records of that page are kept
(for reply previews), so memory stays flat whatever the chat's length.
``pages`` (topic → number of pages) lets the header say "Page 4 of 21".

Every message is an element ``id="message<ID>"``.  A reply to a message on the
current page links to ``#message<ID>``; any other target is found through
``locate`` (see :data:`~exporter.render.model.Locate`), which must number pages
the same way, and becomes ``messagesN.html#message<ID>`` (or
``../<topic>/messagesN.html#message<ID>`` across topics), labelled with the
sender and first words of the message ``quote`` reads from the store.  A target
``locate`` does not know is shown as a note instead of a link.

Messages look as in Telegram Desktop's export: a userpic and a coloured name
(:mod:`.html_people`), messages of one sender in a row joined under one name,
"Forwarded from" with the original date, day separators.  Times are written in
the export's zone and carry the UTC instant (``<time datetime>``) for the script
to show them in the reader's zone.  Files the media stage put into the archive
are shown by relative links (:mod:`.html_media`); text is escaped (:mod:`.html_text`).

The paging and the files around the pages are :class:`~.html_pages.HtmlPages`'s;
this module writes the messages on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from exporter.records import FORWARDED_DATE, iso_date
from exporter.render.common import (
    day_label,
    display_name,
    full_date,
    media_label,
    plain_text,
    reply_target,
    service_link_target,
    service_text,
    snippet,
)
from exporter.render.html_comments import comments_block
from exporter.render.html_media import SERVICE_PHOTO, media_block
from exporter.render.html_page import page_file
from exporter.render.html_pages import HtmlPages
from exporter.render.html_parts import buttons_block, poll_block, reactions_block
from exporter.render.html_people import color_index, joins, userpic
from exporter.render.html_search import searchable
from exporter.render.html_text import format_text
from exporter.render.model import ChatInfo, Locate, Quote, TopicInfo, write_records

__all__ = ["HtmlWriter", "format_text", "page_file", "render_html"]

Record = dict[str, Any]

# Keys of a message that is nothing but a date, a sender and text (perhaps edited, perhaps in a topic).
_PLAIN_KEYS = frozenset(
    {
        "id",
        "type",
        "date",
        "date_unixtime",
        "edited",
        "edited_unixtime",
        "from",
        "from_id",
        "text",
        "text_entities",
        "topic_id",
    }
)
# The same in a forum topic, whose messages' reply header names the topic when they reply to
# nothing else (reply_target: membership, not a reply): 83 % of the bench forum's messages.
_TOPIC_PLAIN_KEYS = _PLAIN_KEYS | {"reply_to_message_id"}
_NAMES_KEPT = 10_000
# Labels of replied-to messages read from the store, kept for the next replies to the same ones.
_QUOTES_KEPT = 1_000


def render_html(
    out_dir: Path,
    chat: ChatInfo,
    topics: Sequence[TopicInfo] | None,
    records: Iterable[Record],
    locate: Locate,
    *,
    zone: str = "UTC",
    pages: Mapping[int | None, int] | None = None,
    quote: Quote | None = None,
    userpics: Mapping[str, str] | None = None,
) -> list[Path]:
    writer = HtmlWriter(out_dir, chat, topics, locate, zone=zone, pages=pages, quote=quote, userpics=userpics)
    return write_records([writer], records)


class HtmlWriter(HtmlPages):
    """The pages of one export, written as records are added (see the module's contract)."""

    def __init__(
        self,
        out_dir: Path,
        chat: ChatInfo,
        topics: Sequence[TopicInfo] | None,
        locate: Locate,
        *,
        zone: str = "UTC",
        pages: Mapping[int | None, int] | None = None,
        quote: Quote | None = None,
        userpics: Mapping[str, str] | None = None,
        search_dir: Path | None = None,
    ) -> None:
        super().__init__(out_dir, chat, topics, locate, zone=zone, pages=pages, search_dir=search_dir)
        self.quote = quote
        # from_id -> the sender's profile photo in the archive (exporter.media.userpics).
        self.userpics = userpics or {}
        # Sender → (name, escaped name, userpic, name colour class); a chat has few senders, each
        # with many messages.
        self.people: dict[tuple[Any, Any], tuple[str, str, str, str]] = {}
        self.quotes: dict[int, str] = {}

    def _render(self, rec: Record) -> str:
        kind = rec.get("type")
        if kind == "service" or kind == "unsupported":
            return self._message(rec)
        return self._default_message(rec)

    # ------------------------------------------------------------------ messages

    def _day(self, rec: Record) -> str:
        date = rec.get("date")
        if not date or date[:10] == self.last_day:
            return ""
        self.last_day = date[:10]
        label = day_label(date)
        return f'<div class="message service date_separator"><div class="body">{label}</div></div>\n'

    def _person(self, from_id: Any, name: str | None) -> tuple[str, str, str, str]:
        """(name, escaped name, userpic, name colour class) of a sender, cached."""
        key = (from_id, name)
        found = self.people.get(key)
        if found is None:
            if len(self.people) >= _NAMES_KEPT:
                self.people.clear()
            shown = display_name(name)
            found = self.people[key] = (
                shown,
                escape(shown),
                userpic(from_id, name, shown, self._file_href(self.userpics.get(from_id))),
                f"name{color_index(from_id, name)}",
            )
        return found

    def _message(self, rec: Record) -> str:
        """A service message, or one the exporting app does not support."""
        msg_id = rec["id"]
        if rec.get("type") == "unsupported":
            return (
                f'<div class="message service" id="message{msg_id}">'
                '<div class="body">This message is not supported by the exporting app</div></div>\n'
            )
        said = service_text(rec)
        self.search.add(msg_id, self.page, rec.get("date_unixtime"), display_name(rec.get("actor")), said)
        text = escape(said)
        target = service_link_target(rec)
        if target is not None:
            href = self._href(target)
            if href is not None:
                text += f' <a href="{href}">(view message)</a>'
        photo = self._file_href(rec.get("photo"))
        if photo is not None:
            # A new group photo, as Desktop shows it under the service line (kServiceMessagePhotoSize).
            text += (
                f'<a class="service_photo" href="{photo}"><img src="{photo}" width="{SERVICE_PHOTO}" '
                f'height="{SERVICE_PHOTO}" loading="lazy" alt="Photo"></a>'
            )
        return (
            self._day(rec)
            + f'<div class="message service" id="message{msg_id}"><div class="body" '
            + f'title="{full_date(rec["date"], self.zone)}" data-utc="{self._utc(rec)}">{text}</div></div>\n'
        )

    def _default_message(self, rec: Record) -> str:
        """An ordinary message.  Most are a date, a sender and text: anything else is looked
        for only when the record has other keys, and the common case is one f-string."""
        msg_id = rec["id"]
        date = rec["date"]
        day = date[:10]
        edited = rec.get("edited")
        joined = joins(self.previous, rec)
        sender, name, picture, color = self._person(rec.get("from_id"), rec.get("from"))
        start = (
            f'<div class="message default joined" id="message{msg_id}"><div class="body">'
            if joined
            else f'<div class="message default" id="message{msg_id}">{picture}<div class="body">'
        )
        mark = (
            f' <span class="edited" title="Edited {full_date(edited, self.zone)}">edited</span>'
            if edited
            else ""
        )
        head_html = (
            f'{"" if day == self.last_day else self._day(rec)}{start}<div class="date details">'
            f'<time datetime="{self._utc(rec)}" title="{day} {date[11:19]} {self.zone}">{date[11:16]}</time>'
            f"{mark}</div>{'' if joined else self._name_open(color, name)}"
        )
        text = rec.get("text")
        if not text:
            body = words = ""
        elif type(text) is str:
            body = f'<div class="text">{escape(text)}</div>'
            words = text
        else:
            body = f'<div class="text">{format_text(text, self._file_href)}</div>'
            words = plain_text(text)
        close_name = "" if joined else "</div>"
        keys = rec.keys()
        plain = keys <= _PLAIN_KEYS or (keys <= _TOPIC_PLAIN_KEYS and reply_target(rec) is None)
        self.search.add(msg_id, self.page, rec["date_unixtime"], sender, words if plain else searchable(rec))
        if plain:
            return f"{head_html}{close_name}{body}</div></div>\n"

        out = [head_html]
        if "via_bot" in rec and not joined:
            out.append(f' <span class="details">via {escape(rec["via_bot"])}</span>')
        out.append(close_name)
        if "forwarded_from" in rec:
            out.append(self._forwarded(rec))
        target = reply_target(rec)
        if target is not None:
            out.append(self._reply(rec, target))
        media = self._media(rec)
        if media:
            out.append(media)
        out.append(body)
        if "author" in rec:
            out.append(f'<div class="signature details">{escape(rec["author"])}</div>')
        if "inline_bot_buttons" in rec:
            out.append(buttons_block(rec["inline_bot_buttons"]))
        if "reactions" in rec:
            out.append(reactions_block(rec["reactions"], self._file_href))
        if "comments" in rec:
            found = self._found_comment
            out.append(
                comments_block(msg_id, rec["comments"], self._person, self._file_href, self.zone, found)
            )
        out.append("</div></div>\n")
        return "".join(out)

    def _found_comment(self, anchor: str, unix: Any, sender: str, text: str) -> None:
        self.search.add(anchor, self.page, unix, sender, text)

    @staticmethod
    def _name_open(color: str, name: str) -> str:
        return f'<div class="from_name {color}" dir="auto">{name}'

    def _forwarded(self, rec: Record) -> str:
        """'Forwarded from Name' and, when the record has it, the original message's date (Desktop's
        export writes both; result.json has no such field, so the date is in the stored record only)."""
        name = escape(display_name(rec["forwarded_from"]))
        when = ""
        original = rec.get(FORWARDED_DATE)
        if original is not None:
            ts = int(original)
            date = self.local.iso(ts)
            when = (
                f' <time class="full details" datetime="{iso_date(ts)}Z" '
                f'title="{full_date(date, self.zone)}">{day_label(date)} {date[11:16]}</time>'
            )
        return f'<div class="forwarded details">Forwarded from <strong dir="auto">{name}</strong>{when}</div>'

    def _reply(self, rec: Record, target: int) -> str:
        if "reply_to_peer_id" in rec:
            return '<div class="reply_to details">In reply to a message in another chat</div>'
        href = self._href(target)
        if href is None:
            return '<div class="reply_to details">In reply to a message not in this export</div>'
        return f'<div class="reply_to details">In reply to <a href="{href}">{self._quote(target)}</a></div>'

    def _quote(self, target: int) -> str:
        """'<bdi>Name</bdi>: first words' of a message replied to, escaped: from the open page, or
        read from the store (and kept a while) when it is on another page or in another topic."""
        quoted = self.page_records.get(target)
        if quoted is None:
            label = self.quotes.get(target)
            if label is not None:
                return label
            quoted = self.quote(target) if self.quote is not None else None
            if quoted is None:
                return "this message"
        sender = display_name(quoted.get("from") or quoted.get("actor"))
        label = f"<bdi>{escape(sender)}</bdi>: {escape(snippet(quoted))}"
        if target not in self.page_records:
            if len(self.quotes) >= _QUOTES_KEPT:
                self.quotes.clear()
            self.quotes[target] = label
        return label

    def _media(self, rec: Record) -> str:
        if "poll" in rec:
            return poll_block(rec["poll"])
        label = media_label(rec)
        if label is None:
            return ""
        return media_block(rec, label, self._file_href)
