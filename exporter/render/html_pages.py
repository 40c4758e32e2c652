"""The pages of the HTML export (:mod:`.html` writes the messages on them).

A page holds :data:`~exporter.render.model.PAGE_SIZE` messages, like Telegram Desktop's; only the
open page's records are kept, and its messages are written when it closes.  Each page has the
sticky header of :mod:`.html_page`; each message goes into the search index (:mod:`.html_search`)
as it is written.  At the end come the stylesheet, the script, the index's last file and, for a
forum, index.html with each topic's count and last activity.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import IO, Any

from exporter.records import iso_date
from exporter.render.common import display_name, file_url, is_file_path
from exporter.render.html_page import (
    CSS_PATH,
    INDEX_FILE,
    SCRIPT_PATH,
    TOPICS_DIR,
    head,
    header,
    index_page,
    index_row,
    next_link,
    page_file,
    page_nav,
    previous_link,
)
from exporter.render.html_script import SCRIPT
from exporter.render.html_search import SearchIndex
from exporter.render.html_style import STYLESHEET
from exporter.render.local_time import LocalTime
from exporter.render.model import PAGE_SIZE, ChatInfo, Locate, TopicInfo
from exporter.render.sections import Sections

Record = dict[str, Any]


@dataclass
class HtmlPart:
    """What a second process wrote of one export's pages (:mod:`.forum_split`): its files, its
    sections' counts and last activity, and its search index files, numbered on their own."""

    written: list[Path] = field(default_factory=list)
    counts: dict[int | None, int] = field(default_factory=dict)
    last_activity: dict[int | None, tuple[str, str]] = field(default_factory=dict)
    search: list[Path] = field(default_factory=list)


