"""Running the chats of an umbrella (/export all): one job per chat, one progress message, one summary.

Each chat is an ordinary job (the queue's fairness, heartbeats, restarts and cancels apply); its
options carry :data:`UMBRELLA` so the worker knows, from the job alone, to run it here instead of
through :class:`~bot.jobs.runner.JobRunner`:

- its progress edits the umbrella's one message ("Digest (chat 3 of 9; 2 done, 0 not exported)");
- no summary of its own: its outcome (complete or not, messages, why) is recorded in the umbrella;
- one archive per chat: its parts are sent as soon as it is exported, each recorded as Telegram
  confirms it, as a single export's are; one archive for all: its zip waits on disk, whole;
- a user who cancels a chat (/cancel) cancels the whole: the chats still queued end cancelled;
- the worker that ends the last chat finishes the umbrella (db.umbrellas.claim_finish: exactly
  one): the combined archive is written, then the one summary and the parts are sent, each
  recorded before the next, so a restart sends only what Telegram has not confirmed.

A restart hands the running chat back to the queue like any job; :func:`after_restart` tells each
umbrella's user once (not once per chat) and finishes umbrellas whose last chat ended just before.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any

from db import IllegalTransition
from db.jobs import Job, JobPart
from db.umbrellas import FINISHING, Umbrella, UmbrellaChat, UmbrellaStore
from exporter.combined import ChatArchive, write_combined
from exporter.errors import explain_known
from exporter.export import ExportResult, Progress
from exporter.many import COMBINED, WHOLE

from .. import text
from ..accounts import NoAccountCanRead, same_for_every_account
from ..context import App
from ..delivery import DeliveryError, Destination, caption, send_part, send_text, tell
from ..progress import StatusMessage
from .cleanup import remove_parts
from .exports import ExportJobs
from .pool import JobResult, RunJob
from .runner import ExportFailed, JobRunner, _delivery_can_resume, _drop_work_dir, confirming

log = logging.getLogger(__name__)

# The key of a job's options that names its umbrella (ExportOptions.from_json ignores it).
UMBRELLA = "umbrella"


class ManyAwareRunner:
    """The worker pool's ``run``: chats of an umbrella here, every other job by ``JobRunner``."""

    def __init__(self, app: App, single: RunJob | None = None) -> None:
        self.app = app
        self.single = single or JobRunner(app)

    async def __call__(self, job: Job) -> JobResult | None:
        umbrella_id = job.options.get(UMBRELLA)
        if umbrella_id is None:
            return await self.single(job)
        return await _run_chat(self.app, job, int(umbrella_id))


async def _run_chat(app: App, job: Job, umbrella_id: int) -> JobResult:
    store = UmbrellaStore(app.database)
    umbrella, chats = await _umbrella(store, umbrella_id, job.id)
    me = next(chat for chat in chats if chat.job_id == job.id)
    where = Destination(umbrella.chat_id, umbrella.thread_id)
    ended = [chat.outcome for chat in chats if chat.outcome is not None]
    title = text.MANY_PROGRESS_TITLE.format(
        title=me.title,
        index=me.position + 1,
        count=len(chats),
        done=sum(1 for o in ended if "error" not in o),
        failed=sum(1 for o in ended if "error" in o),
    )
    status = StatusMessage(
        app.bot, where.chat_id, umbrella.status_message_id, title, interval=app.settings.progress_interval
    )
    try:
        record, parts = await _exported(app, job, umbrella, me, status)
        if umbrella.layout != COMBINED:
            parts = await _send_parts(app, job.id, where, parts, record["captions"])
            if record["outcome"]["complete"]:
                # The user has it: the next incremental export of the chat starts after it.
                await app.exports.delivered(job, record["outcome"]["chat_id"], dict(record["last_ids"]))
    except asyncio.CancelledError:
        await status.close()
        if await app.queue.is_cancel_requested(job.id):
            # A person stopped this chat (/cancel): an umbrella stops as a whole.
            await store.record_outcome(job.id, {"title": me.title, "cancelled": True})
            await cancel_umbrella(app, umbrella_id, job.user_id)
        raise
    except Exception as exc:
        await status.close()
        sentence = explain_known(exc, path=app.archives_dir)
        if sentence is None:
            log.exception("chat %s of umbrella %s stopped on an unexpected error", job.id, umbrella_id)
        await store.record_outcome(job.id, {"title": me.title, "error": sentence or text.MANY_WENT_WRONG})
        await _finish_if_last(app, umbrella_id, job.id)
        raise ExportFailed(sentence or text.MANY_WENT_WRONG) from exc
    await status.close()
    outcome = record["outcome"]
    if outcome["complete"] and umbrella.layout != COMBINED:
        # A complete chat's store is not needed again (its archive is delivered); a partial one's
        # stays, so exporting the chat again continues it. In one archive for all, the store waits
        # for that archive's delivery (finish), which records where the next export starts.
        await _drop_work_dir(await app.queue.get(job.id) or job)
    await store.record_outcome(job.id, outcome)
    await _finish_if_last(app, umbrella_id, job.id)
    # A combined layout's zip is the umbrella's to deliver: the job lists no archive of its own.
    return JobResult(report=record["report"], parts=parts if umbrella.layout != COMBINED else [])


