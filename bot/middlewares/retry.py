"""Telegram's 429: wait ``retry_after`` and send again, for everything but progress edits.

aiogram raises TelegramRetryAfter and never retries by itself.  Progress edits
are the exception on purpose: an edit that would arrive late is worthless, so
the status editor drops it and waits for the next one instead (bot.progress).
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import EditMessageText, TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 5, longest_wait: float = 120.0) -> None:
        self.attempts = attempts
        self.longest_wait = longest_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if isinstance(method, EditMessageText) or attempt == self.attempts:
                    raise
                if exc.retry_after > self.longest_wait:
                    raise
                log.info("Telegram asked to wait %s s before %s", exc.retry_after, type(method).__name__)
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")