class HtmlPages(Sections):
    """Paging, links between pages and the files around them; a subclass renders each message."""

    def __init__(
        self,
        out_dir: Path,
        chat: ChatInfo,
        topics: Sequence[TopicInfo] | None,
        locate: Locate,
        *,
        zone: str = "UTC",
        pages: Mapping[int | None, int] | None = None,
        search_dir: Path | None = None,
    ) -> None:
        super().__init__(out_dir, chat, topics, locate, zone)
        # None when the number of pages is not known (the header then says "Page 4" alone); a topic
        # without messages has its one empty page.
        self.pages = pages
        self.local = LocalTime(zone)
        self.page = 0
        self.on_page = 0
        self.out: IO[str] | None = None
        # Records of the open page, for reply previews and same-page anchors.
        self.page_records: dict[int, Record] = {}
        self.last_day = ""
        self.previous: Record | None = None
        # Messages of the open page, written when it closes: one write per page, not per message.
        self.pending: list[str] = []
        # Per topic: the last message's (date in the export's zone, UTC instant), for the index.
        self.last_activity: dict[int | None, tuple[str, str]] = {}
        self.search = SearchIndex(out_dir, search_dir)
        # The search index files of the sections a second process wrote, to follow this one's.
        self.search_after: list[Path] = []
        # Outside forums a second process may write the chat's later pages (:mod:`.chat_split`):
        # it starts at ``first_page``, and this one's last page links on to it (``continued``).
        self.first_page = 1
        self.continued = False

    @abstractmethod
    def _render(self, rec: Record) -> str:
        """The HTML of one message (adding its words to ``self.search``)."""

    # ------------------------------------------------------------------ paging

    def add(self, rec: Record) -> None:
        topic = self.section_of(rec)
        if self.is_new_section(topic):
            self.enter(topic)
        elif self.on_page == PAGE_SIZE:
            self._close_page(has_next=True)
            self._open_page(self.page + 1)
        self.pending.append(self._render(rec))
        self.on_page += 1
        self.page_records[rec["id"]] = rec
        self.previous = rec

    def close(self) -> None:
        """Give up: the bot process lives on after a failed export, so no page is left open."""
        if self.out is not None:
            self.out.close()
            self.out = None
        self.search.close()

    def finish(self) -> list[Path]:
        super().finish()
        for relative, text in ((CSS_PATH, STYLESHEET), (SCRIPT_PATH, SCRIPT)):
            path = self.out_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            self.written.append(path)
        self.written += self.search.finish(self.search_after)
        return self.written

    def finish_part(self) -> HtmlPart:
        """End the sections written here, in a second process: no index, stylesheet or script,
        and no empty topic (the first process writes those, once)."""
        self._end_section()
        return HtmlPart(list(self.written), dict(self.counts), dict(self.last_activity), self.search.finish())

    def adopt(self, part: HtmlPart) -> None:
        """Count in the sections a second process wrote (a forum's topics after this one's, which
        must not be added here; outside forums, the chat's later pages), before :meth:`finish`."""
        for topic, count in part.counts.items():
            if topic in self.counts and self.forum:
                raise ValueError(f"topic {topic} was written by both processes")
            self.counts[topic] = self.counts.get(topic, 0) + count
        self.last_activity.update(part.last_activity)
        self.written += part.written
        self.search_after = part.search

    def _begin_section(self, topic: int | None) -> None:
        self.search.section(topic, self.topic_title(topic) if topic is not None else "")
        self._open_page(self.first_page)

    def _end_section(self) -> None:
        if self.out is not None:
            self._close_page(has_next=self.continued)
            last = self.previous
            if last is not None and last.get("date"):
                self.last_activity[self.topic] = (last["date"], self._utc(last))

    def _page_path(self, topic: int | None, page: int) -> Path:
        if topic is None:
            return self.out_dir / page_file(page)
        return self.out_dir / TOPICS_DIR / str(topic) / page_file(page)

    def _open_page(self, page: int) -> None:
        self.page = page
        self.on_page = 0
        self.page_records = {}
        self.last_day = ""
        self.previous = None
        path = self._page_path(self.topic, page)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A lone surrogate (Telegram's UTF-16 entity offsets can split an emoji) has no UTF-8 form:
        # a character reference, which browsers show as the replacement character.
        self.out = path.open("w", encoding="utf-8", errors="xmlcharrefreplace", newline="")
        self.written.append(path)
        chat_name = escape(display_name(self.chat.name))
        details = [page_nav(page, None if self.pages is None else self.pages.get(self.topic, 1))]
        if self.topic is not None:
            root = "../../"
            title = escape(self.topic_title(self.topic))
            page_title = f"{title} – {chat_name}"
            details[:0] = [
                f'<span dir="auto">{chat_name}</span>',
                f'<a href="{root}{INDEX_FILE}">All topics</a>',
            ]
        else:
            root = ""
            title = page_title = chat_name
        self.out.write(
            head(page_title, root, forum=self.forum)
            + header(title, details, self.zone)
            + '<div class="history">\n'
        )
        if page > 1:
            self.out.write(previous_link(page))

    def _close_page(self, *, has_next: bool) -> None:
        assert self.out is not None
        # Not one joined string: a single emoji would widen the whole page to 4 bytes a character.
        self.out.writelines(self.pending)
        self.pending.clear()
        self.counts[self.topic] += self.on_page
        if self.on_page == 0:
            self.out.write('<div class="message service"><div class="body">No messages</div></div>\n')
        if has_next:
            self.out.write(next_link(self.page))
        self.out.write("</div>\n</body>\n</html>\n")
        self.out.close()
        self.out = None

    def _write_index(self) -> None:
        order = self.index_order()
        rows = [
            index_row(
                topic_id,
                self.topics.get(topic_id),
                self.topic_title(topic_id),
                self.counts.get(topic_id, 0),
                self.last_activity.get(topic_id),
            )
            for topic_id in order
        ]
        path = self.out_dir / INDEX_FILE
        text = index_page(escape(display_name(self.chat.name)), rows, sum(self.counts.values()), self.zone)
        path.write_text(text, encoding="utf-8", errors="xmlcharrefreplace", newline="")
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

    def _utc(self, rec: Record) -> str:
        """The message's instant as an ISO UTC date for ``<time datetime>``."""
        if self.local.is_utc:
            # The record's date is then UTC already.
            return f"{rec['date']}Z"
        return iso_date(int(rec.get("date_unixtime") or 0)) + "Z"
