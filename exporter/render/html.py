"""Paged HTML export, readable offline: no JavaScript, no external resources.

Contract
--------
``render_html(out_dir, chat, topics, records, locate)`` writes and returns:

* ``css/style.css``, the only stylesheet;
* outside forums: ``messages.html``, ``messages2.html``, … with
  :data:`~exporter.render.model.PAGE_SIZE` messages each, like Telegram Desktop;
* in forums: ``topics/<topic id>/messages.html``, ``messages2.html``, … per
  topic, and ``index.html`` listing the topics with their message counts.  A
  topic in ``topics`` that gets no records still gets an (empty) first page, so
  every link on the index resolves.

``records`` come in the order pages are written: ascending id, and in forums
grouped by topic (all of one topic, then the next; topics may come in any
order, but a topic must not come back once left, which raises ``ValueError``).
Only one page is open at a time and only the records of that page are kept
(for reply previews), so memory stays flat whatever the chat's length.

Every message is an element ``id="message<ID>"``.  A reply to a message on the
current page links to ``#message<ID>``; any other target is found through
``locate`` (see :data:`~exporter.render.model.Locate`), which must number pages
the same way, and becomes ``messagesN.html#message<ID>`` (or
``../<topic>/messagesN.html#message<ID>`` across topics).  A target ``locate``
does not know is shown as a note instead of a link.

Files the media stage put into the archive are shown where the message is, by
relative links (``../../`` from topic pages), so the folder works wherever it is
unzipped and from ``file://``: photos and stickers as pictures, loaded lazily and
with their width and height so the page does not jump; videos, round videos,
voice and music with the browser's players (nothing loaded before a tap); GIFs
as silent looping videos; other files as links with their size.  A file not in
the archive shows Desktop's sentence saying why (and its thumbnail, if that is).

All message text is HTML-escaped; formatting becomes ``strong``/``em``/``u``/
``s``/``code``/``pre``/``blockquote`` and spoiler spans, and links are made only
for http(s), mailto and tg targets.

Over 400 lines: the paging, the links and the markup of each kind of message
all read the open page's state (its records, its last day, the names cache);
split apart, they would hand that state back and forth.  The stylesheet is in
:mod:`.html_style`, the per-topic bookkeeping in :mod:`.sections`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from exporter.render.common import (
    day_label,
    display_name,
    file_url,
    full_date,
    is_file_path,
    media_label,
    poll_lines,
    reaction_label,
    reply_target,
    safe_href,
    service_link_target,
    service_text,
    snippet,
    topic_marks,
)
from exporter.render.html_media import SERVICE_PHOTO, Href, custom_emoji, media_block
from exporter.render.html_style import STYLESHEET
from exporter.render.model import PAGE_SIZE, ChatInfo, Locate, TopicInfo, write_records
from exporter.render.sections import Sections

Record = dict[str, Any]

CSS_PATH = "css/style.css"
INDEX_FILE = "index.html"
TOPICS_DIR = "topics"


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
_NAMES_KEPT = 10_000


def page_file(page: int) -> str:
    """'messages.html' for page 1, then 'messages2.html', … as Telegram Desktop names them."""
    return "messages.html" if page == 1 else f"messages{page}.html"


def render_html(
    out_dir: Path,
    chat: ChatInfo,
    topics: Sequence[TopicInfo] | None,
    records: Iterable[Record],
    locate: Locate,
    *,
    zone: str = "UTC",
) -> list[Path]:
    return write_records([HtmlWriter(out_dir, chat, topics, locate, zone=zone)], records)


_SIMPLE_TAGS = {
    "bold": ("<strong>", "</strong>"),
    "italic": ("<em>", "</em>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "hashtag": ('<span class="hashtag">', "</span>"),
    "cashtag": ('<span class="hashtag">', "</span>"),
    "bot_command": ('<span class="command">', "</span>"),
    "phone": ('<span class="phone">', "</span>"),
}


def format_text(text: str | list[Any], files: Href | None = None) -> str:
    """HTML of a record's ``text`` (a string, or strings and entity objects); ``files`` links the
    custom emoji the media stage saved (their ``document_id`` then holds the file's path)."""
    if isinstance(text, str):
        return escape(text)
    out: list[str] = []
    for part in text:
        if isinstance(part, str):
            out.append(escape(part))
            continue
        kind = part.get("type")
        body = escape(part.get("text", ""))
        tags = _SIMPLE_TAGS.get(kind)
        if tags is not None:
            out.append(tags[0] + body + tags[1])
        elif kind == "pre":
            language = part.get("language")
            attr = f' data-language="{escape(language)}"' if language else ""
            out.append(f"<pre{attr}>{body}</pre>")
        elif kind == "blockquote":
            css = ' class="collapsed"' if part.get("collapsed") else ""
            out.append(f"<blockquote{css}>{body}</blockquote>")
        elif kind in ("text_link", "link", "email", "mention", "mention_name"):
            out.append(_link(kind, part, body))
        elif kind == "custom_emoji":
            out.append(custom_emoji(part.get("document_id"), body, files))
        else:
            out.append(body)
    return "".join(out)


def _link(kind: str, part: dict[str, Any], body: str) -> str:
    raw = part.get("text", "")
    if kind == "text_link":
        href = safe_href(part.get("href"))
    elif kind == "link":
        href = safe_href(raw)
    elif kind == "email":
        href = "mailto:" + raw if "@" in raw and ":" not in raw else None
    elif kind == "mention":
        href = "tg://resolve?domain=" + quote(raw.lstrip("@"), safe="")
    else:
        href = f"tg://user?id={int(part.get('user_id', 0))}"
    if href is None:
        return f'<span class="link">{body}</span>'
    return f'<a href="{escape(href)}">{body}</a>'


class HtmlWriter(Sections):
    """The pages of one export, written as records are added (see the module's contract)."""

    def __init__(
        self,
        out_dir: Path,
        chat: ChatInfo,
        topics: Sequence[TopicInfo] | None,
        locate: Locate,
        *,
        zone: str = "UTC",
    ) -> None:
        super().__init__(out_dir, chat, topics, locate, zone)
        self.page = 0
        self.on_page = 0
        self.out: IO[str] | None = None
        # Records of the open page, for reply previews and same-page anchors.
        self.page_records: dict[int, Record] = {}
        self.last_day = ""
        # Messages of the open page, written when it closes: one write per page, not per message.
        self.pending: list[str] = []
        self.names: dict[str | None, str] = {}

    # ------------------------------------------------------------------ paging

    def add(self, rec: Record) -> None:
        topic = self.section_of(rec)
        if self.is_new_section(topic):
            self.enter(topic)
        elif self.on_page == PAGE_SIZE:
            self._close_page(has_next=True)
            self._open_page(self.page + 1)
        kind = rec.get("type")
        if kind == "service" or kind == "unsupported":
            self.pending.append(self._message(rec))
        else:
            self.pending.append(self._default_message(rec))
        self.on_page += 1
        self.page_records[rec["id"]] = rec

    def close(self) -> None:
        """Give up: the bot process lives on after a failed export, so no page is left open."""
        if self.out is not None:
            self.out.close()
            self.out = None

    def finish(self) -> list[Path]:
        super().finish()
        css = self.out_dir / CSS_PATH
        css.parent.mkdir(parents=True, exist_ok=True)
        css.write_text(STYLESHEET, encoding="utf-8", newline="")
        self.written.append(css)
        return self.written

    def _begin_section(self, topic: int | None) -> None:
        self._open_page(1)

    def _end_section(self) -> None:
        if self.out is not None:
            self._close_page(has_next=False)

    def _page_path(self, topic: int | None, page: int) -> Path:
        if topic is None:
            return self.out_dir / page_file(page)
        return self.out_dir / TOPICS_DIR / str(topic) / page_file(page)

    def _open_page(self, page: int) -> None:
        self.page = page
        self.on_page = 0
        self.page_records = {}
        self.last_day = ""
        path = self._page_path(self.topic, page)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.out = path.open("w", encoding="utf-8", newline="")
        self.written.append(path)
        root = "../../" if self.topic is not None else ""
        chat_name = escape(display_name(self.chat.name))
        if self.topic is not None:
            title = escape(self.topic_title(self.topic))
            heading = (
                f'<div class="chat_name">{chat_name}</div>'
                f'<div class="topic_name">{title}</div>'
                f'<a class="nav" href="{root}{INDEX_FILE}">All topics</a>'
            )
            page_title = f"{title} – {chat_name}"
        else:
            heading = f'<div class="chat_name">{chat_name}</div>'
            page_title = chat_name
        self.out.write(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{page_title}</title>\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link href="{root}{CSS_PATH}" rel="stylesheet">\n</head>\n<body>\n'
            f'<div class="page_header">{heading}<div class="page_number">Page {page}</div></div>\n'
            '<div class="history">\n'
        )
        if page > 1:
            self.out.write(f'<a class="pagination" href="{page_file(page - 1)}">Previous messages</a>\n')

    def _close_page(self, *, has_next: bool) -> None:
        assert self.out is not None
        # Not one joined string: a single emoji would widen the whole page to 4 bytes a character.
        self.out.writelines(self.pending)
        self.pending.clear()
        self.counts[self.topic] += self.on_page
        if self.on_page == 0:
            self.out.write('<div class="message service"><div class="body">No messages</div></div>\n')
        if has_next:
            self.out.write(f'<a class="pagination" href="{page_file(self.page + 1)}">Next messages</a>\n')
        self.out.write("</div>\n</body>\n</html>\n")
        self.out.close()
        self.out = None

    def _write_index(self) -> None:
        path = self.out_dir / INDEX_FILE
        order = self.index_order()
        rows = []
        for topic_id in order:
            marks = "".join(
                f' <span class="badge">{m}</span>' for m in topic_marks(self.topics.get(topic_id))
            )
            count = self.counts.get(topic_id, 0)
            rows.append(
                f'<li class="topic"><a href="{TOPICS_DIR}/{topic_id}/{page_file(1)}">'
                f"{escape(self.topic_title(topic_id))}</a>{marks}"
                f' <span class="details">{count} message{"" if count == 1 else "s"}</span></li>\n'
            )
        chat_name = escape(display_name(self.chat.name))
        total = sum(self.counts.values())
        path.write_text(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{chat_name}</title>\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link href="{CSS_PATH}" rel="stylesheet">\n</head>\n<body>\n'
            f'<div class="page_header"><div class="chat_name">{chat_name}</div>'
            f'<div class="page_number">{len(order)} topics, {total} messages</div></div>\n'
            f'<ul class="topics">\n{"".join(rows)}</ul>\n</body>\n</html>\n',
            encoding="utf-8",
            newline="",
        )
        self.written.append(path)

    # ------------------------------------------------------------------ links

    def _href(self, msg_id: int) -> str | None:
        """Link to a message anywhere in the export, or None if it is not in it."""
        if msg_id in self.page_records:
            return f"#message{msg_id}"
        found = self.locate(msg_id)
        if found is None:
            return None
        topic, page = found
        if topic == self.topic and page == self.page:
            return f"#message{msg_id}"
        if topic == self.topic:
            return f"{page_file(page)}#message{msg_id}"
        return f"../{topic}/{page_file(page)}#message{msg_id}"

    def _file_href(self, path: Any) -> str | None:
        """The escaped relative URL of a file of the archive from the open page; None when the
        record holds Desktop's sentence (or anything that is not a safe relative path) instead."""
        url = file_url(path) if is_file_path(path) else None
        if url is None:
            return None
        return escape("../../" + url if self.topic is not None else url)

    # ------------------------------------------------------------------ messages

    def _day(self, rec: Record) -> str:
        date = rec.get("date")
        if not date or date[:10] == self.last_day:
            return ""
        self.last_day = date[:10]
        label = day_label(date)
        return f'<div class="message service date_separator"><div class="body">{label}</div></div>\n'

    def _from_name(self, name: str | None) -> str:
        """Escaped sender name; a chat has few senders, each with thousands of messages."""
        html = self.names.get(name)
        if html is None:
            if len(self.names) >= _NAMES_KEPT:
                self.names.clear()
            html = self.names[name] = escape(display_name(name))
        return html

    def _message(self, rec: Record) -> str:
        """A service message, or one the exporting app does not support."""
        msg_id = rec["id"]
        if rec.get("type") == "unsupported":
            return (
                f'<div class="message service" id="message{msg_id}">'
                '<div class="body">This message is not supported by the exporting app</div></div>\n'
            )
        text = escape(service_text(rec))
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
            + f'<div class="message service" id="message{msg_id}">'
            + f'<div class="body" title="{full_date(rec["date"], self.zone)}">{text}</div></div>\n'
        )

    def _default_message(self, rec: Record) -> str:
        """An ordinary message.  Most are a date, a sender and text: anything else is looked
        for only when the record has other keys, and the common case is one f-string."""
        date = rec["date"]
        day = date[:10]
        edited = rec.get("edited")
        head = (
            ("" if day == self.last_day else self._day(rec))
            + f'<div class="message default" id="message{rec["id"]}">'
            + f'<div class="date details" title="{day} {date[11:19]} {self.zone}">{date[11:16]}'
            + (
                f' <span class="edited" title="Edited {full_date(edited, self.zone)}">edited</span>'
                if edited
                else ""
            )
            + f'</div><div class="from_name">{self._from_name(rec.get("from"))}'
        )
        text = rec.get("text")
        if not text:
            body = ""
        elif type(text) is str:
            body = f'<div class="text">{escape(text)}</div>'
        else:
            body = f'<div class="text">{format_text(text, self._file_href)}</div>'
        if rec.keys() <= _PLAIN_KEYS:
            return f"{head}</div>{body}</div>\n"

        out = [head]
        if "via_bot" in rec:
            out.append(f' <span class="details">via {escape(rec["via_bot"])}</span>')
        out.append("</div>")
        if "forwarded_from" in rec:
            out.append(
                '<div class="forwarded details">Forwarded from '
                f"<strong>{escape(display_name(rec['forwarded_from']))}</strong></div>"
            )
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
            out.append(self._buttons(rec["inline_bot_buttons"]))
        if "reactions" in rec:
            out.append(self._reactions(rec["reactions"]))
        out.append("</div>\n")
        return "".join(out)

    def _reply(self, rec: Record, target: int) -> str:
        if "reply_to_peer_id" in rec:
            return '<div class="reply_to details">In reply to a message in another chat</div>'
        href = self._href(target)
        if href is None:
            return '<div class="reply_to details">In reply to a message not in this export</div>'
        quoted = self.page_records.get(target)
        label = "this message"
        if quoted is not None:
            label = f"{display_name(quoted.get('from') or quoted.get('actor'))}: {snippet(quoted)}"
        return f'<div class="reply_to details">In reply to <a href="{href}">{escape(label)}</a></div>'

    def _media(self, rec: Record) -> str:
        if "poll" in rec:
            return self._poll(rec["poll"])
        label = media_label(rec)
        if label is None:
            return ""
        return media_block(rec, label, self._file_href)

    def _poll(self, poll: dict[str, Any]) -> str:
        total = poll.get("total_voters") or 0
        state = "Closed poll" if poll.get("closed") else "Poll"
        out = [
            '<div class="media poll">',
            f'<div class="question">{format_text(poll.get("question", ""))}</div>',
            f'<div class="details">{state} · {total} vote{"" if total == 1 else "s"}</div><ul>',
        ]
        for text, voters, chosen, percent in poll_lines(poll):
            css = ' class="chosen"' if chosen else ""
            out.append(f'<li{css}>{escape(text)} <span class="details">{voters} · {percent}%</span></li>')
        out.append("</ul></div>")
        return "".join(out)

    def _buttons(self, rows: list[list[dict[str, Any]]]) -> str:
        out = ['<div class="buttons">']
        for row in rows:
            out.append('<div class="button_row">')
            for button in row:
                text = escape(button.get("text", ""))
                href = safe_href(button.get("data")) if button.get("type") in ("url", "auth") else None
                if href:
                    out.append(f'<a class="button" href="{escape(href)}">{text}</a>')
                else:
                    out.append(f'<span class="button">{text}</span>')
            out.append("</div>")
        out.append("</div>")
        return "".join(out)

    def _reactions(self, reactions: list[dict[str, Any]]) -> str:
        out = ['<div class="reactions">']
        for reaction in reactions:
            who = ", ".join(display_name(r.get("from")) for r in reaction.get("recent", ()))
            title = f' title="{escape(who)}"' if who else ""
            label = escape(reaction_label(reaction))
            if reaction.get("type") == "custom_emoji":
                # The emoji's own picture (or a link to its animation) instead of a stand-in mark.
                symbol, count = label.split(" ", 1)
                label = f"{custom_emoji(reaction.get('document_id'), symbol, self._file_href)} {count}"
            out.append(f'<span class="reaction"{title}>{label}</span>')
        out.append("</div>")
        return "".join(out)
