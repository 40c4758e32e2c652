"""A worker process for the engine tests: procrastinate over PostgreSQL, running jobs with a stand-in
export that writes which worker ran which job and, with --stuck, never ends (the test kills it -9).

python -m tests.postgres.engine_worker URL WORK_ROOT RUNS_FILE NAME [--stuck]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.jobs import JobResult, WorkerPool
from bot.jobs.procrastinate_queue import ProcrastinateJobQueue
from db import open_database
from db.jobs import Job

STALLED_AFTER = 2.0
HEARTBEAT = 0.5
RUN_SECONDS = 0.3


async def main(url: str, work_root: Path, runs: Path, name: str, stuck: bool) -> None:
    database = await open_database(url)
    queue = ProcrastinateJobQueue(
        database, url, work_root=work_root, stalled_after=STALLED_AFTER, recover_every=1
    )
    await queue.open()

    async def run(job: Job) -> JobResult:
        with runs.open("a") as file:
            file.write(f"start {job.id} {name} {job.attempts}\n")
        await asyncio.sleep(3600 if stuck else RUN_SECONDS)
        with runs.open("a") as file:
            file.write(f"end {job.id} {name}\n")
        return JobResult(report={"by": name})

    pool = WorkerPool(queue, run, size=2, name=name, heartbeat_interval=HEARTBEAT)
    pool.start(claiming=False)
    await queue.serve(
        pool, concurrency=2, update_heartbeat_interval=HEARTBEAT, stalled_worker_timeout=STALLED_AFTER
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], "--stuck" in sys.argv))
