from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from telethon.tl import types as tl

from exporter.render.common import service_link_target, service_text
from exporter.render.html import format_text, render_html
from exporter.render.model import ChatInfo, TopicInfo
from tests.exporter import history
from tests.exporter import test_records as cases
from tests.exporter import tl as tl_factory

VOID = {"meta", "link", "img", "br", "hr", "input"}


class Page(HTMLParser):
    """Everything the checks need from one page; raises on unbalanced tags."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.message_ids: list[int] = []
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: Counter[str] = Counter()
        self.attributes: set[str] = set()
        self.stack: list[str] = []
        self.feed(text)
        self.close()
        assert not self.stack, f"unclosed {self.stack}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        if tag not in VOID:
            self.stack.append(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name == "id" and value:
                self.ids.add(value)
                if value.startswith("message"):
                    self.message_ids.append(int(value.removeprefix("message")))
            if name in ("href", "src") and value is not None:
                self.links.append((tag, name, value))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def parse_site(root: Path) -> dict[Path, Page]:
    return {path: Page(path.read_text(encoding="utf-8")) for path in sorted(root.rglob("*.html"))}


def check_links(pages: dict[Path, Page]) -> int:
    """Every href/src resolves to an existing file and, with a fragment, to an id in it."""
    checked = 0
    for path, page in pages.items():
        for _tag, _attribute, value in page.links:
            parts = urlsplit(value)
            assert not parts.scheme and not parts.netloc, f"external {value} in {path}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), f"{value} in {path} points nowhere"
            if parts.fragment:
                assert target in pages, value
                assert parts.fragment in pages[target].ids, f"{value} in {path}: no such id"
            checked += 1
    return checked


def test_pages_of_a_thousand_with_every_link_resolving(tmp_path: Path) -> None:
    records = history.plain_history(2500)
    chat = ChatInfo(id=42, name="Chat <b>", type="private_group")
    files = render_html(tmp_path, chat, None, iter(records), history.locator(records))
    assert sorted(p.relative_to(tmp_path).as_posix() for p in files) == [
        "css/style.css",
        "js/archive.js",
        "messages.html",
        "messages2.html",
        "messages3.html",
        "search/1.js",
        "search/2.js",
    ]
    pages = parse_site(tmp_path)
    counts = [
        len(pages[tmp_path / name].message_ids)
        for name in ("messages.html", "messages2.html", "messages3.html")
    ]
    assert counts == [1000, 1000, 500]
    all_ids = [i for page in pages.values() for i in page.message_ids]
    assert all_ids == [r["id"] for r in records]
    # Navigation: next on the first, both in the middle, previous on the last.
    nav = {
        name: [v for _, _, v in pages[tmp_path / name].links if v.startswith("messages") and "#" not in v]
        for name in ("messages.html", "messages2.html", "messages3.html")
    }
    assert nav == {
        "messages.html": ["messages2.html"],
        "messages2.html": ["messages.html", "messages3.html"],
        "messages3.html": ["messages2.html"],
    }
    cross_page = [v for page in pages.values() for _, _, v in page.links if ".html#message" in v]
    assert cross_page, "the history should reply across pages"
    assert check_links(pages) > 300
    last_page = (tmp_path / "messages3.html").read_text(encoding="utf-8")
    assert "In reply to a message not in this export" in last_page


def test_forum_pages_per_topic_and_index(tmp_path: Path) -> None:
    sizes = {1: 1200, 8: 300, 15: 40}
    topic_ordered, _ = history.forum_history(sizes)
    topics = [
        TopicInfo(id=1, title="General"),
        TopicInfo(id=8, title="Ideas / plans", closed=True),
        TopicInfo(id=15, title="<i>Quiet</i>", hidden=True),
        TopicInfo(id=99, title="Empty"),
    ]
    chat = ChatInfo(id=-1000000000077, name="Forum", type="public_supergroup", is_forum=True)
    files = render_html(tmp_path, chat, topics, iter(topic_ordered), history.locator(topic_ordered))
    names = sorted(p.relative_to(tmp_path).as_posix() for p in files)
    assert names == [
        "css/style.css",
        "index.html",
        "js/archive.js",
        "search/1.js",
        "topics/1/messages.html",
        "topics/1/messages2.html",
        "topics/15/messages.html",
        "topics/8/messages.html",
        "topics/99/messages.html",
    ]
    pages = parse_site(tmp_path)
    assert len(pages[tmp_path / "topics/1/messages.html"].message_ids) == 1000
    assert len(pages[tmp_path / "topics/1/messages2.html"].message_ids) == 200
    assert pages[tmp_path / "topics/99/messages.html"].message_ids == []
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    for count, title in (
        (1200, "General"),
        (300, "Ideas / plans"),
        (40, "&lt;i&gt;Quiet&lt;/i&gt;"),
        (0, "Empty"),
    ):
        assert f"{title}</a>" in index
        assert f"{count:,} messages" in index
    assert "closed" in index and "hidden" in index
    cross_topic = [v for page in pages.values() for _, _, v in page.links if v.startswith("../")]
    assert any("#message" in v for v in cross_topic), "replies should cross topics"
    check_links(pages)
    # A plain topic message's header points at its topic: membership, not a reply to show.
    topic8 = (tmp_path / "topics/8/messages.html").read_text(encoding="utf-8")
    assert topic8.count("In reply to") < 100


def test_a_topic_must_not_come_back(tmp_path: Path) -> None:
    chat = ChatInfo(id=1, name="F", type="public_supergroup", is_forum=True)
    records = [history.message(2, topic_id=1), history.message(3, topic_id=8), history.message(4, topic_id=1)]
    with pytest.raises(ValueError, match="not contiguous"):
        render_html(tmp_path, chat, None, records, history.locator(records))


def test_message_text_is_never_markup(tmp_path: Path) -> None:
    evil = history.EVIL
    records = [
        history.message(1, evil, **{"from": evil, "forwarded_from": evil, "author": evil, "via_bot": evil}),
        history.message(
            2,
            evil,
            reply_to_message_id=1,
            reactions=[{"type": "emoji", "count": 1, "emoji": evil}],
            file="(x)",
            file_name=evil,
            file_size=1,
        ),
        history.service(3, "topic_created", title=evil),
        dict(
            history.message(4),
            text=[
                {"type": "text_link", "text": evil, "href": "javascript:alert(1)"},
                {"type": "pre", "text": evil, "language": '"><script>'},
                {"type": "link", "text": "data:text/html,<script>alert(1)</script>"},
            ],
        ),
    ]
    chat = ChatInfo(id=1, name=evil, type="private_group")
    render_html(tmp_path, chat, [], records, history.locator(records))
    raw = (tmp_path / "messages.html").read_text(encoding="utf-8")
    page = Page(raw)
    # The archive's own script is the only one.
    assert raw.lower().count("<script") == 1 and '<script src="js/archive.js" data-root="" defer>' in raw
    assert page.tags["script"] == 1 and page.tags["img"] == 0
    assert "onerror" not in page.attributes
    assert "javascript:" not in raw and "data:text" not in raw.replace("data:text/html,&lt;", "")
    assert all(not v.startswith(("javascript", "data")) for _, _, v in page.links)


def test_format_text_entities() -> None:
    text = [
        "x < y ",
        {"type": "bold", "text": "b"},
        {"type": "italic", "text": "i"},
        {"type": "underline", "text": "u"},
        {"type": "strikethrough", "text": "s"},
        {"type": "code", "text": "<c>"},
        {"type": "pre", "text": "p", "language": "py"},
        {"type": "text_link", "text": "site", "href": "https://example.com/?a=1&b=2"},
        {"type": "text_link", "text": "bad", "href": "javascript:alert(1)"},
        {"type": "link", "text": "example.org/path"},
        {"type": "email", "text": "a@b.co"},
        {"type": "mention", "text": "@ann"},
        {"type": "mention_name", "text": "Bob", "user_id": 6},
        {"type": "spoiler", "text": "secret"},
        {"type": "blockquote", "text": "q", "collapsed": True},
        {"type": "custom_emoji", "text": "👍", "document_id": "1"},
    ]
    assert format_text(text) == (
        "x &lt; y <strong>b</strong><em>i</em><u>u</u><s>s</s><code>&lt;c&gt;</code>"
        '<pre data-language="py">p</pre>'
        '<a href="https://example.com/?a=1&amp;b=2">site</a>'
        '<span class="link">bad</span>'
        '<a href="http://example.org/path">example.org/path</a>'
        '<a href="mailto:a@b.co">a@b.co</a>'
        '<a href="tg://resolve?domain=ann">@ann</a>'
        '<a href="tg://user?id=6">Bob</a>'
        '<span class="spoiler">secret</span>'
        '<blockquote class="collapsed">q</blockquote>'
        '<span class="custom_emoji">👍</span>'
    )


def test_no_external_resources(tmp_path: Path) -> None:
    records = history.plain_history(30)
    render_html(
        tmp_path, ChatInfo(id=1, name="C", type="private_group"), None, records, history.locator(records)
    )
    css = (tmp_path / "css/style.css").read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css and "http" not in css
    pages = parse_site(tmp_path)
    script = (tmp_path / "js/archive.js").read_text(encoding="utf-8")
    assert "http" not in script and "fetch(" not in script and "innerHTML" not in script
    for page in pages.values():
        assert [v for tag, _, v in page.links if tag == "script"] == ["js/archive.js"]
        assert page.tags["iframe"] == 0
        assert [v for tag, _, v in page.links if tag == "link"] == ["css/style.css"]
    check_links(pages)


def test_service_messages_read_as_sentences() -> None:
    for _, action, fields, _ in cases.SERVICE_CASES + cases.ACTORLESS_CASES:
        rec = cases.record(tl_factory.service(action, 20, **fields))
        text = service_text(rec)
        assert text and "{" not in text and "None" not in text, (rec, text)
    pin = cases.record(tl_factory.service(tl.MessageActionPinMessage(), reply_to=cases.reply(9)))
    assert service_text(pin) == "Ann Lee pinned a message"
    assert service_link_target(pin) == 9
