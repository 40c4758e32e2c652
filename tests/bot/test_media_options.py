"""The export screen's media rows, tapped by a person through the sandbox Bot API: the choice shows on the
screen, reaches the job's options and the archive, and is remembered for the next export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bot.handlers.media_row import MB
from db import open_database
from db.user_settings import MediaChoice, UserSettings
from exporter.options import MEDIA_TYPES
from sandbox.botapi import Message
from sandbox.world import Chat, World, build_scenario
from tests.bot.conftest import Product

NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


def media_group(world: World) -> Chat:
    chat = world.by_username("media_small_sandbox")
    assert isinstance(chat, Chat)
    return chat


def buttons(message: Message) -> list[str]:
    return [b["text"] for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]


async def screen(product: Product, chat: int, line: str) -> Message:
    """The bot's options screen once it shows ``line``."""
    return await product.reply(
        chat, lambda m: (m.text or "").startswith("Export ") and line in (m.text or "")
    )


async def test_all_files_up_to_50_mb_reach_the_archive_and_are_remembered(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export @media_small_sandbox")
    options = await screen(product, admin.id, "Media: photos, up to 8 MB a file")
    # Desktop's defaults first; one tap for each common choice, every button's data within 64 bytes.
    assert {"✅ Photos", "▫️ No media", "▫️ All files", "✅ ≤8 MB", "≤50 MB", "≤500 MB", "≤4000 MB"} <= set(
        buttons(options)
    )
    assert all(len(data.encode()) <= 64 for data in options.button_data())
    product.press(admin, options, "▫️ All files")
    options = await screen(product, admin.id, "Media: all files, up to 8 MB a file")
    product.press(admin, options, "≤50 MB")
    options = await screen(product, admin.id, "Media: all files, up to 50 MB a file")
    assert "✅ All files" in buttons(options) and "✅ ≤50 MB" in buttons(options)
    product.press(admin, options, "▶ Export")
    messages = await product.archive(admin.id, timeout=120)

    (job,) = await product.running.app.queue.list_for_user(admin.id)
    assert job.options["media"] == list(MEDIA_TYPES) and job.options["max_file_size"] == 50 * MB
    kinds = {m.get("media_type") for m in messages if isinstance(m.get("file"), str)}
    assert {"video_file", "voice_message", "video_message", "animation", "sticker", "audio_file"} <= kinds
    for message in messages:
        for key in ("photo", "file"):
            assert message.get(key, "") != NOT_INCLUDED, message  # every kind chosen, none over 50 MB
    document = product.api.documents_in(admin.id)[-1]
    with zipfile.ZipFile(document.path) as zf:
        names = set(zf.namelist())
    for message in messages:
        for key in ("photo", "file", "thumbnail"):
            value = message.get(key)
            if isinstance(value, str) and not value.startswith("("):
                assert value in names

    # The next export starts from the same choice.
    product.say(admin, "/export @media_small_sandbox")
    again = await product.reply(
        admin.id, lambda m: m.message_id > options.message_id and (m.text or "").startswith("Export ")
    )
    assert "Media: all files, up to 50 MB a file" in (again.text or "")
    product.say(admin, "/settings")
    settings = await product.reply(admin.id, lambda m: (m.text or "").startswith("Time zone: UTC."))
    assert "Media: all files, up to 50 MB a file (the /export screen changes it)." in (settings.text or "")


async def test_no_media_downloads_nothing_and_hides_the_size_row(product: Product, world: World) -> None:
    member = product.member
    group = media_group(world)
    # Members export the chats an admin shared (tests/faults/test_policy.py).
    await product.running.app.shared.share(group.peer_id, group.title, "public_supergroup", product.admin.id)
    product.say(member, "/export @media_small_sandbox")
    options = await screen(product, member.id, "Media: photos")
    product.press(member, options, "▫️ No media")
    options = await screen(product, member.id, "Media: none, messages only")
    assert not any("MB" in text for text in buttons(options))
    product.press(member, options, "▶ Export")
    messages = await product.archive(member.id, timeout=120)
    (job,) = await product.running.app.queue.list_for_user(member.id)
    assert job.options["media"] == []
    files = [m for m in messages if "photo" in m or "file" in m]
    assert files and all(m.get("photo", m.get("file")) == NOT_INCLUDED for m in files)
    document = product.api.documents_in(member.id)[-1]
    with zipfile.ZipFile(document.path) as zf:
        folders = {name.split("/", 1)[0] for name in zf.namelist() if "/" in name}
    assert not folders & {"photos", "video_files", "voice_messages", "round_video_messages", "files"}
    stored = await UserSettings(product.running.app.database).media(member.id)
    assert stored == MediaChoice((), 8 * MB)


async def test_a_media_choice_is_kept_beside_the_time_zone(tmp_path: Path) -> None:
    async with await open_database(tmp_path / "bot.sqlite3") as database:
        settings = UserSettings(database)
        assert await settings.media(1) is None  # nothing chosen: the exporter's defaults
        await settings.set_media(1, MediaChoice(("photos", "videos"), 50 * MB))
        await settings.set_time_zone(1, "Europe/Berlin")
        assert await settings.media(1) == MediaChoice(("photos", "videos"), 50 * MB)
        assert await settings.time_zone(1) == "Europe/Berlin"
        await settings.set_media(2, MediaChoice((), MB))
        assert await settings.time_zone(2) == "UTC" and await settings.media(2) == MediaChoice((), MB)


async def test_an_export_asked_for_in_a_group_downloads_what_the_user_last_chose(
    product: Product, world: World
) -> None:
    group = media_group(world)
    app = product.running.app
    await app.shared.share(group.peer_id, group.title, "public_supergroup", product.admin.id)
    await UserSettings(app.database).set_media(product.member.id, MediaChoice(("photos", "voice"), 50 * MB))
    chat = product.api.add_chat("supergroup", group.title, chat_id=group.peer_id, members=[product.member])
    product.say(product.member, "/export", chat=chat.id)
    messages = await product.archive(chat.id, timeout=120)
    (job,) = await app.queue.list_for_user(product.member.id)
    assert job.options["media"] == ["photos", "voice"] and job.options["max_file_size"] == 50 * MB
    voice = [m for m in messages if m.get("media_type") == "voice_message"]
    videos = [m for m in messages if m.get("media_type") == "video_file"]
    assert voice and all(m["file"].startswith("voice_messages/") for m in voice)
    assert videos and all(m["file"] == NOT_INCLUDED for m in videos)
