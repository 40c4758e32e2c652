"""Telethon clients for stored accounts: what a session payload holds and how a client is built from it.

A payload is what the database keeps (encrypted, db/accounts.py): the
account's StringSession, plus, for the offline sandbox, the fields of a
sandbox session file (its address and server key, exporter/client.py). Against
Telegram the app's id and hash come from the settings, never from the payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telethon import TelegramClient
from telethon.sessions import StringSession

from exporter import wire
from exporter.client import SessionFile, build_client
from exporter.redaction import redact_client_secrets, redact_secrets


class AccountClients:
    """Makes clients for stored sessions: against Telegram (``api_id``/``api_hash``), or against the
    sandbox whose session file fields ``sandbox`` holds."""

    def __init__(
        self, api_id: int | None, api_hash: str | None, *, sandbox: Mapping[str, Any] | None = None
    ) -> None:
        self.api_id = api_id
        self.api_hash = api_hash
        self.sandbox = dict(sandbox) if sandbox is not None else None

    def client(self, payload: Mapping[str, Any] | None = None) -> TelegramClient:
        """A client for a stored session; without one, a new session to log in with."""
        string = str((payload or {}).get("string_session", ""))
        if self.sandbox is not None:
            client = build_client(SessionFile.from_payload({**self.sandbox, "string_session": string}))
        else:
            if self.api_id is None or self.api_hash is None:
                raise ValueError("TG_API_ID and TG_API_HASH are needed to use an exporting account")
            # As exporter.settings.open_client: Telethon never sleeps a flood wait behind our back.
            client = TelegramClient(
                StringSession(string),
                self.api_id,
                self.api_hash,
                flood_sleep_threshold=0,
                raise_last_call_error=True,
                receive_updates=False,
            )
            wire.install(client)
        redact_client_secrets(client)
        return client

    @staticmethod
    def payload(client: TelegramClient) -> dict[str, Any]:
        """What to store of a logged-in client."""
        session = client.session
        assert isinstance(session, StringSession)
        saved = session.save()
        # A new login made a new auth key: never in a log line either.
        redact_secrets(saved)
        return {"string_session": saved}
