"""The cap on a user's waiting exports is counted in the submit's own write transaction: submits
racing from two processes (two front-ends on one database) pass it exactly up to the cap. On
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from db import Database, SqliteJobQueue, TooManyWaiting

CAP = 3


async def test_racing_submits_from_two_processes_pass_the_cap_exactly(
    db: Database, other: Database, tmp_path: Path
) -> None:
    fronts = [SqliteJobQueue(handle, work_root=tmp_path / "work") for handle in (db, other)]
    await fronts[0].submit(1, 1, "@a", waiting_cap=CAP)

    async def submit(n: int) -> bool:
        try:
            await fronts[n % 2].submit(1, 1, f"@c{n}", waiting_cap=CAP)
        except TooManyWaiting as refused:
            assert refused.cap == CAP
            return False
        return True

    passed = await asyncio.gather(*(submit(n) for n in range(12)))
    assert sum(passed) == CAP - 1
    assert await fronts[1].count_unfinished(1) == CAP
    # Someone else's jobs do not count, nor do finished ones; no cap, no refusal.
    await fronts[1].submit(2, 2, "@b", waiting_cap=CAP)
    job = await fronts[0].claim_next("w")
    assert job is not None and job.user_id == 1
    await fronts[0].fail(job.id, "gone")
    await fronts[1].submit(1, 1, "@again", waiting_cap=CAP)
    with pytest.raises(TooManyWaiting):
        await fronts[0].submit(1, 1, "@more", waiting_cap=CAP)
    await fronts[0].submit(1, 1, "@admin", waiting_cap=None)
    assert await fronts[0].count_unfinished(1) == CAP + 1
