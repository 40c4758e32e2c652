"""An in-process worker pool over a :class:`~bot.jobs.queue.JobQueue`; it knows nothing about exporting.

The pool claims jobs, runs each with the given ``run(job)`` coroutine
function, keeps the jobs' heartbeats (which also carry the latest progress
and bring back cancel requests), and records how each run ended:

- ``run`` returns: done, with the report and parts of its :class:`JobResult`;
- ``run`` raises: failed, with the exception's text (the traceback is logged);
- a user cancelled: the run's task is cancelled and the job ends cancelled;
- the pool stops: runs still going are cancelled and their jobs go back to
  the queue, to resume from their work directory at the next start.

Each run is its own task, separate from the bookkeeping around it, so a
cancel aimed at a run can never interrupt the recording of its outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from db import IllegalTransition
from db.jobs import Job, JobPart

from .queue import JobQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    """What a finished run hands over: the timing report (as a dict) and the archive parts."""

    report: Mapping[str, Any] | None = None
    parts: Sequence[JobPart] = ()


class JobFailed(Exception):
    """A run ends its job as failed with this text, having logged whatever it needed (a traceback
    included): the pool records the text and logs one line, not the traceback again."""


RunJob = Callable[[Job], Coroutine[Any, Any, JobResult | None]]
# Pauses between attempts at recording how a job ended, before the last attempt.
SETTLE_PAUSES = (0.5, 1.0, 2.0, 4.0)


class _Interrupt(Enum):
    CANCEL = "cancel"  # the job's user asked
    STOP = "stop"  # the pool is stopping
    LOST = "lost"  # the queue no longer counts this job as ours: record nothing


@dataclass
class _Running:
    job: Job
    task: asyncio.Task[JobResult | None]
    interrupt: _Interrupt | None = None
    progress: Mapping[str, Any] | None = None

    def stop(self, why: _Interrupt) -> None:
        # The first reason wins: a user's cancel that arrives before shutdown stays a cancel.
        if self.interrupt is None:
            self.interrupt = why
        self.task.cancel()


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerPool:
    def __init__(
        self,
        queue: JobQueue,
        run: RunJob,
        *,
        size: int = 2,
        name: str | None = None,
        poll_interval: float = 2.0,
        heartbeat_interval: float = 2.0,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one slot")
        self.size = size
        self.name = name or default_worker_name()
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self._queue = queue
        self._run = run
        self._running: dict[int, _Running] = {}
        self._drivers: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self._heartbeats: asyncio.Task[None] | None = None

    @property
    def running_jobs(self) -> list[int]:
        return sorted(self._running)

    def start(self, *, claiming: bool = True) -> None:
        """Keep heartbeats; with ``claiming``, also take jobs from the queue. A job engine that
        hands jobs over itself (bot.jobs.procrastinate_queue) starts it without, then calls
        :meth:`run_claimed`."""
        if self._heartbeats is not None:
            raise RuntimeError("the worker pool is already started")
        if claiming:
            self._supervisor = asyncio.create_task(self._supervise(), name=f"{self.name} supervisor")
        self._heartbeats = asyncio.create_task(self._beat(), name=f"{self.name} heartbeats")

    async def run_claimed(self, job: Job) -> None:
        """Run a job claimed for this worker elsewhere, with the same heartbeats, cancels and
        bookkeeping as a job the pool claimed; returns once its end is recorded."""
        await asyncio.shield(self._adopt(job))

    def wake(self) -> None:
        """Look for work now (call after submitting a job) instead of at the next poll."""
        self._wakeup.set()

    def report_progress(self, job_id: int, progress: Mapping[str, Any]) -> None:
        """Keep the latest progress of a running job; the next heartbeat stores it. Cheap enough
        to call on every progress event: the database is written once per heartbeat interval."""
        running = self._running.get(job_id)
        if running is not None:
            running.progress = progress

    async def stop(self, grace: float = 0.0) -> None:
        """Stop claiming, give running jobs ``grace`` seconds to finish, then cancel the rest and
        hand their jobs back to the queue. No job of this pool is left ``running``."""
        self._stopping = True
        self._wakeup.set()
        if self._supervisor is not None:
            await self._supervisor
        if grace > 0 and self._running:
            await asyncio.wait([running.task for running in self._running.values()], timeout=grace)
        for running in list(self._running.values()):
            if not running.task.done():
                running.stop(_Interrupt.STOP)
        if self._drivers:
            await asyncio.gather(*self._drivers)
        if self._heartbeats is not None:
            self._heartbeats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeats

    async def __aenter__(self) -> WorkerPool:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _supervise(self) -> None:
        while not self._stopping:
            # Cleared before looking, so a wake-up that comes while we look is not lost.
            self._wakeup.clear()
            await self._fill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.poll_interval)

    async def _fill(self) -> None:
        while len(self._running) < self.size and not self._stopping:
            try:
                job = await self._queue.claim_next(self.name)
            except Exception:
                log.exception("claiming a job failed; trying again in %s s", self.poll_interval)
                return
            if job is None:
                return
            self._adopt(job)

    def _adopt(self, job: Job) -> asyncio.Task[None]:
        running = _Running(job, asyncio.create_task(self._run(job), name=f"job {job.id}"))
        self._running[job.id] = running
        # stop() waits for the bookkeeping: a job is never left running by a stopped pool.
        driver = asyncio.create_task(self._drive(running), name=f"job {job.id} bookkeeping")
        self._drivers.add(driver)
        driver.add_done_callback(self._drivers.discard)
        return driver

    async def _drive(self, running: _Running) -> None:
        try:
            await asyncio.wait([running.task])
            for pause in SETTLE_PAUSES:
                try:
                    await self._settle(running)
                    break
                except Exception:
                    # A full disk or a locked database may pass; the job's outcome is worth waiting for.
                    log.warning(
                        "recording the end of job %s failed; trying again", running.job.id, exc_info=True
                    )
                    await asyncio.sleep(pause)
            else:
                await self._settle(running)
        except Exception:
            # The job stays running in the queue; recover_after_restart hands it back at the next start.
            log.exception("recording the end of job %s failed", running.job.id)
        finally:
            del self._running[running.job.id]
            self._wakeup.set()

    async def _settle(self, running: _Running) -> None:
        job, task, why = running.job, running.task, running.interrupt
        if why is _Interrupt.LOST:
            log.warning("job %s was taken from this worker; its outcome is not recorded", job.id)
            return
        if not task.cancelled() and task.exception() is None:
            result = task.result() or JobResult()
            await self._queue.complete(job.id, result.report, result.parts)
        elif why is _Interrupt.CANCEL:
            await self._queue.mark_cancelled(job.id)
        elif why is _Interrupt.STOP:
            await self._queue.release(job.id)
        elif task.cancelled():
            await self._queue.fail(job.id, "the job cancelled itself")
        else:
            error = task.exception()
            if isinstance(error, JobFailed):
                log.warning("job %s failed: %s", job.id, error)
            else:
                log.error("job %s failed", job.id, exc_info=error)
            await self._queue.fail(job.id, str(error) or type(error).__name__)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            for running in list(self._running.values()):
                if running.task.done():
                    continue
                try:
                    cancel = await self._queue.heartbeat(running.job.id, running.progress)
                except IllegalTransition:
                    if not running.task.done():
                        running.stop(_Interrupt.LOST)
                    continue
                except Exception:
                    log.exception("heartbeat of job %s failed", running.job.id)
                    continue
                if cancel and not running.task.done():
                    running.stop(_Interrupt.CANCEL)
