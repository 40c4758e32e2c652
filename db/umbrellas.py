"""Umbrellas: one request for many chats (/export all), whose chats are ordinary queued jobs.

The queue runs, restarts and cancels each chat's job as any other; what belongs to the whole lives
here: where its one progress message and one summary go, the layout of its archives, whether the
whole was cancelled, each chat's outcome, and the delivery of a combined archive. Exactly one
worker finishes an umbrella: the one whose :meth:`UmbrellaStore.claim_finish` moves it from
``running`` to ``finishing``, which happens only once no chat of it is still to run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .backend import Database, Row

RUNNING, FINISHING, DONE = "running", "finishing", "done"


@dataclass(frozen=True)
class Umbrella:
    id: int
    user_id: int
    chat_id: int
    thread_id: int | None
    layout: str
    state: str
    cancelled: bool
    status_message_id: int | None
    delivery: dict[str, Any] | None
    created_at: float
    finished_at: float | None


@dataclass(frozen=True)
class UmbrellaChat:
    umbrella_id: int
    position: int
    job_id: int
    title: str
    left: bool
    archived: bool
    # Written when the chat's export ended (None: it never ran, or runs now).
    outcome: dict[str, Any] | None
    # The chat's job's state in the queue (queued, running, done, failed, cancelled).
    job_state: str


def _umbrella(row: Row) -> Umbrella:
    return Umbrella(
        row["id"],
        row["user_id"],
        row["chat_id"],
        row["thread_id"],
        row["layout"],
        row["state"],
        row["cancelled"] == 1,
        row["status_message_id"],
        None if row["delivery"] is None else json.loads(row["delivery"]),
        row["created_at"],
        row["finished_at"],
    )


class UmbrellaStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, user_id: int, chat_id: int, thread_id: int | None, layout: str) -> Umbrella:
        async with self._db.transaction() as connection:
            rows = list(
                await connection.execute_fetchall(
                    "INSERT INTO umbrellas (user_id, chat_id, thread_id, layout, created_at) "
                    "VALUES (?, ?, ?, ?, ?) RETURNING *",
                    (user_id, chat_id, thread_id, layout, self._db.now()),
                )
            )
        return _umbrella(rows[0])

    async def discard(self, umbrella_id: int) -> None:
        """Forget an umbrella none of whose chats was queued (its first was refused)."""
        async with self._db.transaction() as connection:
            await connection.execute(
                "DELETE FROM umbrellas WHERE id = ? "
                "AND NOT EXISTS (SELECT 1 FROM umbrella_chats WHERE umbrella_id = ?)",
                (umbrella_id, umbrella_id),
            )

    async def add_chat(
        self, umbrella_id: int, position: int, job_id: int, title: str, *, left: bool, archived: bool
    ) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "INSERT INTO umbrella_chats (umbrella_id, position, job_id, title, is_left, archived) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (umbrella_id, position, job_id, title, int(left), int(archived)),
            )

    async def get(self, umbrella_id: int) -> Umbrella | None:
        row = await self._db.fetchone("SELECT * FROM umbrellas WHERE id = ?", (umbrella_id,))
        return None if row is None else _umbrella(row)

    async def chats(self, umbrella_id: int) -> list[UmbrellaChat]:
        rows = await self._db.fetchall(
            "SELECT c.*, j.state AS job_state FROM umbrella_chats AS c JOIN jobs AS j ON j.id = c.job_id "
            "WHERE c.umbrella_id = ? ORDER BY c.position",
            (umbrella_id,),
        )
        return [
            UmbrellaChat(
                row["umbrella_id"],
                row["position"],
                row["job_id"],
                row["title"],
                row["is_left"] == 1,
                row["archived"] == 1,
                None if row["outcome"] is None else json.loads(row["outcome"]),
                row["job_state"],
            )
            for row in rows
        ]

    async def of_job(self, job_id: int) -> UmbrellaChat | None:
        """The umbrella chat a job is, or None for a job of its own."""
        row = await self._db.fetchone("SELECT umbrella_id FROM umbrella_chats WHERE job_id = ?", (job_id,))
        if row is None:
            return None
        return next(c for c in await self.chats(row["umbrella_id"]) if c.job_id == job_id)

    async def record_outcome(self, job_id: int, outcome: Mapping[str, Any]) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE umbrella_chats SET outcome = ? WHERE job_id = ?", (json.dumps(outcome), job_id)
            )

    async def set_status_message(self, umbrella_id: int, message_id: int) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE umbrellas SET status_message_id = ? WHERE id = ?", (message_id, umbrella_id)
            )

    async def cancel(self, umbrella_id: int) -> list[int]:
        """Mark the whole cancelled; returns the jobs of its chats that have not ended yet."""
        async with self._db.transaction() as connection:
            await connection.execute("UPDATE umbrellas SET cancelled = 1 WHERE id = ?", (umbrella_id,))
            rows = await connection.execute_fetchall(
                "SELECT c.job_id FROM umbrella_chats AS c JOIN jobs AS j ON j.id = c.job_id "
                "WHERE c.umbrella_id = ? AND j.state IN ('queued', 'running') ORDER BY c.position",
                (umbrella_id,),
            )
        return [row[0] for row in rows]

    async def claim_finish(self, umbrella_id: int, current_job: int | None) -> Umbrella | None:
        """Running → finishing, once every chat has its outcome or a job that will never run again
        (``current_job``, whose worker asks, counts as ended); None when not (yet) or already taken.
        One statement, so of two workers ending the last chats at once exactly one gets it."""
        async with self._db.transaction() as connection:
            rows = list(
                await connection.execute_fetchall(
                    "UPDATE umbrellas SET state = 'finishing' WHERE id = ? AND state = 'running' "
                    "AND NOT EXISTS (SELECT 1 FROM umbrella_chats AS c JOIN jobs AS j ON j.id = c.job_id "
                    "  WHERE c.umbrella_id = ? AND c.outcome IS NULL AND j.state IN ('queued', 'running') "
                    "  AND j.id <> ?) RETURNING *",
                    (umbrella_id, umbrella_id, current_job if current_job is not None else -1),
                )
            )
        return _umbrella(rows[0]) if rows else None

    async def record_delivery(self, umbrella_id: int, delivery: Mapping[str, Any]) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE umbrellas SET delivery = ? WHERE id = ?", (json.dumps(delivery), umbrella_id)
            )

    async def finish(self, umbrella_id: int) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE umbrellas SET state = 'done', finished_at = ? WHERE id = ?",
                (self._db.now(), umbrella_id),
            )

    async def unfinished(self) -> list[Umbrella]:
        """Umbrellas not yet done, oldest first: what a restart looks at."""
        rows = await self._db.fetchall("SELECT * FROM umbrellas WHERE state <> 'done' ORDER BY id")
        return [_umbrella(row) for row in rows]
