"""The HTML archive as a reader meets it: chats exported by the real exporter (Telethon against the
sandbox over TCP), unzipped, opened from file:// in a real headless Chromium driven over DevTools.

Checked as a person would: the forum's index (topic colours, a right-to-left title laid out right to
left, a dark theme when the system asks), a topic page and a chat of three pages ("Page 2 of 3"),
the search box finding a message on another page and in another topic (typed in, its result link
followed), a reply link whose target ends up fully visible below the sticky header, times in the
reader's time zone, and a phone's width without sideways scrolling; then a page of every kind of
message from the small, service-actions and hostile scenarios.

Screenshots go to $SCREENSHOT_DIR when set (``SCREENSHOT_DIR=docs/screenshots pytest tests/render``
refreshes the ones in the repository), else into the test's own folder.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from telethon import TelegramClient

from exporter.render.html_search import searchable
from sandbox.world import World, build_scenario
from sandbox.world.scenarios import ChatSpec, WorldSpec, build_world
from tests.exporter.test_export_e2e import run_export
from tests.exporter.test_render_html import check_links, parse_site
from tests.render.browser import Tab, chromium, find_chromium
from tests.render.test_browser_media import DESKTOP, OVERFLOW, PHONE, shots

Record = dict[str, Any]
DAY = 86_400
# Where the jumped-to message is, against the header and the window.
VISIBLE = """(() => {
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  const header = document.querySelector('.page_header').getBoundingClientRect();
  const box = target.getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, header: header.bottom, height: window.innerHeight,
          hash: location.hash, path: location.pathname};
})()"""
# Scroll to where 25 messages in a row hold the most kinds of message and of parts; how many kinds.
MOST_KINDS = """(() => {
  const kinds = ['.forwarded', '.reply_to', '.media', '.poll', '.reactions', '.buttons', '.signature',
                 '.edited', '.joined', '.message.service:not(.date_separator)', '.service_photo'];
  const all = [...document.querySelectorAll('.history > .message:not(.date_separator)')];
  let best = 0, at = 0;
  for (let i = 0; i < all.length; i++) {
    const seen = new Set();
    for (const m of all.slice(i, i + 25)) for (const k of kinds) if (m.matches(k) || m.querySelector(k)) seen.add(k);
    if (seen.size > best) { best = seen.size; at = i; }
  }
  all[at].scrollIntoView();
  window.scrollBy(0, -document.querySelector('.page_header').offsetHeight - 8);
  return best;
})()"""
SETTLED = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


def archive_world() -> World:
    """A forum like the small scenario's, and a chat of 2,500 messages (three pages) about 3.5 minutes
    apart (this seed starts it on day 28 of the 35), so that one sender's messages often follow each
    other within Desktop's 15 minutes, over six days."""
    start = 1_735_689_600  # 2025-01-01 UTC
    return build_world(
        WorldSpec(
            seed=7,
            contacts=14,
            start=start,
            end=start + 35 * DAY,
            chats=[
                ChatSpec("forum", "Project Forum", username="archive_forum_sandbox", messages=500, topics=11),
                ChatSpec("supergroup", "Long Talk", username="long_talk_sandbox", messages=2500, members=6),
            ],
        )
    )


@pytest.fixture
def world(request: pytest.FixtureRequest) -> World:
    name = getattr(request, "param", "archive")
    return archive_world() if name == "archive" else build_scenario(name)


def fold(text: str) -> str:
    """The script's folding of case and accents (html_script.py), for the expected matches."""
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.category(ch).startswith("M")
    )
    return re.sub(r"\s+", " ", bare.lower())


async def export(
    client: TelegramClient, target: str, into: Path
) -> tuple[Path, list[Record], dict[str, Any]]:
    """The chat exported (JSON, HTML, Markdown) and unzipped: (folder, messages, result.json)."""
    result = await run_export(client, target, into / "zips", formats=("json", "html", "md"))
    assert result.complete and len(result.parts) == 1
    root = into / "unzipped"
    with zipfile.ZipFile(result.parts[0].path) as zf:
        zf.extractall(root)
    document = json.loads((root / "result.json").read_text(encoding="utf-8"))
    pages = parse_site(root)
    # Links in the texts leave the archive (http, tg, mailto); everything else resolves within it.
    for page in pages.values():
        page.links = [
            link for link in page.links if urlsplit(link[2]).scheme not in ("http", "https", "tg", "mailto")
        ]
    assert check_links(pages) > 0
    return root, document["messages"], document


