"""Opening the application database: fresh, upgraded from every earlier schema, refused when it must be."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from db import (
    CheckpointStore,
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseTooNew,
    JobState,
    Migration,
    MigrationError,
    Role,
    SqliteJobQueue,
    UserStore,
    load_migrations,
    open_database,
)

from .support import FakeClock

MIGRATIONS = load_migrations()
LATEST = len(MIGRATIONS)


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file in the folder with a hash of its bytes: "touching nothing" means this stays equal."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def test_shipped_migrations_are_numbered_without_gaps() -> None:
    assert [migration.version for migration in MIGRATIONS] == list(range(1, LATEST + 1))
    assert LATEST >= 2
    assert all(migration.statements() for migration in MIGRATIONS)


def test_statements_survive_semicolons_in_strings_triggers_and_comments() -> None:
    migration = Migration(
        1,
        "tricky",
        """
        -- a comment; with a semicolon
        CREATE TABLE t (a TEXT DEFAULT 'x;y');
        CREATE TRIGGER t_log AFTER INSERT ON t BEGIN
            UPDATE t SET a = a || ';' WHERE rowid = new.rowid;
        END;
        INSERT INTO t VALUES ('1;2')
        -- trailing comment
        """,
    )
    statements = migration.statements()
    assert len(statements) == 3
    assert statements[1].rstrip(";").endswith("END")

    with pytest.raises(MigrationError, match="incomplete"):
        Migration(2, "broken", "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;").statements()


async def test_fresh_database(db_path: Path) -> None:
    async with await open_database(db_path) as db:
        assert await db.schema_version() == LATEST
        applied = await db.fetchall("SELECT version, name FROM schema_version ORDER BY version")
        assert [(row[0], row[1]) for row in applied] == [(m.version, m.name) for m in MIGRATIONS]
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
    # Opening again applies nothing twice.
    async with await open_database(db_path) as db:
        assert (await db.fetchone("SELECT COUNT(*) FROM schema_version"))[0] == LATEST


# Data as version 1 stored it, in version 1's columns (later migrations only add).
V1_DATA = [
    "INSERT INTO users (user_id, is_admin, access, changed_by, changed_at) VALUES "
    "(10, 1, NULL, NULL, 1.0), (20, 0, 'allowed', 10, 2.0), (30, 0, 'denied', 10, 3.0)",
    "INSERT INTO user_audit (user_id, action, by_user, at) VALUES (20, 'allow', 10, 2.0)",
    "INSERT INTO jobs (id, user_id, chat_id, target, kind, state, report, parts, created_at, started_at, "
    "finished_at, attempts, work_dir) VALUES "
    "(1, 20, 20, '@first', 'full', 'done', '{\"wall\": 2.0, \"messages\": 50}', "
    '\'[{"path": "a.zip", "size": 7, "sha256": "ab"}]\', 10.0, 80.0, 90.0, 1, \'/w/job-1\'), '
    "(2, 20, 20, '@second', 'full', 'running', NULL, '[]', 20.0, 100.0, NULL, 1, '/w/job-2'), "
    "(3, 30, 30, '@third', 'incremental', 'queued', NULL, '[]', 30.0, NULL, NULL, 0, '/w/job-3'), "
    "(4, 10, 10, '@zeroth', 'full', 'failed', NULL, '[]', 5.0, 50.0, 60.0, 1, '/w/job-4')",
    "INSERT INTO export_checkpoints (user_id, peer_id, topic_id, max_id, job_id, exported_at) VALUES "
    "(20, 555, NULL, 40, 1, 90.0), (20, 555, 7, 12, 1, 90.0)",
]


@pytest.mark.parametrize("version", range(LATEST))
async def test_upgrade_from_every_earlier_version(db_path: Path, tmp_path: Path, version: int) -> None:
    async with await open_database(db_path, migrations=MIGRATIONS[:version]) as old:
        assert await old.schema_version() == version
    if version >= 1:
        with sqlite3.connect(db_path) as connection:
            for statement in V1_DATA:
                connection.execute(statement)
        connection.close()

    async with await open_database(db_path, clock=FakeClock()) as db:
        assert await db.schema_version() == LATEST
        if version == 0:
            return
        users = UserStore(db)
        assert [await users.role_of(user) for user in (10, 20, 30)] == [Role.ADMIN, Role.ALLOWED, None]
        queue = SqliteJobQueue(db, work_root=tmp_path / "work")
        done = await queue.get(1)
        assert done is not None and done.state is JobState.DONE
        assert done.report == {"wall": 2.0, "messages": 50}
        assert [(part.path, part.size, part.file_id) for part in done.parts] == [("a.zip", 7, None)]
        running = await queue.get(2)
        assert running is not None and running.state is JobState.RUNNING
        if version < 2:
            # Version 2 gave old jobs claim numbers in start order and running jobs a heartbeat.
            claims = await db.fetchall("SELECT id, claim_seq FROM jobs ORDER BY id")
            assert {row[0]: row[1] for row in claims} == {1: 2, 2: 3, 3: None, 4: 1}
            assert running.heartbeat_at == 100.0
        assert await queue.position(3) == 1
        assert await CheckpointStore(db).last_exported(20, 555) == {None: 40, 7: 12}
        recovered = await queue.recover_after_restart()
        assert [(job.id, job.state, job.work_dir) for job in recovered] == [
            (2, JobState.QUEUED, Path("/w/job-2"))
        ]


async def test_a_failing_migration_leaves_the_previous_version(db_path: Path) -> None:
    broken = Migration(
        LATEST + 1, "broken", "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);"
    )
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await open_database(db_path, migrations=[*MIGRATIONS, broken])
    async with await open_database(db_path) as db:
        assert await db.schema_version() == LATEST
        assert await db.fetchone("SELECT 1 FROM sqlite_master WHERE name = 'half_done'") is None


async def test_a_newer_database_is_refused_and_untouched(db_path: Path) -> None:
    db = await open_database(db_path)
    await db.close()
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'from_the_future', 0)",
            (LATEST + 1,),
        )
    connection.close()
    before = fingerprint(db_path.parent)

    with pytest.raises(DatabaseTooNew) as refused:
        await open_database(db_path)
    message = str(refused.value)
    assert f"schema {LATEST + 1}, this code knows up to {LATEST}" in message
    assert "upgrade the bot, or point DATA_DIR elsewhere" in message
    assert fingerprint(db_path.parent) == before

    # Older code (fewer migrations) meets a database from the current one the same way.
    with pytest.raises(DatabaseTooNew, match=f"this code knows up to {LATEST - 1}"):
        await open_database(db_path, migrations=MIGRATIONS[:-1])
    assert fingerprint(db_path.parent) == before


def write_random_bytes(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(random.Random(7).randbytes(8192))


def garble_after_first_page(path: Path) -> None:
    """Keep the header and the first page (the schema), garble the rest."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = random.Random(3).randbytes(len(data) - page)
    path.write_bytes(bytes(data))


