"""The SQLite job queue: fairness, limits under racing claimers, cancellation, transitions, restarts."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from db import (
    TRANSITIONS,
    Database,
    IllegalTransition,
    JobKind,
    JobNotFound,
    JobPart,
    JobState,
    SqliteJobQueue,
    open_database,
)

from .support import FakeClock, timing_report

ALICE, BOB, CAROL, DAVE = 101, 202, 303, 404


async def submit_many(queue: SqliteJobQueue, users: list[int]) -> list[int]:
    return [(await queue.submit(user, user, f"@chat_of_{user}")).id for user in users]


async def claim_id(queue: SqliteJobQueue) -> int:
    job = await queue.claim_next("w")
    assert job is not None
    return job.id


async def drain(queue: SqliteJobQueue) -> list[int]:
    claimed = []
    while (job := await queue.claim_next("w")) is not None:
        claimed.append(job.id)
    return claimed


async def test_submit_and_get_round_trip(queue: SqliteJobQueue, clock: FakeClock, tmp_path: Path) -> None:
    job = await queue.submit(
        ALICE,
        -100123,
        "https://t.me/c/123/45",
        kind=JobKind.INCREMENTAL,
        options={"formats": ["json"]},
        thread_id=45,
    )
    assert job.state is JobState.QUEUED
    assert (job.user_id, job.chat_id, job.thread_id) == (ALICE, -100123, 45)
    assert (job.target, job.kind, job.options) == (
        "https://t.me/c/123/45",
        JobKind.INCREMENTAL,
        {"formats": ["json"]},
    )
    assert job.created_at == clock.now
    assert job.work_dir == tmp_path / "work" / f"job-{job.id}"
    assert (job.attempts, job.cancel_requested, job.parts, job.started_at) == (0, False, (), None)
    assert await queue.get(job.id) == job
    assert await queue.get(999) is None

    await queue.set_peer(job.id, -100123, "Chat title")
    await queue.set_status_message(job.id, 77)
    stored = await queue.get(job.id)
    assert stored is not None
    assert (stored.peer_id, stored.peer_title, stored.status_message_id) == (-100123, "Chat title", 77)
    with pytest.raises(JobNotFound):
        await queue.set_status_message(999, 1)


async def test_claims_are_round_robin_across_users_and_fifo_within_one(queue: SqliteJobQueue) -> None:
    ids = await submit_many(queue, [ALICE, ALICE, ALICE, ALICE, BOB, CAROL, BOB, CAROL, CAROL])
    a1, a2, a3, a4, b1, c1, b2, c2, c3 = ids
    expected = [a1, b1, c1, a2, b2, c2, a3, c3, a4]
    assert [await queue.position(job_id) for job_id in expected] == list(range(1, 10))
    assert await drain(queue) == expected
    assert [await queue.position(job_id) for job_id in ids] == [None] * 9


async def test_the_user_whose_last_claim_is_oldest_goes_first(queue: SqliteJobQueue) -> None:
    a1, a2 = await submit_many(queue, [ALICE, ALICE])
    assert await claim_id(queue) == a1
    # Dave never had a job: he goes ahead of Alice's second, which waited longer.
    (d1,) = await submit_many(queue, [DAVE])
    assert await queue.position(d1) == 1
    assert await queue.position(a2) == 2
    assert await claim_id(queue) == d1
    b1, d2 = await submit_many(queue, [BOB, DAVE])
    # Bob never claimed; Alice's last claim is older than Dave's.
    assert await drain(queue) == [b1, a2, d2]


async def test_limits_hold_for_one_claimer(db: Database, tmp_path: Path) -> None:
    queue = SqliteJobQueue(db, work_root=tmp_path, max_running=3, max_running_per_user=2)
    ids = await submit_many(queue, [ALICE] * 4 + [BOB] * 4)
    claimed = await drain(queue)
    assert claimed == [ids[0], ids[4], ids[1]]
    await queue.complete(ids[0], None, ())
    # Alice's freed slot goes to Bob: his last claim is older than hers.
    assert await drain(queue) == [ids[5]]
    await queue.complete(ids[1], None, ())
    assert await drain(queue) == [ids[2]]


@pytest.fixture
async def two_connections(
    db_target: Path | str, clock: FakeClock
) -> AsyncIterator[tuple[Database, Database]]:
    first = await open_database(db_target, clock=clock)
    second = await open_database(db_target, clock=clock)
    yield first, second
    await first.close()
    await second.close()


@pytest.mark.parametrize(("global_limit", "per_user"), [(3, 1), (4, 2)])
async def test_limits_hold_under_racing_claimers_on_two_connections(
    two_connections: tuple[Database, Database], tmp_path: Path, global_limit: int, per_user: int
) -> None:
    queues = [
        SqliteJobQueue(db, work_root=tmp_path, max_running=global_limit, max_running_per_user=per_user)
        for db in two_connections
    ]
    await submit_many(queues[0], [ALICE, BOB, CAROL, DAVE] * 4)
    seen: set[int] = set()
    for round_number in range(16):
        # Each connection has its own thread (SQLite) or its own server sessions (PostgreSQL), so
        # these claims really race inside the database.
        results = await asyncio.gather(*(queues[n % 2].claim_next(f"worker-{n % 2}") for n in range(12)))
        claimed = [job.id for job in results if job is not None]
        running = await two_connections[1].fetchall("SELECT id, user_id FROM jobs WHERE state = 'running'")
        assert sorted(claimed) == sorted(row["id"] for row in running)
        assert len(running) <= global_limit
        assert max(Counter(row["user_id"] for row in running).values()) <= per_user
        if round_number == 0:
            assert len(running) == global_limit
        assert not seen & set(claimed)
        seen |= set(claimed)
        # Free every slot for the next round, alternating connections.
        for number, job_id in enumerate(claimed):
            await queues[number % 2].complete(job_id, None, ())
        if len(seen) == 16:
            break
    assert len(seen) == 16


async def test_cancel_a_queued_job_ends_it_at_once(queue: SqliteJobQueue, clock: FakeClock) -> None:
    first, second = await submit_many(queue, [ALICE, ALICE])
    cancelled = await queue.cancel(first, by_user=ALICE)
    assert (cancelled.state, cancelled.cancelled_by, cancelled.finished_at) == (
        JobState.CANCELLED,
        ALICE,
        clock.now,
    )
    assert await queue.position(first) is None
    assert await queue.position(second) == 1
    assert await drain(queue) == [second]


async def test_cancel_a_running_job_asks_its_worker(queue: SqliteJobQueue) -> None:
    (job_id,) = await submit_many(queue, [ALICE])
    await queue.claim_next("w")
    assert await queue.is_cancel_requested(job_id) is False
    assert await queue.heartbeat(job_id) is False
    flagged = await queue.cancel(job_id, by_user=999)
    assert (flagged.state, flagged.cancel_requested, flagged.cancelled_by) == (JobState.RUNNING, True, 999)
    assert await queue.is_cancel_requested(job_id) is True
    assert await queue.heartbeat(job_id) is True
    # A second request changes nothing, not even who asked first.
    assert (await queue.cancel(job_id, by_user=ALICE)).cancelled_by == 999
    ended = await queue.mark_cancelled(job_id)
    assert ended.state is JobState.CANCELLED and ended.finished_at is not None
    with pytest.raises(IllegalTransition, match="is cancelled: it cannot become cancelled"):
        await queue.cancel(job_id, by_user=ALICE)
    with pytest.raises(JobNotFound):
        await queue.is_cancel_requested(12345)


async def reach(queue: SqliteJobQueue, state: JobState) -> int:
    (job_id,) = await submit_many(queue, [ALICE])
    if state is JobState.QUEUED:
        return job_id
    assert await claim_id(queue) == job_id, "reach() claims the job it submitted: no other may be queued"
    if state is JobState.DONE:
        await queue.complete(job_id, None, ())
    elif state is JobState.FAILED:
        await queue.fail(job_id, "boom")
    elif state is JobState.CANCELLED:
        await queue.mark_cancelled(job_id)
    return job_id


MOVES = {
    JobState.DONE: lambda queue, job_id: queue.complete(job_id, None, ()),
    JobState.FAILED: lambda queue, job_id: queue.fail(job_id, "boom"),
    JobState.CANCELLED: lambda queue, job_id: queue.mark_cancelled(job_id),
    JobState.QUEUED: lambda queue, job_id: queue.release(job_id),
}


@pytest.mark.parametrize("start", list(JobState))
@pytest.mark.parametrize("wanted", list(MOVES))
async def test_only_legal_transitions_happen(
    queue: SqliteJobQueue, start: JobState, wanted: JobState
) -> None:
    job_id = await reach(queue, start)
    if wanted in TRANSITIONS[start]:
        assert (await MOVES[wanted](queue, job_id)).state is wanted
    else:
        with pytest.raises(IllegalTransition, match=f"job {job_id} is {start}: it cannot become {wanted}"):
            await MOVES[wanted](queue, job_id)
        stored = await queue.get(job_id)
        assert stored is not None and stored.state is start


async def test_heartbeats_need_a_running_job_and_keep_the_last_progress(
    queue: SqliteJobQueue, clock: FakeClock
) -> None:
    (job_id,) = await submit_many(queue, [ALICE])
    with pytest.raises(IllegalTransition):
        await queue.heartbeat(job_id, {"messages": 1})
    await queue.claim_next("w")
    clock.advance(5)
    await queue.heartbeat(job_id, {"messages": 100})
    clock.advance(5)
    await queue.heartbeat(job_id)
    job = await queue.get(job_id)
    assert job is not None
    assert (job.progress, job.heartbeat_at) == ({"messages": 100}, clock.now)
    with pytest.raises(JobNotFound):
        await queue.heartbeat(999)


async def test_completion_keeps_report_and_parts_and_then_file_ids(
    queue: SqliteJobQueue, clock: FakeClock
) -> None:
    (job_id,) = await submit_many(queue, [ALICE])
    await queue.claim_next("w")
    clock.advance(30)
    report = timing_report(wall=30.0, messages=3000)
    parts = [JobPart("/w/a.zip.001", 100, "aa"), JobPart("/w/a.zip.002", 50, "bb")]
    done = await queue.complete(job_id, report, parts)
    assert (done.state, done.report, done.parts, done.finished_at) == (
        JobState.DONE,
        report,
        tuple(parts),
        clock.now,
    )

    uploaded = await queue.set_parts_file_ids(job_id, {"/w/a.zip.002": "FILE2"})
    assert [part.file_id for part in uploaded.parts] == [None, "FILE2"]
    uploaded = await queue.set_parts_file_ids(job_id, {"/w/a.zip.001": "FILE1"})
    assert [part.file_id for part in uploaded.parts] == ["FILE1", "FILE2"]
    with pytest.raises(ValueError, match="no archive part /w/other"):
        await queue.set_parts_file_ids(job_id, {"/w/other": "X"})


async def test_failure_keeps_the_error(queue: SqliteJobQueue) -> None:
    (job_id,) = await submit_many(queue, [ALICE])
    await queue.claim_next("w")
    failed = await queue.fail(job_id, "CHANNEL_PRIVATE: the chat is private")
    assert (failed.state, failed.error) == (JobState.FAILED, "CHANNEL_PRIVATE: the chat is private")


async def test_recover_after_restart_with_jobs_in_every_state(queue: SqliteJobQueue) -> None:
    # The queued one last: reach() claims, and must not claim an earlier queued job.
    order = [JobState.RUNNING, JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.QUEUED]
    states = {state: await reach(queue, state) for state in order}
    (asked_to_cancel,) = await submit_many(queue, [BOB])
    assert await claim_id(queue) == asked_to_cancel  # Bob never claimed: he goes before Alice
    await queue.cancel(asked_to_cancel, by_user=BOB)
    before = {job_id: await queue.get(job_id) for job_id in [*states.values(), asked_to_cancel]}

    recovered = await queue.recover_after_restart()

    running_id = states[JobState.RUNNING]
    assert [(job.id, job.state) for job in recovered] == [
        (running_id, JobState.QUEUED),
        (asked_to_cancel, JobState.CANCELLED),
    ]
    back = recovered[0]
    old = before[running_id]
    assert old is not None
    assert (back.work_dir, back.attempts, back.worker, back.heartbeat_at) == (old.work_dir, 1, None, None)
    for state, job_id in states.items():
        if state is not JobState.RUNNING:
            assert await queue.get(job_id) == before[job_id]
    assert await queue.recover_after_restart() == []

    again = await queue.claim_next("w2")
    assert again is not None
    assert (again.id, again.attempts, again.work_dir, again.worker) == (running_id, 2, old.work_dir, "w2")


async def test_release_hands_a_running_job_back(queue: SqliteJobQueue) -> None:
    first, second = await submit_many(queue, [ALICE, BOB])
    await drain(queue)
    assert (await queue.release(first)).state is JobState.QUEUED
    await queue.cancel(second, by_user=BOB)
    assert (await queue.release(second)).state is JobState.CANCELLED
    assert await queue.position(first) == 1


async def test_list_for_user_is_newest_first(queue: SqliteJobQueue) -> None:
    ids = await submit_many(queue, [ALICE, BOB, ALICE, ALICE])
    assert [job.id for job in await queue.list_for_user(ALICE, limit=2)] == [ids[3], ids[2]]
    assert [job.id for job in await queue.list_for_user(BOB)] == [ids[1]]
    assert await queue.list_for_user(CAROL) == []


def test_limits_must_be_positive(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SqliteJobQueue(db, work_root=tmp_path, max_running=0)


async def test_delivery_is_recorded_before_sending_and_parts_confirmed_one_by_one(
    queue: SqliteJobQueue, tmp_path: Path
) -> None:
    job = await queue.submit(1, 1, "@chat")
    await queue.claim_next("w")
    parts = [JobPart(f"/a/x.zip.00{n}", 10 * n, f"{n:064x}") for n in (1, 2)]
    record = {"summary": "Done: chat", "summary_sent": False, "captions": ["one", "two"]}
    recorded = await queue.record_delivery(job.id, record, parts)
    assert recorded.delivery == record and recorded.parts == tuple(parts)
    sent = await queue.record_delivery(job.id, {**record, "summary_sent": True})
    assert sent.delivery is not None and sent.delivery["summary_sent"] and sent.parts == tuple(parts)
    confirmed = await queue.confirm_part(job.id, "/a/x.zip.002", "file-2", 77)
    assert [(part.file_id, part.message_id) for part in confirmed.parts] == [(None, None), ("file-2", 77)]
    with pytest.raises(ValueError, match="no archive part"):
        await queue.confirm_part(job.id, "/elsewhere", "file-3", 78)
    moved = await queue.set_work_dir(job.id, tmp_path / "shared")
    assert moved.work_dir == tmp_path / "shared"
    # Re-claimed after a crash: the record and the confirmations are still there.
    await queue.recover_after_restart()
    again = await queue.claim_next("w2")
    assert again is not None and again.attempts == 2 and again.parts == confirmed.parts