def rarest(messages: list[Record], candidates: list[Record]) -> tuple[Record, str, int]:
    """The ordinary message among ``candidates`` whose first three words find the fewest messages:
    (it, the query, how many)."""
    texts = [fold(searchable(m)) for m in messages]
    best: tuple[Record, str, int] | None = None
    for message in (c for c in candidates if c["type"] == "message"):
        # Words of letters, so that a person reads the query in the screenshot.
        words = [w for w in fold(searchable(message)).split() if w.isalpha()][:3]
        if len(words) < 2:
            continue
        found = sum(all(w in text for w in words) for text in texts)
        if best is None or found < best[2]:
            best = (message, " ".join(words), found)
    assert best is not None
    return best


async def search_and_follow(tab: Tab, query: str, message: Record, found: int, shot: Path) -> None:
    """Type ``query``, expect ``found`` results (as many as the page lists, 100 at most) among them
    ``message``, follow its link and see the message below the header."""
    await tab.type(".search input", query)
    status = await tab.wait_for(
        "(() => { const s = document.querySelector('.result_status'); "
        "return s && / found$/.test(s.textContent) && s.textContent; })()"
    )
    assert status.endswith(f"{found:,} message{'' if found == 1 else 's'} found"), status
    links = await tab.evaluate("[...document.querySelectorAll('.search_results a.result')].map(a => a.href)")
    assert len(links) == min(found, 100)
    link = next(href for href in links if href.endswith(f"#message{message['id']}"))
    await tab.evaluate(SETTLED)
    await tab.screenshot(shot)
    here = await tab.evaluate("location.pathname")
    await tab.click(
        f'.search_results a.result[href$="#message{message["id"]}"]', navigates=urlsplit(link).path != here
    )
    await tab.evaluate(SETTLED)
    await fully_visible(tab, message["id"])
    assert unquote(urlsplit(link).path) == unquote(await tab.evaluate("location.pathname"))


async def fully_visible(tab: Tab, msg_id: int) -> None:
    where = await tab.evaluate(VISIBLE)
    assert where["hash"] == f"#message{msg_id}", where
    # Below the sticky header, and within the window (the sandbox's messages are shorter than it).
    assert where["header"] - 0.5 <= where["top"] and where["bottom"] <= where["height"] + 0.5, where


async def no_sideways_scroll(tab: Tab, url: str) -> None:
    await tab.open(url, width=PHONE[0], height=PHONE[1], mobile=True)
    overflow = await tab.evaluate(OVERFLOW)
    assert overflow["scroll"] <= overflow["width"] == PHONE[0] and not overflow["wide"], overflow


