"""procrastinate as the job engine over PostgreSQL, with worker processes: every export runs once,
one per user at a time, and a worker killed -9 mid-job loses nothing (another resumes the job)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.jobs.procrastinate_queue import ProcrastinateJobQueue
from db import JobState, SqliteJobQueue, open_database
from db.backend import Database

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60.0


class Workers:
    def __init__(self, url: str, work_root: Path, runs: Path) -> None:
        self.url, self.work_root, self.runs = url, work_root, runs
        self.processes: dict[str, asyncio.subprocess.Process] = {}

    async def start(self, name: str, *, stuck: bool = False) -> None:
        args = [self.url, str(self.work_root), str(self.runs), name] + (["--stuck"] if stuck else [])
        self.processes[name] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.postgres.engine_worker", *args, cwd=ROOT, env=dict(os.environ)
        )

    async def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()

    def lines(self) -> list[list[str]]:
        return [line.split() for line in self.runs.read_text().splitlines()] if self.runs.exists() else []


@pytest.fixture
async def workers(postgres_url: str, tmp_path: Path) -> AsyncIterator[Workers]:
    running = Workers(postgres_url, tmp_path / "work", tmp_path / "runs.txt")
    yield running
    for name in list(running.processes):
        await running.kill(name)


@pytest.fixture
async def engine(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[Database, ProcrastinateJobQueue]]:
    database = await open_database(postgres_url)
    queue = ProcrastinateJobQueue(database, postgres_url, work_root=tmp_path / "work")
    await queue.open()
    yield database, queue
    await queue.close()
    await database.close()


async def until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not await condition() if asyncio.iscoroutinefunction(condition) else not condition():
        assert time.monotonic() < deadline, f"waited {DEADLINE:g} s for {what}"
        await asyncio.sleep(0.2)


async def states(queue: SqliteJobQueue, ids: list[int]) -> list[JobState]:
    return [job.state for job in [await queue.get(job_id) for job_id in ids] if job is not None]


async def test_every_export_runs_once_one_per_user_at_a_time_across_two_workers(
    engine: tuple[Database, ProcrastinateJobQueue], workers: Workers
) -> None:
    _, queue = engine
    ids = [(await queue.submit(user, user, f"chat-{user}-{n}")).id for n in range(3) for user in (1, 2, 3)]
    await workers.start("alpha")
    await workers.start("beta")

    async def all_done() -> bool:
        return await states(queue, ids) == [JobState.DONE] * len(ids)

    await until(all_done, "every export done")
    starts = [line for line in workers.lines() if line[0] == "start"]
    ends = [line for line in workers.lines() if line[0] == "end"]
    assert sorted(int(line[1]) for line in starts) == sorted(ids)
    assert sorted(int(line[1]) for line in ends) == sorted(ids)
    assert {line[2] for line in starts} == {"alpha", "beta"}, "both workers take exports"
    # One export per user at a time (procrastinate's lock): in the log of starts and ends, no user
    # has a second start before the first one's end.
    owner = {job_id: (await queue.get(job_id)).user_id for job_id in ids}  # type: ignore[union-attr]
    busy: set[int] = set()
    for line in workers.lines():
        user = owner[int(line[1])]
        if line[0] == "start":
            assert user not in busy, f"two exports of user {user} ran at once"
            busy.add(user)
        else:
            busy.discard(user)


async def test_a_job_of_a_worker_killed_mid_export_is_resumed_by_another_once(
    engine: tuple[Database, ProcrastinateJobQueue], workers: Workers
) -> None:
    _, queue = engine
    job = await queue.submit(7, 7, "big chat")
    await workers.start("doomed", stuck=True)
    await until(lambda: any(line[:2] == ["start", str(job.id)] for line in workers.lines()), "the first run")
    running = await queue.get(job.id)
    assert running is not None and running.state is JobState.RUNNING and running.worker == "doomed"
    await workers.kill("doomed")
    await workers.start("rescuer")

    async def done() -> bool:
        return await states(queue, [job.id]) == [JobState.DONE]

    await until(done, "the job resumed and done")
    finished = await queue.get(job.id)
    assert finished is not None
    assert finished.report == {"by": "rescuer"}
    assert finished.attempts == 2
    assert finished.work_dir == running.work_dir, "the resumed job keeps its work directory (its checkpoint)"
    assert workers.lines() == [
        ["start", str(job.id), "doomed", "1"],
        ["start", str(job.id), "rescuer", "2"],
        ["end", str(job.id), "rescuer"],
    ]


async def test_a_record_queued_without_an_engine_job_is_deferred_and_runs(
    engine: tuple[Database, ProcrastinateJobQueue], workers: Workers, tmp_path: Path
) -> None:
    database, _ = engine
    # The front-end died between writing the record and deferring it: the plain queue writes only the record.
    orphan = await SqliteJobQueue(database, work_root=tmp_path / "work").submit(3, 3, "orphan")
    await workers.start("alpha")
    plain = SqliteJobQueue(database, work_root=tmp_path / "work")

    async def done() -> bool:
        return await states(plain, [orphan.id]) == [JobState.DONE]

    await until(done, "the orphan record run")


async def test_an_export_cancelled_while_queued_never_runs(
    engine: tuple[Database, ProcrastinateJobQueue], workers: Workers
) -> None:
    _, queue = engine
    cancelled = await queue.submit(5, 5, "never")
    await queue.cancel(cancelled.id, by_user=5)
    after = await queue.submit(5, 5, "after")
    await workers.start("alpha")

    async def done() -> bool:
        return await states(queue, [after.id]) == [JobState.DONE]

    await until(done, "the next export")
    assert [line[1] for line in workers.lines() if line[0] == "start"] == [str(after.id)]
    assert await states(queue, [cancelled.id]) == [JobState.CANCELLED]
