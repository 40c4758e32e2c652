"""What the bot and the worker pool need from a job queue: the seam a second backend plugs into.

The bot holds a :class:`JobQueue`, never a concrete class, so a queue kept
elsewhere (issue 17: PostgreSQL) replaces ``db.SqliteJobQueue`` by being
handed to ``running_bot`` instead; nothing in handlers or the runner changes.
A backend satisfies it structurally (``typing.Protocol``): ``db`` does not
import ``bot`` to implement it. mypy checks the match where the bot builds its
queue (``bot/app.py``); tests/jobs/test_queue_protocol.py checks it at run time
(mypy's files leave tests/ out, pyproject.toml).

The job record and its states (``db.jobs.Job``, ``JobState``, ``JobPart``)
are storage's vocabulary; every backend returns them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from db.jobs import Job, JobKind, JobPart


class JobQueue(Protocol):
    """A durable queue of export jobs with the state machine of ``db.jobs.TRANSITIONS``."""

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
        """With ``waiting_cap``: TooManyWaiting when the user has that many queued or running, checked
        atomically with the insert across every process sharing the database."""
        ...

    async def claim_next(self, worker: str) -> Job | None:
        """Atomically take the next job in fair order within the running limits, or None."""
        ...

    async def heartbeat(self, job_id: int, progress: Mapping[str, Any] | None = None) -> bool:
        """Record that the job is alive (and its latest progress); True when a cancel was requested.
        Raises IllegalTransition when the job is no longer running: someone took it back."""
        ...

    async def complete(
        self, job_id: int, report: Mapping[str, Any] | None, parts: Sequence[JobPart]
    ) -> Job: ...

    async def fail(self, job_id: int, error: str) -> Job: ...

    async def cancel(self, job_id: int, by_user: int) -> Job:
        """Queued: cancelled at once. Running: flagged; its worker ends it. Finished: IllegalTransition."""
        ...

    async def mark_cancelled(self, job_id: int) -> Job:
        """The worker stopped a running job after a cancel request."""
        ...

    async def release(self, job_id: int) -> Job:
        """Hand a running job back to the queue (shutdown): it resumes later from its work directory."""
        ...

    async def is_cancel_requested(self, job_id: int) -> bool: ...

    async def position(self, job_id: int) -> int | None:
        """1-based place among queued jobs in claim order (running limits aside); None if not queued."""
        ...

    async def get(self, job_id: int) -> Job | None: ...

    async def list_for_user(self, user_id: int, limit: int = 10) -> list[Job]:
        """The user's most recent jobs, newest first."""
        ...

    async def count_unfinished(self, user_id: int) -> int:
        """The user's queued and running jobs: what a per-user cap counts."""
        ...

    async def list_unfinished(self, limit: int = 50) -> list[Job]:
        """Everyone's queued and running jobs, oldest first: what an admin oversees."""
        ...

    async def recover_after_restart(self) -> list[Job]:
        """Hand back every job left running by a dead process; returns them in their new state."""
        ...

    async def set_peer(self, job_id: int, peer_id: int, title: str | None) -> Job: ...

    async def set_parts_file_ids(self, job_id: int, file_ids: Mapping[str, str]) -> Job: ...

    async def set_status_message(self, job_id: int, message_id: int) -> None: ...

    async def set_work_dir(self, job_id: int, work_dir: Path) -> Job: ...

    async def record_delivery(
        self, job_id: int, delivery: Mapping[str, Any], parts: Sequence[JobPart] | None = None
    ) -> Job:
        """Record what is to be delivered (and, given, the archive parts) before sending any of it."""
        ...

    async def confirm_part(self, job_id: int, path: str, file_id: str | None, message_id: int | None) -> Job:
        """Telegram has the part at ``path``: it is never sent again by this job."""
        ...
