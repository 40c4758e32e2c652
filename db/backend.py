"""What db/ modules see of the application database, whichever backend holds it.

Two backends implement :class:`Database`: SQLite (db.connect, the embedded default) and PostgreSQL
(db.postgres, when ``DATABASE_URL`` names one). Queries are written once, in the portable subset
described in docs/scale.md ("SQL that runs on both"), with ``?`` placeholders; each backend hands out
a :class:`Connection` inside a transaction. Where the two dialects cannot share an expression (JSON
paths, calendar days), :class:`Dialect` builds it.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Clock = Callable[[], float]


class Row(Protocol):
    """A result row, read by position or by column name (sqlite3.Row and db.postgres.PgRow)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...


class Connection(Protocol):
    """The statements of one open transaction (aiosqlite.Connection has exactly this shape)."""

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor: ...

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor: ...

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] | None = None) -> Iterable[Row]: ...


class Dialect:
    """SQLite's spelling of the few expressions that differ; db.postgres overrides each."""

    name = "sqlite"

    def json_field(self, column: str, path: str) -> str:
        """A JSON value at ``path`` ($.a.b) of a TEXT column, as a number (NULL when absent)."""
        return f"json_extract({column}, '{path}')"

    def json_array(self, column: str, alias: str) -> str:
        """A FROM item: one row per element of the JSON array in ``column``, its value ``alias.value``."""
        return f"json_each({column}) AS {alias}"

    def json_text(self, column: str, path: str) -> str:
        """The JSON at ``path`` of a TEXT column as text (an object: its JSON)."""
        return f"json_extract({column}, '{path}')"

    def json_object(self, column: str, path: str, alias: str) -> str:
        """A FROM item: one row per member of the object at ``path``, in document order:
        ``alias.key``, ``alias.value`` and ``alias.id`` (ascending in that order)."""
        return f"json_each({column}, '{path}') AS {alias}"

    def json_number(self, value: str) -> str:
        """A JSON value a FROM item above yields, as a number."""
        return value

    def json_length(self, column: str) -> str:
        return f"json_array_length({column})"

    def utc_day(self, column: str) -> str:
        """The UTC calendar day of Unix seconds, as YYYY-MM-DD text."""
        return f"date({column}, 'unixepoch')"


class Database(ABC):
    """The application database of one process; coroutines share it."""

    dialect: Dialect = Dialect()

    def __init__(self, *, clock: Clock = time.time) -> None:
        # Unix seconds; tests replace it to move time without sleeping.
        self.clock = clock

    def now(self) -> float:
        return self.clock()

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """A write transaction, committed on success and rolled back on any exception. Write
        transactions run one at a time across every process sharing the database, so a
        read-modify-write inside one is never interleaved with another."""

    @abstractmethod
    def snapshot(self) -> AbstractAsyncContextManager[Connection]:
        """A read transaction: several queries see one consistent state of the database."""

    async def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        async with self.snapshot() as connection:
            return list(await connection.execute_fetchall(sql, parameters))

    async def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, parameters)
        return rows[0] if rows else None

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
