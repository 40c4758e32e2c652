"""The HTML archive beside Telegram Desktop's: userpics and colours by Desktop's rule, messages of
one sender joined by Desktop's rule, "Page 4 of 21", the original date of a forward, reply labels
read from the store across pages and topics, the topic index, and the search index the pages read.
(What a reader sees of them in a real browser: test_browser_archive.py.)"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from exporter.records import FORWARDED_DATE, iso_date
from exporter.render import html_search
from exporter.render.html import render_html
from exporter.render.html_people import color_index, initials, joins
from exporter.render.markdown import render_markdown
from exporter.render.markdown_text import escape_md
from exporter.render.model import ChatInfo, TopicInfo
from tests.exporter import history

Record = dict[str, Any]
CHAT = ChatInfo(id=1, name="Chat", type="private_supergroup")
FORUM = ChatInfo(id=-1000000000077, name="Forum", type="public_supergroup", is_forum=True)


def at(msg_id: int, ts: int, sender: str = "user5", **extra: Any) -> Record:
    """A message from ``sender`` at unix time ``ts``."""
    rec = history.message(msg_id)
    rec.update(date=iso_date(ts), date_unixtime=str(ts), from_id=sender, **extra)
    rec["from"] = f"Name {sender}"
    return rec


def messages(page: str) -> dict[int, str]:
    """Each message element of a page: id → its HTML, up to the next message."""
    parts = re.split(r'(?=<div class="message [^"]*" id="message\d+")', page)
    found = {}
    for part in parts:
        match = re.match(r'<div class="message [^"]*" id="message(\d+)"', part)
        if match:
            found[int(match[1])] = part
    return found


@pytest.mark.parametrize(
    ("from_id", "name", "expected"),
    [
        # Desktop: userpic{PeerColorIndex(bare id) + 1}, PeerColorIndex = {0, 7, 4, 1, 6, 3, 5}[id % 7].
        ("user7", "A", 1),
        ("user1", "A", 8),
        ("user2", "A", 5),
        ("channel10", "A", 2),
        ("user5245754592", "A", 1 + (0, 7, 4, 1, 6, 3, 5)[5245754592 % 7]),
        # No id: StringBarePeerId of the name (0xFF, then *239 + byte, & 0xFF per byte): "A" -> 0x52.
        (None, "A", 1 + (0, 7, 4, 1, 6, 3, 5)[0x52 % 7]),
    ],
)
def test_a_sender_gets_desktop_s_colour(from_id: str | None, name: str, expected: int) -> None:
    assert color_index(from_id, name) == expected


def test_initials_are_the_first_and_last_word_s_first_letters() -> None:
    names = ("Ann Lee", "Борис", "Ann van der Berg", "«Quoted» name", "", "Yara 🌸", "🌸 🌼")
    assert [initials(n) for n in names] == ["AL", "Б", "AB", "QN", "", "Y", "🌸🌼"]


def test_messages_join_by_desktop_s_rule() -> None:
    base = 1_700_000_000
    first = at(1, base)
    assert joins(first, at(2, base + 900))
    assert not joins(first, at(2, base + 901)), "more than kJoinWithinSeconds apart"
    assert not joins(first, at(2, base + 60, sender="user6")), "another sender"
    assert not joins(first, at(2, base + 60, via_bot="@bot")), "via a bot"
    assert not joins(None, first)
    assert not joins(history.service(1, "pin_message"), at(2, base)), "after a service message"
    late = 1_700_006_399  # 23:59:59 UTC; the next message is on the next day
    assert not joins(at(1, late), at(2, late + 2))
    forwarded = at(1, base, forwarded_from="Bob", forwarded_from_id="user9")
    assert joins(forwarded, at(2, base + 1, forwarded_from="Bob", forwarded_from_id="user9"))
    assert not joins(forwarded, at(2, base + 2, forwarded_from="Bob", forwarded_from_id="user9"))
    assert not joins(forwarded, at(2, base + 1, forwarded_from="Eve", forwarded_from_id="user8"))
    assert not joins(forwarded, at(2, base + 1))


def test_a_joined_message_has_no_name_nor_userpic_and_a_page_starts_a_block(tmp_path: Path) -> None:
    base = 1_699_920_000  # 2023-11-14 00:00 UTC: a minute apart, all on one day
    records = [at(i, base + i * 60) for i in range(1, 1003)] + [at(1003, base + 10_000, sender="user6")]
    render_html(tmp_path, CHAT, None, iter(records), history.locator(records))
    first = messages((tmp_path / "messages.html").read_text(encoding="utf-8"))
    second = messages((tmp_path / "messages2.html").read_text(encoding="utf-8"))
    assert 'class="userpic userpic4"' in first[1] and "from_name name4" in first[1]
    assert all(
        "joined" in first[i] and "userpic" not in first[i] and "from_name" not in first[i]
        for i in range(2, 1001)
    )
    # A new page starts a new block, as a reader who opens it needs to see who writes.
    assert "joined" not in second[1001] and "from_name" in second[1001]
    assert "joined" in second[1002] and "joined" not in second[1003]


def test_the_header_says_page_n_of_m_with_thousands_separated(tmp_path: Path) -> None:
    records = history.plain_history(2500)
    render_html(tmp_path, CHAT, None, iter(records), history.locator(records), pages={None: 1234})
    assert "Page 2 of 1,234" in (tmp_path / "messages2.html").read_text(encoding="utf-8")
    # A topic without messages has one empty page; without the counts a page says only its number.
    forum = tmp_path / "forum"
    topic_ordered, _ = history.forum_history({1: 10})
    topics = [TopicInfo(1, "General"), TopicInfo(99, "Quiet")]
    render_html(forum, FORUM, topics, iter(topic_ordered), history.locator(topic_ordered), pages={1: 1})
    assert "Page 1 of 1" in (forum / "topics/99/messages.html").read_text(encoding="utf-8")
    render_html(tmp_path / "unknown", CHAT, None, iter(records), history.locator(records))
    assert "Page 2 ·" in (tmp_path / "unknown/messages2.html").read_text(encoding="utf-8")


def test_a_forward_shows_when_it_was_first_sent_in_the_export_s_zone(tmp_path: Path) -> None:
    sent = 1_700_000_000  # 2023-11-14 22:13:20 UTC, 23:13 in Berlin
    forwarded = at(1, sent + 86_400 * 3, forwarded_from="Bob")
    forwarded[FORWARDED_DATE] = sent
    records = [forwarded, at(2, sent)]
    render_html(tmp_path, CHAT, None, iter(records), history.locator(records), zone="Europe/Berlin")
    render_markdown(
        tmp_path / "md", CHAT, None, iter(records), history.locator(records), zone="Europe/Berlin"
    )
    page = messages((tmp_path / "messages.html").read_text(encoding="utf-8"))
    assert (
        'Forwarded from <strong dir="auto">Bob</strong> <time class="full details" '
        'datetime="2023-11-14T22:13:20Z" title="2023-11-14 23:13:20 Europe/Berlin">14 November 2023 23:13</time>'
    ) in page[1]
    assert "Forwarded" not in page[2]
    assert "*Forwarded from Bob · 14 November 2023 23:13*" in next((tmp_path / "md").glob("*.md")).read_text()


def test_replies_across_pages_and_topics_say_whom_and_what_they_answer(tmp_path: Path) -> None:
    topic_ordered, by_id = history.forum_history({1: 1200, 8: 30})
    stored = {rec["id"]: rec for rec in by_id}
    asked: list[int] = []

    def quote(msg_id: int) -> Record | None:
        asked.append(msg_id)
        return stored.get(msg_id)

    # Replies from topic 8 to General's first page, and from General's second page to its first.
    general = [r for r in topic_ordered if r.get("topic_id") == 1 and r["type"] == "message"]
    target = general[3]
    for rec in [r for r in topic_ordered if r.get("topic_id") == 8][5:8] + general[1100:1103]:
        rec["reply_to_message_id"] = target["id"]
    topics = [TopicInfo(1, "General"), TopicInfo(8, "Ideas")]
    render_html(tmp_path, FORUM, topics, iter(topic_ordered), history.locator(topic_ordered), quote=quote)
    label = f"<bdi>{target['from']}</bdi>: {target['text']}</a>"
    topic8 = (tmp_path / "topics/8/messages.html").read_text(encoding="utf-8")
    general2 = (tmp_path / "topics/1/messages2.html").read_text(encoding="utf-8")
    assert topic8.count(f'<a href="../1/messages.html#message{target["id"]}">{label}') == 3
    assert general2.count(f'<a href="messages.html#message{target["id"]}">{label}') == 3
    # Read once, then kept: one query for six replies to the same message.
    assert asked.count(target["id"]) == 1


def test_the_topic_index_has_colours_counts_and_last_activity(tmp_path: Path) -> None:
    topic_ordered, _ = history.forum_history({1: 1500, 8: 3})
    topics = [
        TopicInfo(1, "General"),
        TopicInfo(8, "نقاش عام", icon_color=0xFB6F5F, closed=True),
        TopicInfo(99, "\u200b\u2060"),
    ]
    render_html(
        tmp_path, FORUM, topics, iter(topic_ordered), history.locator(topic_ordered), zone="Asia/Tokyo"
    )
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<li class="topic">.*?</li>', index)
    assert len(rows) == 3
    last = [r for r in topic_ordered if r.get("topic_id") == 8][-1]
    assert 'style="background:#fb6f5f"' in rows[1] and ">ن</span>" in rows[1]
    assert (
        '<a href="topics/8/messages.html" dir="auto">نقاش عام</a> <span class="badge">closed</span>'
        in rows[1]
    )
    assert (
        f'3 messages · last <time class="full" datetime="{iso_date(int(last["date_unixtime"]))}Z">' in rows[1]
    )
    assert "1,500 messages" in rows[0] and "3 topics · 1,503 messages" in index
    # A title of zero-width characters only would be a link with nothing to click.
    assert ">Topic 99</a>" in rows[2] and "0 messages · no messages" in rows[2]
    assert "Times in Asia/Tokyo" in index


def chunks(folder: Path) -> list[tuple[Any, ...]]:
    """The search files as the page's script receives them, read by a JavaScript engine (node)."""
    script = (
        "const got = []; globalThis.archiveSearch = {chunk: (...a) => got.push(a)};"
        f"for (let n = 1; ; n++) {{ const f = {json.dumps(str(folder))} + '/' + n + '.js';"
        "if (!require('fs').existsSync(f)) break; require('vm').runInThisContext(require('fs').readFileSync(f, 'utf8')); }"
        "process.stdout.write(JSON.stringify(got));"
    )
    out = subprocess.run(["node", "-e", script], check=True, capture_output=True, text=True).stdout
    return [tuple(c) for c in json.loads(out)]


