"""What handlers and the worker share: built once at start-up, handed out through the dispatcher.

aiogram passes every key of the dispatcher's workflow data to handlers that name
it as a parameter, so a handler asks for ``app: App`` instead of reaching for a
global.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aiogram import Bot
from telethon import TelegramClient

from db import CheckpointStore, Database, SharedChats, UserStore

from .accounts import AccountPool
from .callbacks import Buttons
from .jobs import ExportJobs, JobQueue, WorkerPool
from .settings import BotSettings

if TYPE_CHECKING:
    # The timer's module builds on this one.
    from .jobs.schedules import ScheduleTimer


@dataclass
class App:
    settings: BotSettings
    bot: Bot
    client: TelegramClient
    database: Database
    queue: JobQueue
    users: UserStore
    checkpoints: CheckpointStore
    exports: ExportJobs
    # Set once the worker pool runs; handlers wake it after submitting a job.
    pool: WorkerPool | None = None
    # The exporting accounts stored in the database (SESSION_KEY set); None: the bot's own session only.
    accounts: AccountPool | None = None
    # Set once the schedule timer runs; /schedules wakes it for "Run now".
    schedules: ScheduleTimer | None = None

    @property
    def archives_dir(self) -> Path:
        return self.settings.archives_dir

    @property
    def buttons(self) -> Buttons:
        """Server-side state behind inline buttons (dialog pickers, option screens)."""
        return Buttons(self.database)

    @property
    def shared(self) -> SharedChats:
        return SharedChats(self.database)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admin_ids

    def waiting_cap(self, user_id: int) -> int | None:
        """How many exports ``user_id`` may have queued or running; None: no cap. Admins are not
        capped: the account and its flood budget are theirs, and the cap keeps others from spending
        it."""
        return None if self.is_admin(user_id) else self.settings.max_waiting_per_user
