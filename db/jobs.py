"""The durable job queue's storage: the SQLite queue of job records (db.job_record: the record and
its state machine).

A job moves ``queued → running → done | failed | cancelled``; a running job
can also go back to ``queued`` when its process dies or shuts down, keeping
its work directory so the exporter resumes it. Every other move raises
:class:`IllegalTransition`.

Claims are fair: round robin across users (the user whose last claim is
oldest goes first), first come first served within one user, under a global
and a per-user limit of running jobs. Each claim is one ``BEGIN IMMEDIATE``
transaction, so workers on other connections or processes never claim the
same job or overrun a limit.

Storage only: what runs jobs (the worker pool, the runner) and the protocol
the bot holds (``JobQueue``) live in ``bot.jobs``; ``SqliteJobQueue`` meets
that protocol structurally, without importing it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .backend import Connection, Database, Row
from .errors import IllegalTransition, JobNotFound, TooManyWaiting
from .job_record import (
    TERMINAL,
    TRANSITIONS,
    Job,
    JobKind,
    JobPart,
    JobState,
    job_from_row,
    parts_from_json,
    parts_json,
)

# The record's names are imported from here too (db.job_record holds them).
__all__ = [
    "TERMINAL",
    "TRANSITIONS",
    "Job",
    "JobKind",
    "JobPart",
    "JobState",
    "SqliteJobQueue",
    "job_from_row",
    "parts_from_json",
]


# Queued jobs in claim order: everyone's first job, then everyone's second, ...;
# within a round, users whose last claim is oldest (never claimed: 0) first,
# then whoever queued first.
_FAIR_ORDER = """
WITH queued AS (
    SELECT id, user_id,
           ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY id) AS turn,
           MIN(id) OVER (PARTITION BY user_id) AS first_id,
           (SELECT COALESCE(MAX(claimed.claim_seq), 0) FROM jobs AS claimed
            WHERE claimed.user_id = jobs.user_id) AS last_claim
    FROM jobs WHERE state = 'queued'
),
fair AS (
    SELECT id, user_id, ROW_NUMBER() OVER (ORDER BY turn, last_claim, first_id, id) AS place
    FROM queued
)
"""

# What a per-user cap counts: the user's queued and running jobs.
_COUNT_UNFINISHED = "SELECT COUNT(*) FROM jobs WHERE user_id = ? AND state IN ('queued', 'running')"

_CLAIM = """
UPDATE jobs SET state = 'running', worker = ?, started_at = ?, heartbeat_at = ?, attempts = attempts + 1,
    claim_seq = (SELECT COALESCE(MAX(claim_seq), 0) + 1 FROM jobs)
WHERE id = ?
"""

# A running job handed back: to the queue, or to cancelled if its user asked while it ran.
_RELEASE = """
UPDATE jobs SET
    state = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'queued' END,
    finished_at = CASE WHEN cancel_requested = 1 THEN ? END,
    worker = NULL,
    heartbeat_at = NULL
