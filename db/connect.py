"""Opening the application database: pragmas, the migrations runner, transactions.

The application database is the bot's durable state (users, the job queue,
checkpoints). Everything reaches it through one :class:`Database` (db.backend);
``open_database`` opens SQLite here, or PostgreSQL (db.postgres) for a
``postgresql://`` URL. :class:`SqliteDatabase` owns an aiosqlite connection in
autocommit mode and hands out explicit transactions: ``BEGIN IMMEDIATE`` for
writes, so two processes on the same file serialise their read-modify-write
steps instead of failing half-way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

import aiosqlite

from .backend import Clock, Database
from .errors import DatabaseCorrupt, DatabaseLocked, DatabaseTooNew, DbError, MigrationError
from .private import create_private_file, make_private, make_private_dir

DEFAULT_BUSY_TIMEOUT = 5.0
_HEADER = b"SQLite format 3\x00"
_MIGRATION_NAME = re.compile(r"^(\d{4})_(\w+)\.sql$")
_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at REAL NOT NULL
)
"""
# Database is imported from here by older modules too.
__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "Database",
    "Migration",
    "SqliteDatabase",
    "load_migrations",
    "open_database",
    "uninterrupted",
]
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """The script cut into statements: ``executescript`` would commit our open transaction first."""
        statements: list[str] = []
        pending = ""
        for piece in self.sql.split(";"):
            pending += piece + ";"
            # A ';' inside a string literal or a trigger body leaves the statement incomplete.
            if sqlite3.complete_statement(pending):
                if _strip_comments(pending).strip(" \t\r\n;"):
                    statements.append(pending.strip())
                pending = ""
        if _strip_comments(pending).strip(" \t\r\n;"):
            raise MigrationError(f"migration {self.version} ends with an incomplete statement")
        return statements


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def load_migrations() -> list[Migration]:
    """The migrations shipped in ``db/migrations``, numbered 1, 2, 3... without gaps."""
    folder = resources.files(__package__).joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


