"""python -m bot.worker: a process that runs exports, in PostgreSQL mode (DATABASE_URL).

``python -m bot`` then only talks to people and queues their exports; any number of these workers,
on any number of machines, take the exports from procrastinate (bot.jobs.procrastinate_queue), run
them and deliver the archives themselves through the Bot API. They share the bot's settings, its
PostgreSQL database and its DATA_DIR (a shared volume: an export's store and archive live there, so
another worker can resume a job whose worker died; docs/scale.md).

Stopping (SIGTERM, SIGINT) gives running exports SHUTDOWN_GRACE seconds, then hands them back to
the queue to resume from their checkpoint on whichever worker takes them next.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiogram.client.session.aiohttp import AiohttpSession
from telethon import TelegramClient
from telethon.errors import AuthKeyDuplicatedError

from db import DbError, open_database
from db.accounts import AccountStore
from db.private import make_private, make_private_dir
from exporter.errors import explain
from exporter.redaction import redact_client_secrets, redact_secrets
from exporter.settings import SettingsError, check_writable, connect, open_client, read_settings

from .accounts import AccountClients
from .accounts.pool import LEASE_SECONDS
from .app import assemble_app, make_bot
from .context import App
from .jobs import WorkerPool, default_worker_name
from .jobs.procrastinate_queue import RECOVER_EVERY, RECOVER_TASK, STALLED_AFTER, ProcrastinateJobQueue
from .jobs.runner import JobRunner
from .jobs.umbrella import ManyAwareRunner
from .settings import SESSION_DUPLICATED, BotSettings, DeployedBotSettings

log = logging.getLogger(__name__)

NEEDS_DATABASE_URL = (
    "python -m bot.worker runs the exports of a bot whose state is in PostgreSQL: set DATABASE_URL "
    "(postgresql://…) for the bot and its workers. Without it, python -m bot runs the exports itself."
)


@asynccontextmanager
async def running_worker(
    settings: BotSettings,
    client: TelegramClient,
    *,
    session: AiohttpSession | None = None,
    stalled_after: float = STALLED_AFTER,
    heartbeat_interval: float = 10.0,
    recover_every: int = RECOVER_EVERY,
    account_clients: AccountClients | None = None,
    account_lease: float = LEASE_SECONDS,
    on_session_ended: Callable[[], None] | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    """A worker serving exports until the context ends; yields procrastinate's worker task (it
    ends only on an error). The exports run on the exporting accounts stored in the database
    (bot/accounts: each held by one process at a time under a lease of ``account_lease``
    seconds), or with the bot's own session where none are. ``stalled_after``,
    ``heartbeat_interval``, ``recover_every`` and ``account_lease`` let tests recover a killed
    worker's jobs and accounts in seconds instead of half a minute. ``on_session_ended()`` when
    Telegram ended ``client``'s session under an export (bot/jobs/own_session.py)."""
    if settings.database_url is None:
        raise SettingsError(NEEDS_DATABASE_URL)
    api_hash = settings.tg_api_hash.get_secret_value() if settings.tg_api_hash else None
    redact_secrets(settings.bot_token.get_secret_value(), api_hash, settings.database_url.get_secret_value())
    redact_client_secrets(client)
    for folder in (settings.data_dir, settings.archives_dir):
        make_private(make_private_dir(folder))
    database = await open_database(settings.database_target)
    bot = make_bot(settings, session)
    queue = ProcrastinateJobQueue(
        database,
        settings.database_url.get_secret_value(),
        work_root=settings.archives_dir / ".work",
        stalled_after=stalled_after,
        recover_every=recover_every,
    )
    pool: WorkerPool | None = None
    serving: asyncio.Task[None] | None = None
    app: App | None = None
    try:
        await queue.open()
        app = await assemble_app(settings, bot, client, database, queue, account_clients, account_lease)
        if not client.is_connected():
            await client.connect()
        pool = WorkerPool(
            queue,
            ManyAwareRunner(app, JobRunner(app, on_session_ended)),
            size=settings.max_jobs,
            name=default_worker_name(),
        )
        app.pool = pool
        pool.start(claiming=False)
        serving = asyncio.create_task(
            queue.serve(
                pool,
                concurrency=settings.max_jobs,
                update_heartbeat_interval=heartbeat_interval,
                stalled_worker_timeout=stalled_after,
            ),
            name="procrastinate worker",
        )
        log.info("worker %s serving up to %d exports at once", pool.name, settings.max_jobs)
        yield serving
    finally:
        if pool is not None:
            # First: running exports end or go back to the queue, while the engine still runs.
            await pool.stop(grace=settings.shutdown_grace)
        if app is not None and app.accounts is not None:
            # The exporting accounts' leases are not renewed any more (bot/accounts/pool.py).
            await app.accounts.stop()
        if serving is not None:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
        await queue.close()
        await bot.session.close()
        await database.close()


