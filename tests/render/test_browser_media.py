"""The media-small chat exported by the real exporter (Telethon against the sandbox over TCP), unzipped
into a folder with an awkward name, opened from file:// in a real headless Chromium: every picture
loads, its box is its final size before it loads, the files every page and Markdown file names are
there, and at a phone's width nothing scrolls sideways.

Screenshots go to $SCREENSHOT_DIR when set (``SCREENSHOT_DIR=docs/screenshots pytest tests/render``
refreshes the ones in the repository), else into the test's own folder.
"""

from __future__ import annotations

import html
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from telethon import TelegramClient

from exporter.options import MEDIA_TYPES
from sandbox.world import World, build_scenario
from tests.exporter.test_export_e2e import run_export
from tests.exporter.test_render_html import check_links, parse_site
from tests.render.browser import Tab, chromium, find_chromium

MIB = 1024 * 1024
DESKTOP = (1280, 900)
PHONE = (390, 844)  # an iPhone 12-15's viewport in CSS pixels

# Every <img> of the page: its box as laid out now, whether it has loaded, and its picture's size.
IMAGES = """[...document.images].map(i => {
  const box = i.getBoundingClientRect();
  return {src: i.getAttribute('src'), w: box.width, h: box.height, complete: i.complete,
          nw: i.naturalWidth, nh: i.naturalHeight, below: box.top - window.innerHeight};
})"""
# Beyond Chromium's largest distance for loading a lazy picture early (LazyLoadImageDistanceThresholds:
# 4,000 px on the slowest connections), in CSS pixels below the window.
LAZY_MARGIN = 5_000
# Bring each lazy picture on screen and wait until it has loaded or failed (5 s at most each).
LOAD_ALL = """(async () => {
  for (const img of document.images) {
    img.scrollIntoView();
    await new Promise(done => {
      if (img.complete) return done();
      img.addEventListener('load', done, {once: true});
      img.addEventListener('error', done, {once: true});
      setTimeout(done, 5000);
    });
  }
  return true;
})()"""
# Whatever sticks out to the right of the window at this width.
OVERFLOW = """(() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.outerHTML.slice(0, 120));
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
})()"""


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


