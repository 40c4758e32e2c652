"""Scheduled exports: each schedule's rule, options, where its next run starts, and its last outcome.

A run goes through three recorded steps, each one UPDATE guarded by what the process saw, so any
number of processes sharing the database (SQLite now, PostgreSQL under issue 17) fire a period once:

1. :meth:`ScheduleStore.claim`: the schedule is due; its ``next_run_at`` moves on and ``claimed_at``
   marks the run, on condition that ``next_run_at`` and ``run_requested`` are still what this
   process read and no run is in progress. One claimer wins; the others change nothing.
2. :meth:`ScheduleStore.attach`: the run's job was queued.
3. :meth:`ScheduleStore.settle`: the job ended; the outcome is recorded and, when an archive was
   delivered, ``last_ids`` moves to where it ends. Guarded by the run's ``claimed_at``, so the
   outcome (and what the user hears about it) is recorded once.

Storage only: when a rule fires is bot.jobs.schedule_rules', running a run is bot.jobs.schedules'.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .connect import Database

DELIVERED, NOTHING_NEW, FAILED = "delivered", "nothing_new", "failed"
_IDLE = "claimed_at IS NULL AND job_id IS NULL"


@dataclass(frozen=True)
class NewSchedule:
    """What /schedule asks for: the chat, where its archives go, the rule and the export's options."""

    user_id: int
    chat_id: int
    thread_id: int | None
    target: str
    title: str
    rule_kind: str
    at_minute: int
    weekday: int | None
    every_seconds: int
    anchor_at: float
    time_zone: str
    options: Mapping[str, Any]
    last_ids: Mapping[int | None, int]
    next_run_at: float


@dataclass(frozen=True)
class Schedule(NewSchedule):
    id: int
    paused: bool
    run_requested: bool
    claimed_at: float | None
    job_id: int | None
    last_run_at: float | None
    last_result: str | None
    last_messages: int | None
    last_error: str | None
    created_at: float

    @property
    def running(self) -> bool:
        return self.claimed_at is not None


def ids_json(last_ids: Mapping[int | None, int]) -> str:
    return json.dumps([[topic, max_id] for topic, max_id in sorted(last_ids.items(), key=_topic_order)])


def _topic_order(item: tuple[int | None, int]) -> int:
    return item[0] or 0