def test_the_search_index_holds_every_message_s_words_in_files_read_as_scripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html_search, "ROWS_PER_FILE", 400)
    topic_ordered, _ = history.forum_history({1: 1100, 8: 150})
    tricky = next(r for r in topic_ordered if r.get("topic_id") == 8 and r["type"] == "message")
    tricky["text"] = 'line\u2028break </script> "quoted" \ud800 lone'
    render_html(
        tmp_path,
        FORUM,
        [TopicInfo(1, "General"), TopicInfo(8, "Ideas")],
        iter(topic_ordered),
        history.locator(topic_ordered),
    )
    got = chunks(tmp_path / "search")
    # 1,250 messages with words in files of 400 rows: the last file says it is the last.
    assert [(n, len(rows), last) for n, rows, last, _ in got] == [
        (1, 400, False),
        (2, 400, False),
        (3, 400, False),
        (4, 50, True),
    ]
    rows = [row for _, file_rows, _, _ in got for row in file_rows]
    assert [row[0] for row in rows] == [r["id"] for r in topic_ordered]
    by_id = {row[0]: row for row in rows}
    pin = next(r for r in topic_ordered if r["type"] == "service")
    assert by_id[pin["id"]][5] == "Ann created topic «Topic 8»"
    locate = history.locator(topic_ordered)
    general = next(r for r in topic_ordered if locate(r["id"]) == (1, 2))
    assert by_id[general["id"]][1:5] == [1, 2, int(general["date_unixtime"]), general["from"]]
    assert by_id[tricky["id"]][5] == 'line\u2028break </script> "quoted" \ud800 lone'
    assert got[0][3] == {"1": "General"} and got[3][3] == {"8": "Ideas"}


def test_markdown_keeps_ampersands_that_start_no_reference() -> None:
    text = "Tom & Jerry &amp; &#38; &x"
    escaped = escape_md(text)
    assert escaped.startswith("Tom & Jerry ")
    # A CommonMark reader shows the text as written: no reference was read as a character.
    assert MarkdownIt("commonmark").render(escaped) == f"<p>{html.escape(text, quote=False)}</p>\n"
