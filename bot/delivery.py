"""Handing the result to the user: the timing summary, then the archive parts.

Delivery must not lose a finished export to one bad answer from the Bot API.
The summary and each part are sent with retries: 5xx answers and network
errors with a growing pause, 429 after exactly the ``retry_after`` Telegram
names, all within one time bound per message.  Anything else (the user blocked
the bot, a part too large) is final at once.  A part goes up from disk the
first time; once Telegram has it, its file id is kept, so /history sends it
again without uploading.  Delivery is the job's last phase: once every part is
confirmed, its time goes into the stored timing report and the Details view.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import FSInputFile, InlineKeyboardMarkup, Message

from db.connect import uninterrupted
from db.jobs import JobPart
from db.timing_report import TimingReport
from exporter.completeness import comments_note, empty_range_note, snapshot_note
from exporter.export import ExportResult
from exporter.timing_summary import breakdown, headline

from . import text

log = logging.getLogger(__name__)
_T = TypeVar("_T")
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0


class DeliveryError(Exception):
    """The archive could not be sent; the message is for the user (the archive is kept)."""


@dataclass(frozen=True)
class Destination:
    chat_id: int
    thread_id: int | None = None


def summary_text(result: ExportResult) -> str:
    """The summary for people: what was exported, how long it took and why; the numbers behind
    it are one tap away (``details_text``)."""
    manifest = result.manifest
    title = result.chat.name or text.THIS_CHAT
    # Incomplete covers both a stop (flood wait, error) and counts that disagree with Telegram's.
    head = text.DONE if result.complete else text.INCOMPLETE
    lines = [head.format(title=title), *headline(result.report)]
    topics = manifest.get("topics")
    if topics:
        lines.append(text.TOPICS_KEPT.format(count=len(topics)))
    notes = (empty_range_note(manifest), snapshot_note(manifest), comments_note(manifest))
    lines += [note for note in notes if note]
    # How to open what arrives: the pages if there are any, and what result.json is good for.
    formats = (manifest.get("options") or {}).get("formats") or ()
    if "html" in formats:
        lines.append(text.OPEN_HTML)
    elif "json" in formats:
        lines.append(text.OPEN_JSON)
    if not result.complete:
        lines.append("")
        lines.append(text.WHY_INCOMPLETE.format(reason=result.reason))
        lines.append(text.PARTIAL_ARCHIVE)
    return "\n".join(lines)


def details_text(title: str, report: TimingReport) -> str:
    """What "Details" shows in place of the summary: the timing breakdown (also in manifest.json)."""
    return "\n".join([text.DETAILS_TITLE.format(title=title), *breakdown(report)])


def caption(result: ExportResult, index: int, count: int) -> str:
    written = result.manifest["messages"]["written"]
    template = text.CAPTION_PART if count > 1 else text.CAPTION
    title = result.chat.name or text.CAPTION_UNNAMED
    return template.format(title=title, messages=written, index=index, count=count)[:1024]


def delivery_record(result: ExportResult, account: str | None = None) -> tuple[dict[str, Any], list[JobPart]]:
    """What the job records before sending anything: enough to finish the delivery after a
    crash without exporting again (the parts' paths and sha256 say whether the files are intact).
    ``account``: the exporting account that read the chat, named in the summary (bot/accounts)."""
    title = result.chat.name or text.THIS_CHAT
    summary = summary_text(result)
    if account is not None:
        summary += "\n" + text.RAN_ON_ACCOUNT.format(name=account)
    record = {
        "summary": summary,
        "title": title,
        "details": details_text(title, result.report),
        "report": result.report.to_dict(),
        "summary_sent": False,
        "captions": [caption(result, part.index, part.count) for part in result.parts],
        "complete": result.complete,
        "reason": result.reason,
        "chat_id": result.chat.id,
        "messages": result.report.messages,
        "last_ids": [[topic, max_id] for topic, max_id in result.last_ids.items()],
    }
    parts = [JobPart(str(part.path), part.size, part.sha256) for part in result.parts]
    return record, parts


def with_delivery_time(record: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The record once the summary and every part were sent in ``seconds``: its report gains the
    delivery phase, and Details shows it. Records from before delivery was timed stay as they are."""
    if "report" not in record or "title" not in record:
        return record
    report = TimingReport.from_dict(record["report"]).with_delivery(seconds)
    return {**record, "report": report.to_dict(), "details": details_text(record["title"], report)}


async def with_retries(send: Callable[[], Awaitable[_T]], what: str, bound: float) -> _T:
    """``send()`` until it succeeds, retrying transient refusals for at most ``bound`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    pause = FIRST_PAUSE
    while True:
        try:
            return await send()
        except TelegramEntityTooLarge:
            raise DeliveryError(text.PART_TOO_LARGE) from None
        except TelegramRetryAfter as exc:
            wait, why = float(exc.retry_after), text.ASKED_TO_WAIT.format(seconds=exc.retry_after)
        except (TelegramServerError, TelegramNetworkError) as exc:
            wait, why = pause, str(exc)
            pause = min(LONGEST_PAUSE, pause * 2)
        except TelegramAPIError as exc:
            raise DeliveryError(text.REFUSED.format(what=what, reason=exc.message)) from exc
        if loop.time() + wait > deadline:
            raise DeliveryError(text.GAVE_UP.format(what=what, why=why, bound=bound))
        log.warning("sending %s failed (%s); trying again in %.0f s", what, why, wait)
        await asyncio.sleep(wait)


async def send_text(
    bot: Bot,
    where: Destination,
    body: str,
    bound: float,
    markup: InlineKeyboardMarkup | None = None,
    confirm: Callable[[Message], Awaitable[object]] | None = None,
) -> Message:
    """Send a message; ``confirm`` records it, in one step with the attempt that succeeded."""

    async def attempt() -> Message:
        return await bot.send_message(
            chat_id=where.chat_id, message_thread_id=where.thread_id, text=body, reply_markup=markup
        )

    return await with_retries(recorded(attempt, confirm), text.A_MESSAGE, bound)


async def tell(bot: Bot, where: Destination, sentence: str) -> bool:
    """One attempt at a message that may not arrive (the next /history shows the same)."""
    try:
        await bot.send_message(chat_id=where.chat_id, message_thread_id=where.thread_id, text=sentence)
    except TelegramAPIError as exc:
        log.warning("could not tell chat %s %r: %s", where.chat_id, sentence, exc)
        return False
    return True


async def send_part(
    bot: Bot,
    where: Destination,
    part: JobPart,
    caption: str,
    bound: float,
    confirm: Callable[[JobPart], Awaitable[object]] | None = None,
) -> JobPart:
    """Send one part (by Telegram's file id when it has one, else from disk); returns it confirmed.
    ``confirm`` records that Telegram has it, in one step with the attempt that succeeded."""

    async def attempt() -> JobPart:
        try:
            await bot.send_chat_action(
                chat_id=where.chat_id, message_thread_id=where.thread_id, action=ChatAction.UPLOAD_DOCUMENT
            )
        except TelegramAPIError as exc:
            log.info("upload indicator refused: %s", exc)
        message = await bot.send_document(
            chat_id=where.chat_id,
            message_thread_id=where.thread_id,
            document=part.file_id or FSInputFile(part.path),
            caption=caption[:1024],
            request_timeout=600,
        )
        file_id = message.document.file_id if message.document else part.file_id
        return JobPart(part.path, part.size, part.sha256, file_id, message.message_id)

    return await with_retries(recorded(attempt, confirm), text.AN_ARCHIVE_PART, bound)


def recorded(
    send: Callable[[], Awaitable[_T]], confirm: Callable[[_T], Awaitable[object]] | None
) -> Callable[[], Awaitable[_T]]:
    """Each attempt of ``send`` and, once Telegram answers, its ``confirm`` as one step a cancel
    cannot split: a shutdown waits for the attempt in flight and its record (not for the pauses
    between attempts), then the job goes back to the queue. A cancel between the two would leave
    what the user has recorded as unsent, and the restarted job would send it again (Telegram has
    no way to make a send idempotent)."""
    if confirm is None:
        return send

    async def step() -> _T:
        result = await send()
        await confirm(result)
        return result

    return lambda: uninterrupted(step())
