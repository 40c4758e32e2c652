"""What is left on disk after jobs: delivered archives, archives kept too long, abandoned work stores.

Archives a user has are deleted at once unless KEEP_ARCHIVES; kept ones (and
those whose delivery failed) go after ARCHIVE_MAX_AGE_HOURS; the work store
of an export that stopped early and was never continued goes after
WORK_DIR_MAX_AGE_DAYS.  The bot runs both sweeps every few minutes.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import timedelta
from pathlib import Path

from db import ArchiveStore
from db.jobs import JobPart
from exporter.export import STORE_FILE

from ..context import App


async def remove_parts(parts: list[JobPart]) -> None:
    """Delete an archive's parts, and their folder once empty, off the event loop as sweep_work_dirs
    does: unlink and rmdir block for as long as the disk takes, and every user's updates wait."""
    await asyncio.to_thread(_remove_parts, parts)


def _remove_parts(parts: list[JobPart]) -> None:
    folders = set()
    for part in parts:
        path = Path(part.path)
        path.unlink(missing_ok=True)
        folders.add(path.parent)
    for folder in folders:
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


async def sweep_archives(app: App, archives: ArchiveStore) -> int:
    """Delete kept archives older than the configured age; returns how many jobs' archives went.
    Work stores are not theirs to delete: a later export of the same chat may continue one."""
    old = await archives.archives_older_than(timedelta(hours=app.settings.archive_max_age_hours))
    for archive in old:
        await remove_parts(list(archive.parts))
        await archives.mark_archive_deleted(archive.job_id)
    return len(old)


async def sweep_work_dirs(app: App, archives: ArchiveStore) -> list[Path]:
    """Delete work stores untouched for the configured days that no queued or running job uses:
    exports that stopped early and were never continued. Returns the folders deleted."""
    active = {folder.resolve() for folder in await archives.work_dirs(active=True)}
    oldest = time.time() - app.settings.work_dir_max_age_days * 86_400
    root = app.archives_dir / ".work"

    def sweep() -> list[Path]:
        gone = []
        for store in list(root.rglob(STORE_FILE)) if root.is_dir() else []:
            folder = store.parent
            if folder.resolve() in active or _last_touched(folder) >= oldest:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder)
        return gone

    return await asyncio.to_thread(sweep)


def _last_touched(folder: Path) -> float:
    """The newest modification in the folder; now if it changes while we look (it is in use)."""
    try:
        return max([folder.stat().st_mtime] + [path.stat().st_mtime for path in folder.rglob("*")])
    except FileNotFoundError:
        return time.time()
