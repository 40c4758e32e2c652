"""Uploads streamed to disk, re-sending by file_id, getFile and downloads, size limits."""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.types import BufferedInputFile, FSInputFile

from sandbox.botapi import CLOUD_UPLOAD_LIMIT, LOCAL_UPLOAD_LIMIT, BotAPIServer
from tests.botapi.conftest import ApiFactory, make_bot

MiB = 1 << 20


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\0" + b"\x10\x20\x30" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


async def test_upload_lands_on_disk_byte_exact(api: BotAPIServer, bot: Bot, tmp_path: Path) -> None:
    alice = api.add_user("Alice")
    # Over aiohttp's 1 MiB client_max_size: the server must stream, not buffer, the upload.
    source = tmp_path / "history.csv"
    source.write_bytes(os.urandom(3 * MiB + 17))
    sent = await bot.send_document(alice.id, FSInputFile(source), caption="Your export")

    assert sent.document is not None
    assert (sent.document.file_name, sent.document.mime_type, sent.document.file_size) == (
        "history.csv",
        "text/csv",
        3 * MiB + 17,
    )
    (delivered,) = api.documents_in(alice.id)
    assert delivered.path.read_bytes() == source.read_bytes()
    assert delivered.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (delivered.caption, delivered.file_name, delivered.mime_type) == (
        "Your export",
        "history.csv",
        "text/csv",
    )
    # On the wire: a multipart form whose "document" field points at the file part.
    call = api.calls_to("sendDocument")[0]
    key = call.params["document"].removeprefix("attach://")
    assert call.files[key].filename == "history.csv" and call.files[key].size == 3 * MiB + 17
    assert list(api.files.incoming.iterdir()) == []  # nothing left half-written


