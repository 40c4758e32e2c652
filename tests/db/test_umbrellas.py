"""Umbrellas in the application database (both backends): chats linked to queued jobs, outcomes,
cancelling the whole, and exactly one finisher."""

from __future__ import annotations

import asyncio

from db import Database, SqliteJobQueue
from db.umbrellas import UmbrellaStore


async def _umbrella_of(
    db: Database, queue: SqliteJobQueue, chats: int
) -> tuple[UmbrellaStore, int, list[int]]:
    store = UmbrellaStore(db)
    umbrella = await store.create(7, 7, None, "combined")
    jobs = []
    for position in range(chats):
        job = await queue.submit(7, 7, str(-100 - position), options={"umbrella": umbrella.id})
        await store.add_chat(
            umbrella.id, position, job.id, f"chat {position}", left=position == 1, archived=False
        )
        jobs.append(job.id)
    return store, umbrella.id, jobs


async def test_chats_keep_their_order_kind_and_outcome(db: Database, queue: SqliteJobQueue) -> None:
    store, umbrella_id, jobs = await _umbrella_of(db, queue, 3)
    await store.record_outcome(jobs[1], {"complete": True, "messages": 5})
    chats = await store.chats(umbrella_id)
    assert [(c.position, c.title, c.left, c.job_state) for c in chats] == [
        (0, "chat 0", False, "queued"),
        (1, "chat 1", True, "queued"),
        (2, "chat 2", False, "queued"),
    ]
    assert [c.outcome for c in chats] == [None, {"complete": True, "messages": 5}, None]
    found = await store.of_job(jobs[2])
    assert found is not None and found.umbrella_id == umbrella_id and found.position == 2
    assert await store.of_job(10_000) is None


async def test_finishing_waits_for_every_chat_and_has_one_winner(db: Database, queue: SqliteJobQueue) -> None:
    store, umbrella_id, jobs = await _umbrella_of(db, queue, 3)
    await store.record_outcome(jobs[0], {"complete": True})
    # Two chats have not run: nobody finishes, not even the worker of the last but one.
    assert await store.claim_finish(umbrella_id, jobs[1]) is None
    await store.record_outcome(jobs[1], {"complete": True})
    await queue.cancel(jobs[2], 7)  # cancelled before it ran: it never will
    claims = await asyncio.gather(*(store.claim_finish(umbrella_id, None) for _ in range(5)))
    assert sum(claim is not None for claim in claims) == 1
    await store.finish(umbrella_id)
    assert await store.unfinished() == []


async def test_cancelling_the_whole_names_the_jobs_still_to_end(db: Database, queue: SqliteJobQueue) -> None:
    store, umbrella_id, jobs = await _umbrella_of(db, queue, 3)
    claimed = await queue.claim_next("w")
    assert claimed is not None and claimed.id == jobs[0]
    await queue.complete(jobs[0], None, [])
    assert await store.cancel(umbrella_id) == jobs[1:]
    umbrella = await store.get(umbrella_id)
    assert umbrella is not None and umbrella.cancelled and umbrella.state == "running"
