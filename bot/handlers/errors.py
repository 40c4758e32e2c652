"""Whatever escapes a handler: the user gets one sentence, the log gets the traceback once.

aiogram hands an exception a handler raised to the ``errors`` observers of the
dispatcher and then of its routers in order; this router answers it, so
aiogram does not log it a second time.  The traceback goes through the
redacting log record factory (exporter/redaction.py) like every other line.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import ErrorEvent, Message
from telethon import errors

from exporter.errors import ExplainedError, duration, explain

from .. import text

log = logging.getLogger(__name__)


def sentence_for(exc: BaseException) -> str:
    """One sentence for the user; nothing of the exception's text unless it was written for users."""
    if isinstance(exc, TelegramRetryAfter):
        return text.SLOW_DOWN.format(duration=duration(exc.retry_after))
    if isinstance(exc, TelegramNetworkError | TelegramServerError):
        return text.TELEGRAM_UNREACHABLE
    if isinstance(exc, ExplainedError | errors.RPCError | errors.AuthKeyNotFound):
        return explain(exc)
    return text.SOMETHING_WENT_WRONG


async def on_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    log.error("handling update %s failed", update.update_id, exc_info=event.exception)
    sentence = sentence_for(event.exception)
    try:
        if update.message is not None:
            await update.message.answer(sentence)
        elif update.callback_query is not None and update.callback_query.message is not None:
            message = update.callback_query.message
            thread = None
            if isinstance(message, Message) and message.is_topic_message:
                thread = message.message_thread_id
            await bot.send_message(message.chat.id, sentence, message_thread_id=thread)
    except TelegramAPIError as exc:
        # Telegram itself is failing (often the very error above): the log has it all.
        log.warning("could not tell the user about the error: %s", exc)
    return True


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="errors")
    router.errors()(on_error)
    return router
