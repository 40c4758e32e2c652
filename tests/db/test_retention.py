"""Archive bookkeeping: age, deletion marks, disk usage and the disk budget."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db import ArchiveStore, Database, DiskBudgetExceeded, JobNotFound, JobPart, SqliteJobQueue

from .support import FakeClock

DAY = 86_400.0


async def finish(queue: SqliteJobQueue, sizes: list[int]) -> int:
    job = await queue.submit(1, 1, "@chat")
    claimed = await queue.claim_next("w")
    assert claimed is not None and claimed.id == job.id
    parts = [JobPart(f"/archives/{job.id}.zip.{n:03}", size, "00") for n, size in enumerate(sizes, 1)]
    await queue.complete(job.id, None, parts)
    return job.id


async def test_old_archives_deletion_and_usage(db: Database, queue: SqliteJobQueue, clock: FakeClock) -> None:
    archives = ArchiveStore(db)
    old = await finish(queue, [1000, 500])
    clock.advance(2 * DAY)
    recent = await finish(queue, [300])
    await finish(queue, [])
    clock.advance(DAY / 2)

    assert await archives.disk_usage_of_archives() == 1800
    stale = await archives.archives_older_than(timedelta(days=1))
    assert [(archive.job_id, archive.size, len(archive.parts)) for archive in stale] == [(old, 1500, 2)]
    assert stale[0].work_dir is not None and stale[0].work_dir.name == f"job-{old}"

    await archives.mark_archive_deleted(old)
    await archives.mark_archive_deleted(old)
    assert await archives.archives_older_than(timedelta(days=1)) == []
    assert await archives.disk_usage_of_archives() == 300
    assert [archive.job_id for archive in await archives.archives_older_than(timedelta(hours=1))] == [recent]
    with pytest.raises(JobNotFound):
        await archives.mark_archive_deleted(999)


async def test_disk_budget(db: Database, queue: SqliteJobQueue) -> None:
    archives = ArchiveStore(db)
    await finish(queue, [600 * 1024 * 1024])
    await archives.check_disk_budget(budget_bytes=1024**3, needed_bytes=400 * 1024 * 1024)
    with pytest.raises(DiskBudgetExceeded) as refused:
        await archives.check_disk_budget(budget_bytes=1024**3, needed_bytes=500 * 1024 * 1024)
    assert str(refused.value) == (
        "not enough room for archives: 500.0 MB needed, 600.0 MB of the 1.0 GB budget already in use. "
        "Delete old archives or raise the disk budget"
    )


async def test_work_folders_count_by_their_bytes_on_disk(db: Database, queue: SqliteJobQueue) -> None:
    archives = ArchiveStore(db)
    job = await queue.submit(1, 1, "@chat")
    assert job.work_dir is not None
    assert await archives.disk_usage_of_work_dirs() == 0  # named, not made yet
    (job.work_dir / "export").mkdir(parents=True)
    (job.work_dir / "messages.sqlite").write_bytes(b"x" * 700)
    (job.work_dir / "export" / "result.json").write_bytes(b"y" * 300)
    assert await archives.disk_usage_of_work_dirs() == 1000
    assert await archives.work_dirs(active=True) == {job.work_dir}
    await archives.check_disk_budget(budget_bytes=1500, needed_bytes=500)
    with pytest.raises(DiskBudgetExceeded):
        await archives.check_disk_budget(budget_bytes=1500, needed_bytes=501)
    claimed = await queue.claim_next("w")
    assert claimed is not None
    await queue.fail(job.id, "stopped early")
    assert await archives.work_dirs(active=True) == set()
    assert await archives.work_dirs(active=False) == {job.work_dir}
