"""Export jobs, from the queue to the user: everything that runs them, in one place.

- ``queue``: :class:`JobQueue`, the protocol the bot holds (``db.SqliteJobQueue``
  is the embedded backend; storage and its SQL stay in ``db.jobs``);
- ``pool``: :class:`WorkerPool`, claims jobs and runs them, knowing nothing of exports;
- ``exports``: :class:`ExportJobs`, what turns a job into an export (the engine,
  ``exporter``, sees only its options, target and store);
- ``runner``: :class:`~bot.jobs.runner.JobRunner`, one job for the bot: status
  message, export, summary, delivery, and the answer when anything goes wrong;
- ``cleanup``: the sweeps of delivered, old and abandoned archives and stores.

Only the pieces that do not need the bot's :class:`~bot.context.App` are
imported here (the context imports them to build the App); the runner and the
sweeps are imported from their modules.
"""

from .exports import ExportJobs
from .pool import JobFailed, JobResult, RunJob, WorkerPool, default_worker_name
from .queue import JobQueue

__all__ = [
    "ExportJobs",
    "JobFailed",
    "JobQueue",
    "JobResult",
    "RunJob",
    "WorkerPool",
    "default_worker_name",
]
