"""Hostile content (sandbox scenario "hostile"): adversarial titles, names, topics, texts, links and file
names, exported by real Telethon from the sandbox DCs into JSON, HTML and Markdown.

Nothing lost: every message once in every format, its text exactly as sent. Nothing live: no script,
event handler or dangerous link from content in the HTML or in what a Markdown viewer would render, and
every archive member stays inside the archive under a visible name.
"""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
import zipfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pytest
from telethon import TelegramClient

from exporter.export import ExportResult, export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.world import Chat, World, build_scenario, expected_messages
from sandbox.world.hostile import TEXTS
from tests.bot.conftest import Product

DANGEROUS_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")
LIVE_TAGS = frozenset({"script", "iframe", "object", "embed", "svg", "form", "base"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "background", "poster"})
# Tags a browser loads without a click: allowed only for a file of the archive itself.
LOADING_TAGS = frozenset({"img", "video", "audio", "source"})


@pytest.fixture
def world() -> World:
    return build_scenario("hostile")


def _scheme_of(url: str) -> str:
    # Browsers drop whitespace and control characters inside a scheme: "java\tscript:" is javascript:.
    return "".join(ch for ch in url if ch > " " and ch != "\x7f").lower()


class LiveMarkup(HTMLParser):
    """Collects what a browser would run or follow, and the text it would show."""

    def __init__(self, page: str = "", members: frozenset[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        # The page's folder inside the archive and the archive's files: what a media tag may load.
        self.folder = posixpath.dirname(page)
        self.members = members
        self.problems: list[str] = []
        self.text: list[str] = []
        self.anchors: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in LIVE_TAGS and not self._archives_own(tag, dict(attrs)):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (tag == "meta" and name == "http-equiv"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and _scheme_of(value or "").startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "id" and value and value.startswith("message"):
                self.anchors[value] += 1
            if tag in LOADING_TAGS and name in ("src", "poster") and not self._in_archive(value or ""):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def _archives_own(self, tag: str, attrs: dict[str, str | None]) -> bool:
        """The archive's own live parts (exporter/render/html_page.py): its script, loaded from one of
        its files (never inline: hostile text could only ever become inline), and its search box,
        a form that submits nowhere."""
        if tag == "script":
            return self._in_archive(attrs.get("src") or "")
        if tag == "form":
            return attrs.get("class") == "search" and "action" not in attrs
        return False

    def _in_archive(self, url: str) -> bool:
        """A relative URL naming one of the archive's own files (percent-encoded, never leaving it)."""
        if not url or ":" in url.split("/", 1)[0] or url.startswith(("/", "\\")):
            return False
        path = posixpath.normpath(posixpath.join(self.folder, unquote(url)))
        return not path.startswith("../") and path in self.members

    def handle_data(self, data: str) -> None:
        self.text.append(data)


_MD_LINK = re.compile(r"(?<!\\)\]\((<[^>]*>|[^)\s]*)")
_MD_RAW_HTML = re.compile(r"(?<!\\)(?<!\]\()<[A-Za-z!/?]")
# The writer's own anchor at the start of a message (exporter/render/markdown.py): an id of digits, no
# attribute a title could fill; removed before looking for raw HTML, so any other tag still counts.
_MD_OWN_ANCHOR = re.compile(r'^<a id="\^msg-\d+"></a>')


def markdown_problems(text: str) -> list[str]:
    """Raw HTML and dangerous links a CommonMark viewer would render, outside code fences and the
    front matter (whose values must be JSON strings, so no title can add a key)."""
    problems: list[str] = []
    lines = text.split("\n")
    if lines[0] == "---":
        end = lines.index("---", 1)
        for line in lines[1:end]:
            key, _, value = line.partition(": ")
            if value.startswith('"'):
                json.loads(value)
            elif not re.fullmatch(r"[-\w:.]+", value):
                problems.append(f"front matter {key}: {value!r}")
        lines = lines[end + 1 :]
    fence = ""
    for line in lines:
        if fence:
            if line.strip() and set(line.strip()) == {"`"} and len(line.strip()) >= len(fence):
                fence = ""
            continue
        opening = re.match(r"^(`{3,})", line)
        if opening:
            fence = opening[1]
            continue
        own = _MD_OWN_ANCHOR.match(line)
        rest = line[own.end() :] if own else line
        problems += [f"raw HTML in {line[:80]!r}" for _ in _MD_RAW_HTML.finditer(rest)]
        for match in _MD_LINK.finditer(line):
            if _scheme_of(match[1].strip("<>")).startswith(DANGEROUS_SCHEMES):
                problems.append(f"link {match[1]!r}")
    assert not fence, "a code fence is never closed"
    return problems


def plain_text(message: dict) -> str:
    text = message.get("text", "")
    return text if isinstance(text, str) else "".join(p if isinstance(p, str) else p["text"] for p in text)


def member_problems(name: str) -> list[str]:
    path = PurePosixPath(name)
    problems = []
    if path.is_absolute() or ".." in path.parts or "\\" in name or ":" in name or "\x00" in name:
        problems.append(f"{name!r} leaves the archive")
    problems += [
        f"{name!r} has a component with nothing visible in it"
        for part in path.parts
        if not any(unicodedata.category(ch)[0] in "LNPS" for ch in part.rsplit(".", 1)[0])
    ]
    return problems


async def export(client: TelegramClient, chat: Chat, out: Path) -> ExportResult:
    target = f"@{chat.username}" if chat.username else str(chat.peer_id)
    resolved = await resolve_target(client, parse_target(target))
    return await export_chat(client, resolved, ExportOptions(formats=("json", "html", "md")), out)


async def test_hostile_content_is_exported_whole_and_inert(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    await client.get_dialogs(limit=None)
    shown: list[str] = []
    for chat in world.chats.values():
        result = await export(client, chat, tmp_path / "out")
        assert result.complete and len(result.parts) == 1, chat.title
        expected = list(expected_messages(world, chat))
        with zipfile.ZipFile(result.parts[0].path) as archive:
            names = archive.namelist()
            assert [p for name in names for p in member_problems(name)] == []
            messages = json.loads(archive.read("result.json"))["messages"]
            assert [(m["id"], m.get("topic_id")) for m in messages] == expected, chat.title
            for message in messages:
                sent = world.message(chat, message["id"])
                assert plain_text(message) == getattr(sent, "message", "") or message["type"] == "service"
                if "poll" in message:
                    assert message["poll"]["question"] == sent.media.poll.question.text
                if "contact_information" in message:
                    assert message["contact_information"]["first_name"] == sent.media.first_name
            anchors: Counter[str] = Counter()
            for name in (n for n in names if n.endswith(".html")):
                page = LiveMarkup(name, frozenset(names))
                page.feed(archive.read(name).decode())
                assert page.problems == [], (name, page.problems[:5])
                anchors += page.anchors
                shown.append("".join(page.text))
            assert anchors == Counter(f"message{msg_id}" for msg_id, _ in expected), chat.title
            notes = Counter()
            for name in (n for n in names if n.endswith(".md")):
                text = archive.read(name).decode()
                assert markdown_problems(text) == [], (name, markdown_problems(text)[:5])
                notes.update(re.findall(r"\^msg-(\d+)$", text, re.MULTILINE))
            assert notes == Counter(str(msg_id) for msg_id, _ in expected), chat.title
    # Escaped, not dropped: the browser shows the markup as text.
    assert all(any(text.replace("\n", "") in page for page in shown) for text in TEXTS[:4])


def test_the_hand_written_encoding_serves_hostile_messages_byte_for_byte(world: World) -> None:
    for chat in world.chats.values():
        for msg_id in list(chat.slots)[:80]:
            assert world.message_refs(chat, msg_id)[0] == bytes(world.message(chat, msg_id)), (
                chat.title,
                msg_id,
            )


async def test_hostile_titles_pass_through_the_bot(product: Product, world: World) -> None:
    admin = product.admin
    forum = world.by_username("hostile_forum_sandbox")
    product.say(admin, "/export")
    picker = await product.reply(admin.id, lambda m: (m.text or "").startswith("Which chat?"))
    product.press(admin, picker, forum.title[:20])
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith(f"Export {forum.title}"))
    product.press(admin, options, "Choose topics")
    topics = await product.api.wait_for(lambda: options.text.startswith("Tap topics") and options, timeout=20)
    shown = [button["text"] for row in topics.reply_markup["inline_keyboard"] for button in row]
    assert any("<script>" in text for text in shown), shown
    product.press(admin, topics, "Done")
    await product.api.wait_for(lambda: options.text.startswith("Export"), timeout=20)
    product.press(admin, options, "▶ Export")
    messages = await product.archive(admin.id)
    assert [(m["id"], m.get("topic_id")) for m in messages] == list(expected_messages(world, forum))
    done = next(text for text in product.bot_texts(admin.id) if text.startswith("Done:"))
    assert forum.title in done
