"""The schedule timer: fires due schedules as export jobs and records how each run ended.

Each tick (every ``interval`` seconds, or at once after :meth:`ScheduleTimer.wake`):

- runs whose job has ended are settled (db.schedules): a delivered archive moves where the next
  run starts; a run with nothing new or a failed run leaves it, so the next run catches up;
- due schedules are claimed, one UPDATE each, and their job is queued through the JobQueue
  protocol like any export. A run in progress keeps its schedule from firing again (never two
  runs of one schedule at once); a period that passes meanwhile is caught up by one run once it
  ends. After downtime the claim moves ``next_run_at`` to the first slot after *now*, so one
  run catches up, not one per missed period.

A run is an ordinary full export of the chat with ``after`` set to the schedule's own last
delivered ids (per forum topic), so two schedules of one chat, or a manual export with another
filter, never take messages from each other's series. The job's options carry the schedule's id
(``SCHEDULE_KEY``; ExportOptions ignores keys it does not know), which is how the runner knows to
send a short line instead of an empty archive, and no partial archive (the next run continues
the stopped run's store and delivers it whole). They also carry, for a person's chat or Saved
Messages, the session /schedule resolved it on (``reader``, bot/accounts/pool.py: reader_of), so
every run reads that conversation and no other account's chat with the same id.

The clock is injectable (Unix seconds), so tests move time by hours without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace

from db import JobKind, Role
from db.jobs import Job, JobState
from db.schedules import DELIVERED, FAILED, NOTHING_NEW, Schedule, ScheduleStore
from exporter.export import ExportResult

from .. import text
from ..accounts.pool import READER
from ..context import App
from ..delivery import Destination, tell
from .schedule_rules import rule_of, when_words

log = logging.getLogger(__name__)

SCHEDULE_KEY = "schedule"
# A claim whose job was never queued (the process stopped in between) is given up after this long.
LOST_CLAIM_SECONDS = 600
# The error prefixes of bot.jobs.runner: the sentence after them is the user's.
_PREFIXES = ("stopped early: ", "delivery failed: ")
_UNEXPECTED = "unexpected error"


def is_scheduled(job: Job) -> bool:
    return SCHEDULE_KEY in job.options


def nothing_new(result: ExportResult) -> bool:
    """A complete run that found no message (matching its filter) since the last delivered one."""
    return result.complete and result.manifest["messages"]["written"] == 0


def failure_reason(error: str | None) -> str:
    """The sentence of a failed job's error, as the runner recorded it."""
    if not error or error.startswith(_UNEXPECTED):
        return text.SCHEDULE_FAILED_UNEXPECTED
    for prefix in _PREFIXES:
        if error.startswith(prefix):
            return error[len(prefix) :]
    return error