async def _exported(
    app: App, job: Job, umbrella: Umbrella, me: UmbrellaChat, status: StatusMessage
) -> tuple[dict[str, Any], list[JobPart]]:
    """The chat exported, its outcome and archive recorded in the job before anything is sent; a
    job re-claimed after a restart whose archive is recorded and intact is not exported again."""
    if job.delivery is not None and "outcome" in job.delivery and await _delivery_can_resume(job):
        return job.delivery, list(job.parts)
    result, account = await _export(app, job, umbrella, status)
    parts = [JobPart(str(part.path), part.size, part.sha256) for part in result.parts]
    outcome: dict[str, Any] = {
        "title": result.chat.name or me.title,
        "chat_id": result.chat.id,
        "chat_type": result.chat.type,
        "complete": result.complete,
        "reason": result.reason,
        "messages": int(result.manifest["messages"]["written"]),
    }
    if account is not None:
        outcome["account"] = account
    if umbrella.layout == COMBINED:
        outcome["archive"] = parts[0].path
    record = {
        "outcome": outcome,
        "captions": [caption(result, p.index, p.count) for p in result.parts],
        "report": result.report.to_dict(),
        "last_ids": [[topic, max_id] for topic, max_id in result.last_ids.items()],
    }
    await app.queue.record_delivery(job.id, record, parts)
    return record, parts


async def _umbrella(
    store: UmbrellaStore, umbrella_id: int, job_id: int
) -> tuple[Umbrella, list[UmbrellaChat]]:
    """The umbrella and its chats; the handler links a chat right after queueing its job, so a
    worker that claimed it within those milliseconds waits for the link."""
    for _ in range(50):
        umbrella = await store.get(umbrella_id)
        chats = await store.chats(umbrella_id)
        if umbrella is not None and any(chat.job_id == job_id for chat in chats):
            return umbrella, chats
        await asyncio.sleep(0.1)
    raise LookupError(f"job {job_id} is not a chat of umbrella {umbrella_id}")


async def _export(
    app: App, job: Job, umbrella: Umbrella, status: StatusMessage
) -> tuple[ExportResult, str | None]:
    """The chat's export and the name of the exporting account that read it (None: the bot's own)."""
    exports = app.exports
    if umbrella.layout == COMBINED:
        # Its zip is read whole into the combined archive, which is cut into parts afterwards.
        exports = ExportJobs(
            app.client,
            app.queue,
            app.checkpoints,
            app.archives_dir,
            defaults=replace(exports.defaults, part_size=WHOLE),
        )

    def on_progress(progress: Progress) -> None:
        status.update(progress)
        if app.pool is not None:
            app.pool.report_progress(
                job.id, {"phase": progress.phase, "done": progress.done, "total": progress.total}
            )

    # A group or channel on a free account that reads it; a person's chat and Saved Messages on the
    # session whose dialog list they came from, the bot's own (bot/accounts: same_for_every_account).
    if app.accounts is not None and same_for_every_account(job.target):
        try:
            waiting = text.WAITING_FOR_ACCOUNT.format(title=status.title)
            result, used = await app.accounts.run(
                job,
                lambda client: exports.run(job, on_progress=on_progress, client=client),
                on_wait=lambda: status.show(waiting),
            )
            return result, used.name
        except NoAccountCanRead:
            pass  # every account refused it: the session that listed it reads it, below
    return await exports.run(job, on_progress=on_progress), None


