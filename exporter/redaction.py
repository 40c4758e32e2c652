"""Secrets never reach a log line: every log record is redacted as it is created.

Why a record factory and not a filter: a filter on a logger does not see the
records its children propagate to it, and a filter on a handler misses handlers
added later (``logging.basicConfig`` after us, pytest's caplog, a library's own
handler, ``logging.lastResort``).  Every record of every logger is built by the
one record factory (``Logger.makeRecord``), before any handler sees it, so
redacting there covers them all.  The traceback is rendered and redacted there
too, and ``exc_info`` dropped, so no formatter can print the raw exception
again; ``Formatter.format`` still appends the redacted ``exc_text``.

The bot token's shape is redacted even before the settings are read; the
secrets themselves (token, api_hash, session string, a 2FA password) are added
by whoever learns them.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from typing import Any

from telethon import TelegramClient
from telethon.sessions import StringSession

MASK = "[redacted]"
# "123456789:AAH..." — a bot token, bare or in a Bot API URL (".../bot123456789:AAH.../getMe").
# https://core.telegram.org/bots/api#authorizing-your-bot; real ones have 35 characters after the colon.
BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
# Shorter strings would mask ordinary words; no real secret of ours is this short.
SHORTEST_SECRET = 6

_secrets: set[str] = set()
_pattern: re.Pattern[str] = BOT_TOKEN
_lock = threading.Lock()
_base_factory: Any = None


def redact_secrets(*secrets: str | None) -> None:
    """Redact these strings (and any bot token) from every log record from now on."""
    global _pattern
    _install()
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= SHORTEST_SECRET:
                _secrets.add(secret)
                # A bot token's secret half is as good as the whole token.
                _, colon, half = secret.partition(":")
                if colon and len(half) >= SHORTEST_SECRET:
                    _secrets.add(half)
        literals = sorted(_secrets, key=len, reverse=True)
        alternatives = [BOT_TOKEN.pattern, *map(re.escape, literals)]
        _pattern = re.compile("|".join(alternatives))


def redact_client_secrets(client: TelegramClient) -> None:
    """The user client's api_hash and, for a string session, the session itself (its auth key)."""
    session = client.session
    saved = session.save() if isinstance(session, StringSession) else None
    redact_secrets(client.api_hash, saved)


def redact(text: str) -> str:
    return _pattern.sub(MASK, text)


def _install() -> None:
    global _base_factory
    with _lock:
        if _base_factory is not None:
            return
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_redacted_record)


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record: logging.LogRecord = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what was given rather than lose the record
        message = f"{record.msg!r} % {record.args!r}"
    record.msg, record.args = redact(message), ()
    if record.exc_info and record.exc_info[1] is not None:
        rendered = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text, record.exc_info = redact(rendered), None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record
