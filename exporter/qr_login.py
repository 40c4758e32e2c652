"""Logging the user client in by QR code, as Telegram runs it (https://core.telegram.org/api/qr-login).

A login token lives about 30 s (``auth.loginToken.expires``): a code shown longer than
that can no longer be scanned, so a new token is exported and shown again until one is
scanned or the time is up.  An account that lives on another DC answers the scan with
``auth.loginTokenMigrateTo``; Telethon's ``QRLogin.wait`` then switches DC and imports the
token there (telethon/tl/custom/qrlogin.py), so the login completes all the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

from telethon import TelegramClient
from telethon.tl import types as T

QR_LOGIN_TIME = 120.0
# guess: however skewed the local clock, wait at least this long for a scan of a code just shown.
_SHORTEST_WAIT = 1.0

ShowCode = Callable[[str, dt.datetime], Awaitable[None]]


async def login_by_qr(client: TelegramClient, show: ShowCode, *, within: float = QR_LOGIN_TIME) -> T.User:
    """Show codes through ``show(url, expires)`` until one is scanned; the user logged in.

    Raises TimeoutError when none was scanned ``within`` seconds, and Telethon's
    SessionPasswordNeededError when the account has a two-step password."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    qr = await client.qr_login()
    while True:
        await show(qr.url, qr.expires)
        left = deadline - loop.time()
        if left <= 0:
            raise TimeoutError
        token_left = (qr.expires - dt.datetime.now(dt.UTC)).total_seconds()
        try:
            return await qr.wait(timeout=min(left, max(_SHORTEST_WAIT, token_left)))
        except TimeoutError:
            if loop.time() >= deadline:
                raise
        await qr.recreate()
