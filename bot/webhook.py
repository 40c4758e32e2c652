"""WEBHOOK_URL: Telegram posts the updates to this process (aiogram's aiohttp webhook server) instead
of the bot asking for them (getUpdates allows one consumer per bot; a webhook behind a load balancer
can reach several ``python -m bot`` processes sharing one PostgreSQL database, docs/scale.md).

Telegram sends WEBHOOK_SECRET in the X-Telegram-Bot-Api-Secret-Token header of every request
(core.telegram.org/bots/api#setwebhook, secret_token); aiogram refuses requests without it, so
nobody else can feed the bot forged updates.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from exporter.redaction import redact_secrets

from .settings import BotSettings

log = logging.getLogger(__name__)


async def serve_webhook(dispatcher: Dispatcher, bot: Bot, settings: BotSettings) -> None:
    """Serve updates until cancelled. Each process sets the same webhook (idempotent) and leaves it
    set when it stops: another process may still be serving it."""
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ValueError("serve_webhook needs WEBHOOK_URL and WEBHOOK_SECRET")
    secret = settings.webhook_secret.get_secret_value()
    redact_secrets(secret)
    application = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=secret).register(
        application, path=urlsplit(settings.webhook_url).path or "/"
    )
    setup_application(application, dispatcher, bot=bot)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    try:
        host, _, port = settings.webhook_listen.rpartition(":")
        await web.TCPSite(runner, host or None, int(port)).start()
        await bot.set_webhook(
            settings.webhook_url, secret_token=secret, allowed_updates=dispatcher.resolve_used_update_types()
        )
        log.info("receiving updates at %s (listening on %s)", settings.webhook_url, settings.webhook_listen)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
