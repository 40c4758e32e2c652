"""Userpics with photos: a chat exported with photos (Desktop's default) by the real exporter against the
sandbox holds each sender's small profile photo once, byte for byte what Telegram serves, and the
HTML shows it in the sender's circle in a real headless Chromium; a sender without a photo keeps the
initials, and an export without photos asks for none.

Screenshots go to $SCREENSHOT_DIR when set, else into the test's own folder (tests/render/
test_browser_media.py says how to refresh the ones in docs/screenshots/).
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

from telethon import TelegramClient
from telethon.tl import types as T

from exporter.export import export_chat
from exporter.media.userpics import USERPICS_DIR, USERPICS_PHASE
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.world import World, userpics
from tests.exporter.test_export_e2e import run_export
from tests.render.browser import chromium, find_chromium
from tests.render.test_browser_media import DESKTOP, LOAD_ALL, PHONE, shots, unzip

CHAT = "@py_meetup_sandbox"
# Every userpic on the page: its sender's colour class, initials, and its photo as drawn.
USERPICS = """[...document.querySelectorAll('.userpic')].map(u => {
  const img = u.querySelector('img'), box = u.getBoundingClientRect();
  return {cls: u.className, text: u.textContent, w: box.width, h: box.height,
          src: img && img.getAttribute('src'), loaded: !!img && img.complete && img.naturalWidth > 0,
          nw: img && img.naturalWidth, iw: img && img.getBoundingClientRect().width};
})"""


def photo_id(world: World, from_id: str) -> int | None:
    """The sandbox's ground truth: the photo this sender has, if any."""
    number = int(re.sub(r"^\D+", "", from_id))
    if from_id.startswith("user"):
        return userpics.user_photo_id(world.users[number])
    chat = next(c for c in world.chats.values() if c.bare_id == number)
    return userpics.channel_photo_id(chat)


def served(world: World, from_id: str) -> bytes:
    """The small photo's bytes as upload.getFile serves them for inputPhotoFileLocation "a"."""
    pid = photo_id(world, from_id)
    assert pid is not None
    location = T.InputPhotoFileLocation(pid, userpics.photo(pid, world).access_hash, b"", "a")
    blob = userpics.blob(world, location, None)
    assert blob is not None
    return blob.read(0, blob.size)


async def test_userpics_are_the_senders_photos_in_a_real_browser(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    find_chromium()
    phases: list[str] = []
    target = await resolve_target(client, parse_target(CHAT))
    result = await export_chat(
        client, target, ExportOptions(formats=("json", "html")), tmp_path / "out",
        on_progress=lambda p: phases.append(p.phase),
    )  # fmt: skip
    assert result.complete
    # Progress says what is happening: the photos come after the files, before the pages.
    assert phases.index("media") < phases.index(USERPICS_PHASE) < phases.index("rendering")
    root = unzip(result.parts[0].path, tmp_path / "unzipped")
    messages = json.loads((root / "result.json").read_text(encoding="utf-8"))["messages"]
    senders = {m["from_id"] for m in messages if m.get("from_id")}
    with_photo = {s for s in senders if photo_id(world, s) is not None}
    assert with_photo and senders - with_photo, "the chat needs senders with and without photos"
    # Exactly the senders with a photo have one, each once, byte for byte Telegram's.
    folder = root / USERPICS_DIR
    assert {p.stem for p in folder.iterdir()} == with_photo
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for sender in with_photo:
        data = (folder / f"{sender}.jpg").read_bytes()
        assert data == served(world, sender)
        assert manifest["media"]["files"][f"{USERPICS_DIR}/{sender}.jpg"]["sha256"] == (
            hashlib.sha256(data).hexdigest()
        )

    async with chromium(tmp_path / "profile") as browser:
        tab = await browser.tab()
        url = (root / "messages.html").as_uri()
        await tab.open(url, width=DESKTOP[0], height=DESKTOP[1])
        assert await tab.evaluate(LOAD_ALL)
        drawn = await tab.evaluate(USERPICS)
        assert drawn
        photos = [u for u in drawn if u["src"]]
        initials = [u for u in drawn if not u["src"]]
        assert {Path(u["src"]).stem for u in photos} == with_photo
        # Every photo loaded (160 px, drawn in the 42 px circle); the others show initials only.
        assert all(u["loaded"] and u["nw"] == 160 and u["iw"] == u["w"] == 42 for u in photos), photos
        assert initials and all(re.fullmatch(r"\w{1,2}", u["text"]) for u in initials), initials
        first = next(m for m in messages if m.get("from_id") in with_photo)
        other = next(m for m in messages if m.get("from_id") in senders - with_photo)
        await tab.evaluate(
            f"document.getElementById('message{min(first['id'], other['id'])}').scrollIntoView();"
            "window.scrollBy(0, -document.querySelector('.page_header').offsetHeight - 8);"
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        await tab.screenshot(shots(tmp_path) / "archive-userpics.png")
        await tab.open(url, width=PHONE[0], height=PHONE[1], mobile=True)
        assert await tab.evaluate(LOAD_ALL)
        assert all(u["iw"] == u["w"] == 32 for u in await tab.evaluate(USERPICS) if u["src"])


async def test_no_photos_chosen_no_userpics_asked_for(client: TelegramClient, tmp_path: Path) -> None:
    result = await run_export(client, CHAT, tmp_path / "out", formats=("json", "html"), media=())
    assert result.complete
    with zipfile.ZipFile(result.parts[0].path) as zf:
        assert not [n for n in zf.namelist() if n.startswith(f"{USERPICS_DIR}/")]
        page = zf.read("messages.html").decode()
    assert '<div class="userpic' in page and f"{USERPICS_DIR}/" not in page
