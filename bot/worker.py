"""Running one export job for the bot: status message, export, summary, archive, clean-up.

Nothing a finished export produced is lost to the way out.  The archive parts
(paths, sizes, sha256) and the summary are recorded in the job before anything
is sent, and each part's file id as Telegram confirms it; the work store stays
until the delivery is recorded.  A job re-claimed after a crash whose
unconfirmed parts are intact on disk skips the export and sends only those.
A delivery that keeps failing ends the job failed with the archive kept,
counted in the disk budget, and offered again by /history.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

from aiogram.exceptions import TelegramAPIError

from db import ArchiveStore, DbError
from db.jobs import Job, JobPart, JobResult
from exporter.archive import sha256_of
from exporter.errors import ExplainedError, explain
from exporter.export import STORE_FILE, ExportResult, Progress

from .context import App
from .delivery import DeliveryError, Destination, delivery_record, send_part, send_text, tell
from .handlers.details import details_markup
from .progress import StatusMessage

log = logging.getLogger(__name__)


# How the errors of jobs that made an archive begin (/history tells them apart).
DELIVERY_FAILED = "delivery failed"
STOPPED_EARLY = "stopped early"


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
        try:
            if await _delivery_can_resume(job):
                log.info("job %s: the archive is on disk, sending what Telegram has not confirmed", job.id)
            else:
                result = await self._export(job, status)
                record, parts = delivery_record(result)
                record["report"] = result.report.to_dict()
                job = await app.queue.record_delivery(job.id, record, parts)
            assert job.delivery is not None
            await status.show(f"Exported {job.delivery['messages']:,} messages from {status.title}. Sending…")
            parts = await self._deliver(job, where, status)
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
        return await self._finish(job, parts)

    async def _export(self, job: Job, status: StatusMessage) -> ExportResult:
        app = self.app

        def on_progress(progress: Progress) -> None:
            status.update(progress)
            if app.pool is not None:
                # Saved with the next heartbeat: /status reads it, and so does /stats' queue view.
                app.pool.report_progress(
                    job.id, {"phase": progress.phase, "done": progress.done, "total": progress.total}
                )

        try:
            result = await app.exports.run(job, on_progress=on_progress)
        except Exception as exc:
            if isinstance(exc, ExplainedError):
                sentence = str(exc)
            else:
                # A fault of ours or of the machine (a full disk…): one sentence here, the traceback in the log.
                log.exception("export of job %s failed", job.id)
                sentence = explain(exc, path=app.archives_dir)
            await status.close()
            await status.show(f"Export failed: {sentence}")
            raise ExportFailed(sentence) from exc
        await status.close()
        return result

    async def _deliver(self, job: Job, where: Destination, status: StatusMessage) -> list[JobPart]:
        """Send the summary and every unconfirmed part; each confirmation is recorded at once."""
        app, record = self.app, dict(job.delivery or {})
        bound = app.settings.delivery_retry_seconds
        parts = list(job.parts)
        try:
            if not record["summary_sent"]:
                # Older records (before "details") get no button: there is nothing behind it.
                markup = details_markup(app, job.user_id, job.id) if record.get("details") else None
                await send_text(app.bot, where, record["summary"], bound, markup)
                record["summary_sent"] = True
                await app.queue.record_delivery(job.id, record)
            for index, part in enumerate(parts):
                if part.message_id is not None:
                    continue  # Telegram has it: never sent twice
                parts[index] = await send_part(app.bot, where, part, record["captions"][index], bound)
                await app.queue.confirm_part(job.id, part.path, parts[index].file_id, parts[index].message_id)
        except DeliveryError as exc:
            sentence = f"{str(exc).rstrip('.')}; the archive is kept and /history can send it again."
            await status.show(
                f"Exported {record['messages']:,} messages from {status.title}; sending failed."
            )
            await tell(app.bot, where, sentence)
            if record["complete"]:
                await _drop_work_dir(job)
            raise ExportFailed(f"{DELIVERY_FAILED}: {exc}") from exc
        return parts

    async def _finish(self, job: Job, parts: list[JobPart]) -> JobResult:
        app, record = self.app, job.delivery or {}
        if record["complete"]:
            last_ids = {topic: max_id for topic, max_id in record["last_ids"]}
            await app.exports.delivered(job, record["chat_id"], last_ids)
            await _drop_work_dir(job)
        if not app.settings.keep_archives:
            try:
                # Delivered: Telegram keeps the files (re-sent by file id), we keep nothing.
                remove_parts(parts)
                await ArchiveStore(app.database).mark_archive_deleted(job.id)
            except (OSError, sqlite3.Error, DbError) as exc:
                # The user has the archive: what is left is swept with the kept ones.
                log.warning("could not delete the delivered archive of job %s: %s", job.id, exc)
        if not record["complete"]:
            raise ExportFailed(f"{STOPPED_EARLY}: {record['reason']}")
        return JobResult(report=record.get("report"), parts=parts)

    async def _status(self, job: Job, where: Destination) -> StatusMessage:
        app = self.app
        title = job.peer_title or job.target
        text = f"Exporting {title}: starting…"
        message_id = job.status_message_id
        if message_id is None or job.attempts > 1:
            if job.attempts > 1:
                text = f"Continuing the export of {title} where it stopped."
            try:
                message = await app.bot.send_message(
                    chat_id=where.chat_id, message_thread_id=where.thread_id, text=text
                )
            except TelegramAPIError as exc:
                # Progress is best-effort: the export runs without a status message to edit.
                log.info("could not send the status of job %s: %s", job.id, exc)
            else:
                message_id = message.message_id
                await app.queue.set_status_message(job.id, message_id)
        status = StatusMessage(
            app.bot, where.chat_id, message_id, title, interval=app.settings.progress_interval
        )
        await status.show(text)
        return status


async def _drop_work_dir(job: Job) -> None:
    """The store of a complete export, once its archive is recorded: a later export of the same
    chat must read Telegram again, not render this store's old messages."""
    if job.work_dir is not None:
        await asyncio.to_thread(shutil.rmtree, job.work_dir, True)


