"""Building and running the bot: database, queue, worker pool, dispatcher, polling or a webhook.

``running_bot`` is what ``python -m bot``, the offline demo and the end-to-end
tests all start, so they run the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.dispatcher import DEFAULT_BACKOFF_CONFIG
from aiogram.types import BotCommand
from aiogram.utils.backoff import BackoffConfig
from telethon import TelegramClient

from db import ArchiveStore, CheckpointStore, Database, SqliteJobQueue, UserStore, open_database
from db.accounts import AccountStore
from db.private import make_private, make_private_dir
from exporter.options import ExportOptions
from exporter.redaction import redact_client_secrets, redact_secrets

from .accounts import AccountClients, AccountPool
from .accounts.pool import LEASE_SECONDS
from .context import App
from .dialog_storage import DatabaseStorage
from .handlers import (
    accounts,
    admin,
    details,
    errors,
    export,
    export_all,
    jobs,
    policy,
    schedules,
    settings,
    start,
)
from .jobs import ExportJobs, JobQueue, WorkerPool
from .jobs.cleanup import sweep_archives, sweep_work_dirs
from .jobs.pool import default_worker_name
from .jobs.runner import tell_restarted
from .jobs.schedules import ScheduleTimer
from .jobs.umbrella import ManyAwareRunner, after_restart
from .middlewares.access import AccessMiddleware
from .middlewares.retry import RetryAfterMiddleware
from .settings import BotSettings
from .webhook import serve_webhook

if TYPE_CHECKING:
    # Imported when DATABASE_URL is set: SQLite needs neither procrastinate nor psycopg.
    from .jobs.procrastinate_queue import ProcrastinateJobQueue

log = logging.getLogger(__name__)
SWEEP_INTERVAL = 600

COMMANDS = [
    BotCommand(command="export", description="export a chat"),
    BotCommand(command="status", description="your export in progress"),
    BotCommand(command="cancel", description="stop your export"),
    BotCommand(command="history", description="your recent exports"),
    BotCommand(command="shared", description="the chats you may export"),
    BotCommand(command="settings", description="the time zone of your archives' dates"),
    BotCommand(command="schedules", description="your scheduled exports"),
    BotCommand(command="help", description="how to use the bot"),
]


@dataclass
class RunningBot:
    app: App
    dispatcher: Dispatcher
    polling: asyncio.Task[None]


def make_bot(settings: BotSettings, session: AiohttpSession | None = None) -> Bot:
    if session is None:
        session = AiohttpSession()
        if settings.bot_api_url:
            session.api = TelegramAPIServer.from_base(settings.bot_api_url, is_local=True)
    session.middleware(RetryAfterMiddleware())
    return Bot(settings.bot_token.get_secret_value(), session=session)


def make_dispatcher(app: App) -> Dispatcher:
    # Dialogs of several messages in the database: the next message may reach another bot process.
    dispatcher = Dispatcher(storage=DatabaseStorage(app.database))
    dispatcher["app"] = app
    access = AccessMiddleware(app.users, app.settings.admin_ids)
    dispatcher.message.outer_middleware(access)
    dispatcher.callback_query.outer_middleware(access)
    # The start router also catches stale or forged buttons, so it goes last.
    dispatcher.include_routers(
        # Before admin: /login adds an exporting account when accounts are stored.
        accounts.make_router(),
        admin.make_router(),
        # Before /export's own router: it takes /export all, that one every other /export.
        export_all.make_router(),
        export.make_router(),
        policy.make_router(),
        jobs.make_router(),
        details.make_router(),
        settings.make_router(),
        schedules.make_router(),
        start.make_router(),
    )
    dispatcher.include_router(errors.make_router())
    return dispatcher


@asynccontextmanager
async def running_bot(
    settings: BotSettings,
    client: TelegramClient,
    *,
    session: AiohttpSession | None = None,
    backoff: BackoffConfig = DEFAULT_BACKOFF_CONFIG,
    account_clients: AccountClients | None = None,
) -> AsyncIterator[RunningBot]:
    # Before anything logs: the token is in every Bot API URL.
    api_hash = settings.tg_api_hash.get_secret_value() if settings.tg_api_hash else None
    redact_secrets(settings.bot_token.get_secret_value(), api_hash)
    redact_client_secrets(client)
    # Ours alone, even if made before: the database and every export live under it.
    for folder in (settings.data_dir, settings.archives_dir):
        make_private(make_private_dir(folder))
    database = await open_database(settings.database_target)
    bot = make_bot(settings, session)
    engine: ProcrastinateJobQueue | None = None
    pool: WorkerPool | None = None
    sweeper: asyncio.Task[None] | None = None
    app: App | None = None
    timer: ScheduleTimer | None = None
    try:
        # The bot holds only the protocol (bot/jobs/queue.py).
        queue: JobQueue
        if settings.database_url is None:
            # The embedded backend: this process runs the exports too.
            queue = SqliteJobQueue(
                database,
                work_root=settings.archives_dir / ".work",
                max_running=settings.max_jobs,
                max_running_per_user=settings.max_jobs_per_user,
            )
        else:
            # PostgreSQL: this process queues exports; `python -m bot.worker` processes run them.
            from .jobs.procrastinate_queue import ProcrastinateJobQueue

            queue = engine = ProcrastinateJobQueue(
                database, settings.database_url.get_secret_value(), work_root=settings.archives_dir / ".work"
            )
            await engine.open()
        app = await assemble_app(settings, bot, client, database, queue, account_clients)
        dispatcher = make_dispatcher(app)
        if not client.is_connected():
            await client.connect()
        if engine is None:
            recovered = await queue.recover_after_restart()
            pool = WorkerPool(queue, ManyAwareRunner(app), size=settings.max_jobs, poll_interval=1.0)
            app.pool = pool
            pool.start()
            await tell_restarted(app, await after_restart(app, recovered))
        # In SQLite mode the one bot process fires schedules; claims keep several processes apart.
        timer = app.schedules = ScheduleTimer(app)
        timer.start()
        await bot.set_my_commands(COMMANDS)
        # Even without KEEP_ARCHIVES: archives that could not be sent and abandoned work stores remain.
        sweeper = asyncio.create_task(_sweep_forever(app, ArchiveStore(database)))
        if settings.webhook_url is None:
            polling = asyncio.create_task(
                dispatcher.start_polling(bot, handle_signals=False, backoff_config=backoff)
            )
        else:
            polling = asyncio.create_task(serve_webhook(dispatcher, bot, settings))
        yield RunningBot(app, dispatcher, polling)
        if not polling.done():
            if settings.webhook_url is None:
                await dispatcher.stop_polling()
            else:
                polling.cancel()
        await asyncio.wait([polling])
        if not polling.cancelled():
            polling.result()
    finally:
        if timer is not None:
            await timer.stop()
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        if pool is not None:
            # Running jobs go back to the queue and resume at the next start.
            await pool.stop(grace=settings.shutdown_grace)
        if app is not None and app.accounts is not None:
            await app.accounts.stop()
        if engine is not None:
            await engine.close()
        await bot.session.close()
        await database.close()


async def assemble_app(
    settings: BotSettings,
    bot: Bot,
    client: TelegramClient,
    database: Database,
    queue: JobQueue,
    account_clients: AccountClients | None = None,
    account_lease: float = LEASE_SECONDS,
) -> App:
    """The App of a bot or a worker process (bot.worker): the same stores, exports and accounts.
    ``account_lease``: seconds an account stays held by this process without a renewal."""
    users = UserStore(database)
    await users.sync_from_settings(settings.admin_ids, settings.allowed_user_ids)
    checkpoints = CheckpointStore(database)
    defaults = ExportOptions(part_size=settings.part_size_bytes)
    exports = ExportJobs(client, queue, checkpoints, settings.archives_dir, defaults=defaults)
    app = App(settings, bot, client, database, queue, users, checkpoints, exports)
    app.accounts = await _account_pool(settings, database, account_clients, _holder_name(), account_lease)
    return app


def _holder_name() -> str:
    """This process among the account holders: a restarted bot is a new holder (the old leases expire)."""
    return f"{default_worker_name()}:{secrets.token_hex(3)}"


async def _account_pool(
    settings: BotSettings,
    database: Database,
    clients: AccountClients | None,
    holder: str,
    lease: float = LEASE_SECONDS,
) -> AccountPool | None:
    """The stored accounts, once every session opens with SESSION_KEY (WrongSessionKey otherwise)."""
    store = AccountStore(database, settings.session_cipher)
    await store.check_key()
    if settings.session_key is None:
        return None
    if clients is None:
        api_hash = settings.tg_api_hash.get_secret_value() if settings.tg_api_hash else None
        clients = AccountClients(settings.tg_api_id, api_hash)
    # Renewed three times a lease, as by default (bot/accounts/pool.py: LEASE_SECONDS, RENEW_EVERY).
    pool = AccountPool(store, clients, holder, lease_seconds=lease, renew_every=lease / 3)
    pool.start()
    return pool


async def _sweep_forever(app: App, archives: ArchiveStore) -> None:
    while True:
        try:
            removed = await sweep_archives(app, archives)
            if removed:
                log.info("deleted the archives of %d old exports", removed)
            abandoned = await sweep_work_dirs(app, archives)
            if abandoned:
                log.info("deleted %d work folders of exports never continued", len(abandoned))
        except OSError as exc:
            log.warning("archive clean-up failed: %s", exc)
        await asyncio.sleep(SWEEP_INTERVAL)