async def _send_parts(
    app: App, job_id: int, where: Destination, parts: list[JobPart], captions: list[str]
) -> list[JobPart]:
    """One chat's own archive, part by part, each recorded as Telegram confirms it (a part
    confirmed before a restart is not sent again)."""
    bound = app.settings.delivery_retry_seconds
    for index, part in enumerate(parts):
        if part.message_id is None:
            parts[index] = await send_part(
                app.bot, where, part, captions[index], bound, confirming(app, job_id)
            )
    if not app.settings.keep_archives:
        await remove_parts(parts)
    return parts


async def cancel_umbrella(app: App, umbrella_id: int, by_user: int) -> int:
    """Cancel every chat of the umbrella not yet ended; returns how many. With none running, the
    umbrella finishes now; a running one is stopped by its worker, which finishes it."""
    jobs = await UmbrellaStore(app.database).cancel(umbrella_id)
    for job_id in jobs:
        try:
            await app.queue.cancel(job_id, by_user)
        except IllegalTransition:  # it ended meanwhile: nothing left to stop
            log.info("chat %s of umbrella %s ended before it could be cancelled", job_id, umbrella_id)
    await _finish_if_last(app, umbrella_id, None)
    return len(jobs)


async def _finish_if_last(app: App, umbrella_id: int, job_id: int | None) -> None:
    umbrella = await UmbrellaStore(app.database).claim_finish(umbrella_id, job_id)
    if umbrella is not None:
        await finish(app, umbrella)


async def finish(app: App, umbrella: Umbrella) -> None:
    """The combined archive (if chosen), the one summary, the parts: each step recorded before the
    next, so running this again after a restart sends only what was not confirmed."""
    store = UmbrellaStore(app.database)
    chats = await store.chats(umbrella.id)
    where = Destination(umbrella.chat_id, umbrella.thread_id)
    status = StatusMessage(app.bot, where.chat_id, umbrella.status_message_id, "")
    delivery = dict(umbrella.delivery or {})
    if "summary" not in delivery:
        delivery["summary"] = summary(chats, umbrella.cancelled)
        delivery["parts"] = []
        if umbrella.layout == COMBINED:
            await status.show(text.MANY_SENDING.format(count=len(chats)))
            try:
                delivery["parts"], delivery["captions"] = await _combine(app, umbrella, chats)
            except Exception as exc:
                # A full disk, say: the summary still comes, saying why there is no archive. The
                # chats' own zips belong to no job (no sweep knows them): they go too.
                await remove_parts(
                    [JobPart(o["archive"], 0, "") for c in chats if (o := c.outcome) and o.get("archive")]
                )
                sentence = explain_known(exc, path=app.archives_dir)
                if sentence is None:
                    log.exception("the combined archive of umbrella %s could not be written", umbrella.id)
                reason = (sentence or text.MANY_WENT_WRONG).rstrip(".")
                delivery["summary"] += "\n" + text.MANY_NOT_COMBINED.format(reason=reason)
        delivery["summary_sent"] = False
        await store.record_delivery(umbrella.id, delivery)
    bound = app.settings.delivery_retry_seconds
    try:
        if not delivery["summary_sent"]:
            await status.show(text.MANY_FINISHED.format(count=len(chats)))

            async def sent(_: object) -> None:
                delivery["summary_sent"] = True
                await store.record_delivery(umbrella.id, delivery)

            await send_text(app.bot, where, delivery["summary"], bound, confirm=sent)
        parts = [JobPart.from_dict(part) for part in delivery["parts"]]
        for index, part in enumerate(parts):
            if part.message_id is None:
                parts[index] = await send_part(
                    app.bot,
                    where,
                    part,
                    delivery["captions"][index],
                    bound,
                    partial(_confirm, store, umbrella.id, delivery, index),
                )
    except DeliveryError as exc:
        unsent = text.MANY_NOT_SENT if delivery["parts"] else text.MANY_SUMMARY_NOT_SENT
        await tell(app.bot, where, unsent.format(reason=str(exc).rstrip(".")))
    else:
        if umbrella.layout == COMBINED and delivery["parts"]:
            await _delivered(app, chats)
    if umbrella.layout == COMBINED:
        for chat in chats:
            job = await app.queue.get(chat.job_id)
            if job is not None and (chat.outcome or {}).get("complete"):
                await _drop_work_dir(job)
    # The archive for all chats belongs to no job, so neither the disk budget nor /history nor the
    # sweeps know it: it is never kept (KEEP_ARCHIVES keeps each chat's own archive, not this one).
    await remove_parts([JobPart.from_dict(part) for part in delivery["parts"]])
    await store.finish(umbrella.id)