def quiet_recovery(record: logging.LogRecord) -> bool:
    """False for procrastinate's INFO lines about the periodic recovery (deferred, started, ended:
    seen by hand, about 26,000 lines a day per worker, one run every RECOVER_EVERY s); what it
    finds is logged by bot.jobs.procrastinate_queue, and the exports' own lines stay."""
    return not (
        record.name.startswith("procrastinate")
        and record.levelno <= logging.INFO
        and f"{RECOVER_TASK}[" in record.getMessage()
    )


def sandbox_account_clients(session_file: Path | None) -> AccountClients | None:
    """With the offline sandbox's session file, the stored accounts' clients reach its DCs too (its
    server key for the media DCs); without one, Telegram with TG_API_ID and TG_API_HASH."""
    if session_file is None:
        return None
    # open_client has checked it already (SessionFile.load); each account's client checks it again.
    return AccountClients(None, None, sandbox=json.loads(session_file.read_text(encoding="utf-8")))


async def serve(settings: BotSettings, client: TelegramClient, args: argparse.Namespace) -> None:
    stop, session_ended = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # The database and the accounts' key before Telegram, as `python -m bot` checks them: a server
    # that is down or a wrong SESSION_KEY is said as itself, not behind an unreachable Telegram.
    database = await open_database(settings.database_target)
    try:
        await AccountStore(database, settings.session_cipher).check_key()
    finally:
        await database.close()
    try:
        await connect(client)
        async with running_worker(
            settings,
            client,
            stalled_after=args.stalled_after,
            heartbeat_interval=args.heartbeat,
            recover_every=args.recover_every,
            account_clients=sandbox_account_clients(args.session_file),
            account_lease=args.account_lease,
            on_session_ended=session_ended.set,
        ) as serving:
            stopped = [asyncio.ensure_future(event.wait()) for event in (stop, session_ended)]
            await asyncio.wait({serving, *stopped}, return_when=asyncio.FIRST_COMPLETED)
            if serving.done():
                serving.result()  # the engine's own error, said at the top
        if session_ended.is_set():
            # No more exports on a dead session: its running ones went back to the queue above,
            # and the process ends saying so, as one started with that session would.
            raise AuthKeyDuplicatedError(None)
    finally:
        if client.is_connected():
            await client.disconnect()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.worker", description=__doc__)
    parser.add_argument(
        "--heartbeat", type=float, default=10.0, help="seconds between this worker's heartbeats"
    )
    parser.add_argument(
        "--stalled-after",
        type=float,
        default=STALLED_AFTER,
        help="seconds without a worker's heartbeat before its exports go to another worker",
    )
    parser.add_argument(
        "--recover-every", type=int, default=RECOVER_EVERY, help="seconds between looks for such exports"
    )
    parser.add_argument(
        "--account-lease",
        type=float,
        default=LEASE_SECONDS,
        help="seconds an exporting account stays held by a worker that stopped renewing it",
    )
    parser.add_argument(
        "--session-file",
        type=Path,
        help="the offline sandbox's session file (python -m sandbox serve writes one)",
    )
    args = parser.parse_args()
    redact_secrets()
    os.umask(0o077)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(quiet_recovery)
    try:
        # The sandbox's session file names its DCs and key: no app id and hash to ask for.
        settings = read_settings(BotSettings if args.session_file else DeployedBotSettings)
        if settings.database_url is None:
            raise SettingsError(NEEDS_DATABASE_URL)
        api_hash = settings.tg_api_hash.get_secret_value() if settings.tg_api_hash else None
        redact_secrets(
            settings.bot_token.get_secret_value(), api_hash, settings.database_url.get_secret_value()
        )
        check_writable(settings.data_dir, "data folder", "set DATA_DIR to another folder")
        asyncio.run(serve(settings, open_client(settings, args.session_file), args))
    except (SettingsError, DbError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AuthKeyDuplicatedError:
        where = args.session_file or settings.tg_session_path
        print(f"error: {SESSION_DUPLICATED.format(where=where)}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"error: {explain(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