WHERE state = 'running'
"""


class SqliteJobQueue:
    """The queue in the application database.

    ``max_running`` bounds running jobs across every process sharing the file,
    ``max_running_per_user`` those of one user; each job's work directory is
    ``work_root/job-<id>``.
    """

    def __init__(
        self,
        db: Database,
        *,
        work_root: Path,
        max_running: int = 2,
        max_running_per_user: int = 1,
    ) -> None:
        if max_running < 1 or max_running_per_user < 1:
            raise ValueError("the running-job limits must be at least 1")
        self._db = db
        self.work_root = work_root
        self.max_running = max_running
        self.max_running_per_user = max_running_per_user

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
        """Queue a job. With ``waiting_cap``: refused (TooManyWaiting) when the user already has that
        many queued or running, counted in the same write transaction as the insert, so submits from
        any number of processes at once cannot pass the cap (write transactions run one at a time)."""
        async with self._db.transaction() as connection:
            if waiting_cap is not None:
                counted = await connection.execute_fetchall(_COUNT_UNFINISHED, (user_id,))
                if next(iter(counted))[0] >= waiting_cap:
                    raise TooManyWaiting(user_id, waiting_cap)
            inserted = await connection.execute_fetchall(
                "INSERT INTO jobs (user_id, chat_id, thread_id, target, kind, options, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    user_id,
                    chat_id,
                    thread_id,
                    target,
                    JobKind(kind),
                    json.dumps(options or {}),
                    self._db.now(),
                ),
            )
            job_id = next(iter(inserted))[0]
            rows = await connection.execute_fetchall(
                "UPDATE jobs SET work_dir = ? WHERE id = ? RETURNING *",
                (str(self.work_root / f"job-{job_id}"), job_id),
            )
        return _single(rows, job_id)

    async def claim_next(self, worker: str) -> Job | None:
        async with self._db.transaction() as connection:
            running = await connection.execute_fetchall("SELECT COUNT(*) FROM jobs WHERE state = 'running'")
            if next(iter(running))[0] >= self.max_running:
                return None
            candidates = list(
                await connection.execute_fetchall(
                    _FAIR_ORDER + "SELECT fair.id FROM fair "
                    "WHERE (SELECT COUNT(*) FROM jobs AS busy "
                    "       WHERE busy.state = 'running' AND busy.user_id = fair.user_id) < ? "
                    "ORDER BY fair.place LIMIT 1",
                    (self.max_running_per_user,),
                )
            )
            if not candidates:
                return None
            job_id = candidates[0][0]
            now = self._db.now()
            rows = await connection.execute_fetchall(_CLAIM + "RETURNING *", (worker, now, now, job_id))
        return _single(rows, job_id)

    async def claim(self, job_id: int, worker: str) -> Job | None:
        """Take this job if it is still queued (a job engine chose it: the limits are the engine's);
        None if it was cancelled, finished or taken meanwhile."""
        async with self._db.transaction() as connection:
            now = self._db.now()
            rows = await connection.execute_fetchall(
                _CLAIM + "AND state = 'queued' RETURNING *", (worker, now, now, job_id)
            )
        return next((job_from_row(row) for row in rows), None)

    async def heartbeat(self, job_id: int, progress: Mapping[str, Any] | None = None) -> bool:
        async with self._db.transaction() as connection:
            rows = list(
                await connection.execute_fetchall(
                    "UPDATE jobs SET heartbeat_at = ?, progress = COALESCE(?, progress) "
                    "WHERE id = ? AND state = 'running' RETURNING cancel_requested",
                    (self._db.now(), None if progress is None else json.dumps(progress), job_id),
                )
            )
            if not rows:
                raise IllegalTransition(job_id, await _state(connection, job_id), JobState.RUNNING)
        return bool(rows[0][0])

    async def complete(self, job_id: int, report: Mapping[str, Any] | None, parts: Sequence[JobPart]) -> Job:
        return await self._move(
            job_id,
            JobState.DONE,
            "report = ?, parts = ?, finished_at = ?",
            (None if report is None else json.dumps(report), parts_json(parts), self._db.now()),
        )

    async def fail(self, job_id: int, error: str) -> Job:
        return await self._move(
            job_id, JobState.FAILED, "error = ?, finished_at = ?", (error, self._db.now())
        )

    async def mark_cancelled(self, job_id: int) -> Job:
        return await self._move(job_id, JobState.CANCELLED, "finished_at = ?", (self._db.now(),))

    async def cancel(self, job_id: int, by_user: int) -> Job:
        async with self._db.transaction() as connection:
            state = await _state(connection, job_id)
            if state is JobState.QUEUED:
                rows = await connection.execute_fetchall(
                    "UPDATE jobs SET state = 'cancelled', cancelled_by = ?, finished_at = ? "
                    "WHERE id = ? RETURNING *",
                    (by_user, self._db.now(), job_id),
                )
            elif state is JobState.RUNNING:
                rows = await connection.execute_fetchall(
                    "UPDATE jobs SET cancel_requested = 1, cancelled_by = COALESCE(cancelled_by, ?) "
                    "WHERE id = ? RETURNING *",
                    (by_user, job_id),
                )
            else:
                raise IllegalTransition(job_id, state, JobState.CANCELLED)
        return _single(rows, job_id)

    async def release(self, job_id: int) -> Job:
        async with self._db.transaction() as connection:
            state = await _state(connection, job_id)
            if state is not JobState.RUNNING:
                raise IllegalTransition(job_id, state, JobState.QUEUED)
            rows = await connection.execute_fetchall(
                _RELEASE + "AND id = ? RETURNING *", (self._db.now(), job_id)
            )
        return _single(rows, job_id)

    async def recover_after_restart(self) -> list[Job]:
        """Jobs left running by a dead process: back to the queue with their work directory and
        attempt count (or cancelled, if their user asked meanwhile). Call once at start-up, before
        any worker of this process claims."""
        async with self._db.transaction() as connection:
            rows = await connection.execute_fetchall(_RELEASE + "RETURNING *", (self._db.now(),))
        return sorted((job_from_row(row) for row in rows), key=lambda job: job.id)

    async def is_cancel_requested(self, job_id: int) -> bool:
        row = await self._db.fetchone("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            raise JobNotFound(job_id)
        return bool(row[0])

    async def position(self, job_id: int) -> int | None:
        row = await self._db.fetchone(_FAIR_ORDER + "SELECT place FROM fair WHERE id = ?", (job_id,))
        return None if row is None else int(row[0])

    async def get(self, job_id: int) -> Job | None:
        row = await self._db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else job_from_row(row)

    async def list_for_user(self, user_id: int, limit: int = 10) -> list[Job]:
        """The user's most recent jobs, newest first."""
        rows = await self._db.fetchall(
            "SELECT * FROM jobs WHERE user_id = ? ORDER BY id DESC LIMIT ?", (user_id, limit)
        )
        return [job_from_row(row) for row in rows]

    async def count_unfinished(self, user_id: int) -> int:
        """The user's queued and running jobs: what a per-user cap counts."""
        row = await self._db.fetchone(_COUNT_UNFINISHED, (user_id,))
        return int(row[0]) if row is not None else 0

    async def list_unfinished(self, limit: int = 50) -> list[Job]:
        """Everyone's queued and running jobs, oldest first: what an admin oversees."""
        rows = await self._db.fetchall(
            "SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY id LIMIT ?", (limit,)
        )
        return [job_from_row(row) for row in rows]

    async def set_peer(self, job_id: int, peer_id: int, title: str | None) -> Job:
        return await self._update(job_id, "peer_id = ?, peer_title = ?", (peer_id, title))

    async def set_parts_file_ids(self, job_id: int, file_ids: Mapping[str, str]) -> Job:
        """Record Telegram's file id of uploaded parts, keyed by part path."""
        async with self._db.transaction() as connection:
            rows = list(await connection.execute_fetchall("SELECT parts FROM jobs WHERE id = ?", (job_id,)))
            if not rows:
                raise JobNotFound(job_id)
            parts = parts_from_json(rows[0][0])
            unknown = set(file_ids) - {part.path for part in parts}
            if unknown:
                raise ValueError(f"job {job_id} has no archive part {sorted(unknown)[0]}")
            updated = [
                JobPart(
                    part.path, part.size, part.sha256, file_ids.get(part.path, part.file_id), part.message_id
                )
                for part in parts
            ]
            rows = list(
                await connection.execute_fetchall(
                    "UPDATE jobs SET parts = ? WHERE id = ? RETURNING *", (parts_json(updated), job_id)
                )
            )
        return _single(rows, job_id)

    async def set_status_message(self, job_id: int, message_id: int) -> None:
        await self._update(job_id, "status_message_id = ?", (message_id,))

    async def set_work_dir(self, job_id: int, work_dir: Path) -> Job:
        return await self._update(job_id, "work_dir = ?", (str(work_dir),))

    async def record_delivery(
        self, job_id: int, delivery: Mapping[str, Any], parts: Sequence[JobPart] | None = None
    ) -> Job:
        if parts is None:
            return await self._update(job_id, "delivery = ?", (json.dumps(delivery),))
        return await self._update(
            job_id, "delivery = ?, parts = ?", (json.dumps(delivery), parts_json(parts))
        )

    async def confirm_part(self, job_id: int, path: str, file_id: str | None, message_id: int | None) -> Job:
        async with self._db.transaction() as connection:
            rows = list(await connection.execute_fetchall("SELECT parts FROM jobs WHERE id = ?", (job_id,)))
            if not rows:
                raise JobNotFound(job_id)
            parts = parts_from_json(rows[0][0])
            if path not in {part.path for part in parts}:
                raise ValueError(f"job {job_id} has no archive part {path}")
            updated = [
                JobPart(part.path, part.size, part.sha256, file_id, message_id) if part.path == path else part
                for part in parts
            ]
            rows = list(
                await connection.execute_fetchall(
                    "UPDATE jobs SET parts = ? WHERE id = ? RETURNING *", (parts_json(updated), job_id)
                )
            )
        return _single(rows, job_id)

    async def _update(self, job_id: int, assignments: str, parameters: Sequence[Any]) -> Job:
        async with self._db.transaction() as connection:
            rows = await connection.execute_fetchall(
                f"UPDATE jobs SET {assignments} WHERE id = ? RETURNING *", (*parameters, job_id)
            )
        return _single(rows, job_id)

    async def _move(self, job_id: int, wanted: JobState, assignments: str, parameters: Sequence[Any]) -> Job:
        async with self._db.transaction() as connection:
            state = await _state(connection, job_id)
            if wanted not in TRANSITIONS[state]:
                raise IllegalTransition(job_id, state, wanted)
            rows = await connection.execute_fetchall(
                f"UPDATE jobs SET state = ?, {assignments} WHERE id = ? RETURNING *",
                (wanted, *parameters, job_id),
            )
        return _single(rows, job_id)


async def _state(connection: Connection, job_id: int) -> JobState:
    rows = list(await connection.execute_fetchall("SELECT state FROM jobs WHERE id = ?", (job_id,)))
    if not rows:
        raise JobNotFound(job_id)
    return JobState(rows[0][0])


def _single(rows: Iterable[Row], job_id: int) -> Job:
    for row in rows:
        return job_from_row(row)
    raise JobNotFound(job_id)
