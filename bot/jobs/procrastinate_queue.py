"""The job queue in PostgreSQL mode: procrastinate hands the jobs to workers on any machine.

Each job keeps its record in our ``jobs`` table (db.jobs: the same SQL and state machine as SQLite,
``db.jobs.TRANSITIONS``), and procrastinate carries the dispatch: one procrastinate job per export,
deferred with ``queueing_lock`` (never two waiting for one export) and ``lock`` per user (one export
of a user at a time, whichever worker runs it). A worker (``python -m bot.worker``) takes it,
moves our record queued → running and runs it through the worker pool's bookkeeping (heartbeats,
cancels, the outcome recorded exactly once).

A worker that dies (kill -9, a lost machine) stops sending procrastinate's heartbeats; a periodic
task, which every worker schedules and procrastinate defers once per tick, hands that worker's jobs
back (our record running → queued, its work directory kept) and has procrastinate retry them, so
another worker resumes each from its checkpoint. The same task defers any queued record that has
no procrastinate job (the front-end died between writing the record and deferring it).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

from db import Database
from db.jobs import Job, JobKind, JobState, SqliteJobQueue

from .pool import WorkerPool

log = logging.getLogger(__name__)

QUEUE = "exports"
EXPORT_TASK = "export"
RECOVER_TASK = "recover"
# How often the recovery runs (seconds), and how long a worker may stay silent before its jobs are
# taken back (procrastinate's default: a worker heartbeat every 10 s, stalled after 30 s).
RECOVER_EVERY = 10
STALLED_AFTER = 30.0


class ProcrastinateJobQueue(SqliteJobQueue):
    """``bot.jobs.JobQueue`` with procrastinate as the engine; the records are db.jobs' SQL, which
    runs on PostgreSQL unchanged (db.postgres)."""

    def __init__(
        self,
        db: Database,
        url: str,
        *,
        work_root: Path,
        stalled_after: float = STALLED_AFTER,
        recover_every: int = RECOVER_EVERY,
    ) -> None:
        # The running limits are the engine's: each worker's concurrency, and one job per user (lock).
        super().__init__(db, work_root=work_root)
        self.stalled_after = stalled_after
        self.engine = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
        self._pool: WorkerPool | None = None
        self._export = self.engine.task(name=EXPORT_TASK, queue=QUEUE)(self._run_export)
        recover = self.engine.task(name=RECOVER_TASK, queue=QUEUE)(self._recover)
        # croniter reads a sixth field as the seconds, after the weekday: "*/10 * * * * *" would be
        # every second of every tenth minute (nine minutes in ten without any recovery).
        self.engine.periodic(cron=f"* * * * * */{recover_every}")(recover)

    async def open(self) -> None:
        """Connect procrastinate, creating its tables the first time (under our write lock, so two
        processes starting together create them once)."""
        await self.engine.open_async()
        async with self._db.transaction() as connection:
            found = await connection.execute_fetchall("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            if not next(iter(found))[0]:
                await connection.execute(self.engine.schema_manager.get_schema())

    async def close(self) -> None:
        await self.engine.close_async()

    async def submit(
        self,
        user_id: int,
        chat_id: int,
        target: str,
        *,
        kind: JobKind = JobKind.FULL,
        options: Mapping[str, Any] | None = None,
        thread_id: int | None = None,
        waiting_cap: int | None = None,
    ) -> Job:
        job = await super().submit(
            user_id, chat_id, target, kind=kind, options=options, thread_id=thread_id, waiting_cap=waiting_cap
        )
        await self._defer(job)
        return job

    async def _defer(self, job: Job) -> None:
        configured = self._export.configure(lock=f"user-{job.user_id}", queueing_lock=f"job-{job.id}")
        # Already enqueued: the job waits in procrastinate already, nothing to add.
        with contextlib.suppress(AlreadyEnqueued):
            await configured.defer_async(job_id=job.id)

    async def recover_after_restart(self) -> list[Job]:
        """Nothing at a process's start: other processes' jobs are alive; a dead worker's jobs come
        back through the periodic recovery, once its heartbeats have stopped."""
        return []

    async def serve(self, pool: WorkerPool, *, concurrency: int, **options: Any) -> None:
        """Run exports as procrastinate hands them to this process, until cancelled."""
        self._pool = pool
        await self.engine.run_worker_async(
            queues=[QUEUE], concurrency=concurrency, name=pool.name, install_signal_handlers=False, **options
        )

    async def _run_export(self, job_id: int) -> None:
        if self._pool is None:
            raise RuntimeError("an export task reached a process that serves no worker pool")
        job = await self.claim(job_id, self._pool.name)
        if job is None:
            return  # cancelled, or finished by an earlier attempt
        await self._pool.run_claimed(job)
        after = await self.get(job_id)
        if after is not None and after.state is JobState.QUEUED:
            # Handed back by this worker's shutdown: it waits again, for this or another worker.
            await self._defer(after)

    async def _recover(self, timestamp: int) -> None:
        manager = self.engine.job_manager
        for stalled in await manager.get_stalled_jobs(
            task_name=EXPORT_TASK, seconds_since_heartbeat=self.stalled_after
        ):
            job_id = stalled.task_kwargs["job_id"]
            if not isinstance(job_id, int):
                raise TypeError(f"procrastinate job {stalled.id} names no export: {stalled.task_kwargs}")
            record = await self.get(job_id)
            if record is not None and record.state is JobState.RUNNING:
                back = await self.release(job_id)
                log.warning(
                    "job %s: its worker %s stopped answering; %s again", job_id, record.worker, back.state
                )
            await manager.retry_job(stalled)
        for orphan in await self._queued_without_engine_job():
            await self._defer(orphan)

    async def _queued_without_engine_job(self) -> list[Job]:
        rows = await self._db.fetchall(
            "SELECT id FROM jobs WHERE state = 'queued' AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs AS p "
            "WHERE p.task_name = ? AND p.status IN ('todo', 'doing') "
            "AND p.args ->> 'job_id' = CAST(jobs.id AS TEXT))",
            (EXPORT_TASK,),
        )
        found = [await self.get(int(row[0])) for row in rows]
        return [job for job in found if job is not None]
