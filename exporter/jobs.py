"""Running queued export jobs: the bridge from ``db``'s job queue to :func:`export_chat`.

A job carries what the user asked (target, kind, options); its work folder
keeps the resumable store, so a job that a restart sent back to the queue
continues where it stopped.  Delivering the archive is the caller's part (the
bot), which calls :meth:`ExportJobs.delivered` once the user has the archive, so
that the next incremental export starts after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from telethon import TelegramClient

from db import CheckpointStore, JobKind, JobQueue
from db.jobs import Job

from .export import ExportOptions, ExportResult, Progress, export_chat
from .targets import parse_target, resolve_target


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
        work_dir = job.work_dir or self.archives_dir / ".work" / f"job-{job.id}"
        result = await export_chat(
            self.client,
            target,
            options,
            self.archives_dir / f"job-{job.id}",
            work_dir=work_dir,
            on_progress=on_progress,
        )
        return result

    async def delivered(self, job: Job, result: ExportResult) -> None:
        """The user has the archive: the next incremental export of this chat starts after it."""
        if result.complete and result.last_ids:
            await self.checkpoints.record_exported(job.user_id, result.chat.id, result.last_ids, job.id)
