"""The schedule timer against the database alone: two processes' timers (each with its own
connection and queue) ticking at once fire each period once; a run still going holds the next
period back, and once it ends one run catches up; a delivered run moves where the next starts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot import text
from bot.jobs.schedule_rules import when_words
from bot.jobs.schedules import LOST_CLAIM_SECONDS, SCHEDULE_KEY, ScheduleTimer
from db import CheckpointStore, Database, SqliteJobQueue, UserStore, open_database
from db.schedules import DELIVERED, NOTHING_NEW, NewSchedule, ScheduleStore
from tests.db.support import FakeClock

ADMIN = 7001
HOUR = 3600.0


class Bot:
    """Keeps what the timer tells people (the Bot API's sendMessage, without a Bot API)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id: int, text: str, **_: object) -> None:
        self.sent.append((chat_id, text))


def process(
    db: Database, tmp_path: Path, clock: FakeClock, bot: Bot | None = None
) -> tuple[ScheduleTimer, SqliteJobQueue]:
    """What one bot process's timer holds: its own connection and queue (no Telegram needed to fire)."""
    queue = SqliteJobQueue(db, work_root=tmp_path / "work", max_running=10, max_running_per_user=10)
    app: Any = SimpleNamespace(
        bot=bot or Bot(),
        database=db,
        queue=queue,
        users=UserStore(db),
        checkpoints=CheckpointStore(db),
        pool=None,
        accounts=None,
        is_admin=lambda user_id: user_id == ADMIN,
    )
    return ScheduleTimer(app, clock=clock), queue


def hourly(clock: FakeClock) -> NewSchedule:
    return NewSchedule(
        user_id=ADMIN, chat_id=ADMIN, thread_id=None, target="-1001", title="Chat", rule_kind="every",
        at_minute=0, weekday=None, every_seconds=int(HOUR), anchor_at=clock.now,
        time_zone="UTC", options={"formats": ["json"]}, last_ids={None: 10}, next_run_at=clock.now + HOUR,
    )  # fmt: skip


async def test_two_processes_fire_each_period_once_and_never_two_runs_at_once(
    db: Database, db_where: Path | str, clock: FakeClock, tmp_path: Path
) -> None:
    other = await open_database(db_where, clock=clock)
    try:
        (first, queue), (second, _) = process(db, tmp_path, clock), process(other, tmp_path, clock)
        store = ScheduleStore(db)
        made = await store.create(hourly(clock))

        async def ticks() -> list[int]:
            await asyncio.gather(*(timer.tick() for timer in (first, second) for _ in range(3)))
            return [job.id for job in await queue.list_for_user(ADMIN, limit=100)]

        clock.advance(HOUR)
        (job_id,) = await ticks()
        job = await queue.get(job_id)
        assert job is not None
        assert job.options[SCHEDULE_KEY] == made.id and job.options["after"] == [[None, 10]]

        # Three periods pass while the run goes on: nothing more fires.
        clock.advance(3 * HOUR)
        assert await ticks() == [job_id]

        # It ends having delivered up to message 25: one run catches up, starting after 25.
        claimed = await queue.claim_next("worker")
        assert claimed is not None and claimed.id == job_id
        await queue.record_delivery(job_id, {"messages": 15, "last_ids": [[None, 25]]})
        await queue.complete(job_id, None, [])
        jobs = await ticks()
        assert len(jobs) == 2
        catch_up = await queue.get(max(jobs))
        assert catch_up is not None and catch_up.options["after"] == [[None, 25]]
        settled = await store.get(made.id)
        assert settled is not None and settled.last_result == DELIVERED and settled.last_messages == 15
        assert settled.next_run_at > clock.now  # the missed periods were one run

        # The catch-up found nothing new: recorded once, where the next run starts unchanged.
        assert await queue.claim_next("worker") is not None
        await queue.complete(max(jobs), None, [])
        assert len(await ticks()) == 2
        settled = await store.get(made.id)
        assert settled is not None and settled.last_result == NOTHING_NEW and settled.last_ids == {None: 25}
    finally:
        await other.close()


async def test_a_claim_whose_process_died_before_queueing_is_given_up_and_told(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    bot = Bot()
    timer, queue = process(db, tmp_path, clock, bot)
    store = ScheduleStore(db)
    made = await store.create(hourly(clock))
    clock.advance(HOUR)
    # Another process claimed the run, then died before its job was queued.
    (due,) = await store.due(clock.now)
    assert await store.claim(due, clock.now, clock.now + HOUR)
    clock.advance(LOST_CLAIM_SECONDS - 1)
    await timer.tick()
    assert (await store.get(made.id)).running and bot.sent == []  # type: ignore[union-attr]
    clock.advance(2)
    await timer.tick()
    found = await store.get(made.id)
    assert found is not None and not found.running and found.last_error == text.SCHEDULE_RUN_LOST
    assert bot.sent == [
        (ADMIN, text.SCHEDULE_RUN_FAILED.format(
            title="Chat", rule="every 1 h", reason=text.SCHEDULE_RUN_LOST, next=when_words(found.next_run_at, "UTC")
        ))
    ]  # fmt: skip
    assert await queue.list_for_user(ADMIN) == []
