"""/status, /cancel and /history: a user's own exports; admins see and cancel everyone's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from db import IllegalTransition, JobState
from db.jobs import Job
from exporter.errors import duration

from .. import text
from ..callbacks import ButtonPress, ButtonSession, pressed_message
from ..context import App
from ..delivery import DeliveryError, Destination, send_part, tell
from ..jobs.runner import DELIVERY_FAILED, STOPPED_EARLY
from ..jobs.umbrella import UMBRELLA, cancel_umbrella
from ..middlewares.access import sender_id
from .private import IN_A_GROUP, only_in_private

HISTORY_SIZE = 10
# Job ids are SQLite integers: a bigger number names no job (and would overflow the query).
JOB_ID_LIMIT = 2**63


def _title(job: Job) -> str:
    return job.peer_title or job.target


def _describe(job: Job) -> str:
    progress = job.progress or {}
    if job.state == JobState.RUNNING and progress:
        done, total = progress.get("done", 0), progress.get("total")
        running = text.JOB_RUNNING_OF if total else text.JOB_RUNNING
        share = min(1.0, done / total) if total else 0.0
        line = running.format(id=job.id, title=_title(job), done=done, total=total, share=share)
        phase = progress.get("phase", "fetching")
        if phase != "fetching":
            return text.JOB_PHASE.format(line=line, phase=text.PHASE_LABELS.get(phase, phase))
        # What the status message says too (bot.progress): the reading left, once the rate has settled.
        eta = progress.get("eta")
        return line if eta is None else text.JOB_ETA.format(line=line, eta=duration(eta))
    return text.JOB_STATE.format(id=job.id, title=_title(job), state=text.STATE_LABELS[job.state])


async def _current(app: App, user_id: int) -> list[Job]:
    return [job for job in await app.queue.list_for_user(user_id, limit=20) if not job.finished]


async def status(message: Message, command: CommandObject, app: App, is_admin: bool) -> None:
    if is_admin and (command.args or "").strip().lower() == "all":
        await _status_of_everyone(message, app)
        return
    jobs = await _current(app, sender_id(message))
    if not jobs:
        await message.answer(text.NOTHING_RUNNING)
        return
    lines = []
    for job in jobs:
        line = _describe(job)
        if job.state == JobState.QUEUED:
            line = text.JOB_PLACE.format(line=line, position=await app.queue.position(job.id))
        lines.append(line)
    await message.answer(text.fit_lines(lines))


async def _status_of_everyone(message: Message, app: App) -> None:
    jobs = await app.queue.list_unfinished()
    if not jobs:
        await message.answer(text.NOBODY_RUNNING)
        return
    lines = [text.JOB_OF_USER.format(line=_describe(job), user_id=job.user_id) for job in jobs]
    await message.answer(text.fit_lines(lines, text.CANCEL_ANY))


async def cancel(message: Message, command: CommandObject, app: App, is_admin: bool) -> None:
    user_id = sender_id(message)
    jobs = await _current(app, user_id)
    wanted_text = (command.args or "").strip().lstrip("#")
    if wanted_text.isdecimal():
        wanted = int(wanted_text)
        jobs = [job for job in jobs if job.id == wanted]
        if not jobs and is_admin and wanted < JOB_ID_LIMIT:
            found = await app.queue.get(wanted)
            jobs = [found] if found is not None and not found.finished else []
    if not jobs:
        await message.answer(text.NOTHING_TO_CANCEL)
        return
    job = jobs[0]
    if UMBRELLA in job.options:
        # One chat of /export all: the whole stops, and its summary says what was exported.
        count = await cancel_umbrella(app, int(job.options[UMBRELLA]), user_id)
        await message.answer(text.MANY_CANCELLING.format(count=count))
        return
    try:
        await app.queue.cancel(job.id, user_id)
    except IllegalTransition:
        await message.answer(text.ALREADY_FINISHED.format(id=job.id))
        return
    await message.answer(text.CANCELLING.format(id=job.id, title=_title(job)))
    if job.user_id != user_id:
        await _tell_owner(app, job, user_id)


async def _tell_owner(app: App, job: Job, admin_id: int) -> None:
    """The owner of a job an admin cancelled hears who did it, where the export was asked for."""
    sentence = text.CANCELLED_BY_ADMIN.format(admin_id=admin_id, id=job.id, title=_title(job))
    await tell(app.bot, Destination(job.chat_id, job.thread_id), sentence)


async def history(message: Message, app: App) -> None:
    user_id = sender_id(message)
    jobs = [job for job in await app.queue.list_for_user(user_id, limit=HISTORY_SIZE) if job.finished]
    if not jobs:
        await message.answer(text.NO_HISTORY)
        return
    lines, rows = [], []
    for job in jobs:
        when = dt.datetime.fromtimestamp(job.finished_at or job.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        messages = (job.report or job.delivery or {}).get("messages")
        line = text.HISTORY_LINE_MESSAGES if messages else text.HISTORY_LINE
        lines.append(
            line.format(id=job.id, when=when, title=_title(job), outcome=_outcome(job), messages=messages)
        )
        if _can_resend(job):
            token = await app.buttons.open(user_id, "resend", job_id=job.id)
            label = text.SEND_AGAIN_BUTTON.format(id=job.id)
            rows.append([InlineKeyboardButton(text=label, callback_data=app.buttons.data(token, "go"))])
    await message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
    )


def _outcome(job: Job) -> str:
    if job.state == JobState.FAILED and (job.error or "").startswith(DELIVERY_FAILED):
        return text.OUTCOME_NOT_DELIVERED
    if job.state == JobState.FAILED and (job.error or "").startswith(STOPPED_EARLY):
        return text.OUTCOME_STOPPED_EARLY
    return text.STATE_LABELS[job.state]


def _can_resend(job: Job) -> bool:
    """Telegram has every part (file ids), or the archive is still on disk (a delivery that failed)."""
    if not job.finished or not job.parts:
        return False
    return all(part.file_id for part in job.parts) or (
        job.archive_deleted_at is None and all(Path(part.path).is_file() for part in job.parts)
    )


async def resend_archive(query: CallbackQuery, app: App, button: ButtonSession) -> None:
    job = await app.queue.get(button.data["job_id"])
    if job is None or job.user_id != query.from_user.id:
        await query.answer(text.NOT_YOURS, show_alert=True)
        return
    if not _can_resend(job):
        await query.answer(text.ARCHIVE_GONE, show_alert=True)
        return
    await query.answer(text.RESENDING)
    message = pressed_message(query)
    where = Destination(message.chat.id, message.message_thread_id)
    captions = (job.delivery or {}).get("captions") or [_title(job)] * len(job.parts)
    for part, caption in zip(job.parts, captions, strict=True):
        try:
            sent = await send_part(app.bot, where, part, caption, app.settings.delivery_retry_seconds)
        except DeliveryError as exc:
            await tell(app.bot, where, text.RESEND_FAILED.format(reason=str(exc).rstrip(".")))
            return
        if not part.file_id and sent.file_id:
            # Uploaded from disk this time: the next resend goes by file id.
            await app.queue.set_parts_file_ids(job.id, {part.path: sent.file_id})


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="jobs")
    router.message(Command("status", "cancel", "history"), IN_A_GROUP)(only_in_private)
    router.message(Command("status"))(status)
    router.message(Command("cancel"))(cancel)
    router.message(Command("history"))(history)
    router.callback_query(ButtonPress("resend"))(resend_archive)
    return router