async def _confirm(
    store: UmbrellaStore, umbrella_id: int, delivery: dict[str, Any], index: int, sent: JobPart
) -> None:
    """Telegram has part ``index`` of the archive for all: recorded, it is never sent again."""
    delivery["parts"][index] = asdict(sent)
    await store.record_delivery(umbrella_id, delivery)


async def _delivered(app: App, chats: list[UmbrellaChat]) -> None:
    """The user has the archive for all: each complete chat's next incremental export starts after it."""
    for chat in chats:
        job = await app.queue.get(chat.job_id)
        outcome = chat.outcome or {}
        if job is not None and job.delivery is not None and outcome.get("complete"):
            await app.exports.delivered(job, outcome["chat_id"], dict(job.delivery["last_ids"]))


async def _combine(
    app: App, umbrella: Umbrella, chats: list[UmbrellaChat]
) -> tuple[list[dict[str, Any]], list[str]]:
    archives = []
    for chat in chats:
        outcome = chat.outcome or {}
        archive = outcome.get("archive")
        archives.append(
            ChatArchive(
                outcome.get("title", chat.title),
                Path(archive) if archive else None,
                bool(outcome.get("complete")),
                int(outcome.get("messages", 0)),
                outcome.get("reason") or outcome.get("error"),
                chat.left,
                chat.archived,
                outcome.get("chat_id"),
                outcome.get("chat_type"),
            )
        )
    out_dir = app.archives_dir / f"many-{umbrella.id}"
    if out_dir.exists():
        # A combined archive half-written before a restart: its chats' zips are still there.
        await asyncio.to_thread(shutil.rmtree, out_dir, True)
    parts = await write_combined(archives, out_dir, app.settings.part_size_bytes)
    messages = sum(archive.messages for archive in archives)
    count = sum(archive.zip_path is not None for archive in archives)
    captions = [
        (text.MANY_CAPTION if p.count == 1 else text.MANY_CAPTION_PART).format(
            count=count, messages=messages, index=p.index, parts=p.count
        )[:1024]
        for p in parts
    ]
    return [asdict(JobPart(str(p.path), p.size, p.sha256)) for p in parts], captions


def summary(chats: list[UmbrellaChat], cancelled: bool) -> str:
    """The one summary: a headline, then one line per chat (exported whole or not and why)."""
    lines, whole, messages = [], 0, 0
    for chat in chats:
        outcome = chat.outcome or {}
        title = outcome.get("title", chat.title)
        if "messages" in outcome:
            messages += outcome["messages"]
            whole += bool(outcome["complete"])
            template = text.MANY_LINE_COMPLETE if outcome["complete"] else text.MANY_LINE_INCOMPLETE
            line = template.format(title=title, messages=outcome["messages"], reason=outcome.get("reason"))
            account = outcome.get("account")
            lines.append(line if account is None else text.MANY_LINE_ACCOUNT.format(line=line, name=account))
        elif "error" in outcome:
            lines.append(text.MANY_LINE_FAILED.format(title=title, reason=outcome["error"].rstrip(".")))
        else:
            # Cancelled while it ran, or before it could.
            lines.append(text.MANY_LINE_CANCELLED.format(title=title))
    head = text.MANY_STOPPED if cancelled else text.MANY_DONE if whole == len(chats) else text.MANY_PARTLY
    return text.fit_lines([head.format(count=len(chats), whole=whole, messages=messages), *lines])


async def after_restart(app: App, recovered: list[Job]) -> list[Job]:
    """Tell each umbrella's user once that it continues, and finish the umbrellas whose last chat
    ended before the restart; returns the recovered jobs that are not chats of an umbrella."""
    store = UmbrellaStore(app.database)
    for umbrella in await store.unfinished():
        if umbrella.state == FINISHING:
            await finish(app, umbrella)
            continue
        chats = await store.chats(umbrella.id)
        if any(chat.job_state in ("queued", "running") for chat in chats):
            # Its chats go on from the queue (a shutdown handed the running one back, or the
            # restart did): said once for the whole, not once per chat.
            where = Destination(umbrella.chat_id, umbrella.thread_id)
            await tell(app.bot, where, text.MANY_RESTARTED.format(count=len(chats)))
        else:
            await _finish_if_last(app, umbrella.id, None)
    return [job for job in recovered if UMBRELLA not in job.options]