def unzip(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(into)
    return into


def shots(tmp_path: Path) -> Path:
    return Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else tmp_path / "shots"


async def show(tab: Tab, msg_id: int, path: Path) -> Path:
    """A screenshot with message ``msg_id`` at the top, below the page's sticky header."""
    await tab.evaluate(
        f"document.getElementById('message{msg_id}').scrollIntoView();"
        "window.scrollBy(0, -document.querySelector('.page_header').offsetHeight - 8);"
        # Two frames: the pictures scrolled into view are drawn before the shot.
        "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
    return await tab.screenshot(path)


def markdown_targets(path: Path) -> list[str]:
    found = []
    for block in MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8")):
        for token in block.children or ():
            if token.type == "image":
                found.append(str(token.attrs["src"]))
            elif token.type == "link_open" and not str(token.attrs["href"]).startswith(("http", "tg:")):
                href = str(token.attrs["href"])
                # Links to messages (a fragment) are the vault test's (tests/exporter/test_render_markdown.py).
                found += [] if "#" in href else [href]
    return found


@pytest.mark.parametrize(
    "media",
    [
        pytest.param({"media": MEDIA_TYPES, "max_file_size": 50 * MIB}, id="all-files"),
        pytest.param({}, id="desktop-defaults"),
    ],
)
async def test_an_exported_chat_shows_its_media_in_a_real_browser(
    client: TelegramClient, tmp_path: Path, media: dict[str, Any]
) -> None:
    find_chromium()  # skip here (fail in CI) before exporting when there is no browser
    result = await run_export(
        client, "@media_small_sandbox", tmp_path / "out", formats=("json", "html", "md"), **media
    )
    assert result.complete and len(result.parts) == 1
    # Unzipped anywhere: a folder whose name needs escaping in a URL.
    root = unzip(result.parts[0].path, tmp_path / "unzipped here #1 – ü & 100%")
    messages = json.loads((root / "result.json").read_text(encoding="utf-8"))["messages"]

    # Every file a page or a Markdown file names is in the archive (links checked by the HTML test's parser).
    pages = parse_site(root)
    # At least a link and a picture per photo; the rest are replies, other files and players.
    assert check_links(pages) >= 2 * sum(isinstance(m.get("photo"), str) for m in messages) > 0
    for page in pages:
        for value in re.findall(r' poster="([^"]*)"', page.read_text(encoding="utf-8")):
            value = html.unescape(value)
            target = (page.parent / unquote(urlsplit(value).path)).resolve()
            assert target.is_relative_to(root.resolve()) and target.is_file(), f"{value} on {page.name}"
    for markdown in (root / "markdown").rglob("*.md"):
        for value in markdown_targets(markdown):
            target = (markdown.parent / unquote(urlsplit(value).path)).resolve()
            assert target.is_relative_to(root.resolve()) and target.is_file(), f"{value} in {markdown.name}"

    def downloaded(rec: dict[str, Any], key: str) -> bool:
        return isinstance(rec.get(key), str) and not rec[key].startswith("(")

    photos = [m for m in messages if downloaded(m, "photo")]
    stickers = [
        m for m in messages if m.get("media_type") == "sticker" and m.get("mime_type") == "image/webp"
    ]
    shown_stickers = [m for m in stickers if downloaded(m, "file")]
    assert photos and stickers
    assert bool(shown_stickers) == ("stickers" in media.get("media", ()))

    async with chromium(tmp_path / "profile") as browser:
        tab = await browser.tab()
        url = (root / "messages.html").as_uri()
        await tab.open(url, width=DESKTOP[0], height=DESKTOP[1])
        before = await tab.evaluate(IMAGES)
        assert await tab.evaluate(LOAD_ALL)
        after = await tab.evaluate(IMAGES)
        srcs = [i["src"] for i in after]
        # Every photo and WebP sticker on the page is a picture, and each one loaded in the browser.
        assert {unquote(s) for s in srcs} >= {m["photo"] for m in photos} | {
            m["file"] for m in shown_stickers
        }
        broken = [i for i in after if not (i["complete"] and i["nw"] > 0)]
        assert not broken, broken
        # Lazy: pictures far down the page were not loaded before they came near the screen. How
        # near is Chromium's to choose (its lazy-load margin grows on a slow connection, 4,000 px at
        # most), so judged on those further down (more than half of all was once a flaky count),
        # and not on a file also shown nearer (a sender's userpic on each of their messages).
        near = {i["src"] for i in before if i["below"] <= LAZY_MARGIN}
        far = [i for i in before if i["below"] > LAZY_MARGIN and i["src"] not in near]
        assert len(far) >= 10 and not any(i["complete"] for i in far), far[:3]
        for first, last in zip(before, after, strict=True):
            # Its box had its final size before the picture came (the page did not jump) ...
            assert (first["w"], first["h"]) == (last["w"], last["h"]), last
            # ... and the picture keeps its shape in it.
            assert abs(last["w"] / last["h"] - last["nw"] / last["nh"]) < 0.02, last
        name = (media.get("media") and "all") or "defaults"
        if media:
            video = next(m for m in messages if m.get("media_type") == "video_file" and downloaded(m, "file"))
            await show(tab, video["id"], shots(tmp_path) / f"media-{name}-players.png")
        else:
            missing = next(m for m in messages if m.get("media_type") == "video_file")
            text = await tab.evaluate(f"document.getElementById('message{missing['id']}').innerText")
            assert "File not included. Change data exporting settings to download." in text
            await show(tab, missing["id"], shots(tmp_path) / f"media-{name}-not-included.png")
        await show(tab, photos[0]["id"], shots(tmp_path) / f"media-{name}-desktop.png")

        # A phone: nothing wider than the screen, pictures shrunk to fit and still in shape.
        await tab.open(url, width=PHONE[0], height=PHONE[1], mobile=True)
        assert await tab.evaluate(LOAD_ALL)
        overflow = await tab.evaluate(OVERFLOW)
        assert overflow["scroll"] <= overflow["width"] == PHONE[0] and not overflow["wide"], overflow
        for image in await tab.evaluate(IMAGES):
            assert image["w"] <= PHONE[0] and abs(image["w"] / image["h"] - image["nw"] / image["nh"]) < 0.02
        await show(tab, photos[0]["id"], shots(tmp_path) / f"media-{name}-phone.png")
