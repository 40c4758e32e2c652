"""How the exporter reaches Telegram: read once at start-up, by the entry points only.

Every mistake found here is a :class:`SettingsError` whose message is one
sentence for the person starting the program: all missing or wrong settings at
once, a folder this user cannot write, a Telegram that cannot be reached.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from telethon import TelegramClient
from telethon.errors import InvalidBufferError, InvalidChecksumError, SecurityError

from . import wire
from .client import SessionFile, build_client

# The first connection's deadline. Telethon tries 5 times with 10 s of timeout each (its
# connection_retries and timeout defaults), about a minute of silence where nothing answers;
# a connection that works takes under a second (measured against the sandbox: 0.53 s with 130 ms a
# request, 0.005 s with none).
CONNECT_DEADLINE = 30.0


class TelegramSettings(BaseSettings):
    """The user client's credentials (``.env`` or the environment); the bot's settings extend these."""

    # An empty value (`TG_API_ID=` as .env.example has it, or docker --env-file passing it on) is
    # "not set": the default applies, and a required setting is named as missing.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    tg_api_id: int | None = None
    tg_api_hash: SecretStr | None = None
    tg_session_path: Path = Path("data/user.session")


class TelegramCredentials(TelegramSettings):
    """The settings for real Telegram (no sandbox session file): the app's id and hash are required."""

    tg_api_id: int
    tg_api_hash: SecretStr


class SettingsError(ValueError):
    """Settings are missing or wrong; the message says which."""


class SessionDamaged(SettingsError):
    def __init__(self, path: Path, exc: Exception) -> None:
        super().__init__(
            f"The Telethon session file {path} is damaged ({exc}): move it away, then log in again with "
            "/login or `python -m exporter login`."
        )


S = TypeVar("S", bound=BaseSettings)

# What a person should read for pydantic's error types; anything else gets pydantic's own words.
_PROBLEMS = {
    "missing": "is not set",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false",
}


def read_settings(model: type[S], **values: Any) -> S:
    """``model()`` from the environment and ``.env``, or one SettingsError naming every problem."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"][:1]).upper()
        if error["type"] == "value_error":
            # Our own validators' sentences (never the value: it may be a secret).
            problem = str(error.get("ctx", {}).get("error", error["msg"]))
        else:
            problem = _PROBLEMS.get(error["type"], error["msg"][:1].lower() + error["msg"][1:])
        problems.append(f"{name} {problem}")
    env = Path.cwd() / ".env"
    where = (
        f"they are read from the environment and {env} (.env.example explains each)"
        if env.is_file()
        else f"there is no .env in {Path.cwd()}: copy .env.example to .env there and fill it in"
    )
    return f"Settings to fix: {'; '.join(dict.fromkeys(problems))} — {where}."


class FolderNotWritable(SettingsError):
    def __init__(self, folder: Path, what: str, detail: str, elsewhere: str) -> None:
        uid = os.getuid()
        super().__init__(
            f"The {what} {folder} cannot be written by this user (uid {uid}): {detail}. Give it to this "
            f"user (`sudo chown -R {uid} {folder}`; under Docker, the host folder mounted there), "
            f"or {elsewhere}."
        )


def check_writable(folder: Path, what: str, elsewhere: str, files: Iterable[str] = ()) -> None:
    """Before anything is opened there: ``folder`` (made if missing) and ``files`` already in it can
    be written by this process, or one sentence says what to run. SQLite alone would say only
    "unable to open database file"."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise FolderNotWritable(folder, what, exc.strerror or str(exc), elsewhere) from None
    for name in files:
        path = folder / name
        try:
            # Opened as SQLite will open it, nothing written (os.access would ask as the real user).
            os.close(os.open(path, os.O_RDWR))
        except FileNotFoundError:
            continue
        except OSError as exc:
            detail = f"{name} in it belongs to uid {path.stat().st_uid} ({exc.strerror})"
            raise FolderNotWritable(folder, what, detail, elsewhere) from None


class TelegramUnreachable(SettingsError):
    def __init__(self, address: str, detail: str) -> None:
        super().__init__(
            f"Telegram could not be reached at {address} ({detail}): check this machine's network "
            "(a firewall or proxy in the way?), then try again."
        )


class _LastAttempt(logging.Handler):
    """Telethon logs why each connection attempt failed and raises only "failed 5 time(s)"."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.message: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.message = record.getMessage()


async def connect(client: TelegramClient) -> None:
    """The first connection to Telegram, or TelegramUnreachable with the reason in one sentence.

    Telethon's warnings about each failed attempt are held back meanwhile (the sentence carries the
    last one): a person starting the program reads one line, not six."""
    network = logging.getLogger("telethon.network")
    attempts, propagate = _LastAttempt(), network.propagate
    network.addHandler(attempts)
    network.propagate = False
    try:
        try:
            await asyncio.wait_for(client.connect(), CONNECT_DEADLINE)
        except BaseException:
            await _give_up(client)
            raise
    except TimeoutError:
        raise TelegramUnreachable(_address(client), f"no answer in {CONNECT_DEADLINE:.0f} s") from None
    except EOFError:
        # asyncio.IncompleteReadError: something answered that is not Telegram (measured here: an
        # egress proxy's 95 bytes where Telegram's first reply is due).
        raise TelegramUnreachable(
            _address(client), "the other end answered and hung up: that is not Telegram"
        ) from None
    except (OSError, InvalidBufferError, InvalidChecksumError, SecurityError) as exc:
        detail = attempts.message or str(exc) or type(exc).__name__
        raise TelegramUnreachable(_address(client), detail.partition(" failed: ")[2] or detail) from None
    finally:
        network.removeHandler(attempts)
        network.propagate = propagate


def _address(client: TelegramClient) -> str:
    # A new session learns Telegram's first address inside connect(): read it afterwards.
    session = client.session
    return f"{session.server_address}:{session.port}"


async def _give_up(client: TelegramClient) -> None:
    """After a failed first connection: nothing left running, and the error Telethon keeps in its
    ``disconnected`` future taken, or asyncio prints it as a traceback at exit."""
    await client.disconnect()
    ended = client.disconnected
    if ended.done() and not ended.cancelled():
        ended.exception()


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
    # Telethon adds .session to a path without it; SQLite says only "unable to open database file".
    name = path.name if path.suffix == ".session" else path.name + ".session"
    check_writable(path.parent, "session folder", "set TG_SESSION_PATH to a file elsewhere", [name])
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
