"""Running one export job for the bot: status message, export, summary, archive, clean-up."""

from __future__ import annotations

import asyncio
import logging
import shutil
from datetime import timedelta
from pathlib import Path

from aiogram.exceptions import TelegramAPIError

from db import ArchiveStore
from db.jobs import Job, JobPart, JobResult
from exporter.export import ExportError, Progress
from exporter.targets import TargetError

from .context import App
from .delivery import DeliveryError, Destination, send_archive, summary_text
from .progress import StatusMessage

log = logging.getLogger(__name__)


class ExportFailed(Exception):
    """The job ends as failed; the text was already shown to the user."""


class JobRunner:
    """The ``run`` callable of the worker pool."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, job: Job) -> JobResult:
        app = self.app
        where = Destination(job.chat_id, job.thread_id)
        status = await self._status(job, where)

        def on_progress(progress: Progress) -> None:
            status.update(progress)
            if app.pool is not None:
                # Saved with the next heartbeat: /status reads it, and so does /stats' queue view.
                app.pool.report_progress(
                    job.id, {"phase": progress.phase, "done": progress.done, "total": progress.total}
                )

        try:
            result = await app.exports.run(job, on_progress=on_progress)
        except (TargetError, ExportError) as exc:
            await status.close()
            await status.show(f"Export failed: {exc}")
            raise ExportFailed(str(exc)) from exc
        except asyncio.CancelledError:
            await status.close()
            if await app.queue.is_cancel_requested(job.id):
                await status.show("Export cancelled.")
            else:
                # The bot is shutting down: the job goes back to the queue and resumes at the next start.
                await status.show(
                    f"The bot is restarting; the export of {status.title} continues when it is back."
                )
            raise
        await status.close()
        await status.show(f"Exported {result.report.messages:,} messages from {status.title}. Sending…")
        await app.bot.send_message(
            chat_id=where.chat_id, message_thread_id=where.thread_id, text=summary_text(result)
        )
        try:
            file_ids = await send_archive(app.bot, where, result)
        except DeliveryError as exc:
            await app.bot.send_message(
                chat_id=where.chat_id, message_thread_id=where.thread_id, text=str(exc)
            )
            raise ExportFailed(str(exc)) from exc
        await app.exports.delivered(job, result)
        parts = [
            JobPart(str(part.path), part.size, part.sha256, file_id)
            for part, file_id in zip(result.parts, file_ids, strict=True)
        ]
        if not app.settings.keep_archives:
            # Delivered: Telegram keeps the files (re-sent by file id), we keep nothing.
            remove_parts(parts)
        if not result.complete:
            raise ExportFailed(f"stopped early: {result.reason}")
        return JobResult(report=result.report.to_dict(), parts=parts)

    async def _status(self, job: Job, where: Destination) -> StatusMessage:
        app = self.app
        title = job.peer_title or job.target
        text = f"Exporting {title}: starting…"
        message_id = job.status_message_id
        if message_id is None or job.attempts > 1:
            if job.attempts > 1:
                text = f"Continuing the export of {title} where it stopped."
            message = await app.bot.send_message(
                chat_id=where.chat_id, message_thread_id=where.thread_id, text=text
            )
            message_id = message.message_id
            await app.queue.set_status_message(job.id, message_id)
        status = StatusMessage(
            app.bot, where.chat_id, message_id, title, interval=app.settings.progress_interval
        )
        await status.show(text)
        return status


def remove_parts(parts: list[JobPart]) -> None:
    folders = set()
    for part in parts:
        path = Path(part.path)
        path.unlink(missing_ok=True)
        folders.add(path.parent)
    for folder in folders:
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


async def sweep_archives(app: App, archives: ArchiveStore) -> int:
    """Delete kept archives older than the configured age; returns how many jobs' archives went."""
    old = await archives.archives_older_than(timedelta(hours=app.settings.archive_max_age_hours))
    for archive in old:
        remove_parts(list(archive.parts))
        if archive.work_dir is not None:
            shutil.rmtree(archive.work_dir, ignore_errors=True)
        await archives.mark_archive_deleted(archive.job_id)
    return len(old)


async def tell_restarted(app: App, jobs: list[Job]) -> None:
    """After a restart, the users of interrupted jobs hear that they continue."""
    for job in jobs:
        try:
            await app.bot.send_message(
                chat_id=job.chat_id,
                message_thread_id=job.thread_id,
                text=f"The bot restarted. Your export of {job.peer_title or job.target} is back in the queue "
                "and continues where it stopped.",
            )
        except TelegramAPIError as exc:
            log.info("could not tell user %s about the restart: %s", job.user_id, exc)
