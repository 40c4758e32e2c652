"""One whole export through the bot's job path, the application database on SQLite or on PostgreSQL:
a contestant of the backend-postgres scenario of ``python -m bench`` (bench/backends.py).

    python -m bench.backend_run sqlite|postgres --session-file F --target @name

Prints a JSON line. The product runs in this process as it runs for its users, against the sandbox
Telegram the bench started in another process and a sandbox Bot API in this one (as ``python -m bot
--sandbox`` has it):

- sqlite: ``running_bot`` alone, as ``python -m bot`` runs with nothing else installed; its worker
  pool runs the export;
- postgres: a scratch database on the server ``DATABASE_URL`` names (else 127.0.0.1:5432, user
  postgres), created for this run and dropped after; ``running_bot`` queues the export and
  ``running_worker`` (``python -m bot.worker``'s) takes it from procrastinate and runs it.

The job is submitted as /export's handler submits it, and timed from its claim to its outcome as
its own record has them (``started_at``, ``finished_at``): the export with a heartbeat and its
progress every 2 s, the archive recorded and sent to the Bot API, the checkpoint, the outcome. The
store and the archive are the same files in both modes (docs/scale.md); what differs is every
write of the job's record and procrastinate's dispatch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from pydantic import SecretStr
from telethon import TelegramClient

from bot.app import running_bot
from bot.context import App
from bot.jobs.queue import JobQueue
from bot.settings import BotSettings
from bot.worker import running_worker
from db import JobState
from db.jobs import Job
from db.timing_report import TimingReport
from exporter.settings import open_client
from sandbox.botapi import BotAPIServer

from .backends import CONTESTANTS, scratch_database

USER_ID = 4217
# How often the bench looks whether the job has ended; the times come from the job's record.
LOOK_EVERY = 0.5


@asynccontextmanager
async def product(
    backend: str, api: BotAPIServer, client: TelegramClient, data_dir: Path
) -> AsyncIterator[App]:
    """The bot (and for postgres its worker) running until the block ends; yields the front-end's App."""

    def session() -> AiohttpSession:
        return AiohttpSession(api=TelegramAPIServer.from_base(api.url))

    with contextlib.ExitStack() as scratch:
        url = scratch.enter_context(scratch_database()) if backend == "postgres" else None
        settings = BotSettings(
            _env_file=None,
            bot_token=SecretStr(api.token),
            admin_ids=[USER_ID],
            data_dir=data_dir,
            # Stated, so that the bench's own environment cannot choose the backend or the accounts.
            database_url=SecretStr(url) if url else None,
            session_key=None,
        )
        async with running_bot(settings, client, session=session()) as running:
            if url is None:
                yield running.app
            else:
                async with running_worker(settings, client, session=session()):
                    yield running.app


async def export_once(backend: str, session_file: Path, target: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-backend-") as folder:
        work = Path(folder)
        async with BotAPIServer(work / "botapi") as api:
            api.add_user("Bench", user_id=USER_ID)
            # As python -m bot opens it (receive_updates: the bot's own session hears its chats).
            settings = BotSettings(_env_file=None, bot_token=SecretStr(api.token))
            client = open_client(settings, session_file, receive_updates=True)
            try:
                async with product(backend, api, client, work / "data") as app:
                    cpu = time.process_time()
                    job = await app.queue.submit(USER_ID, USER_ID, target)
                    if app.pool is not None:
                        app.pool.wake()  # as /export's handler does
                    job = await ended(app.queue, job)
                    cpu = time.process_time() - cpu
            finally:
                await client.disconnect()
    if job.state is not JobState.DONE or job.report is None:
        raise RuntimeError(f"the export ended {job.state.value}: {job.error}")
    assert job.started_at is not None and job.finished_at is not None  # a done job has both
    report = TimingReport.from_dict(job.report)
    return {
        "contestant": backend,
        "messages": report.messages,
        "wall": job.finished_at - job.started_at,
        "cpu": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "complete": True,
        "queue_wait": job.started_at - job.created_at,
        "export_wall": report.export_wall,
    }


async def ended(queue: JobQueue, job: Job) -> Job:
    while not job.finished:
        await asyncio.sleep(LOOK_EVERY)
        found = await queue.get(job.id)
        assert found is not None, "the job's record is gone"
        job = found
    return job


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backend_run", description=__doc__)
    parser.add_argument("contestant", choices=CONTESTANTS)
    parser.add_argument("--session-file", type=Path, required=True)
    parser.add_argument("--target", required=True)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(export_once(args.contestant, args.session_file, args.target))))


if __name__ == "__main__":
    main()
