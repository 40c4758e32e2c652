"""Incremental-export checkpoints per user, chat and topic."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from db import CheckpointStore, Database, SqliteJobQueue


@pytest.fixture
def checkpoints(db: Database) -> CheckpointStore:
    return CheckpointStore(db)


async def test_checkpoints_per_topic_and_per_user(
    checkpoints: CheckpointStore, queue: SqliteJobQueue
) -> None:
    job = await queue.submit(1, 1, "@forum")
    assert await checkpoints.last_exported(1, -100) == {}
    await checkpoints.record_exported(1, -100, {None: 500, 1: 40, 7: 90}, job.id)
    assert await checkpoints.last_exported(1, -100) == {None: 500, 1: 40, 7: 90}
    # Another user and another chat have their own.
    assert await checkpoints.last_exported(2, -100) == {}
    assert await checkpoints.last_exported(1, -200) == {}

    await checkpoints.record_exported(1, -100, {None: 650, 9: 3}, None)
    assert await checkpoints.last_exported(1, -100) == {None: 650, 1: 40, 7: 90, 9: 3}


async def test_a_checkpoint_never_moves_back(checkpoints: CheckpointStore) -> None:
    await checkpoints.record_exported(1, -100, {None: 500, 7: 90}, None)
    await checkpoints.record_exported(1, -100, {None: 480, 7: 95}, None)
    assert await checkpoints.last_exported(1, -100) == {None: 500, 7: 95}


async def test_a_checkpoint_names_a_real_job(checkpoints: CheckpointStore) -> None:
    # Foreign keys are on: a typo'd job id is caught, not stored.
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        await checkpoints.record_exported(1, -100, {None: 5}, job_id=12345)
    assert await checkpoints.last_exported(1, -100) == {}
