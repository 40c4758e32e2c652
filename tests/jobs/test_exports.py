"""Export jobs through the durable queue and the worker pool, against the sandbox."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

import pytest
from telethon import TelegramClient

from bot.jobs import ExportJobs, JobResult, WorkerPool
from db import CheckpointStore, JobKind, JobState, SqliteJobQueue, open_database
from db.jobs import Job, JobPart
from exporter.options import ExportOptions
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from sandbox.world import World, expected_messages


def archive_ids(result_parts: list) -> list[tuple[int, int | None]]:
    with zipfile.ZipFile(result_parts[0].path) as zf:
        return [(m["id"], m.get("topic_id")) for m in json.loads(zf.read("result.json"))["messages"]]


@pytest.fixture
async def queue(tmp_path: Path):
    database = await open_database(tmp_path / "app.sqlite")
    yield (
        SqliteJobQueue(database, work_root=tmp_path / "work", max_running=2, max_running_per_user=1),
        database,
    )
    await database.close()


def test_options_round_trip_through_a_job() -> None:
    import datetime as dt

    options = ExportOptions(
        formats=("json", "md"),
        since=dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
        last=50,
        topics=(1, 7),
        takeout=True,
    )
    assert ExportOptions.from_json(json.loads(json.dumps(options.to_json()))) == options


async def test_jobs_run_through_the_pool_exactly_and_incrementally(
    client: TelegramClient, world: World, tmp_path: Path, queue
) -> None:
    jobs_queue, database = queue
    exports = ExportJobs(client, jobs_queue, CheckpointStore(database), tmp_path / "archives")
    results = {}

    async def run(job: Job) -> JobResult:
        result = await exports.run(job)
        if result.complete:
            await exports.delivered(job, result.chat.id, result.last_ids)
        results[job.id] = result
        parts = [JobPart(str(p.path), p.size, p.sha256) for p in result.parts]
        return JobResult(result.report.to_dict(), parts)

    forum = world.by_username("project_forum_sandbox")
    channel = world.by_username("daily_digest_sandbox")
    first = await jobs_queue.submit(1, 1, "@project_forum_sandbox", options={"formats": ["json"]})
    second = await jobs_queue.submit(2, 2, "@daily_digest_sandbox", options={"formats": ["json"]})
    pool = WorkerPool(jobs_queue, run, size=2, poll_interval=0.05)
    pool.start()
    try:
        for _ in range(400):
            if all([(await jobs_queue.get(j.id)).finished for j in (first, second)]):
                break
            await asyncio.sleep(0.05)
        assert (await jobs_queue.get(first.id)).state == JobState.DONE
        assert archive_ids(results[first.id].parts) == list(expected_messages(world, forum))
        assert archive_ids(results[second.id].parts) == list(expected_messages(world, channel))
        assert (await jobs_queue.get(first.id)).peer_title == forum.title

        new = world.add_messages(forum.peer_id, 6, sorted(forum.topics)[2])
        third = await jobs_queue.submit(1, 1, "@project_forum_sandbox", kind=JobKind.INCREMENTAL)
        pool.wake()
        for _ in range(400):
            if (await jobs_queue.get(third.id)).finished:
                break
            await asyncio.sleep(0.05)
        assert (await jobs_queue.get(third.id)).state == JobState.DONE
        assert [msg_id for msg_id, _ in archive_ids(results[third.id].parts)] == new
    finally:
        await pool.stop()


async def test_a_job_sent_back_to_the_queue_resumes_its_store(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path, queue
) -> None:
    jobs_queue, database = queue
    exports = ExportJobs(
        client,
        jobs_queue,
        CheckpointStore(database),
        tmp_path / "archives",
        defaults=ExportOptions(formats=("json",)),
    )
    job = await jobs_queue.submit(5, 5, "@daily_digest_sandbox")
    claimed = await jobs_queue.claim_next("worker-1")
    # Telegram stops us early: a partial archive, and the store stays in the job's work folder.
    cluster.network.add_fault(parse_fault("messages.getHistory@4=420:FLOOD_WAIT_7200*1000"))
    partial = await exports.run(claimed)
    stored = await jobs_queue.get(job.id)
    # The job names its store: per user, chat and options, so a new job asking the same continues it.
    assert stored.work_dir == exports.work_dir_for(5, partial.chat, exports.defaults)
    assert not partial.complete and stored.work_dir.exists()

    # The process dies; the next start sends the job back and it resumes.
    recovered = await jobs_queue.recover_after_restart()
    assert [j.id for j in recovered] == [job.id]
    cluster.network.faults.clear()
    again = await jobs_queue.claim_next("worker-2")
    assert again.work_dir == stored.work_dir and again.attempts == 2
    result = await exports.run(again)
    assert result.complete
    chat = world.by_username("daily_digest_sandbox")
    assert archive_ids(result.parts) == list(expected_messages(world, chat))
