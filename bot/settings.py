"""Typed settings of the bot, read once at start-up from the environment and ``.env``.

The user client's settings (TG_API_ID, TG_API_HASH, TG_SESSION_PATH) are the
exporter's :class:`~exporter.settings.TelegramSettings`, which the bot's extend:
declared once, read from the same ``.env``, handed to ``open_client`` as they are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from db.accounts import SessionCipher
from db.connect import POSTGRES_SCHEMES
from exporter.archive import CLOUD_UPLOAD_LIMIT, LOCAL_UPLOAD_LIMIT, part_size_for
from exporter.options import DEFAULT_FORMATS
from exporter.settings import TelegramSettings


def _ids(value: object) -> object:
    """ADMIN_IDS=1,2,3 (a comma-separated list, as people write it in .env)."""
    if isinstance(value, str):
        parts = [part for part in value.replace(" ", "").split(",") if part]
        if not all(part.isdecimal() for part in parts):
            raise ValueError("must be Telegram user ids (numbers) separated by commas")
        return [int(part) for part in parts]
    return value


# A token as @BotFather gives it: the bot's id, a colon, the secret (core.telegram.org/bots/api
# #authorizing-your-bot: "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"). aiogram's validate_token
# checks only digits, a colon and no spaces, and raises inside Bot() after the database is open;
# the secret's alphabet is the one exporter.redaction masks. Quotes come with docker --env-file,
# which keeps them as part of the value.
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")


def _token(value: object) -> object:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if isinstance(text, str) and not _TOKEN.fullmatch(text):
        quoted = len(text) > 1 and text[0] == text[-1] and text[0] in "\"'"
        raise ValueError(
            "is not a bot token as @BotFather gives it (digits, a colon, then letters, digits, - and _)"
            + (": remove the quotes around it" if quoted else "")
        )
    return value


def _fernet_key(value: object) -> object:
    """SESSION_KEY: a key as Fernet.generate_key() makes it (db/accounts.py); never echoed."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if isinstance(text, str):
        try:
            SessionCipher(text)
        except ValueError:
            raise ValueError(
                "is not a key for the accounts' sessions (44 characters of url-safe base64): make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
            ) from None
    return value


def _postgres_url(value: object) -> object:
    """DATABASE_URL: a PostgreSQL URL or nothing (an empty line in .env means unset); never echoed."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if text == "":
        return None
    if isinstance(text, str) and not text.startswith(POSTGRES_SCHEMES):
        raise ValueError("must start with postgresql:// (leave it unset for the SQLite file in DATA_DIR)")
    return value


class BotSettings(TelegramSettings):
    bot_token: SecretStr
    # The key the exporting accounts' sessions are stored with (/login, /accounts); without it the
    # bot's own session file (TG_SESSION_PATH) is the one account.
    session_key: SecretStr | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    allowed_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    data_dir: Path = Path("data")
    # postgresql://…: users, jobs and the rest in PostgreSQL, exports run by `python -m bot.worker`
    # processes on any machine that shares DATA_DIR (docs/scale.md). Unset: SQLite in DATA_DIR and the
    # bot runs the exports itself.
    database_url: SecretStr | None = None
    # https://…: Telegram posts the updates there (bot/webhook.py) instead of the bot polling, so several
    # bot processes behind one address can share the work. WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -,
    # core.telegram.org/bots/api#setwebhook) proves a request comes from Telegram; WEBHOOK_LISTEN is
    # where this process accepts them (a reverse proxy with the TLS certificate forwards there).
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    # A local Bot API server (telegram-bot-api --local) lifts uploads from 50 MB to 2000 MiB a file,
    # and archive parts grow with it (README, "A local Bot API server").
    bot_api_url: str | None = None
    # Before an export whose files would make more archive parts than this, the bot says so and
    # offers fewer files (bot/handlers/size_warning.py; ten parts are 500 MB through the cloud API).
    warn_above_parts: int = Field(default=10, ge=1)
    max_jobs: int = 2
    max_jobs_per_user: int = 1
    # Exports one non-admin may have queued or running at once: each spends the one account's flood budget.
    max_waiting_per_user: int = Field(default=5, ge=1)
    progress_interval: float = 3.0
    default_formats: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_FORMATS))
    keep_archives: bool = False
    archive_max_age_hours: float = 24.0
    # Work stores of exports that stopped early and were never continued are deleted after this.
    work_dir_max_age_days: float = 7.0
    # How long the summary and each archive part are retried (5xx, network, 429) before giving up.
    delivery_retry_seconds: float = 900.0
    disk_budget_mb: int = 10_000
    # On shutdown, running exports get this long to finish; the rest resume at the next start.
    shutdown_grace: float = 5.0

    _split_ids = field_validator("admin_ids", "allowed_user_ids", mode="before")(_ids)
    _checked_token = field_validator("bot_token", mode="before")(_token)
    _checked_database_url = field_validator("database_url", mode="before")(_postgres_url)

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _https_only(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str) and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram posts updates to HTTPS addresses only)")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret_token(cls, value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text == "":
            return None
        if isinstance(text, str) and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", text):
            raise ValueError("must be 1 to 256 of the characters A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_has_secret(self) -> BotSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_URL needs WEBHOOK_SECRET too, so only Telegram can send the bot updates"
            )
        return self

    _checked_session_key = field_validator("session_key", mode="before")(_fernet_key)

    @field_validator("default_formats", mode="before")
    @classmethod
    def _split_formats(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def upload_limit(self) -> int:
        """Bytes one upload may have: the cloud Bot API's, or a local server's (exporter.archive)."""
        return LOCAL_UPLOAD_LIMIT if self.bot_api_url else CLOUD_UPLOAD_LIMIT

    @property
    def part_size_bytes(self) -> int:
        return part_size_for(self.upload_limit)

    @property
    def session_cipher(self) -> SessionCipher | None:
        """What the exporting accounts' sessions are sealed with (None: SESSION_KEY is not set)."""
        return SessionCipher(self.session_key.get_secret_value()) if self.session_key else None

    @property
    def database_path(self) -> Path:
        return self.data_dir / "app.sqlite"

    @property
    def database_target(self) -> Path | str:
        """What open_database opens: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.database_url.get_secret_value() if self.database_url else self.database_path

    @property
    def archives_dir(self) -> Path:
        return self.data_dir / "archives"


class DeployedBotSettings(BotSettings):
    """``python -m bot`` against real Telegram: the user client's app id and hash are required too,
    so a first start names every missing setting at once (the tests and the demo use a sandbox
    session instead)."""

    tg_api_id: int
    tg_api_hash: SecretStr


NO_ADMIN = (
    "ADMIN_IDS is empty, so nobody may use this bot yet: send /start to the bot from your own "
    "Telegram account (it answers with your user id), put that id in ADMIN_IDS in .env and start "
    "the bot again."
)

# Telethon's AuthKeyDuplicatedError at start (406 AUTH_KEY_DUPLICATED): Telegram ended a session two
# places used at once. Every process that connects needs a session of its own (README, "Running on
# several machines").
SESSION_DUPLICATED = (
    "Telegram ended the user client's session ({where}): it was used from two places at once, "
    "and can no longer be used. Log it in again (python -m exporter login, or /login), and give the "
    "bot and each worker a session file of its own (TG_SESSION_PATH)."
)