def _schedule(row: Any) -> Schedule:
    return Schedule(
        id=row["id"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        target=row["target"],
        title=row["title"],
        rule_kind=row["rule_kind"],
        at_minute=row["at_minute"],
        weekday=row["weekday"],
        every_seconds=row["every_seconds"],
        anchor_at=row["anchor_at"],
        time_zone=row["time_zone"],
        options=json.loads(row["options"]),
        last_ids=dict(json.loads(row["last_ids"])),
        paused=row["paused"] == 1,
        run_requested=row["run_requested"] == 1,
        next_run_at=row["next_run_at"],
        claimed_at=row["claimed_at"],
        job_id=row["job_id"],
        last_run_at=row["last_run_at"],
        last_result=row["last_result"],
        last_messages=row["last_messages"],
        last_error=row["last_error"],
        created_at=row["created_at"],
    )


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, new: NewSchedule, *, most: int | None = None) -> Schedule | None:
        """The schedule made; None when ``most`` is given and the user has that many already (counted
        in the insert's own write transaction, so racing requests from any process pass it once)."""
        async with self._db.transaction() as connection:
            if most is not None:
                counted = await connection.execute_fetchall(
                    "SELECT COUNT(*) FROM schedules WHERE user_id = ?", (new.user_id,)
                )
                if next(iter(counted))[0] >= most:
                    return None
            rows = await connection.execute_fetchall(
                "INSERT INTO schedules (user_id, chat_id, thread_id, target, title, rule_kind, at_minute, "
                "weekday, every_seconds, anchor_at, time_zone, options, last_ids, next_run_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    new.user_id,
                    new.chat_id,
                    new.thread_id,
                    new.target,
                    new.title,
                    new.rule_kind,
                    new.at_minute,
                    new.weekday,
                    new.every_seconds,
                    new.anchor_at,
                    new.time_zone,
                    json.dumps(dict(new.options)),
                    ids_json(new.last_ids),
                    new.next_run_at,
                    self._db.now(),
                ),
            )
        return _schedule(next(iter(rows)))

    async def get(self, schedule_id: int) -> Schedule | None:
        row = await self._db.fetchone("SELECT * FROM schedules WHERE id = ?", (schedule_id,))
        return None if row is None else _schedule(row)

    async def list_for_user(self, user_id: int) -> list[Schedule]:
        rows = await self._db.fetchall("SELECT * FROM schedules WHERE user_id = ? ORDER BY id", (user_id,))
        return [_schedule(row) for row in rows]

    async def list_all(self) -> list[Schedule]:
        return [_schedule(row) for row in await self._db.fetchall("SELECT * FROM schedules ORDER BY id")]

    async def due(self, now: float) -> list[Schedule]:
        """Schedules with no run in progress whose time has come, or whose owner asked for a run."""
        rows = await self._db.fetchall(
            f"SELECT * FROM schedules WHERE {_IDLE} "
            "AND ((paused = 0 AND next_run_at <= ?) OR run_requested = 1) ORDER BY next_run_at, id",
            (now,),
        )
        return [_schedule(row) for row in rows]

    async def in_progress(self) -> list[Schedule]:
        rows = await self._db.fetchall("SELECT * FROM schedules WHERE claimed_at IS NOT NULL ORDER BY id")
        return [_schedule(row) for row in rows]

    async def claim(self, seen: Schedule, now: float, next_run_at: float) -> bool:
        """Take the run ``seen`` was due for; False when another process (or tap) changed it first."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE schedules SET next_run_at = ?, run_requested = 0, claimed_at = ? "
                f"WHERE id = ? AND next_run_at = ? AND run_requested = ? AND {_IDLE}",
                (next_run_at, now, seen.id, seen.next_run_at, int(seen.run_requested)),
            )
            return cursor.rowcount == 1

    async def attach(self, schedule_id: int, claimed_at: float, job_id: int) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE schedules SET job_id = ? WHERE id = ? AND claimed_at = ?",
                (job_id, schedule_id, claimed_at),
            )

    async def settle(
        self,
        run: Schedule,
        result: str,
        *,
        messages: int | None = None,
        error: str | None = None,
        last_ids: Mapping[int | None, int] | None = None,
    ) -> bool:
        """Record how the run ``run`` (as claimed) ended; True for the one caller that recorded it.
        ``last_ids`` (a delivered run's) moves where the next run starts, never back."""
        merged = dict(run.last_ids)
        for topic, max_id in (last_ids or {}).items():
            merged[topic] = max(max_id, merged.get(topic, 0))
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "UPDATE schedules SET claimed_at = NULL, job_id = NULL, last_run_at = ?, last_result = ?, "
                "last_messages = ?, last_error = ?, last_ids = ? WHERE id = ? AND claimed_at = ?",
                (self._db.now(), result, messages, error, ids_json(merged), run.id, run.claimed_at),
            )
            return cursor.rowcount == 1

    async def set_paused(self, schedule_id: int, paused: bool, next_run_at: float) -> Schedule | None:
        async with self._db.transaction() as connection:
            rows = await connection.execute_fetchall(
                "UPDATE schedules SET paused = ?, next_run_at = ? WHERE id = ? RETURNING *",
                (int(paused), next_run_at, schedule_id),
            )
        found = list(rows)
        return _schedule(found[0]) if found else None

    async def request_run(self, schedule_id: int) -> Schedule | None:
        """Run as soon as the timer looks (unless a run is in progress: then the next run catches up)."""
        async with self._db.transaction() as connection:
            rows = await connection.execute_fetchall(
                f"UPDATE schedules SET run_requested = 1 WHERE id = ? AND {_IDLE} RETURNING *", (schedule_id,)
            )
        found = list(rows)
        return _schedule(found[0]) if found else None

    async def delete(self, schedule_id: int) -> bool:
        """A run in progress still delivers its archive; no later run starts."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,))
            return cursor.rowcount == 1
