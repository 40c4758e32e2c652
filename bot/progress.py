"""One status message per job, edited as the export runs.

Telegram allows about 20 edits a minute per chat and refuses an identical edit
("message is not modified"), so the editor sends at most one edit per
``interval`` seconds, never the same text twice, and when Telegram answers 429
it drops that edit and waits: a late progress edit is worthless, the next one
will say more.  Every edit is best-effort: a 5xx, a lost connection or a
deleted message is logged and never fails the export.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter

from exporter.errors import duration
from exporter.export import Progress
from exporter.media.progress import MediaProgress, human_bytes

from . import text

log = logging.getLogger(__name__)
BAR = 16


def describe(progress: Progress, title: str) -> str:
    lines = [text.PROGRESS_TITLE.format(title=title)]
    if progress.phase == "fetching":
        if progress.total:
            share = min(1.0, progress.done / progress.total)
            filled = round(share * BAR)
            lines.append(f"{'█' * filled}{'░' * (BAR - filled)} {share:.0%}")
            lines.append(text.PROGRESS_OF.format(done=progress.done, total=progress.total))
        else:
            lines.append(text.PROGRESS_DONE.format(done=progress.done))
        speed = text.PROGRESS_SPEED if progress.eta is None else text.PROGRESS_SPEED_ETA
        lines.append(speed.format(rate=progress.rate, eta=progress.eta))
        if progress.active_topics:
            streams = Counter(progress.active_topics)
            names = [
                name if n == 1 else text.PROGRESS_TOPIC_TIMES.format(name=name, count=n)
                for name, n in list(streams.items())[:3]
            ]
            reading = text.PROGRESS_READING_MORE if len(streams) > 3 else text.PROGRESS_READING
            lines.append(reading.format(topics=", ".join(names), more=len(streams) - 3))
        if progress.limited:
            # Nothing on our side would make it faster: say so, so nobody waits for a fix.
            lines.append(text.PROGRESS_LIMITED.format(rate=progress.rate))
        if progress.flood_wait:
            lines.append(text.PROGRESS_FLOOD_WAIT.format(seconds=progress.flood_wait.seconds))
    elif progress.phase == "media" and progress.media is not None:
        lines += _media_lines(progress.media)
    else:
        phase = text.PHASE_LABELS.get(progress.phase, progress.phase)
        lines.append(text.PROGRESS_PHASE.format(done=progress.done, phase=phase))
    return "\n".join(lines)


def _media_lines(media: MediaProgress) -> list[str]:
    """The media stage's bar (by bytes: one video outweighs a thousand photos), files and bytes
    done of the total, the download speed and, once a byte came, the time left at that speed."""
    share = min(1.0, media.bytes_done / media.bytes_total) if media.bytes_total else 0.0
    filled = round(share * BAR)
    done = text.PROGRESS_FILES.format(
        files_done=media.files_done,
        files_total=media.files_total,
        bytes_done=human_bytes(media.bytes_done),
        bytes_total=human_bytes(media.bytes_total),
    )
    eta = media.eta()
    speed = text.PROGRESS_FILES_SPEED if eta is None else text.PROGRESS_FILES_SPEED_ETA
    return [
        f"{'█' * filled}{'░' * (BAR - filled)} {share:.0%}",
        done,
        # Never "about 0 s": the last file is still coming.
        speed.format(speed=human_bytes(media.speed), eta=duration(max(1.0, eta or 0))),
    ]


class StatusMessage:
    def __init__(
        self, bot: Bot, chat_id: int, message_id: int | None, title: str, *, interval: float = 3.0
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.message_id = message_id
        self.title = title
        self.interval = interval
        self._last_text = ""
        self._next_edit = 0.0
        self._pending: Progress | None = None
        self._task: asyncio.Task[None] | None = None

    def update(self, progress: Progress) -> None:
        """Called by the exporter on every page: cheap, never blocks the export."""
        self._pending = progress
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        delay = self._next_edit - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        progress, self._pending = self._pending, None
        if progress is not None:
            await self.show(describe(progress, self.title))

    async def show(self, text: str) -> None:
        """Edit the status now (final words use this too); identical texts are not sent."""
        await self.reopen(text)

    async def reopen(self, text: str) -> bool:
        """Edit the status now, as ``show``; False when Telegram refuses to edit that message at all
        (deleted by the user, or otherwise gone), so the caller can post another one."""
        if text == self._last_text or self.message_id is None:
            return self.message_id is not None
        self._next_edit = time.monotonic() + self.interval
        try:
            await self.bot.edit_message_text(text=text, chat_id=self.chat_id, message_id=self.message_id)
            self._last_text = text
        except TelegramRetryAfter as exc:
            self._next_edit = time.monotonic() + exc.retry_after
        except TelegramBadRequest as exc:
            # A resumed run's first words may be what the message already says: it is still ours.
            if "message is not modified" in exc.message:
                self._last_text = text
                return True
            # The message was deleted by the user, or is otherwise gone: progress is not worth failing for.
            log.info("status edit refused: %s", exc.message)
            return False
        except TelegramAPIError as exc:
            # 5xx or a lost connection: the next edit says more anyway.
            log.info("status edit failed: %s", exc)
        return True

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