async def test_random_bytes_are_refused_and_untouched(db_path: Path) -> None:
    write_random_bytes(db_path)
    before = fingerprint(db_path.parent)
    with pytest.raises(DatabaseCorrupt) as refused:
        await open_database(db_path)
    assert str(db_path) in str(refused.value)
    assert "backup" in str(refused.value)
    assert fingerprint(db_path.parent) == before


async def test_damaged_pages_are_refused_and_untouched(db_path: Path, tmp_path: Path) -> None:
    async with await open_database(db_path) as db:
        queue = SqliteJobQueue(db, work_root=tmp_path)
        for number in range(60):
            await queue.submit(1, 1, f"@chat{number}", options={"padding": "x" * 1000})
    garble_after_first_page(db_path)
    before = fingerprint(db_path.parent)
    with pytest.raises(DatabaseCorrupt, match="restore it from a backup"):
        await open_database(db_path)
    assert fingerprint(db_path.parent) == before


@contextmanager
def lock_in_this_process(path: Path) -> Iterator[None]:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def lock_in_another_process(path: Path) -> Iterator[None]:
    script = (
        "import sqlite3, sys\n"
        "holder = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "holder.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        yield
    finally:
        process.communicate(timeout=10)


@pytest.mark.parametrize("hold", [lock_in_this_process, lock_in_another_process])
async def test_a_locked_database_is_reported_and_untouched(
    db_path: Path, hold: Callable[[Path], AbstractContextManager[None]]
) -> None:
    db = await open_database(db_path)
    await db.close()
    before = fingerprint(db_path.parent)
    with hold(db_path), pytest.raises(DatabaseLocked) as refused:
        await open_database(db_path, busy_timeout=0.2)
    assert "another copy of the bot" in str(refused.value)
    assert fingerprint(db_path.parent) == before
    async with await open_database(db_path) as db:
        assert await db.schema_version() == LATEST


async def test_a_write_blocked_after_start_up_reports_locked(db_path: Path, tmp_path: Path) -> None:
    async with await open_database(db_path, busy_timeout=0.2) as db:
        queue = SqliteJobQueue(db, work_root=tmp_path)
        with lock_in_this_process(db_path), pytest.raises(DatabaseLocked):
            await queue.submit(1, 1, "@chat")
        # Reads do not wait for a writer in WAL mode, and the failed write left nothing behind.
        assert await queue.list_for_user(1) == []
