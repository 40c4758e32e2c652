"""The schedule store: a period fires once however many processes claim it, a run's outcome is
recorded once, and where the next run starts only moves forward, on a delivered archive."""

from __future__ import annotations

import asyncio
from pathlib import Path

from db import Database, open_database
from db.schedules import DELIVERED, FAILED, NewSchedule, ScheduleStore
from tests.db.support import FakeClock

HOUR = 3600.0


def new(clock: FakeClock, **overrides: object) -> NewSchedule:
    values: dict[str, object] = {
        "user_id": 7001,
        "chat_id": 7001,
        "thread_id": None,
        "target": "-1001",
        "title": "Chat",
        "rule_kind": "every",
        "at_minute": 0,
        "weekday": None,
        "every_seconds": 6 * 3600,
        "anchor_at": clock.now,
        "time_zone": "UTC",
        "options": {"formats": ["json"]},
        "last_ids": {None: 10},
        "next_run_at": clock.now + 6 * HOUR,
    }
    values.update(overrides)
    return NewSchedule(**values)  # type: ignore[arg-type]


async def test_a_due_schedule_is_claimed_by_one_of_many_processes(
    db: Database, db_where: Path | str, clock: FakeClock
) -> None:
    made = await ScheduleStore(db).create(new(clock))
    clock.advance(6 * HOUR)
    # Four more processes' connections to the same database.
    others = [await open_database(db_where, clock=clock) for _ in range(4)]
    try:
        stores = [ScheduleStore(db), *(ScheduleStore(other) for other in others)]
        seen = [await store.due(clock.now) for store in stores]
        assert all([s.id for s in due] == [made.id] for due in seen)
        won = await asyncio.gather(
            *(
                store.claim(due[0], clock.now, clock.now + 6 * HOUR)
                for store, due in zip(stores, seen, strict=True)
            )
        )
    finally:
        for other in others:
            await other.close()
    assert sorted(won) == [False] * (len(stores) - 1) + [True]
    assert await ScheduleStore(db).due(clock.now) == []  # in progress: not due again


async def test_no_second_run_while_one_is_in_progress(db: Database, clock: FakeClock) -> None:
    store = ScheduleStore(db)
    made = await store.create(new(clock, next_run_at=clock.now))
    (due,) = await store.due(clock.now)
    assert await store.claim(due, clock.now, clock.now + 6 * HOUR)
    await store.attach(made.id, clock.now, 41)
    clock.advance(7 * HOUR)  # the next period passed while the run went on
    assert await store.due(clock.now) == []
    assert await store.request_run(made.id) is None  # "Run now" too waits for it
    (run,) = await store.in_progress()
    assert await store.settle(run, DELIVERED, messages=5, last_ids={None: 15})
    # Once it ended, the missed period is one run.
    (due,) = await store.due(clock.now)
    assert due.last_ids == {None: 15} and due.last_result == DELIVERED and due.job_id is None


async def test_an_outcome_is_recorded_once_and_last_ids_never_move_back(
    db: Database, clock: FakeClock
) -> None:
    store = ScheduleStore(db)
    made = await store.create(new(clock, next_run_at=clock.now, last_ids={None: 10, 5: 100}))
    (due,) = await store.due(clock.now)
    assert await store.claim(due, clock.now, clock.now + HOUR)
    (run,) = await store.in_progress()
    assert await store.settle(run, DELIVERED, messages=3, last_ids={None: 8, 5: 120, 9: 7})
    assert not await store.settle(run, FAILED, error="late")  # a second process settling the same run
    after = await store.get(made.id)
    assert after is not None
    assert after.last_ids == {None: 10, 5: 120, 9: 7}
    assert (after.last_result, after.last_messages, after.last_error) == (DELIVERED, 3, None)


async def test_a_failed_run_leaves_where_the_next_starts(db: Database, clock: FakeClock) -> None:
    store = ScheduleStore(db)
    made = await store.create(new(clock, next_run_at=clock.now))
    (due,) = await store.due(clock.now)
    assert await store.claim(due, clock.now, clock.now + HOUR)
    (run,) = await store.in_progress()
    assert await store.settle(run, FAILED, error="Telegram refused the session.")
    after = await store.get(made.id)
    assert (
        after is not None
        and after.last_ids == {None: 10}
        and after.last_error == "Telegram refused the session."
    )


async def test_paused_schedules_fire_only_when_asked(db: Database, clock: FakeClock) -> None:
    store = ScheduleStore(db)
    made = await store.create(new(clock, next_run_at=clock.now))
    await store.set_paused(made.id, True, made.next_run_at)
    assert await store.due(clock.now + 10 * HOUR) == []
    assert await store.request_run(made.id) is not None
    (due,) = await store.due(clock.now)
    assert due.paused and due.run_requested
    # A tap and a tick read the same row; a claim by the older reading loses.
    stale = due
    assert await store.claim(due, clock.now, due.next_run_at)
    assert not await store.claim(stale, clock.now, due.next_run_at)
    assert await store.delete(made.id) and await store.get(made.id) is None


async def test_racing_creates_from_many_processes_pass_the_cap_exactly(
    db: Database, db_where: Path | str, clock: FakeClock
) -> None:
    # Three more processes' connections, as three more front-ends in webhook mode.
    others = [await open_database(db_where, clock=clock) for _ in range(3)]
    try:
        stores = [ScheduleStore(db), *(ScheduleStore(other) for other in others)]
        made = await asyncio.gather(*(stores[n % 4].create(new(clock), most=5) for n in range(12)))
    finally:
        for other in others:
            await other.close()
    assert sum(schedule is not None for schedule in made) == 5
    assert len(await ScheduleStore(db).list_for_user(7001)) == 5
    assert await ScheduleStore(db).create(new(clock, user_id=7002), most=5) is not None  # another's
    assert await ScheduleStore(db).create(new(clock)) is not None  # no cap: an admin's
