"""The in-process worker pool: concurrency, outcomes, cancel requests, heartbeats and a clean stop."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.jobs import JobFailed, JobResult, RunJob, WorkerPool
from db import Job, JobPart, JobState, SqliteJobQueue
from tests.db.support import eventually, timing_report


@pytest.fixture
async def pools() -> AsyncIterator[Callable[..., WorkerPool]]:
    """Started pools, stopped after the test even when it fails half-way."""
    started: list[WorkerPool] = []

    def start(
        queue: SqliteJobQueue, run: RunJob, *, size: int = 2, poll_interval: float = 0.02
    ) -> WorkerPool:
        pool = WorkerPool(
            queue, run, size=size, name="test", poll_interval=poll_interval, heartbeat_interval=0.02
        )
        pool.start()
        started.append(pool)
        return pool

    yield start
    for pool in started:
        await pool.stop()


async def states(queue: SqliteJobQueue, ids: list[int]) -> list[JobState]:
    jobs = [await queue.get(job_id) for job_id in ids]
    return [job.state for job in jobs if job is not None]


def all_in(queue: SqliteJobQueue, ids: list[int], *wanted: JobState) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all(state in wanted for state in await states(queue, ids))

    return check


async def test_runs_jobs_concurrently_up_to_its_size(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool]
) -> None:
    active = 0
    peak = 0

    async def run(job: Job) -> JobResult:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        # Long enough for the pool's claims to fill every slot meanwhile, on a loaded machine and on
        # PostgreSQL (a claim there is a few round trips).
        await asyncio.sleep(0.3)
        active -= 1
        return JobResult(timing_report(wall=0.3, messages=job.id), [JobPart(f"/w/{job.id}.zip", 10, "ff")])

    ids = [(await queue.submit(user, user, "@chat")).id for user in range(1, 8)]
    pool = pools(queue, run, size=3)
    await eventually(all_in(queue, ids, JobState.DONE))
    assert peak == 3
    finished = [await queue.get(job_id) for job_id in ids]
    assert all(job is not None and job.report is not None and len(job.parts) == 1 for job in finished)
    assert pool.running_jobs == []


async def test_a_submitted_job_starts_on_wake_without_waiting_for_the_poll(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool]
) -> None:
    async def run(job: Job) -> None:
        return None

    pool = pools(queue, run, size=1, poll_interval=60)
    await asyncio.sleep(0.05)  # the pool found nothing and sleeps until the next poll
    ids = [(await queue.submit(1, 1, "@chat")).id for _ in range(3)]
    pool.wake()
    # One slot, three jobs: each finished job frees the slot and wakes the pool again.
    await eventually(all_in(queue, ids, JobState.DONE), within=2.0)


async def test_a_crashing_run_fails_its_job_with_the_error_text(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool]
) -> None:
    async def run(job: Job) -> None:
        if job.target == "@bad":
            raise ValueError("no such chat: @bad")
        if job.target == "@quiet":
            raise RuntimeError

    bad, good, quiet = [(await queue.submit(1, 1, target)).id for target in ("@bad", "@good", "@quiet")]
    pools(queue, run, size=1)
    await eventually(all_in(queue, [bad, good, quiet], JobState.DONE, JobState.FAILED))
    failed, done, silent = [await queue.get(job_id) for job_id in (bad, good, quiet)]
    assert failed is not None and (failed.state, failed.error) == (JobState.FAILED, "no such chat: @bad")
    assert done is not None and (done.state, done.report, done.parts) == (JobState.DONE, None, ())
    assert silent is not None and (silent.state, silent.error) == (JobState.FAILED, "RuntimeError")


async def test_a_failure_the_run_logged_is_not_logged_again_with_its_traceback(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool], caplog: pytest.LogCaptureFixture
) -> None:
    # The runner logs an unexpected error's traceback itself, then raises JobFailed (ExportFailed).
    async def run(job: Job) -> None:
        if job.target == "@told":
            raise JobFailed("unexpected error: KeyError") from KeyError("k")
        raise RuntimeError("a bug in the run")

    caplog.set_level(logging.WARNING, logger="bot.jobs.pool")
    ids = [(await queue.submit(1, 1, target)).id for target in ("@told", "@bug")]
    pools(queue, run, size=1)
    await eventually(all_in(queue, ids, JobState.FAILED))
    told, bug = (
        [r for r in caplog.records if r.name == "bot.jobs.pool" and f"job {job_id} failed" in r.getMessage()]
        for job_id in ids
    )

    # Once exporter/redaction.py is installed (by an earlier test, or at start-up) a traceback travels
    # as the redacted exc_text, exc_info dropped: either way, it is there or it is not.
    def traceback_of(record: logging.LogRecord) -> bool:
        return record.exc_info is not None or bool(record.exc_text)

    assert len(told) == 1 and not traceback_of(told[0]) and "KeyError" in told[0].getMessage()
    assert len(bug) == 1 and traceback_of(bug[0])  # not logged by anyone else: the traceback


async def test_a_cancel_request_cancels_the_running_task(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool]
) -> None:
    started = asyncio.Event()
    saw_cancel = asyncio.Event()

    async def run(job: Job) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            saw_cancel.set()
            raise

    job_id = (await queue.submit(1, 1, "@huge")).id
    pools(queue, run)
    await asyncio.wait_for(started.wait(), 2)
    await queue.cancel(job_id, by_user=1)
    await eventually(all_in(queue, [job_id], JobState.CANCELLED))
    assert saw_cancel.is_set()


async def test_heartbeats_carry_the_latest_progress(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool]
) -> None:
    release = asyncio.Event()
    pool: WorkerPool | None = None

    async def run(job: Job) -> None:
        assert pool is not None
        for count in range(1, 6):
            pool.report_progress(job.id, {"messages": count * 100})
        await release.wait()

    job_id = (await queue.submit(1, 1, "@chat")).id
    pool = pools(queue, run)

    async def progress_saved() -> bool:
        job = await queue.get(job_id)
        return job is not None and job.progress == {"messages": 500}

    await eventually(progress_saved)
    release.set()
    await eventually(all_in(queue, [job_id], JobState.DONE))


async def test_stop_hands_unfinished_jobs_back_and_leaves_nothing_running(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool]
) -> None:
    async def run(job: Job) -> None:
        if job.target == "@quick":
            await asyncio.sleep(0.05)
        else:
            await asyncio.Event().wait()

    quick = (await queue.submit(1, 1, "@quick")).id
    slow = (await queue.submit(2, 2, "@slow")).id
    pool = pools(queue, run, size=2)
    await eventually(all_in(queue, [quick, slow], JobState.RUNNING))
    await pool.stop(grace=0.3)

    finished, handed_back = await queue.get(quick), await queue.get(slow)
    assert finished is not None and finished.state is JobState.DONE
    assert handed_back is not None
    assert (handed_back.state, handed_back.attempts, handed_back.worker) == (JobState.QUEUED, 1, None)
    assert await queue.recover_after_restart() == []
    assert pool.running_jobs == []


async def test_a_job_taken_away_is_dropped_without_recording(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool]
) -> None:
    cancelled = asyncio.Event()

    async def run(job: Job) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    job_id = (await queue.submit(1, 1, "@chat")).id
    pool = pools(queue, run, size=1)
    await eventually(all_in(queue, [job_id], JobState.RUNNING))
    # Another process declares this one dead and takes its jobs back (it would be restarting).
    await queue.recover_after_restart()
    await asyncio.wait_for(cancelled.wait(), 2)
    await pool.stop()
    job = await queue.get(job_id)
    assert job is not None and job.state is JobState.QUEUED


async def test_a_run_that_cancels_itself_fails(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool]
) -> None:
    async def run(job: Job) -> None:
        raise asyncio.CancelledError

    job_id = (await queue.submit(1, 1, "@chat")).id
    pools(queue, run)
    await eventually(all_in(queue, [job_id], JobState.FAILED))
    job = await queue.get(job_id)
    assert job is not None and job.error == "the job cancelled itself"


def test_a_pool_needs_a_slot(queue: SqliteJobQueue) -> None:
    async def run(job: Job) -> None:
        return None

    with pytest.raises(ValueError, match="at least one slot"):
        WorkerPool(queue, run, size=0)


async def test_recording_an_outcome_is_retried_while_the_database_refuses(
    queue: SqliteJobQueue, pools: Callable[..., WorkerPool], monkeypatch: pytest.MonkeyPatch
) -> None:
    refusals = 2
    complete = queue.complete

    async def full_disk_at_first(job_id: int, report: object, parts: object) -> Job:
        nonlocal refusals
        if refusals:
            refusals -= 1
            raise sqlite3.OperationalError("database or disk is full")
        return await complete(job_id, report, parts)  # type: ignore[arg-type]

    monkeypatch.setattr(queue, "complete", full_disk_at_first)

    async def run(job: Job) -> None:
        return None

    job = await queue.submit(1, 1, "@chat")
    pool = pools(queue, run, size=1)
    await eventually(all_in(queue, [job.id], JobState.DONE), within=5.0)
    assert refusals == 0 and pool.running_jobs == []