@pytest.mark.parametrize("world", ["archive"], indirect=True)
async def test_the_archive_reads_like_telegram_in_a_real_browser(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    find_chromium()  # skip here (fail in CI) before exporting when there is no browser
    forum, forum_messages, forum_json = await export(client, "@archive_forum_sandbox", tmp_path / "forum")
    talk, talk_messages, _ = await export(client, "@long_talk_sandbox", tmp_path / "talk")
    out = shots(tmp_path)
    topics = {t["id"]: t for t in forum_json["topics"]}

    async with chromium(tmp_path / "profile") as browser:
        tab = await browser.tab()
        await tab.emulate(timezone="UTC")

        # The index: each topic's icon in its colour, right-to-left titles laid out right to left.
        index = (forum / "index.html").as_uri()
        await tab.open(index, width=DESKTOP[0], height=DESKTOP[1])
        icons = await tab.evaluate(
            "[...document.querySelectorAll('.topic')].map(t => [t.querySelector('a').getAttribute('href'), "
            "getComputedStyle(t.querySelector('.topic_icon')).backgroundColor, "
            "getComputedStyle(t.querySelector('a')).direction, t.querySelector('a').textContent])"
        )
        assert len(icons) == len(topics)
        for href, colour, direction, title in icons:
            topic = topics[int(href.split("/")[1])]
            rgb = topic["icon_color"] or 0x70777B
            assert colour == f"rgb({rgb >> 16}, {(rgb >> 8) & 255}, {rgb & 255})", (title, colour)
            right_to_left = unicodedata.bidirectional(title.strip()[0]) in ("R", "AL")
            assert direction == ("rtl" if right_to_left else "ltr"), title
        assert any(d == "rtl" for _, _, d, _ in icons), "the forum should have a right-to-left title"
        await tab.screenshot(out / "archive-index.png")

        # Dark when the system is dark.
        await tab.emulate(dark=True)
        await tab.open(index, width=DESKTOP[0], height=DESKTOP[1])
        assert await tab.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(14, 22, 33)"
        await tab.screenshot(out / "archive-index-dark.png")
        await tab.emulate(dark=False)

        # A topic page, and from it the search finds a message of another topic.
        first_topic = max(topics, key=lambda t: topics[t]["message_count"])
        topic_page = forum / "topics" / str(first_topic) / "messages.html"
        await tab.open(topic_page.as_uri(), width=DESKTOP[0], height=DESKTOP[1])
        await tab.screenshot(out / "archive-topic.png")
        elsewhere = [m for m in forum_messages if m.get("topic_id") not in (first_topic, None)]
        message, query, found = rarest(forum_messages, elsewhere)
        await search_and_follow(tab, query, message, found, out / "archive-search.png")
        assert f"/topics/{message['topic_id']}/" in await tab.evaluate("location.pathname")
        await tab.screenshot(out / "archive-search-found.png")

        # A reply to another topic or page: the message replied to, whole, below the header.
        for width, height, mobile in ((*DESKTOP, False), (*PHONE, True)):
            source = next(
                (page, link)
                for page in sorted(forum.rglob("messages*.html"))
                for link in re.findall(
                    r'class="reply_to details">In reply to <a href="([^"#]+#message\d+)"', page.read_text()
                )
            )
            await tab.open(source[0].as_uri(), width=width, height=height, mobile=mobile)
            label = await tab.evaluate(
                f"document.querySelector('.reply_to a[href=\"{source[1]}\"]').textContent"
            )
            target = int(source[1].rsplit("#message", 1)[1])
            replied = next(m for m in forum_messages if m["id"] == target)
            assert label.startswith(f"{replied.get('from') or replied.get('actor')}: "), label
            await tab.click(f'.reply_to a[href="{source[1]}"]', navigates=True)
            await tab.evaluate(SETTLED)
            await fully_visible(tab, target)
            await tab.screenshot(out / f"archive-reply-jump{'-phone' if mobile else ''}.png")

        # A chat of three pages: the header counts them, and the search finds a message on page 3.
        first = (talk / "messages.html").as_uri()
        await tab.open(first, width=DESKTOP[0], height=DESKTOP[1])
        assert "Page 1 of 3" in await tab.evaluate("document.querySelector('.page_header').innerText")
        third = (talk / "messages3.html").read_text(encoding="utf-8")
        on_third = [m for m in talk_messages if f'id="message{m["id"]}"' in third]
        message, query, found = rarest(talk_messages, on_third)
        await search_and_follow(tab, query, message, found, out / "archive-search-pages.png")
        assert (await tab.evaluate("location.pathname")).endswith("/messages3.html")
        assert "Page 3 of 3" in await tab.evaluate("document.querySelector('.page_header').innerText")
        joined = await tab.evaluate("document.querySelectorAll('.message.joined').length")
        assert joined > 0, "one sender's messages a few minutes apart are joined"

        # Times in the reader's zone (Kathmandu, UTC+05:45), said in the header and the tooltips.
        await tab.emulate(timezone="Asia/Kathmandu")
        await tab.open(first, width=DESKTOP[0], height=DESKTOP[1])
        times = await tab.evaluate(
            "[...document.querySelectorAll('.message.default .date time')].slice(0, 50)"
            ".map(t => [t.getAttribute('datetime'), t.textContent, t.title])"
        )
        zone = ZoneInfo("Asia/Kathmandu")
        # The browser's own name of the zone (Chromium's ICU calls it Asia/Katmandu).
        named = await tab.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
        for instant, text, title in times:
            local = dt.datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(zone)
            assert text == local.strftime("%H:%M"), (instant, text)
            assert f"{named} (UTC+05:45)" in title and f"{instant[:10]} {instant[11:19]} UTC" in title
        header = await tab.evaluate("document.querySelector('.zone').textContent")
        assert header == f"Times in your time zone, {named} (UTC+05:45)"
        # Each day separator names the local day of the message after it.
        days = await tab.evaluate(
            "[...document.querySelectorAll('.date_separator')].map(s => [s.textContent, "
            "(s.nextElementSibling.querySelector('.date time, [data-utc]').getAttribute('datetime') "
            "|| s.nextElementSibling.querySelector('[data-utc]').getAttribute('data-utc'))])"
        )
        assert len(days) >= 2
        for label, instant in days:
            local = dt.datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(zone)
            assert label == f"{local.day} {local:%B %Y}", (label, instant)
        await tab.screenshot(out / "archive-local-time.png")
        await tab.emulate(timezone="UTC")

        # A phone: nothing scrolls sideways.
        for page, name in (
            (forum / "index.html", "index"),
            (topic_page, "topic"),
            (talk / "messages2.html", "chat"),
        ):
            await no_sideways_scroll(tab, page.as_uri())
            await tab.screenshot(out / f"archive-{name}-phone.png")


# The names whose text does not start at their box's left edge.
NAMES_PUSHED_RIGHT = """[...document.querySelectorAll('.from_name')].filter(e => {
    const range = document.createRange(); range.selectNodeContents(e);
    return range.getBoundingClientRect().left - e.getBoundingClientRect().left > 2;
}).map(e => e.textContent)"""

# A chat of each scenario with many kinds of message.
EVERY_KIND = {
    "small": "-1561582529",  # Family & friends: media, polls, forwards, replies, service messages
    "service-actions": "-2947962993",  # Flatmates: the service actions of a group
    "hostile": "@hostile_group_sandbox",  # markup, scripts and bidi tricks in names and texts
}


@pytest.mark.parametrize("world", list(EVERY_KIND), indirect=True)
async def test_every_kind_of_message_reads_in_a_real_browser(
    client: TelegramClient, world: World, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    find_chromium()
    scenario = request.node.callspec.params["world"]
    await client.get_dialogs(limit=None)
    root, messages, _ = await export(client, EVERY_KIND[scenario], tmp_path)
    out = shots(tmp_path)
    async with chromium(tmp_path / "profile") as browser:
        tab = await browser.tab()
        url = (root / "messages.html").as_uri()
        await tab.open(url, width=DESKTOP[0], height=DESKTOP[1])
        # Only the archive's script runs: nothing in a name or a text became an element that acts.
        assert await tab.evaluate("document.documentElement.classList.contains('js')")
        scripts = await tab.evaluate("[...document.scripts].map(s => s.getAttribute('src'))")
        assert scripts == ["js/archive.js"], scripts
        acting = "document.querySelectorAll('[onerror], [onload], [onclick], iframe, object, embed').length"
        assert await tab.evaluate(acting) == 0
        shown = await tab.evaluate(
            "document.querySelectorAll('.history > .message:not(.date_separator)').length"
        )
        assert shown == len(messages)
        # Every sender's name starts at the left of its message, a right-to-left one too (dir="auto"
        # alone would push it to the right, under the time).
        pushed = await tab.evaluate(NAMES_PUSHED_RIGHT)
        assert pushed == [], pushed
        await tab.screenshot(out / f"archive-{scenario}.png")
        # A tall window on the 25 messages that show the most kinds of message and of parts of one.
        await tab.open(url, width=DESKTOP[0], height=2000)
        kinds = await tab.evaluate(MOST_KINDS)
        assert kinds >= 4, kinds
        await tab.evaluate(SETTLED)
        await tab.screenshot(out / f"archive-{scenario}-kinds.png")

        # The search's results are text: a word of the first text found, its results only links and marks.
        word = next(w for m in messages for w in fold(searchable(m)).split() if len(w) > 3)
        await tab.type(".search input", word)
        await tab.wait_for("/ found$/.test(document.querySelector('.result_status')?.textContent || '')")
        kinds = await tab.evaluate(
            "[...new Set([...document.querySelectorAll('.search_results *')].map(e => e.tagName))].sort()"
        )
        assert set(kinds) <= {"A", "DIV", "MARK", "SPAN"}, kinds
        srcs = await tab.evaluate("[...document.scripts].map(s => s.getAttribute('src'))")
        assert all(s == "js/archive.js" or re.fullmatch(r"search/\d+\.js", s) for s in srcs), srcs
        assert await tab.evaluate(acting) == 0

        await no_sideways_scroll(tab, url)
        await tab.screenshot(out / f"archive-{scenario}-phone.png")
