"""Handing the result to the user: the timing summary, then the archive parts.

Each part goes up with "sending a file…" showing; a failed upload is retried
and never deletes the archive.  Telegram's file id of every part is kept, so
/history can send an archive again without uploading it again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramEntityTooLarge, TelegramNetworkError
from aiogram.types import FSInputFile
from aiogram.utils.chat_action import ChatActionSender

from exporter.export import ExportResult
from exporter.timing import PHASES, TimingReport

log = logging.getLogger(__name__)
UPLOAD_ATTEMPTS = 4


class DeliveryError(Exception):
    """The archive could not be sent; the message is for the user (the archive is kept)."""


@dataclass(frozen=True)
class Destination:
    chat_id: int
    thread_id: int | None = None


def summary_text(result: ExportResult) -> str:
    """The timing summary for people: what was exported, how fast, and where the time went."""
    report: TimingReport = result.report
    manifest = result.manifest
    title = result.chat.name or "this chat"
    head = "Done" if result.complete else "Stopped early"
    lines = [
        f"{head}: {title}",
        f"{report.messages:,} messages in {report.wall:.1f} s ({report.messages_per_second:,.0f} msg/s)",
    ]
    topics = manifest.get("topics")
    if topics:
        lines.append(f"{len(topics)} topics, each kept as its own topic")
    r = report.requests

    def share(seconds: float) -> str:
        return f"{seconds:.1f} s ({100 * seconds / report.wall:.0f} %)" if report.wall else f"{seconds:.1f} s"

    lines.append("")
    lines.append(
        f"Telegram requests: {r.count:,}, in flight {share(r.in_flight_wall)}, p50 {1000 * r.p50:.0f} ms"
    )
    if report.flood.count:
        lines.append(
            f"Flood waits: {report.flood.waits or report.flood.count}, {share(report.flood.waited_wall)} "
            f"({report.flood.count} refused requests, Telegram asked for {report.flood.announced_seconds} s)"
        )
    else:
        lines.append("Flood waits: none")
    for phase in PHASES:
        lines.append(f"{phase.capitalize()}: {share(report.phases.get(phase, 0.0))}")
    lines.append("Phases overlap, so the shares need not add up to 100 %.")
    if not result.complete:
        lines.append("")
        lines.append(f"Why it stopped: {result.reason}")
        lines.append(
            "What was read is in the PARTIAL archive below; /export the same chat again to continue."
        )
    return "\n".join(lines)


def caption(result: ExportResult, index: int, count: int) -> str:
    written = result.manifest["messages"]["written"]
    text = f"{result.chat.name or 'Export'}: {written:,} messages"
    if count > 1:
        text += f"\nPart {index} of {count}: join with `cat NAME.zip.0* > NAME.zip`, or open .001 in 7-Zip"
    return text[:1024]


async def send_archive(bot: Bot, where: Destination, result: ExportResult) -> list[str]:
    """Upload every part; returns Telegram's file id of each, in order."""
    file_ids = []
    async with ChatActionSender.upload_document(
        bot=bot, chat_id=where.chat_id, message_thread_id=where.thread_id
    ):
        for part in result.parts:
            file_ids.append(
                await _upload(bot, where, str(part.path), caption(result, part.index, part.count))
            )
    return file_ids


async def _upload(bot: Bot, where: Destination, path: str, text: str) -> str:
    for attempt in range(1, UPLOAD_ATTEMPTS + 1):
        try:
            message = await bot.send_document(
                chat_id=where.chat_id,
                message_thread_id=where.thread_id,
                document=FSInputFile(path),
                caption=text,
                request_timeout=600,
            )
            return message.document.file_id
        except TelegramEntityTooLarge:
            raise DeliveryError(
                "Telegram refused an archive part as too large; lower the part size, or use a local "
                "Bot API server (BOT_API_URL) for parts up to 2000 MB."
            ) from None
        except (TelegramNetworkError, TelegramAPIError) as exc:
            if attempt == UPLOAD_ATTEMPTS:
                raise DeliveryError(f"Sending the archive failed ({exc}); it is kept, try /history.") from exc
            log.warning("upload of %s failed (%s); retrying", path, exc)
            await asyncio.sleep(min(30, 2**attempt))
    raise AssertionError("unreachable")


async def resend(bot: Bot, where: Destination, file_ids: list[str], title: str) -> None:
    """Send stored parts again by Telegram file id: no upload."""
    for index, file_id in enumerate(file_ids, 1):
        text = title if len(file_ids) == 1 else f"{title}\nPart {index} of {len(file_ids)}"
        await bot.send_document(
            chat_id=where.chat_id, message_thread_id=where.thread_id, document=file_id, caption=text[:1024]
        )
