"""Transactions under cancellation: a shutdown that cancels a write must not turn into another error."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from db import Database, SqliteJobQueue
from db.job_record import JobState

from .support import hold_statement_thread


@pytest.fixture
def db_target(db_path: Path) -> Path:
    """The race here is aiosqlite's one statement thread: SQLite only."""
    return db_path


async def test_a_commit_cancelled_in_flight_ends_as_a_cancel_and_the_write_stands(
    db: Database, queue: SqliteJobQueue
) -> None:
    # aiosqlite runs statements on one thread in order. Holding that thread makes the race seen
    # under load certain: the cancelled COMMIT is still queued when the rollback is decided.
    gate = threading.Event()
    held: list[asyncio.Future[object]] = []

    def hold() -> int:
        gate.wait(5)
        return 0

    async def submit_then_get_cancelled() -> None:
        async with db.transaction() as connection:
            await connection.create_function("hold", 0, hold)
            await connection.execute(
                "INSERT INTO jobs (user_id, chat_id, target, kind, options, created_at) "
                "VALUES (1, 1, 'me', 'full', '{}', 0)"
            )
            held.append(asyncio.ensure_future(connection.execute("SELECT hold()")))
            await asyncio.sleep(0)  # the held statement is queued ahead of the COMMIT
            # Real time on purpose: the held thread is let go only after the cancel below is delivered.
            threading.Timer(0.2, gate.set).start()
            task = asyncio.current_task()
            assert task is not None
            task.cancel()  # delivered at the await on COMMIT

    with pytest.raises(asyncio.CancelledError):
        await submit_then_get_cancelled()
    # The rollback after the cancel was queued behind the COMMIT on aiosqlite's one thread, and the
    # query below queues behind both: no waiting needed to see what the COMMIT did.
    assert held[0].done()
    assert len(await queue.list_for_user(1)) == 1  # the COMMIT ran: the write stands


async def test_a_begin_cancelled_in_flight_leaves_no_transaction_open(
    db: Database, queue: SqliteJobQueue
) -> None:
    # Seen under load as a pool's shutdown that could not hand its job back ("cannot start a
    # transaction within a transaction"): a heartbeat cancelled while its BEGIN waited for
    # aiosqlite's thread left that BEGIN to run after the lock was given up. Holding the thread
    # makes the moment certain.
    job = await queue.submit(user_id=1, chat_id=1, target="me")
    claimed = await queue.claim_next("w1")
    assert claimed is not None and claimed.id == job.id
    gate, held = await hold_statement_thread(db)

    async def beat() -> None:
        await queue.heartbeat(job.id)

    beating = asyncio.create_task(beat())
    for _ in range(5):
        await asyncio.sleep(0)  # the heartbeat's BEGIN is queued behind the held statement
    beating.cancel()
    threading.Timer(0.2, gate.set).start()
    with pytest.raises(asyncio.CancelledError):
        await beating
    await held
    released = await queue.release(job.id)  # what the pool's shutdown does next
    assert released.state is JobState.QUEUED
    assert (await queue.get(job.id)) == released  # committed, not left in an open transaction