async def _delivery_can_resume(job: Job) -> bool:
    """A re-claimed job that recorded its archive: can it be sent without exporting again?"""
    if job.delivery is None or not job.parts:
        return False

    def intact(part: JobPart) -> bool:
        path = Path(part.path)
        return part.message_id is not None or (path.is_file() and sha256_of(path) == part.sha256)

    return all(await asyncio.to_thread(lambda: [intact(part) for part in job.parts]))


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
    """Delete kept archives older than the configured age; returns how many jobs' archives went.
    Work stores are not theirs to delete: a later export of the same chat may continue one."""
    old = await archives.archives_older_than(timedelta(hours=app.settings.archive_max_age_hours))
    for archive in old:
        remove_parts(list(archive.parts))
        await archives.mark_archive_deleted(archive.job_id)
    return len(old)


async def sweep_work_dirs(app: App, archives: ArchiveStore) -> list[Path]:
    """Delete work stores untouched for the configured days that no queued or running job uses:
    exports that stopped early and were never continued. Returns the folders deleted."""
    active = {folder.resolve() for folder in await archives.work_dirs(active=True)}
    oldest = time.time() - app.settings.work_dir_max_age_days * 86_400
    root = app.archives_dir / ".work"

    def sweep() -> list[Path]:
        gone = []
        for store in list(root.rglob(STORE_FILE)) if root.is_dir() else []:
            folder = store.parent
            if folder.resolve() in active or _last_touched(folder) >= oldest:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder)
        return gone

    return await asyncio.to_thread(sweep)


def _last_touched(folder: Path) -> float:
    """The newest modification in the folder; now if it changes while we look (it is in use)."""
    try:
        return max([folder.stat().st_mtime] + [path.stat().st_mtime for path in folder.rglob("*")])
    except FileNotFoundError:
        return time.time()


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
