"""The periodic recovery of dead workers' exports (bot/jobs/procrastinate_queue.py) is due every
``recover_every`` seconds around the clock, as procrastinate computes its ticks from the cron."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from bot.jobs.procrastinate_queue import RECOVER_EVERY, RECOVER_TASK, ProcrastinateJobQueue
from db import open_database


@pytest.mark.parametrize("every", [RECOVER_EVERY, 1])
async def test_the_recovery_is_due_every_few_seconds_in_every_minute(tmp_path: Path, every: int) -> None:
    # No connection is made: procrastinate connects in open(), and this looks at its schedule only.
    database = await open_database(tmp_path / "app.sqlite")
    queue = ProcrastinateJobQueue(
        database,
        "postgresql://nobody@127.0.0.1/none",
        work_root=tmp_path,
        recover_every=every,
    )
    [periodic] = [
        task
        for task in queue.engine.periodic_registry.periodic_tasks.values()
        if task.task.name == RECOVER_TASK
    ]
    # 16:01:05 UTC: a minute that is not a multiple of ten (the cron once ran only in those).
    start = at = datetime(2026, 12, 7, 16, 1, 5, tzinfo=UTC).timestamp()
    ticks = []
    for _ in range(3):
        at = periodic.croniter.get_next(ret_type=float, start_time=at)
        ticks.append(at)
    gaps = [later - earlier for earlier, later in pairwise(ticks)]
    assert ticks[0] - start <= every
    assert gaps == [every, every]
    await database.close()
