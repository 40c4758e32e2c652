"""The job record: what one export job is (``Job``, its ``JobPart`` archive parts), its states and
the moves between them (``TRANSITIONS``), and how a row of the ``jobs`` table becomes a ``Job``.
The SQLite queue that stores and moves jobs is ``db.jobs``; this part is what the bot, the pool and
the retention sweep read, without the queue's SQL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from .backend import Row


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


TRANSITIONS: Mapping[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    JobState.RUNNING: frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.QUEUED}),
    JobState.DONE: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}
TERMINAL = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


@dataclass(frozen=True)
class JobPart:
    """One archive part on disk; ``file_id`` and ``message_id`` are Telegram's once the part
    was uploaded (a part with them is confirmed and never sent again by the job)."""

    path: str
    size: int
    sha256: str
    file_id: str | None = None
    message_id: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobPart:
        return cls(
            str(data["path"]),
            int(data["size"]),
            str(data["sha256"]),
            data.get("file_id"),
            data.get("message_id"),
        )


@dataclass(frozen=True)
class Job:
    id: int
    user_id: int
    chat_id: int
    thread_id: int | None
    target: str
    peer_id: int | None
    peer_title: str | None
    kind: JobKind
    options: dict[str, Any]
    state: JobState
    progress: dict[str, Any] | None
    report: dict[str, Any] | None
    error: str | None
    parts: tuple[JobPart, ...]
    status_message_id: int | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    cancel_requested: bool
    cancelled_by: int | None
    attempts: int
    work_dir: Path | None
    worker: str | None
    archive_deleted_at: float | None
    # What the finished export hands over, recorded before the first upload (see record_delivery).
    delivery: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL


def job_from_row(row: Row) -> Job:
    return Job(
        id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        target=row["target"],
        peer_id=row["peer_id"],
        peer_title=row["peer_title"],
        kind=JobKind(row["kind"]),
        options=json.loads(row["options"]),
        state=JobState(row["state"]),
        progress=_loads(row["progress"]),
        report=_loads(row["report"]),
        error=row["error"],
        parts=parts_from_json(row["parts"]),
        status_message_id=row["status_message_id"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        heartbeat_at=row["heartbeat_at"],
        cancel_requested=bool(row["cancel_requested"]),
        cancelled_by=row["cancelled_by"],
        attempts=row["attempts"],
        work_dir=Path(row["work_dir"]) if row["work_dir"] else None,
        worker=row["worker"],
        archive_deleted_at=row["archive_deleted_at"],
        delivery=_loads(row["delivery"]),
    )


def parts_from_json(text: str) -> tuple[JobPart, ...]:
    return tuple(JobPart.from_dict(part) for part in json.loads(text))


def parts_json(parts: Sequence[JobPart]) -> str:
    return json.dumps([asdict(part) for part in parts])


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
