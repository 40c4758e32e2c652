"""Issue 11, point 9: "50 MB" read as 50,000,000 bytes for the whole upload request.

Real aiogram sends archive parts through the bot's own delivery code to the sandbox Bot API at its
cloud default limit: default parts arrive, a 50 MiB-era part is refused with Telegram's 413.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.delivery import DeliveryError, Destination, send_part
from bot.settings import BotSettings
from db.jobs import JobPart
from exporter.archive import DEFAULT_PART_SIZE, UPLOAD_ENVELOPE, split
from sandbox.botapi import CLOUD_UPLOAD_LIMIT, BotAPIServer
from tests.botapi.conftest import make_bot

LONGEST_CAPTION = "p" * 1024  # send_part cuts captions to Telegram's 1024 characters


def test_default_parts_leave_room_under_the_decimal_limit() -> None:
    settings = BotSettings(bot_token="1:x", _env_file=None)
    assert CLOUD_UPLOAD_LIMIT == 50_000_000
    assert settings.part_size_bytes == DEFAULT_PART_SIZE
    # Envelope, caption and file name: the worst case is sent in tests/bot/test_big_archives.py.
    assert CLOUD_UPLOAD_LIMIT - DEFAULT_PART_SIZE == UPLOAD_ENVELOPE > 5_000


async def test_default_archive_parts_are_accepted_and_a_mebibyte_part_is_refused(tmp_path: Path) -> None:
    async with BotAPIServer(tmp_path / "botapi") as api:  # the cloud default limit
        await _send_parts(api, tmp_path)


async def _send_parts(api: BotAPIServer, tmp_path: Path) -> None:
    alice = api.add_user("Alice")
    zip_path = tmp_path / ("a-long-chat-title-as-archives-are-named-" * 3 + ".zip")
    with zip_path.open("wb") as out:
        out.truncate(DEFAULT_PART_SIZE + 1000)
    parts = split(zip_path)
    assert [part.size for part in parts] == [DEFAULT_PART_SIZE, 1000]
    old_default = tmp_path / "old-default.zip.001"
    with old_default.open("wb") as out:
        out.truncate(49 * 1024 * 1024)  # 51,380,224 bytes: over 50 MB in decimal
    bot = make_bot(api)
    try:
        for part in parts:
            job_part = JobPart(str(part.path), part.size, part.sha256)
            sent = await send_part(bot, Destination(alice.id), job_part, LONGEST_CAPTION, bound=5)
            assert sent.file_id is not None
        with pytest.raises(DeliveryError, match="too large"):
            await send_part(bot, Destination(alice.id), JobPart(str(old_default), 0, ""), "x", bound=5)
    finally:
        await bot.session.close()
    refused = api.calls_to("sendDocument")[-1]
    assert refused.response == {"ok": False, "error_code": 413, "description": "Request Entity Too Large"}
    assert [d.file.size for d in api.documents_in(alice.id)] == [DEFAULT_PART_SIZE, 1000]