async def test_resend_by_file_id(api: BotAPIServer, bot: Bot) -> None:
    alice, bob = api.add_user("Alice"), api.add_user("Bob")
    first = await bot.send_document(alice.id, BufferedInputFile(b"id,text\n", "export.json.gz"))
    assert first.document is not None and first.document.mime_type == "application/gzip"
    again = await bot.send_document(bob.id, first.document.file_id, caption="shared")

    assert again.document is not None and again.document.file_unique_id == first.document.file_unique_id
    assert api.calls_to("sendDocument")[1].files == {}  # nothing uploaded the second time
    assert api.documents_in(bob.id)[0].path == api.documents_in(alice.id)[0].path

    with pytest.raises(TelegramBadRequest, match="Bad Request: wrong file identifier/HTTP URL specified"):
        await bot.send_document(alice.id, foreign_file_id(api.files.root.parent / "other"))
    with pytest.raises(
        TelegramBadRequest, match="wrong remote file identifier specified: can't unserialize it"
    ):
        await bot.send_document(alice.id, "not-a-file-id")
    photo = await bot.send_photo(alice.id, BufferedInputFile(png(3, 2), "pic.png"))
    assert photo.photo is not None and (photo.photo[-1].width, photo.photo[-1].height) == (3, 2)
    with pytest.raises(TelegramBadRequest, match="Bad Request: can't use file of type Photo as Document"):
        await bot.send_document(alice.id, photo.photo[-1].file_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: IMAGE_PROCESS_FAILED"):
        await bot.send_photo(alice.id, BufferedInputFile(b"not an image", "pic.png"))


def foreign_file_id(folder: Path) -> str:
    """A file_id issued by another server instance: well-formed, but unknown to this one."""
    other = BotAPIServer(folder)
    other.files.prepare()
    scratch = other.files.incoming / "scratch"
    scratch.write_bytes(b"x")
    return other.files.add("document", scratch, sha256="", size=1, file_name="x.txt").file_id


@pytest.mark.parametrize("local", [False, True], ids=["cloud", "local"])
async def test_get_file_and_download(make_api: ApiFactory, local: bool) -> None:
    api = await make_api(local_mode=local, download_limit=64)
    alice = api.add_user("Alice")
    bot = make_bot(api, is_local=local)
    try:
        sent = await bot.send_document(alice.id, BufferedInputFile(b"small file", "notes.txt"))
        assert sent.document is not None
        file = await bot.get_file(sent.document.file_id)
        assert file.file_path is not None
        # Cloud: a path under /file/bot<token>/; local server: the file's absolute path on its disk.
        assert Path(file.file_path).is_absolute() == local
        downloaded = await bot.download(file)
        assert downloaded is not None and downloaded.read() == b"small file"

        big = await bot.send_document(alice.id, BufferedInputFile(b"x" * 65, "big.bin"))
        assert big.document is not None
        if local:  # a local server has no download limit
            assert (await bot.get_file(big.document.file_id)).file_size == 65
        else:
            with pytest.raises(TelegramBadRequest, match="Bad Request: file is too big"):
                await bot.get_file(big.document.file_id)
        with pytest.raises(TelegramBadRequest, match="Bad Request: invalid file_id"):
            await bot.get_file("nope")
    finally:
        await bot.session.close()


async def test_upload_limit_and_caption_limit(make_api: ApiFactory) -> None:
    api = await make_api(upload_limit=MiB)
    alice = api.add_user("Alice")
    bot = make_bot(api)
    try:
        # The limit covers the whole request: the file plus a few hundred bytes of multipart envelope.
        await bot.send_document(alice.id, BufferedInputFile(b"\0" * (MiB - 1024), "exactly.bin"))
        with pytest.raises(TelegramEntityTooLarge):
            await bot.send_document(alice.id, BufferedInputFile(b"\0" * (MiB + 1), "over.bin"))
        with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
            await bot.send_document(alice.id, BufferedInputFile(b"x", "a.txt"), caption="c" * 1025)
        await bot.send_document(alice.id, BufferedInputFile(b"x", "a.txt"), caption="c" * 1024)
    finally:
        await bot.session.close()
    too_large = api.calls_to("sendDocument")[1]
    assert too_large.response == {"ok": False, "error_code": 413, "description": "Request Entity Too Large"}
    assert [d.file_name for d in api.documents_in(alice.id)] == ["exactly.bin", "a.txt"]
    assert list(api.files.incoming.iterdir()) == []


async def test_cloud_and_local_default_limits(make_api: ApiFactory) -> None:
    cloud, local = await make_api(), await make_api(local_mode=True)
    assert (cloud.upload_limit, local.upload_limit) == (50_000_000, 2000 * MiB)
    assert (CLOUD_UPLOAD_LIMIT, LOCAL_UPLOAD_LIMIT) == (50_000_000, 2000 * MiB)
    just_over = BufferedInputFile(bytes(CLOUD_UPLOAD_LIMIT + 1), "big.bin")  # ~0.2 s each way on loopback
    for server in (cloud, local):
        server.add_user("Alice", user_id=7)
    cloud_bot, local_bot = make_bot(cloud), make_bot(local, is_local=True)
    try:
        with pytest.raises(TelegramEntityTooLarge):
            await cloud_bot.send_document(7, just_over)
        sent = await local_bot.send_document(7, just_over)
        assert sent.document is not None and sent.document.file_size == CLOUD_UPLOAD_LIMIT + 1
    finally:
        await cloud_bot.session.close()
        await local_bot.session.close()


def jpeg(width: int, height: int) -> bytes:
    """SOI, a JFIF header, a Huffman table (C4: in the SOF range but no frame) and a baseline frame."""
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    table = b"\xff\xc4" + struct.pack(">H", 5) + b"\x00\x00\x00"
    frame = b"\xff\xc0" + struct.pack(">HBHH", 11, 8, height, width) + b"\x01\x01\x11\x00"
    return b"\xff\xd8" + jfif + table + frame + b"\xff\xd9"


async def test_photos_in_jpeg_and_gif_get_their_sizes_and_captions_can_be_edited(
    api: BotAPIServer, bot: Bot
) -> None:
    alice = api.add_user("Alice")
    photo = await bot.send_photo(alice.id, BufferedInputFile(jpeg(640, 480), "camera.jpg"), caption="Before")
    assert photo.photo is not None and (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)
    gif = b"GIF89a" + struct.pack("<HH", 7, 5) + b"\x00" * 24
    animated = await bot.send_photo(alice.id, BufferedInputFile(gif, "tiny.gif"))
    assert animated.photo is not None and (animated.photo[-1].width, animated.photo[-1].height) == (7, 5)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(alice.id, BufferedInputFile(b"\xff\xd8\xff\xd9", "broken.jpg"))
    edited = await bot.edit_message_caption(chat_id=alice.id, message_id=photo.message_id, caption="After")
    assert edited.caption == "After" and api.messages_in(alice.id)[0].caption == "After"
    text = await bot.send_message(alice.id, "no media here")
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=alice.id, message_id=text.message_id, caption="x")
