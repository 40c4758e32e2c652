"""Running one export job for the bot: status message, export, summary, archive, clean-up.

Nothing a finished export produced is lost to the way out.  The archive parts
(paths, sizes, sha256) and the summary are recorded in the job before anything
is sent, and each part's file id as Telegram confirms it; the work store stays
until the delivery is recorded.  A job re-claimed after a crash whose
unconfirmed parts are intact on disk skips the export and sends only those.
A delivery that keeps failing ends the job failed with the archive kept,
counted in the disk budget, and offered again by /history.

The user always gets an answer.  A fault the exporter knows (Telegram's
refusals, the disk, the network) ends the job with its sentence in the status
message; anything else, anywhere in the run (a bug of ours: the export, the
summary, the delivery, the bookkeeping), is caught once around the whole run:
the traceback goes to the log (redacted, like every record), the status
message says the export stopped, the user gets ``text.EXPORT_WENT_WRONG``,
and the job ends failed instead of running.  The work store and any recorded
archive stay, so nothing fetched is lost.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from aiogram.exceptions import TelegramAPIError

from db import ArchiveStore, DbError
from db.jobs import Job, JobPart
from exporter.archive import sha256_of
from exporter.errors import ExplainedError, explain_known, leaf_error
from exporter.export import ExportResult, Progress

from .. import text
from ..accounts.pool import READER, NoAccountCanRead
from ..context import App
from ..delivery import (
    DeliveryError,
    Destination,
    delivery_record,
    send_part,
    send_text,
    tell,
    with_delivery_time,
)
from ..handlers.details import details_markup
from ..progress import StatusMessage
from .cleanup import remove_parts
from .own_session import session_ended
from .pool import JobFailed, JobResult
from .schedules import is_scheduled, nothing_new

log = logging.getLogger(__name__)


# How the errors of jobs that made an archive begin (/history tells them apart).
DELIVERY_FAILED = "delivery failed"
STOPPED_EARLY = "stopped early"
# How the error of a job stopped by a bug of ours begins; the rest is the exception's type.
UNEXPECTED = "unexpected error"


class ExportFailed(JobFailed):
    """The job ends as failed; the text was already shown to the user."""


class JobRunner:
    """The ``run`` callable of the worker pool."""

    def __init__(self, app: App, on_session_ended: Callable[[], None] | None = None) -> None:
        """``on_session_ended()`` once Telegram ended the process's own session (a worker stops
        taking exports then; the bot, which has no other, tells each of its exports why)."""
        self.app = app
        self.on_session_ended = on_session_ended
        self._ended_logged = False

    async def __call__(self, job: Job) -> JobResult:
        app, where = self.app, Destination(job.chat_id, job.thread_id)
        title = job.peer_title or job.target
        status = StatusMessage(
            app.bot, where.chat_id, job.status_message_id, title, interval=app.settings.progress_interval
        )
        try:
            await self._open_status(job, where, status)
            return await self._run(job, where, status)
        except (ExportFailed, asyncio.CancelledError):
            raise
        except Exception as exc:
            # The catch-all: whatever a step let through, the user hears once and the job ends.
            log.exception("job %s stopped on an unexpected error", job.id)
            await self._tell_unexpected(job, where, status)
            # Its type only: the text may hold anything, and admins read job errors in /stats.
            raise ExportFailed(f"{UNEXPECTED}: {type(leaf_error(exc)).__name__}") from exc

    async def _run(self, job: Job, where: Destination, status: StatusMessage) -> JobResult:
        app = self.app
        try:
            # Delivery, the report's last phase, starts when the export ends (or now, when resuming it).
            sending = time.perf_counter()
            if await _delivery_can_resume(job):
                log.info("job %s: the archive is on disk, sending what Telegram has not confirmed", job.id)
            else:
                result, account = await self._export(job, status)
                if is_scheduled(job) and (nothing_new(result) or not result.complete):
                    return await self._hold_back(job, result, status)
                sending = time.perf_counter()
                record, parts = delivery_record(result, account)
                job = await app.queue.record_delivery(job.id, record, parts)
            assert job.delivery is not None
            await status.show(text.SENDING.format(messages=job.delivery["messages"], title=status.title))
            job, parts = await self._deliver(job, where, status, sending)
        except asyncio.CancelledError:
            await status.close()
            if await app.queue.is_cancel_requested(job.id):
                await status.show(text.CANCELLED)
            else:
                # The bot is shutting down: the job goes back to the queue and resumes at the next start.
                await status.show(text.RESTARTING.format(title=status.title))
            raise
        return await self._finish(job, parts)

    async def _hold_back(self, job: Job, result: ExportResult, status: StatusMessage) -> JobResult:
        """A scheduled run sends no empty archive and no partial one: its status says there is nothing
        new, or why it stopped; a stopped run's store stays, so the next run continues it and delivers
        it whole (the schedule's series holds every message once)."""
        await remove_parts([JobPart(str(part.path), part.size, part.sha256) for part in result.parts])
        if not result.complete:
            await status.show(text.EXPORT_FAILED.format(reason=result.reason))
            raise ExportFailed(f"{STOPPED_EARLY}: {result.reason}")
        await _drop_work_dir(job)
        await status.show(text.NOTHING_NEW.format(title=status.title))
        return JobResult(report=result.report.to_dict())

    async def _tell_unexpected(self, job: Job, where: Destination, status: StatusMessage) -> None:
        """Best effort: a failure here (Telegram down too) is logged and the job still ends failed."""
        try:
            await status.close()
            await status.show(text.EXPORT_STOPPED.format(title=status.title))
            await tell(self.app.bot, where, text.EXPORT_WENT_WRONG)
        except Exception:
            log.exception("could not tell the user of job %s that it stopped", job.id)

    async def _export(self, job: Job, status: StatusMessage) -> tuple[ExportResult, str | None]:
        """The export's result and the name of the exporting account that read it (None: the bot's own)."""
        app, account = self.app, None

        def on_progress(progress: Progress) -> None:
            status.update(progress)
            if app.pool is not None:
                # Saved with the next heartbeat: /status reads it, and so does /stats' queue view.
                # The ETA as the status message has it (None until the rate has settled).
                eta = progress.eta if progress.phase == "fetching" else None
                app.pool.report_progress(
                    job.id,
                    {"phase": progress.phase, "done": progress.done, "total": progress.total, "eta": eta},
                )

        # A person's chat or Saved Messages is the conversation of the session that resolved it for
        # the user (bot/accounts/pool.py: READER): the bot's own, or that account, never another.
        bound = READER in job.options
        own = app.accounts is None or (bound and job.options[READER] is None)
        try:
            if bound and job.options[READER] is None:
                result = await app.exports.run(job, on_progress=on_progress)
            elif app.accounts is not None:
                run = partial(app.exports.run, job, on_progress)
                waiting = (text.WAITING_FOR_ITS_ACCOUNT if bound else text.WAITING_FOR_ACCOUNT).format(
                    title=status.title
                )
                result, used = await app.accounts.run(
                    job, lambda client: run(client=client), on_wait=lambda: status.show(waiting)
                )
                account = used.name
            elif bound:
                # Its account's conversation, and the accounts are off (no SESSION_KEY): not the own one's.
                raise NoAccountCanRead(text.NO_ACCOUNT)
            else:
                result = await app.exports.run(job, on_progress=on_progress)
        except Exception as exc:
            # A fault of Telegram or of the machine (a full disk…): one sentence, and the export
            # can be run again. Anything else is a bug of ours, for the catch-all in __call__.
            sentence = explain_known(exc, path=app.archives_dir)
            if sentence is None:
                raise
            if not isinstance(exc, ExplainedError):
                log.exception("export of job %s failed", job.id)
            if own and await session_ended(app.client, exc):
                sentence = self._session_ended()
            await status.close()
            await status.show(text.EXPORT_FAILED.format(reason=sentence))
            raise ExportFailed(sentence) from exc
        if own and not result.complete and await session_ended(app.client):
            # What was read is delivered as any stopped export's, with the real cause as its reason.
            result.reason = self._session_ended()
        await status.close()
        return result, account

    def _session_ended(self) -> str:
        """Log it (once: a line per job would bury it), tell the owner of the process; the sentence."""
        if not self._ended_logged:
            self._ended_logged = True
            log.error(
                "Telegram ended this process's own session (AUTH_KEY_DUPLICATED: used from two places "
                "at once); log it in again and give the bot and each worker a session of its own"
            )
        if self.on_session_ended is not None:
            self.on_session_ended()
        return text.SESSION_ENDED

    async def _deliver(
        self, job: Job, where: Destination, status: StatusMessage, started: float
    ) -> tuple[Job, list[JobPart]]:
        """Send the summary and every unconfirmed part; each confirmation is recorded at once, and
        at the end the time since ``started`` (the delivery phase of the report)."""
        app, record = self.app, dict(job.delivery or {})
        bound = app.settings.delivery_retry_seconds
        parts = list(job.parts)
        try:
            if not record["summary_sent"]:
                # Older records (before "details") get no button: there is nothing behind it.
                markup = await details_markup(app, job.user_id, job.id) if record.get("details") else None

                async def sent(_: object) -> None:
                    record["summary_sent"] = True
                    await app.queue.record_delivery(job.id, record)

                await send_text(app.bot, where, record["summary"], bound, markup, sent)
            for index, part in enumerate(parts):
                if part.message_id is not None:
                    continue  # Telegram has it: never sent twice
                parts[index] = await send_part(
                    app.bot, where, part, record["captions"][index], bound, confirming(app, job.id)
                )
        except DeliveryError as exc:
            sentence = text.NOT_SENT_KEPT.format(reason=str(exc).rstrip("."))
            await status.show(text.SENDING_FAILED.format(messages=record["messages"], title=status.title))
            await tell(app.bot, where, sentence)
            if record["complete"]:
                await _drop_work_dir(job)
            raise ExportFailed(f"{DELIVERY_FAILED}: {exc}") from exc
        record = with_delivery_time(record, time.perf_counter() - started)
        return await app.queue.record_delivery(job.id, record), parts

    async def _finish(self, job: Job, parts: list[JobPart]) -> JobResult:
        app, record = self.app, job.delivery or {}
        if record["complete"]:
            last_ids = dict(record["last_ids"])
            await app.exports.delivered(job, record["chat_id"], last_ids)
            await _drop_work_dir(job)
        if not app.settings.keep_archives:
            try:
                # Delivered: Telegram keeps the files (re-sent by file id), we keep nothing.
                await remove_parts(parts)
                await ArchiveStore(app.database).mark_archive_deleted(job.id)
            except (OSError, sqlite3.Error, DbError) as exc:
                # The user has the archive: what is left is swept with the kept ones.
                log.warning("could not delete the delivered archive of job %s: %s", job.id, exc)
        if not record["complete"]:
            raise ExportFailed(f"{STOPPED_EARLY}: {record['reason']}")
        return JobResult(report=record.get("report"), parts=parts)

    async def _open_status(self, job: Job, where: Destination, status: StatusMessage) -> None:
        """Show the job's first words in its status message; a new one only when it has none or
        Telegram refuses to edit it. A resumed run (a restart, a worker killed mid-export) keeps
        the message of the run before: a second one would leave that one frozen mid-count, two
        progress messages for one export, one of them dead."""
        first = text.CONTINUING if job.attempts > 1 else text.STARTING
        words = first.format(title=status.title)
        if status.message_id is not None and not await status.reopen(words):
            status.message_id = None
        if status.message_id is None:
            try:
                message = await self.app.bot.send_message(
                    chat_id=where.chat_id, message_thread_id=where.thread_id, text=words
                )
            except TelegramAPIError as exc:
                # Progress is best-effort: the export runs without a status message to edit.
                log.info("could not send the status of job %s: %s", job.id, exc)
            else:
                status.message_id = message.message_id
                await self.app.queue.set_status_message(job.id, message.message_id)
        await status.show(words)


def confirming(app: App, job_id: int) -> Callable[[JobPart], Awaitable[object]]:
    """What records a part of the job as Telegram's (send_part calls it)."""

    async def confirm(sent: JobPart) -> None:
        await app.queue.confirm_part(job_id, sent.path, sent.file_id, sent.message_id)

    return confirm


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


async def tell_restarted(app: App, jobs: list[Job]) -> None:
    """After a restart, the users of interrupted jobs hear that they continue."""
    for job in jobs:
        try:
            await app.bot.send_message(
                chat_id=job.chat_id,
                message_thread_id=job.thread_id,
                text=text.RESTARTED.format(title=job.peer_title or job.target),
            )
        except TelegramAPIError as exc:
            log.info("could not tell user %s about the restart: %s", job.user_id, exc)
