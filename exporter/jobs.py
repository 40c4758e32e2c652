"""Running queued export jobs: the bridge from ``db``'s job queue to :func:`export_chat`.

A job carries what the user asked (target, kind, options); its work folder
keeps the resumable store, so a job that a restart sent back to the queue
continues where it stopped.  The folder is named by user, chat and options
(like the CLI's), so a new job asking for the same export as one that stopped
early continues that one's store instead of reading everything again.  It is
per user: two users' exports of one chat would otherwise share one store, and
the first to finish would delete it under the other, still running.

Delivering the archive is the caller's part (the bot): the store is kept until
then, and :meth:`ExportJobs.delivered` makes the next incremental export start
after what the user has.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from telethon import TelegramClient

from db import CheckpointStore, JobKind, JobQueue
from db.jobs import Job

from .export import ExportOptions, ExportResult, Progress, default_work_dir, export_chat
from .render.model import ChatInfo
from .targets import parse_target, resolve_target

# In a work folder: the export in it is complete; the next export of the same chat starts afresh.
FINISHED_MARK = "finished"


def options_to_json(options: ExportOptions) -> dict[str, Any]:
    """What a job stores of its options: what the user chose, not engine tuning."""
    return {
        "formats": list(options.formats),
        "since": options.since.isoformat() if options.since else None,
        "until": options.until.isoformat() if options.until else None,
        "min_id": options.min_id,
        "max_id": options.max_id,
        "last": options.last,
        "topics": list(options.topics) if options.topics is not None else None,
        "takeout": options.takeout,
        "time_zone": options.time_zone,
    }


def options_from_json(data: dict[str, Any], defaults: ExportOptions) -> ExportOptions:
    def date(value: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(value) if value else None

    return replace(
        defaults,
        formats=tuple(data.get("formats") or defaults.formats),
        since=date(data.get("since")),
        until=date(data.get("until")),
        min_id=int(data.get("min_id") or 0),
        max_id=int(data.get("max_id") or 0),
        last=data.get("last"),
        topics=tuple(data["topics"]) if data.get("topics") is not None else None,
        takeout=bool(data.get("takeout", defaults.takeout)),
        time_zone=data.get("time_zone") or defaults.time_zone,
    )


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

    async def run(self, job: Job, on_progress: Callable[[Progress], None] | None = None) -> ExportResult:
        """Export what the job asks for (raises TargetError or ExportError with a message for the user)."""
        target = await resolve_target(self.client, parse_target(job.target))
        await self.queue.set_peer(job.id, target.chat.id, target.chat.name)
        options = options_from_json(job.options, self.defaults)
        if job.kind == JobKind.INCREMENTAL:
            after = await self.checkpoints.last_exported(job.user_id, target.chat.id)
            options = replace(options, after=tuple(sorted(after.items(), key=lambda item: item[0] or 0)))
        work_dir = self.work_dir_for(job.user_id, target.chat, options)
        if job.work_dir != work_dir:
            await self.queue.set_work_dir(job.id, work_dir)
        finished = work_dir / FINISHED_MARK
        if finished.exists():
            # A complete export whose store outlived its delivery (cancelled while sending): its
            # archive was made; continuing it would hand out old messages as complete.
            await asyncio.to_thread(shutil.rmtree, work_dir, True)
        result = await export_chat(
            self.client,
            target,
            options,
            self.archives_dir / f"job-{job.id}",
            work_dir=work_dir,
            on_progress=on_progress,
            keep_work_dir=True,
        )
        if result.complete:
            finished.touch()
        return result

    def work_dir_for(self, user_id: int, chat: ChatInfo, options: ExportOptions) -> Path:
        shared = default_work_dir(self.archives_dir, chat, options)
        return shared.parent / f"user-{user_id}" / shared.name

    async def delivered(self, job: Job, chat_id: int, last_ids: Mapping[int | None, int]) -> None:
        """The user has the archive of a complete export: the next incremental one starts after it."""
        if last_ids:
            await self.checkpoints.record_exported(job.user_id, chat_id, dict(last_ids), job.id)