class ScheduleTimer:
    def __init__(self, app: App, *, clock: Callable[[], float] | None = None, interval: float = 30.0) -> None:
        self.app = app
        self.store = ScheduleStore(app.database)
        self.clock = clock or app.database.now
        self.interval = interval
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._forever(), name="schedule timer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        """Look now (after a tap on Run now, or a test moving the clock) instead of at the next tick."""
        self._wakeup.set()

    async def _forever(self) -> None:
        while True:
            self._wakeup.clear()
            try:
                await self.tick()
            except Exception:
                # A locked database or Telegram down: the next tick tries again; nothing is half-done
                # (each step is one guarded UPDATE).
                log.exception("the schedule timer's tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.interval)

    async def tick(self) -> None:
        async with self._lock:
            now = self.clock()
            for run in await self.store.in_progress():
                await self._settle_if_ended(run, now)
            for schedule in await self.store.due(now):
                await self._fire(schedule, now)

    async def _fire(self, schedule: Schedule, now: float) -> None:
        next_run = schedule.next_run_at
        if not schedule.paused and next_run <= now:
            next_run = rule_of(schedule).next_after(now)
        if not await self.store.claim(schedule, now, next_run):
            return  # another process, or a tap, got there first
        run = replace(schedule, claimed_at=now, next_run_at=next_run)
        refusal = await self._refusal(run)
        if refusal is not None:
            # Paused, not tried again each period: that would repeat the same sentence until someone acts.
            await self.store.set_paused(run.id, True, next_run)
            await self._settled(run, FAILED, error=refusal, tell_owner=text.SCHEDULE_REFUSED)
            return
        after = [[topic, max_id] for topic, max_id in sorted(run.last_ids.items(), key=lambda i: i[0] or 0)]
        options = {**run.options, "after": after or None, SCHEDULE_KEY: run.id}
        job = await self.app.queue.submit(
            run.user_id, run.chat_id, run.target, kind=JobKind.FULL, options=options, thread_id=run.thread_id
        )
        await self.store.attach(run.id, now, job.id)
        # Named from its first status line on, as /export's jobs are.
        await self.app.queue.set_peer(job.id, int(run.target), run.title)
        log.info("schedule %s fired: job %s", run.id, job.id)
        if self.app.pool is not None:
            self.app.pool.wake()

    async def _refusal(self, run: Schedule) -> str | None:
        """Why this run may not export (the owner lost access, the chat was unshared, the account
        whose own conversation it reads was removed), or None."""
        bound, accounts = run.options.get(READER), self.app.accounts
        # Its job would fail at once, every period: no other account has that conversation.
        if bound is not None and accounts is not None and await accounts.store.get(int(bound)) is None:
            return text.SCHEDULE_READER_REMOVED
        if self.app.is_admin(run.user_id):
            return None
        if await self.app.users.role_of(run.user_id) != Role.ALLOWED:
            return text.SCHEDULE_NO_ACCESS
        if not await self.app.shared.is_shared(int(run.target)):
            return text.SCHEDULE_NOT_SHARED
        return None

    async def _settle_if_ended(self, run: Schedule, now: float) -> None:
        if run.job_id is None:
            if run.claimed_at is not None and now - run.claimed_at > LOST_CLAIM_SECONDS:
                await self._settled(run, FAILED, error=text.SCHEDULE_RUN_LOST)
            return
        job = await self.app.queue.get(run.job_id)
        if job is None or not job.finished:
            return
        if job.state == JobState.DONE and job.delivery is None:
            await self._settled(run, NOTHING_NEW, messages=0)
        elif job.state == JobState.DONE:
            delivery = job.delivery or {}
            last_ids = dict(delivery.get("last_ids", []))
            await self._settled(run, DELIVERED, messages=delivery.get("messages"), last_ids=last_ids)
        elif job.state == JobState.CANCELLED:
            await self._settled(run, FAILED, error=text.SCHEDULE_RUN_CANCELLED, tell_owner=None)
        else:
            # The run's status message said why: the owner hears when it is made up.
            await self._settled(
                run, FAILED, error=failure_reason(job.error), tell_owner=text.SCHEDULE_NEXT_RUN
            )

    async def _settled(
        self,
        run: Schedule,
        result: str,
        *,
        messages: int | None = None,
        error: str | None = None,
        last_ids: dict[int | None, int] | None = None,
        tell_owner: str | None = text.SCHEDULE_RUN_FAILED,
    ) -> None:
        """Record the run's outcome; a failure is told with ``tell_owner`` (None: not at all)."""
        if not await self.store.settle(run, result, messages=messages, error=error, last_ids=last_ids):
            return  # recorded already, by another process
        if result != FAILED or tell_owner is None:
            return  # the runner showed the archive, or the short line, in the run's status message
        current = await self.store.get(run.id)
        if current is None:
            return  # deleted meanwhile: no next run to announce
        words = tell_owner.format(
            title=run.title,
            rule=rule_of(run).describe(),
            reason=error,
            next=when_words(current.next_run_at, run.time_zone),
        )
        # One attempt: /schedules shows the same outcome.
        await tell(self.app.bot, Destination(run.chat_id, run.thread_id), words)
