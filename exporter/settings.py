"""How the exporter reaches Telegram: read once at start-up, by the entry points only."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from telethon import TelegramClient

from . import wire
from .client import SessionFile, build_client


class TelegramSettings(BaseSettings):
    """The user client's credentials (``.env`` or the environment); the bot's settings extend these."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    tg_api_id: int | None = None
    tg_api_hash: SecretStr | None = None
    tg_session_path: Path = Path("data/user.session")


class SettingsError(ValueError):
    """Settings are missing or wrong; the message says which."""


class SessionDamaged(SettingsError):
    def __init__(self, path: Path, exc: Exception) -> None:
        super().__init__(
            f"The Telethon session file {path} is damaged ({exc}): move it away, then log in again with "
            "/login or `python -m exporter login`."
        )


def open_client(
    settings: TelegramSettings, session_file: Path | None = None, **options: object
) -> TelegramClient:
    """The user client: from a sandbox session file when given, else from the settings."""
    if session_file is not None:
        return build_client(SessionFile.load(session_file), **options)
    if settings.tg_api_id is None or settings.tg_api_hash is None:
        raise SettingsError(
            "TG_API_ID and TG_API_HASH are not set: get them at https://my.telegram.org and put them "
            "in .env (see .env.example), or pass --session-file for the offline sandbox."
        )
    path = settings.tg_session_path
    path.parent.mkdir(parents=True, exist_ok=True)
    options.setdefault("flood_sleep_threshold", 0)
    options.setdefault("raise_last_call_error", True)
    try:
        client = TelegramClient(
            str(path), settings.tg_api_id, settings.tg_api_hash.get_secret_value(), **options
        )
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise SessionDamaged(path, exc) from exc
        raise SettingsError(
            f"The Telethon session file {path} is locked by another process: is another copy of the "
            "bot or exporter running with it? Stop it first."
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise SessionDamaged(path, exc) from exc
    secure_session_file(path)
    wire.install(client)
    return client


def secure_session_file(path: Path) -> None:
    """The session can read everything the account can: owner-only, always."""
    for candidate in (path, path.with_name(path.name + ".session")):
        if candidate.exists():
            os.chmod(candidate, 0o600)
