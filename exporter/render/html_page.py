"""What surrounds the messages of every HTML page: the head, the sticky header with the page's
place ("Page 4 of 21"), the time zone and the search box, the page links, and the forum's index
of topics (icon colour, message count, last activity).

Text from Telegram (chat and topic titles) is escaped and laid out with ``dir="auto"``, so a
right-to-left title reads right to left without pulling the rest of the line with it.  Without
JavaScript the pages read as they are (the times in the export's zone, no search box); the
script (:mod:`.html_script`) adds the reader's time zone and the search.
"""

from __future__ import annotations

from html import escape

from exporter.render.common import day_label
from exporter.render.model import TopicInfo

CSS_PATH = "css/style.css"
SCRIPT_PATH = "js/archive.js"
INDEX_FILE = "index.html"
TOPICS_DIR = "topics"


def page_file(page: int) -> str:
    """'messages.html' for page 1, then 'messages2.html', … as Telegram Desktop names them."""
    return "messages.html" if page == 1 else f"messages{page}.html"


def count(number: int, noun: str) -> str:
    """'1 message', '12,345 messages': thousands separated, as Telegram's apps write counts."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def head(title: str, root: str, *, forum: bool) -> str:
    """From the doctype to the opened ``<body>``; ``root`` leads from the page to the archive's
    top folder ('' or '../../'), where the stylesheet, the script and the search index are."""
    forum_attr = " data-forum" if forum else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f'<link href="{root}{CSS_PATH}" rel="stylesheet">\n'
        f'<script src="{root}{SCRIPT_PATH}" data-root="{root}"{forum_attr} defer></script>\n'
        "</head>\n<body>\n"
    )


def header(title: str, details: list[str], zone: str) -> str:
    """The sticky header: an escaped ``title``, a line of ``details`` (HTML) and the time zone,
    and the search box the script shows (a form without JavaScript does nothing, so it is hidden)."""
    line = " · ".join([*details, f'<span class="zone">Times in {escape(zone)}</span>'])
    return (
        '<div class="page_header"><div class="header_row"><div class="titles">'
        f'<div class="chat_name" dir="auto">{title}</div><div class="details">{line}</div></div>'
        '<form class="search" role="search"><input type="search" name="q" autocomplete="off" '
        'placeholder="Search" aria-label="Search all messages of this archive"></form></div>'
        '<div class="search_results" hidden></div></div>\n'
    )


def page_nav(page: int, pages: int | None) -> str:
    """'Page 4 of 21' (or 'Page 4' when the number of pages is not known)."""
    return f"Page {page:,} of {pages:,}" if pages else f"Page {page:,}"


def previous_link(page: int) -> str:
    return f'<a class="pagination" href="{page_file(page - 1)}">Previous messages</a>\n'


def next_link(page: int) -> str:
    return f'<a class="pagination" href="{page_file(page + 1)}">Next messages</a>\n'


def topic_icon(info: TopicInfo | None, title: str) -> str:
    """A topic's icon as Telegram draws one without a custom emoji: a circle of the topic's icon
    colour (``icon_color``, an RGB number) holding the title's first letter."""
    color = info.icon_color if info is not None and info.icon_color else 0x70777B
    letter = next((ch for ch in title if ch.isalnum()), "#").upper()
    return (
        f'<span class="topic_icon" style="background:#{color & 0xFFFFFF:06x}" '
        f'aria-hidden="true">{escape(letter)}</span>'
    )


def index_row(
    topic_id: int, info: TopicInfo | None, title: str, messages: int, last: tuple[str, str] | None
) -> str:
    """One topic of the forum's index; ``last`` is its last message's (date in the export's zone,
    UTC ISO instant), None for a topic without messages."""
    marks = "".join(
        f' <span class="badge">{label}</span>'
        for label, on in (
            ("closed", info is not None and info.closed),
            ("hidden", info is not None and info.hidden),
        )
        if on
    )
    if last is None:
        activity = "no messages"
    else:
        date, instant = last
        activity = f'last <time class="full" datetime="{instant}">{day_label(date)} {date[11:16]}</time>'
    return (
        f'<li class="topic">{topic_icon(info, title)}<div class="topic_text">'
        f'<a href="{TOPICS_DIR}/{topic_id}/{page_file(1)}" dir="auto">{escape(title)}</a>{marks}'
        f'<div class="details">{count(messages, "message")} · {activity}</div></div></li>\n'
    )


def index_page(chat_name: str, rows: list[str], total: int, zone: str) -> str:
    """The forum's index.html: the topics as Telegram lists them, each linked to its first page."""
    return (
        head(chat_name, "", forum=True)
        + header(chat_name, [count(len(rows), "topic"), count(total, "message")], zone)
        + f'<ul class="topics">\n{"".join(rows)}</ul>\n</body>\n</html>\n'
    )
