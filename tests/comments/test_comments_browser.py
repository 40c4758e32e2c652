"""Comments in the HTML archive, as a reader meets them in a real headless Chromium: exported by the
real exporter (Telethon against the sandbox over TCP), unzipped, opened from file://."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest
from telethon import TelegramClient

from sandbox.world import World, build_scenario
from sandbox.world.discussion import HOT_COMMENTS
from tests.comments.test_export_comments import channel_truth, export, result_json
from tests.render.browser import chromium, find_chromium
from tests.render.test_browser_archive import NAMES_PUSHED_RIGHT, SETTLED
from tests.render.test_browser_media import DESKTOP, OVERFLOW, PHONE, shots

# The hot post's section opened and brought under the header, with what it shows.
OPEN_HOT = """((post) => {
  const section = document.querySelector(`#message${post} details.comments`);
  section.open = true;
  section.scrollIntoView();
  window.scrollBy(0, -document.querySelector('.page_header').offsetHeight - 8);
  const nested = [...section.querySelectorAll('.comment .reply_to a')];
  return {summary: section.querySelector('summary').textContent,
          comments: [...section.querySelectorAll('.comment')].map(c => c.id),
          visible: section.querySelector('.comment').getBoundingClientRect().height > 0,
          links: nested.map(a => a.getAttribute('href'))};
})"""


@pytest.fixture
def world() -> World:
    return build_scenario("discussion")


async def test_comments_open_under_their_post_in_a_real_browser(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    find_chromium()
    truth = channel_truth(world)
    result = await export(client, tmp_path / "out", formats=("json", "html"), media=())
    root = tmp_path / "site"
    with zipfile.ZipFile(result.parts[0].path) as zf:
        zf.extractall(root)
    hot = next(post for post, comments in truth.items() if len(comments) == HOT_COMMENTS)
    out = shots(tmp_path)
    async with chromium(tmp_path / "profile") as browser:
        tab = await browser.tab()
        url = (root / "messages.html").as_uri()
        await tab.open(url, width=DESKTOP[0], height=DESKTOP[1])
        sections = await tab.evaluate(
            "[...document.querySelectorAll('.message')].filter(m => m.querySelector('.comments'))"
            ".map(m => [Number(m.id.slice(7)), m.querySelector('.comments').tagName, "
            "m.querySelectorAll('.comment').length])"
        )
        # Every post with a section, closed by default; the empty ones say so without a toggle.
        assert {post: count for post, _, count in sections} == {p: len(c) for p, c in truth.items()}
        assert all((tag == "DETAILS") == (count > 0) for _, tag, count in sections)
        assert not await tab.evaluate("[...document.querySelectorAll('details.comments')].some(d => d.open)")
        shown = await tab.evaluate(f"({OPEN_HOT})({hot})")
        assert shown["summary"] == f"{HOT_COMMENTS} comments" and shown["visible"]
        assert shown["comments"] == [f"comment{hot}-{c}" for c in truth[hot]]
        # Replies to comments link to comments of the same section.
        assert shown["links"] and all(h.startswith(f"#comment{hot}-") for h in shown["links"])
        ids = set(shown["comments"])
        assert all(h[1:] in ids for h in shown["links"])
        # Commenters' names start at the left, right-to-left ones too (the scenario has some).
        await tab.evaluate("document.querySelectorAll('details.comments').forEach(d => { d.open = true; })")
        assert await tab.evaluate(NAMES_PUSHED_RIGHT) == []
        await tab.evaluate(SETTLED)
        await tab.screenshot(out / "archive-comments.png")
        await tab.open(url, width=PHONE[0], height=PHONE[1], mobile=True)
        await tab.evaluate(f"({OPEN_HOT})({hot})")
        wide = await tab.evaluate(OVERFLOW)
        assert wide["scroll"] <= wide["width"], wide
        await tab.evaluate(SETTLED)
        await tab.screenshot(out / "archive-comments-phone.png")

        # The search finds a comment in a closed section; its result opens the section at it.
        post, comment = _findable_comment(result_json(result))
        await tab.open(url, width=DESKTOP[0], height=DESKTOP[1])
        await tab.type(".search input", comment["text"])
        anchor = f"comment{post}-{comment['id']}"
        await tab.wait_for(f"!!document.querySelector('.search_results a.result[href$=\"#{anchor}\"]')")
        await tab.click(f'.search_results a.result[href$="#{anchor}"]', navigates=False)
        await tab.evaluate(SETTLED)
        shown = await tab.evaluate(
            f"(() => {{ const c = document.getElementById('{anchor}'); const r = c.getBoundingClientRect();"
            " return {open: c.closest('details').open, top: r.top, bottom: r.bottom, height: innerHeight,"
            " header: document.querySelector('.page_header').getBoundingClientRect().bottom}; })()"
        )
        assert shown["open"] and shown["header"] <= shown["top"] < shown["bottom"] <= shown["height"], shown
        await tab.screenshot(out / "archive-comments-search.png")
        # Chromium opens a closed section holding a link's target by itself; the page's script does
        # it for browsers that do not: the address changed without a navigation, then its event.
        assert await tab.evaluate(
            "(() => { document.querySelectorAll('details').forEach(d => { d.open = false; });"
            f" history.replaceState(null, '', '#{anchor}');"
            " window.dispatchEvent(new HashChangeEvent('hashchange'));"
            f" return document.getElementById('{anchor}').closest('details').open; }})()"
        )


def _findable_comment(document: dict) -> tuple[int, dict]:
    """A comment under a post with few comments whose plain text no other message or comment has."""
    texts: Counter[str] = Counter()
    for m in document["messages"]:
        texts[str(m.get("text"))] += 1
        for c in (m.get("comments") or {}).get("messages", []):
            texts[str(c.get("text"))] += 1
    return next(
        (m["id"], c)
        for m in document["messages"]
        if 1 < len((m.get("comments") or {}).get("messages", [])) < 20
        for c in m["comments"]["messages"]
        if isinstance(c.get("text"), str) and len(c["text"]) > 20 and texts[c["text"]] == 1
    )
