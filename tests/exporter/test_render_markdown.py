from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from exporter.render.markdown import render_markdown
from exporter.render.markdown_text import escape_md, format_text
from exporter.render.model import ChatInfo, TopicInfo
from tests.exporter import history

BLOCK_ID = re.compile(r" \^(msg-\d+)$", re.MULTILINE)
SPECIALS = set("\\`*_[]<>#|~=$%^&")
# A CommonMark reader, as ordinary Markdown viewers are.
COMMONMARK = MarkdownIt("commonmark")
HTML_ID = re.compile(r' id="([^"]*)"')


def front_matter(text: str) -> dict[str, str]:
    head = text.split("---\n")[1]
    return dict(line.split(": ", 1) for line in head.strip().splitlines())


def links(path: Path) -> list[tuple[Path, str]]:
    """(file, decoded fragment) of every link in a Markdown file, as a CommonMark reader reads it."""
    found = []
    for block in COMMONMARK.parse(path.read_text(encoding="utf-8")):
        for token in block.children or ():
            if token.type == "link_open":
                parts = urlsplit(str(token.attrs["href"]))
                if not parts.scheme:
                    target = (path.parent / unquote(parts.path)).resolve() if parts.path else path.resolve()
                    found.append((target, unquote(parts.fragment)))
    return found


def check_vault(files: list[Path]) -> dict[str, set[str]]:
    """Block ids are unique across the vault, and every message link lands on one: in Obsidian on
    the block id its fragment names, in a CommonMark reader on the element of that id."""
    ids: dict[Path, set[str]] = {}
    anchors: dict[Path, set[str]] = {}
    seen: set[str] = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = BLOCK_ID.findall(text)
        assert len(found) == len(set(found)), f"duplicate block ids in {path}"
        assert not seen & set(found)
        seen |= set(found)
        ids[path.resolve()] = set(found)
        anchors[path.resolve()] = set(HTML_ID.findall(COMMONMARK.render(text)))
    count = 0
    for path in files:
        for target, fragment in links(path):
            if not fragment.startswith("^msg-"):
                continue
            assert fragment[1:] in ids[target], f"{target.name}#{fragment} in {path.name}: no such block"
            assert fragment in anchors[target], f"{target.name}#{fragment} in {path.name}: no such anchor"
            count += 1
    assert count > 0
    return {path.stem: found for path, found in ids.items()}


def test_chat_file_with_block_ids_and_working_reply_links(tmp_path: Path) -> None:
    records = history.plain_history(2500)
    chat = ChatInfo(id=42, name="My / chat: <b>", type="private_group")
    files = render_markdown(tmp_path, chat, None, iter(records), history.locator(records))
    assert [p.name for p in files] == ["My _ chat_ _b_.md"]
    ids = check_vault(files)
    assert len(ids["My _ chat_ _b_"]) == 2500
    text = files[0].read_text(encoding="utf-8")
    meta = front_matter(text)
    assert meta["chat"] == '"My / chat: <b>"'
    assert meta["messages"] == "2500"
    assert meta["first_message"] == records[0]["date"]
    assert text.count("\n## ") == len({r["date"][:10] for r in records})
    assert "*In reply to a message not in this export*" in text
    assert not list(tmp_path.rglob("*.part"))


def test_forum_files_per_topic_with_index(tmp_path: Path) -> None:
    topic_ordered, _ = history.forum_history({1: 120, 8: 60, 15: 30})
    topics = [
        TopicInfo(id=1, title="General"),
        TopicInfo(id=8, title="Plans #1 [draft]", closed=True),
        TopicInfo(id=15, title="../../etc"),
        TopicInfo(id=99, title="CON"),
    ]
    chat = ChatInfo(id=-1000000000077, name="Forum", type="public_supergroup", is_forum=True)
    files = render_markdown(tmp_path, chat, topics, iter(topic_ordered), history.locator(topic_ordered))
    names = sorted(p.relative_to(tmp_path).as_posix() for p in files)
    assert names == [
        "index.md",
        "topics/1 - General.md",
        "topics/15 - _.._etc.md",
        "topics/8 - Plans _1 _draft_.md",
        "topics/99 - _CON.md",
    ]
    topic_files = [p for p in files if p.parent.name == "topics"]
    ids = check_vault(topic_files)
    assert len(ids["1 - General"]) == 120
    assert len(ids["99 - _CON"]) == 0
    cross = [target for p in topic_files for target, _ in links(p) if target != p.resolve()]
    assert cross, "replies should cross topics"
    meta = front_matter((tmp_path / "topics/8 - Plans _1 _draft_.md").read_text(encoding="utf-8"))
    assert (meta["topic"], meta["topic_id"], meta["messages"], meta["chat_id"]) == (
        '"Plans #1 [draft]"',
        "8",
        "60",
        "77",
    )
    index = (tmp_path / "index.md").read_text(encoding="utf-8")
    assert {target for target, _ in links(tmp_path / "index.md")} == {p.resolve() for p in topic_files}
    assert "[Plans \\#1 \\[draft\\]](topics/8%20-%20Plans%20_1%20_draft_.md)" in index
    assert "(closed)" in index and "— 0 messages" in index


def test_a_topic_must_not_come_back(tmp_path: Path) -> None:
    chat = ChatInfo(id=1, name="F", type="public_supergroup", is_forum=True)
    records = [history.message(2, topic_id=1), history.message(3, topic_id=8), history.message(4, topic_id=1)]
    with pytest.raises(ValueError, match="not contiguous"):
        render_markdown(tmp_path, chat, None, records, history.locator(records))


@pytest.mark.parametrize(
    "text",
    [
        history.EVIL,
        "**bold** _it_ `code` ~~s~~ ==mark== $x$ %%hidden%% [[Page]] ![img](x) <b>html</b> &amp;",
        "# heading\n- item\n+ item\n1. first\n2) second\n    indented code\n\tTabbed\n---\n> quote",
        "^msg-1 #tag | cell | \\ backslash",
    ],
)
def test_escaped_text_has_no_markup(text: str) -> None:
    escaped = escape_md(text)
    bare = re.sub(r"\\.", "", escaped)
    assert not SPECIALS & set(bare), bare
    for line in bare.split("\n"):
        assert not re.match(r"[ \t]*([-+][ \t]|\d+[.)]|[ \t]{4})", line), line


def test_format_text_entities() -> None:
    text = [
        "a ",
        {"type": "bold", "text": " b "},
        {"type": "italic", "text": "i*"},
        {"type": "strikethrough", "text": "s"},
        {"type": "underline", "text": "u"},
        {"type": "spoiler", "text": "sp"},
        {"type": "code", "text": "x`y"},
        {"type": "pre", "text": "print(1)\n```", "language": "py thon"},
        {"type": "blockquote", "text": "q1\nq2", "collapsed": False},
        {"type": "text_link", "text": "site", "href": "https://e.com/a b>"},
        {"type": "text_link", "text": "bad", "href": "javascript:alert(1)"},
        {"type": "email", "text": "a@b.co"},
        {"type": "mention", "text": "@ann_b"},
    ]
    assert format_text(text) == (
        "a  **b** *i\\**~~s~~<u>u</u>"
        '<span class="spoiler">sp</span>'
        "``x`y``"
        "\n````python\nprint(1)\n```\n````\n"
        "\n> q1\n> q2\n"
        "[site](<https://e.com/a b%3E>)"
        "bad"
        "[a@b.co](<mailto:a@b.co>)"
        "@ann\\_b"
    )
