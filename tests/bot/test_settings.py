"""Settings as people write them in .env, and the limits that follow from them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import BotSettings
from exporter.settings import TelegramSettings, open_client


def test_lists_parts_and_secrets(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("BOT_TOKEN=123:abc\nADMIN_IDS=1, 2\nALLOWED_USER_IDS=3\nDEFAULT_FORMATS=json,md\n")
    settings = BotSettings(_env_file=env)
    assert settings.admin_ids == [1, 2] and settings.allowed_user_ids == [3]
    assert settings.default_formats == ["json", "md"]
    assert "123:abc" not in repr(settings)  # the token is a SecretStr
    # Parts fill an upload but for the request's envelope (tests/bot/test_big_archives.py sends them).
    assert settings.part_size_bytes == 50_000_000 - 5_375  # the cloud Bot API's 50 MB a request
    local = BotSettings(_env_file=env, bot_api_url="http://127.0.0.1:8081")
    assert local.part_size_bytes == 2000 * 1024 * 1024 - 5_375  # a local server's 2000 MiB a file


def test_a_missing_token_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    with pytest.raises(ValidationError):
        BotSettings(_env_file=None)


async def test_the_user_client_settings_are_the_exporters(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    session = tmp_path / "user.session"
    env.write_text(f"BOT_TOKEN=1:x\nTG_API_ID=12345\nTG_API_HASH=0123abcd\nTG_SESSION_PATH={session}\n")
    settings = BotSettings(_env_file=env)
    # Declared once: the bot's settings are the exporter's with the bot's added, same .env names.
    assert isinstance(settings, TelegramSettings)
    assert TelegramSettings(_env_file=env).model_dump() == {
        name: value for name, value in settings.model_dump().items() if name in TelegramSettings.model_fields
    }
    assert settings.tg_api_hash is not None and "0123abcd" not in repr(settings)
    client = open_client(settings)
    try:
        assert client.api_id == 12345 and client.api_hash == "0123abcd"
        assert session.exists() and session.stat().st_mode & 0o777 == 0o600
    finally:
        client.session.close()