class SqliteDatabase(Database):
    """One connection to the application database, shared by the coroutines of one process.

    SQLite has one transaction per connection, so coroutines take turns through
    a lock: without it, one coroutine's statement would land inside another's
    open transaction.
    """

    def __init__(
        self,
        connection: aiosqlite.Connection,
        path: Path,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(clock=clock)
        self.path = path
        self.busy_timeout = busy_timeout
        self._connection = connection
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._begin("BEGIN IMMEDIATE") as connection:
            yield connection

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._begin("BEGIN") as connection:
            yield connection

    @asynccontextmanager
    async def _begin(self, statement: str) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            try:
                await uninterrupted(self._execute(statement))
                yield self._connection
                await uninterrupted(self._execute("COMMIT"))
            except BaseException:
                await uninterrupted(_rollback(self._connection))
                raise

    async def _execute(self, statement: str) -> None:
        try:
            await self._connection.execute(statement)
        except sqlite3.OperationalError as exc:
            error = _translate(exc, self.path, self.busy_timeout)
            if error is None:
                raise
            raise error from exc

    async def schema_version(self) -> int:
        async with self.snapshot() as connection:
            return await _read_version(connection)

    async def close(self) -> None:
        await self._connection.close()


def is_postgres_url(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


async def open_database(
    target: Path | str,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    migrations: Sequence[Migration] | None = None,
    clock: Clock = time.time,
) -> Database:
    """Open (creating if needed) and migrate the application database: a SQLite file, or the
    PostgreSQL database a ``postgresql://`` URL names.

    ``migrations`` defaults to the shipped ones; passing a prefix builds an
    older schema (the upgrade tests do). Raises :class:`DatabaseCorrupt`,
    :class:`DatabaseTooNew` or :class:`DatabaseLocked` without writing to the file.
    """
    migrations = load_migrations() if migrations is None else list(migrations)
    if is_postgres_url(target):
        # Imported only here: the embedded default runs without psycopg installed.
        from .postgres import open_postgres

        return await open_postgres(str(target), migrations=migrations, clock=clock)
    path = Path(target)
    _check_header(path)
    make_private_dir(path.parent)
    # SQLite gives its -wal and -shm files the database file's mode (os_unix.c, findCreateFileMode).
    create_private_file(path)
    connection = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        await _prepare(connection, path, migrations, clock)
        for companion in ("-wal", "-shm"):
            make_private(path.with_name(path.name + companion))  # left 0644 by an older version
    except sqlite3.DatabaseError as exc:
        await connection.close()
        error = _translate(exc, path, busy_timeout)
        if error is None:
            raise
        raise error from exc
    except BaseException:
        await connection.close()
        raise
    return SqliteDatabase(connection, path, busy_timeout=busy_timeout, clock=clock)


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite gets a chance to touch it."""
    if not path.exists():
        return
    with path.open("rb") as file:
        header = file.read(len(_HEADER))
    # An empty file is a valid empty database to SQLite (an interrupted first start leaves one).
    if header and header != _HEADER:
        raise DatabaseCorrupt(path, "it does not start with the SQLite header")


async def _prepare(
    connection: aiosqlite.Connection, path: Path, migrations: Sequence[Migration], clock: Clock
) -> None:
    known = migrations[-1].version if migrations else 0
    # Read-only checks first: a too-new or damaged database must stay byte for byte as it was.
    integrity = await connection.execute_fetchall("PRAGMA quick_check")
    problems = [row[0] for row in integrity if row[0] != "ok"]
    if problems:
        raise DatabaseCorrupt(path, "; ".join(problems[:3]))
    found = await _read_version(connection)
    if found > known:
        raise DatabaseTooNew(path, found, known)
    # Readers never wait for the writer in WAL mode: status queries stay fast while a job is saved.
    await connection.execute("PRAGMA journal_mode=WAL")
    await connection.execute("PRAGMA foreign_keys=ON")
    await _apply(connection, path, migrations, known, clock)


async def _apply(
    connection: aiosqlite.Connection,
    path: Path,
    migrations: Sequence[Migration],
    known: int,
    clock: Clock,
) -> None:
    """Apply pending migrations, each in its own transaction.

    The version is read again under the write lock, so two processes starting
    together never apply the same migration twice. The loop always takes the
    write lock at least once, which is how a database held by another process
    is noticed at start-up rather than at the first job.
    """
    while True:
        await connection.execute("BEGIN IMMEDIATE")
        try:
            await connection.execute(_VERSION_TABLE)
            current = await _read_version(connection)
            if current > known:
                raise DatabaseTooNew(path, current, known)
            pending = [migration for migration in migrations if migration.version > current]
            if pending:
                await _run_migration(connection, pending[0], clock)
            await uninterrupted(connection.execute("COMMIT"))
        except BaseException:
            await uninterrupted(_rollback(connection))
            raise
        if len(pending) <= 1:
            return


async def _run_migration(connection: aiosqlite.Connection, migration: Migration, clock: Clock) -> None:
    for statement in migration.statements():
        await connection.execute(statement)
    await connection.execute(
        "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
        (migration.version, migration.name, clock()),
    )


async def _rollback(connection: aiosqlite.Connection) -> None:
    # SQLite rolls back by itself after some errors (a full disk, an I/O error); a second
    # ROLLBACK would then fail and hide the error that matters.
    if not connection.in_transaction:
        return
    await connection.execute("ROLLBACK")


async def uninterrupted(step: Awaitable[T]) -> T:
    """Await a step to its end even if the task is cancelled meanwhile, then let the cancel through.

    Used for BEGIN, COMMIT and ROLLBACK here, and by the bot for "send a part, record that
    Telegram has it": a step a cancel must not split.

    A cancelled await does not stop the statement: it still runs on aiosqlite's thread, after the
    lock is given up. A BEGIN left to run so would open a transaction nobody ends, and every later
    BEGIN of the connection would fail ("cannot start a transaction within a transaction"), so no
    job's end could be recorded; a COMMIT would decide the transaction's fate after the rollback
    was chosen.
    """
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            # The cancel goes on; the statement's own error is logged, not lost.
            log.warning("a step finished after a cancel failed", exc_info=task.exception())
        raise


async def _read_version(connection: aiosqlite.Connection) -> int:
    tables = await connection.execute_fetchall(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )
    if not tables:
        return 0
    rows = list(await connection.execute_fetchall("SELECT COALESCE(MAX(version), 0) FROM schema_version"))
    return int(rows[0][0])


def _translate(exc: sqlite3.DatabaseError, path: Path, busy_timeout: float) -> DbError | None:
    """Our error for SQLite's busy and corruption codes; None for anything else."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseLocked(path, busy_timeout)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return DatabaseCorrupt(path, str(exc))
    return None
