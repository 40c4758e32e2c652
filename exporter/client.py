"""Building the Telethon user client.

Two ways in: the settings of a real deployment (api id/hash and a Telethon
session path), or a session file as ``python -m sandbox serve`` writes it (a
JSON document with a string session, the DC address and the server's RSA key).
The second lets every tool of the project connect to the offline sandbox
exactly as it connects to Telegram.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from telethon import TelegramClient
from telethon.crypto import rsa as telethon_rsa
from telethon.sessions import StringSession

from . import wire

SESSION_FILE_FORMAT = "telegram-export-bot/sandbox-session"


class SessionFileError(ValueError):
    """The session file is missing, unreadable or not one we wrote."""


@dataclass(frozen=True)
class SessionFile:
    string_session: str
    api_id: int
    api_hash: str
    dc_id: int
    host: str
    port: int
    rsa_public_key: str | None = None

    @classmethod
    def from_payload(cls, payload: object, source: str = "session file") -> SessionFile:
        if not isinstance(payload, dict) or payload.get("format") != SESSION_FILE_FORMAT:
            raise SessionFileError(f"{source} is not a telegram-export-bot session file")
        try:
            session = cls(
                string_session=str(payload["string_session"]),
                api_id=int(payload["api_id"]),
                api_hash=str(payload["api_hash"]),
                dc_id=int(payload["dc_id"]),
                host=str(payload["host"]),
                port=int(payload["port"]),
                rsa_public_key=payload.get("rsa_public_key"),
            )
            StringSession(session.string_session)
            loopback = ipaddress.ip_address(session.host).is_loopback
        except (KeyError, TypeError, ValueError) as exc:
            raise SessionFileError(f"{source} is damaged ({exc.__class__.__name__}: {exc})") from None
        if not loopback:
            # Sandbox sessions carry our own server key: they must never point anywhere but this machine.
            raise SessionFileError(f"{source} points at {session.host}, which is not this machine")
        return session

    @classmethod
    def load(cls, path: Path) -> SessionFile:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SessionFileError(f"session file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SessionFileError(f"session file {path} cannot be read: {exc}") from None
        return cls.from_payload(payload, source=f"session file {path}")


def build_client(session: SessionFile, **options: object) -> TelegramClient:
    """A Telethon client for a session file.

    flood_sleep_threshold=0: Telethon must never sleep on a flood wait behind our
    back; the exporter's scheduler waits and counts them itself.
    raise_last_call_error=True: after retrying 5xx answers Telethon raises the last
    RPCError (which errors.explain maps) instead of a bare ValueError.
    """
    if session.rsa_public_key:
        # Trust the sandbox's own server key; Telegram's real keys stay trusted too.
        telethon_rsa.add_key(session.rsa_public_key.encode(), old=False)
    options.setdefault("flood_sleep_threshold", 0)
    options.setdefault("raise_last_call_error", True)
    options.setdefault("receive_updates", False)
    string_session = StringSession(session.string_session)
    # A session with no key yet is an empty string, which Telethon would send to Telegram's real DC.
    string_session.set_dc(session.dc_id, session.host, session.port)
    client = TelegramClient(string_session, session.api_id, session.api_hash, **options)
    # Request times are measured at the wire (exporter/wire.py), not around Telethon's parsing.
    wire.install(client)
    return client
