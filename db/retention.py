"""Archive bookkeeping: which archives are old enough to delete, and how much disk they hold.

The database keeps the books (part sizes as recorded when packaging, and each
job's work folder); deleting files is the caller's job, which then calls
:meth:`ArchiveStore.mark_archive_deleted`.  Work folders are counted by their
actual bytes on disk: a stopped export's store grows until it is continued.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from .backend import Database
from .errors import DiskBudgetExceeded, JobNotFound
from .jobs import JobPart, parts_from_json
from .stats import archive_bytes


@dataclass(frozen=True)
class StoredArchive:
    job_id: int
    user_id: int
    finished_at: float
    work_dir: Path | None
    parts: tuple[JobPart, ...]

    @property
    def size(self) -> int:
        return sum(part.size for part in self.parts)


class ArchiveStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def archives_older_than(self, age: timedelta) -> list[StoredArchive]:
        """Archives still on disk whose job finished more than ``age`` ago, oldest first."""
        rows = await self._db.fetchall(
            "SELECT id, user_id, finished_at, work_dir, parts FROM jobs "
            f"WHERE archive_deleted_at IS NULL AND {self._db.dialect.json_length('parts')} > 0 AND finished_at < ? "
            "ORDER BY finished_at, id",
            (self._db.now() - age.total_seconds(),),
        )
        return [
            StoredArchive(
                job_id=row["id"],
                user_id=row["user_id"],
                finished_at=row["finished_at"],
                work_dir=Path(row["work_dir"]) if row["work_dir"] else None,
                parts=parts_from_json(row["parts"]),
            )
            for row in rows
        ]

    async def mark_archive_deleted(self, job_id: int) -> None:
        """Idempotent: the first deletion time is kept."""
        async with self._db.transaction() as connection:
            rows = await connection.execute_fetchall(
                "UPDATE jobs SET archive_deleted_at = COALESCE(archive_deleted_at, ?) WHERE id = ? RETURNING id",
                (self._db.now(), job_id),
            )
            if not list(rows):
                raise JobNotFound(job_id)

    async def disk_usage_of_archives(self) -> int:
        """Bytes of archive parts not yet deleted, as recorded."""
        row = await self._db.fetchone(
            f"SELECT {archive_bytes(self._db.dialect)} WHERE jobs.archive_deleted_at IS NULL"
        )
        return 0 if row is None else int(row[0])

    async def work_dirs(self, *, active: bool) -> set[Path]:
        """Work folders named by jobs: of queued and running jobs (``active``), or of every job."""
        where = "WHERE work_dir IS NOT NULL" + (" AND state IN ('queued', 'running')" if active else "")
        rows = await self._db.fetchall(f"SELECT DISTINCT work_dir FROM jobs {where}")
        return {Path(row[0]) for row in rows}

    async def disk_usage_of_work_dirs(self) -> int:
        """Actual bytes on disk of every job's work folder that still exists."""
        folders = await self.work_dirs(active=False)
        return await asyncio.to_thread(lambda: sum(_bytes_under(folder) for folder in folders))

    async def check_disk_budget(self, budget_bytes: int, needed_bytes: int) -> None:
        """Raise :class:`DiskBudgetExceeded` unless ``needed_bytes`` more still fit in the budget."""
        used = await self.disk_usage_of_archives() + await self.disk_usage_of_work_dirs()
        if used + needed_bytes > budget_bytes:
            raise DiskBudgetExceeded(budget_bytes, used, needed_bytes)


def _bytes_under(folder: Path) -> int:
    total = 0
    # os.walk passes over a folder removed while it walks (a finished export cleaning up), where
    # Path.rglob raises FileNotFoundError and a new /export would fail with it.
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                continue  # removed while we counted
    return total
