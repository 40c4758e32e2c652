"""Big archives reach the user: parts as large as the Bot API takes, a file larger than a part cut like
the rest, and a warning before an export whose files would make many parts.

Real aiogram against the sandbox Bot API (at its cloud limit, 50,000,000 bytes a request); the
exports read the sandbox's DCs with real Telethon over TCP.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.delivery import DeliveryError, Destination, send_part
from db.jobs import JobPart
from exporter.archive import CLOUD_UPLOAD_LIMIT, DEFAULT_PART_SIZE
from exporter.media.selection import FILE_NOT_INCLUDED
from exporter.options import MEDIA_TYPES
from sandbox.botapi import BotAPIServer, Message
from sandbox.cluster import Cluster
from sandbox.world import FileTruth, World, build_world, expected_files
from sandbox.world.media import MediaMix, attach
from sandbox.world.scenarios import ChatSpec, WorldSpec
from tests.bot.conftest import ADMIN_ID, Product, product_running
from tests.botapi.conftest import make_bot

CHAT = "big_video_sandbox"
VIDEO_BYTES = 120_000_000
MB = 1024 * 1024


@pytest.fixture
def world() -> World:
    """A channel of 40 messages: text, some photos, and one 120 MB video."""
    world = build_world(
        WorldSpec(seed=3, contacts=2, chats=[ChatSpec("channel", "Big Video", username=CHAT, messages=40)])
    )
    (chat,) = world.chats.values()
    attach(world, chat, MediaMix(weights={"text": 3, "photo": 1}, big=(VIDEO_BYTES,)))
    return world


@pytest.fixture
async def product(cluster: Cluster, api: BotAPIServer, tmp_path: Path) -> AsyncIterator[Product]:
    """The bot warns above two parts (its default, ten, is 500 MB through the cloud Bot API)."""
    admin = api.add_user("Ada", user_id=ADMIN_ID, username="ada")
    async with product_running(cluster, api, tmp_path / "data", warn_above_parts=2) as running:
        yield Product(cluster, api, running, admin, admin, admin)


def the_video(world: World) -> FileTruth:
    (chat,) = world.chats.values()
    (video,) = (f for f in expected_files(world, chat, thumbnails=False) if f.size == VIDEO_BYTES)
    return video


def sha256_of(archive: zipfile.ZipFile, path: str) -> str:
    digest = hashlib.sha256()
    with archive.open(path) as member:
        while chunk := member.read(MB):
            digest.update(chunk)
    return digest.hexdigest()


async def warning_for_all_files(product: Product) -> Message:
    """/export, "All files" up to 500 MB, "▶ Export": the warning that comes instead of the export."""
    admin = product.admin
    product.say(admin, f"/export @{CHAT}")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Big Video"))
    product.press(admin, options, "▫️ All files")
    options = await product.reply(admin.id, lambda m: "Media: all files, up to 8 MB" in (m.text or ""))
    product.press(admin, options, "≤500 MB")
    options = await product.reply(admin.id, lambda m: "Media: all files, up to 500 MB" in (m.text or ""))
    product.press(admin, options, "▶ Export")
    return await product.reply(admin.id, lambda m: (m.text or "").startswith("A big archive"))


def labels(message: Message) -> list[str]:
    return [b["text"] for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]


async def test_a_120_mb_video_goes_out_in_parts_that_join_into_the_archive(
    product: Product, world: World
) -> None:
    admin, api = product.admin, product.api
    warning = await warning_for_all_files(product)
    # 40 messages: all read, so the estimate is the files' own sizes (the video and the photos).
    text = warning.text or ""
    assert "in 3 parts of up to 50.0 MB" in text and "all 40 messages" in text, text
    assert labels(warning)[0] == "▶ Export anyway" and labels(warning)[-1] == "◀ Back"
    assert [label.split(":")[0] for label in labels(warning)[1:-1]] == ["Photos only", "No media"]
    assert "Photos only: about" in text and ", 1 part" in text
    product.press(admin, warning, "▶ Export anyway")
    documents = await api.wait_for(
        lambda: (d := api.documents_in(admin.id)) and len(d) >= 3 and d, timeout=180
    )
    assert [d.file.size for d in documents[:2]] == [DEFAULT_PART_SIZE, DEFAULT_PART_SIZE]
    assert 0 < documents[2].file.size <= DEFAULT_PART_SIZE
    assert [Path(d.file_name).suffix for d in documents] == [".001", ".002", ".003"]
    assert "Part 1 of 3" in (documents[0].caption or "")
    # Joined as the caption says (cat NAME.zip.0* > NAME.zip): one zip, every member intact.
    whole = Path(documents[0].path).with_name("joined.zip")
    with whole.open("wb") as out:
        for document in documents:
            out.write(Path(document.path).read_bytes())
    with zipfile.ZipFile(whole) as archive:
        assert archive.testzip() is None  # every member's CRC
        written = json.loads(archive.read("manifest.json"))["media"]["files"]
        assert {path: sha256_of(archive, path) for path in written} == {
            path: entry["sha256"] for path, entry in written.items()
        }
    (video,) = (path for path, entry in written.items() if entry["size"] == VIDEO_BYTES)
    assert written[video]["sha256"] == the_video(world).sha256  # the bytes Telegram (the sandbox) has
    (job,) = await product.running.app.queue.list_for_user(admin.id)
    assert job.options["media"] == list(MEDIA_TYPES)


async def test_no_media_from_the_warning_exports_the_messages_alone(product: Product) -> None:
    admin, api = product.admin, product.api
    warning = await warning_for_all_files(product)
    product.press(admin, warning, "No media")
    messages = await product.archive(admin.id, timeout=60)
    (document,) = api.documents_in(admin.id)
    assert document.file.size < MB
    assert [m for m in messages if "file" in m or "photo" in m]
    assert all(m.get("file", FILE_NOT_INCLUDED) == FILE_NOT_INCLUDED for m in messages)
    assert all(m.get("photo", FILE_NOT_INCLUDED) == FILE_NOT_INCLUDED for m in messages)
    (job,) = await product.running.app.queue.list_for_user(admin.id)
    assert job.options["media"] == []
    # The media row still remembers the user's own choice: the warning's answer was for this export.
    product.say(admin, f"/export @{CHAT}")
    again = await product.reply(
        admin.id, lambda m: m.message_id > warning.message_id and (m.text or "").startswith("Export ")
    )
    assert "Media: all files, up to 500 MB a file" in (again.text or "")


async def test_back_returns_to_the_options_and_photos_only_needs_no_warning(product: Product) -> None:
    admin = product.admin
    warning = await warning_for_all_files(product)
    product.press(admin, warning, "◀ Back")
    options = await product.reply(
        admin.id, lambda m: m.message_id == warning.message_id and (m.text or "").startswith("Export ")
    )
    product.press(admin, options, "✅ All files")  # the preset is tapped again: nothing changes
    product.press(admin, options, "▫️ Photos")
    await product.reply(admin.id, lambda m: "Media: photos, up to 500 MB" in (m.text or ""))
    product.press(admin, options, "▶ Export")
    messages = await product.archive(admin.id, timeout=60)
    assert any(isinstance(m.get("photo"), str) and m["photo"].startswith("photos/") for m in messages)
    assert not any(t.startswith("A big archive") for t in product.bot_texts(admin.id)[-3:])


async def test_a_part_of_the_default_size_fits_with_the_longest_caption_and_name(tmp_path: Path) -> None:
    """The envelope's bound is tight: the default part goes through with the longest caption (1024
    four-byte characters) and a 255-byte name; 500 bytes more and the request is over 50,000,000.
    (Measured: 420 bytes of the bound go unused here, 258 with a 20-digit chat id and a topic.)"""
    async with BotAPIServer(tmp_path / "botapi") as api:
        assert api.upload_limit == CLOUD_UPLOAD_LIMIT
        alice = api.add_user("Alice")
        caption = "📦" * 1024
        bot = make_bot(api)
        try:
            for size, accepted in ((DEFAULT_PART_SIZE, True), (DEFAULT_PART_SIZE + 500, False)):
                part = tmp_path / f"{'n' * 247}.zip.001"
                part.unlink(missing_ok=True)
                with part.open("wb") as out:
                    out.truncate(size)
                job_part = JobPart(str(part), size, "")
                if accepted:
                    sent = await send_part(bot, Destination(alice.id), job_part, caption, bound=5)
                    assert sent.file_id is not None
                else:
                    with pytest.raises(DeliveryError, match="too large"):
                        await send_part(bot, Destination(alice.id), job_part, caption, bound=5)
        finally:
            await bot.session.close()
        assert [d.file.size for d in api.documents_in(alice.id)] == [DEFAULT_PART_SIZE]
