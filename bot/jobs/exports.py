"""What turns a queued job into an export: the bridge from the job queue to :func:`export_chat`.

A job carries what the user asked (target, kind, options); its work folder
keeps the resumable store, so a job that a restart sent back to the queue
continues where it stopped.  The folder is named by user, chat and options
(like the CLI's), so a new job asking for the same export as one that stopped
early continues that one's store instead of reading everything again.  It is
per user: two users' exports of one chat would otherwise share one store, and
the first to finish would delete it under the other, still running.  A job tied
to an exporting account's own conversation (a person's chat, Saved Messages:
``READER`` in its options, bot/accounts/pool.py) has its folder and its
incremental checkpoint under that account too: the same id on the bot's own
session is another conversation, whose store or checkpoint would mix into it
or make it skip messages.  Every other job keeps the keys it always had.

Delivering the archive is the runner's part (``bot.jobs.runner``): the store
is kept until then, and :meth:`ExportJobs.delivered` makes the next
incremental export start after what the user has, and point at the files the
user's archives of the chat already hold instead of downloading them again.
Those files are listed in the work folder (``FILES_RECORD``) when the export
ends, so a delivery resumed after a restart records them too.  It lives beside the queue
and the pool, not in ``exporter``: the engine knows only its options, target
and store, never jobs.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from telethon import TelegramClient

from db import CheckpointStore, JobKind
from db.jobs import Job
from db.private import private_opener
from exporter.export import ExportResult, Progress, export_chat
from exporter.options import ExportOptions
from exporter.render.model import ChatInfo
from exporter.targets import parse_target, resolve_target
from exporter.workdir import default_work_dir

from ..accounts.pool import READER
from .queue import JobQueue

# In a work folder: the export in it is complete; the next export of the same chat starts afresh.
FINISHED_MARK = "finished"
# In a work folder: the files of the complete export's archive (Telegram's identity -> path in it),
# recorded for the user once the archive is delivered.
FILES_RECORD = "files.json"


class ExportJobs:
    def __init__(
        self,
        client: TelegramClient,
        queue: JobQueue,
        checkpoints: CheckpointStore,
        archives_dir: Path,
        *,
        defaults: ExportOptions | None = None,
    ) -> None:
        self.client = client
        self.queue = queue
        self.checkpoints = checkpoints
        self.archives_dir = archives_dir
        self.defaults = defaults or ExportOptions()

    async def run(
        self,
        job: Job,
        on_progress: Callable[[Progress], None] | None = None,
        *,
        client: TelegramClient | None = None,
    ) -> ExportResult:
        """Export what the job asks for (raises TargetError or ExportError with a message for the user),
        with ``client``: the exporting account chosen for the job (bot/accounts), or the bot's own."""
        client = client or self.client
        target = await resolve_target(client, parse_target(job.target))
        await self.queue.set_peer(job.id, target.chat.id, target.chat.name)
        options = ExportOptions.from_json(job.options, self.defaults)
        reader = reading_account(job)
        if job.kind == JobKind.INCREMENTAL:
            after = await self.checkpoints.last_exported(job.user_id, target.chat.id, reader=reader)
            options = replace(options, after=tuple(sorted(after.items(), key=lambda item: item[0] or 0)))
            earlier = await self.checkpoints.exported_files(job.user_id, target.chat.id, reader=reader)
        else:
            earlier = {}  # an archive of its own: every file in it
        work_dir = self.work_dir_for(job.user_id, target.chat, options, reader)
        if job.work_dir != work_dir:
            await self.queue.set_work_dir(job.id, work_dir)
        finished = work_dir / FINISHED_MARK
        if finished.exists():
            # A complete export whose store outlived its delivery (cancelled while sending): its
            # archive was made; continuing it would hand out old messages as complete.
            await asyncio.to_thread(shutil.rmtree, work_dir, True)
        result = await export_chat(
            client,
            target,
            options,
            self.archives_dir / f"job-{job.id}",
            work_dir=work_dir,
            on_progress=on_progress,
            keep_work_dir=True,
            earlier_files=earlier.items(),
        )
        if result.complete:
            await asyncio.to_thread(_write_files, work_dir / FILES_RECORD, result.files)
            finished.touch()
        return result

    def work_dir_for(
        self, user_id: int, chat: ChatInfo, options: ExportOptions, reader: int | None = None
    ) -> Path:
        """The job's folder: per user, and per exporting account for its own conversations (``reader``)."""
        shared = default_work_dir(self.archives_dir, chat, options)
        user = shared.parent / f"user-{user_id}"
        return (user if reader is None else user / f"account-{reader}") / shared.name

    async def delivered(self, job: Job, chat_id: int, last_ids: Mapping[int | None, int]) -> None:
        """The user has the archive of a complete export: the next incremental one starts after it."""
        reader = reading_account(job)
        if last_ids:
            await self.checkpoints.record_exported(
                job.user_id, chat_id, dict(last_ids), job.id, reader=reader
            )
        if job.work_dir is not None:
            files = await asyncio.to_thread(_read_files, Path(job.work_dir) / FILES_RECORD)
            await self.checkpoints.record_files(job.user_id, chat_id, files, job.id, reader=reader)


def reading_account(job: Job) -> int | None:
    """The exporting account whose own conversation the job's chat is, or None: any other chat (a
    group or channel, one chat whoever reads it) and the bot's own session's conversations."""
    bound = job.options.get(READER)
    return None if bound is None else int(bound)


def _write_files(path: Path, files: Mapping[str, str]) -> None:
    # File names of the user's chat: for the user only, as the work folder around it.
    with open(path, "w", encoding="utf-8", opener=private_opener) as out:
        json.dump(files, out)


def _read_files(path: Path) -> dict[str, str]:
    """The files of a delivered archive; none for a job that ended before they were listed."""
    try:
        with open(path, encoding="utf-8") as source:
            files: dict[str, str] = json.load(source)
    except FileNotFoundError:
        return {}
    return files
