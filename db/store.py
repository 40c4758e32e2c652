"""The per-export message store: one SQLite file per export.

Fetching writes records here in batches, in whatever order pages arrive;
rendering reads them back in id order (per topic for forums).  That keeps
memory flat, makes ordering and de-duplication the database's job, and lets
an export be rendered again.

Files (the media stage): ``media_refs`` holds, per message, the files its record names (captured
with the page, in the page's transaction) and, once the stage has decided, what each record field
says (``value``: a path in the archive or Telegram Desktop's sentence; ``file``: the file it
waits for); ``media_files`` holds each
file once, by Telegram's identity, with where it goes and how its download ended;
``emoji_documents`` the custom emoji documents asked for. Their queries are in
:mod:`db.media_store`. Every table is created if missing, so a store of an older version opens.

Writes run on the event loop's own thread, each a short transaction (a page
and its stream's cursor): handing them to a writer thread cost more than the
writes themselves, in hand-offs of the GIL between the loop and that thread
(measured on the sandbox channel: about 12 µs a message, more than the
inserts).  Callers time each write as a phase of the loop, so that requests in
flight meanwhile are not charged for it.  Bulk reads use their own read-only
connections in worker threads (WAL lets them read beside the writer).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .private import create_private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    topic_id INTEGER,
    date INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS streams (
    key TEXT PRIMARY KEY,
    topic_id INTEGER,
    min_id INTEGER NOT NULL,
    max_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    expected INTEGER
);
CREATE TABLE IF NOT EXISTS media_refs (
    msg_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    topic_id INTEGER,
    kind TEXT NOT NULL,
    flags INTEGER NOT NULL,
    file_key TEXT,
    dc_id INTEGER NOT NULL,
    loc_kind TEXT NOT NULL,
    file_id INTEGER NOT NULL,
    access_hash INTEGER NOT NULL,
    file_reference BLOB NOT NULL,
    thumb_size TEXT NOT NULL,
    size INTEGER NOT NULL,
    full_size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    file_name TEXT NOT NULL,
    date INTEGER NOT NULL,
    content BLOB,
    ref_chat INTEGER,
    file TEXT,
    value TEXT,
    PRIMARY KEY (msg_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS media_refs_by_topic ON media_refs (topic_id, msg_id) WHERE topic_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS media_files (
    ord INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    path_fold TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    dc_id INTEGER NOT NULL,
    loc_kind TEXT NOT NULL,
    file_id INTEGER NOT NULL,
    access_hash INTEGER NOT NULL,
    file_reference BLOB NOT NULL,
    thumb_size TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB,
    msg_id INTEGER,
    ref_chat INTEGER,
    sha256 TEXT,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS emoji_documents (
    id INTEGER PRIMARY KEY,
    found INTEGER NOT NULL,
    dc_id INTEGER NOT NULL,
    access_hash INTEGER NOT NULL,
    file_reference BLOB NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    file_name TEXT NOT NULL,
    flags INTEGER NOT NULL
);
"""

# Rendering reads a forum topic by topic; the index is built once reading is done
# (ExportStore.index_topics): kept up while pages were stored it cost 0.13-0.18 s of the event
# loop's CPU per 100,000 forum messages (1.3-1.8 us a message), built at the end 0.05 s.
_TOPIC_INDEX = (
    "CREATE INDEX IF NOT EXISTS messages_by_topic ON messages (topic_id, id) WHERE topic_id IS NOT NULL"
)

# (id, topic_id, unix date, record as UTF-8 JSON)
Row = tuple[int, int | None, int, bytes]
# A file a record names: the columns of media_refs but ``value`` (exporter.media.capture.RefRow).
RefRow = tuple[Any, ...]
_VALUES = "SELECT msg_id, role, value FROM media_refs WHERE value IS NOT NULL"
_INSERT_REFS = "INSERT OR IGNORE INTO media_refs VALUES (" + ",".join("?" * 20) + ", NULL, NULL)"


@dataclass(frozen=True)
class StreamRow:
    """One id range of the chat or of a topic, and how far it has been read."""

    key: str
    topic_id: int | None
    min_id: int
    max_id: int
    label: str
    cursor: int
    done: bool = False
    expected: int | None = None


@dataclass
class TopicCount:
    topic_id: int | None
    messages: int
    first_id: int | None
    last_id: int | None


@dataclass
class StoreOverview:
    """What the manifest and the renderers need to know of the stored ids, from one pass."""

    counts: list[TopicCount]
    """Per topic (None: messages outside forums), by topic id."""
    gaps: dict[str, object]
    """Ids missing between the first and last stored message: deleted messages, or other
    chats' ids in the shared id sequence of private chats and basic groups."""
    page_starts: dict[int | None, list[int]]
    """Per topic, the first id of every page of ``page_size`` messages."""


def _topic_filter(topic_id: int | None) -> tuple[str, tuple[int, ...]]:
    """WHERE clause for one topic's messages: "= ?" lets SQLite use the index, which holds
    forum messages only, so that the messages of other chats cost no index upkeep."""
    if topic_id is None:
        return "topic_id IS NULL", ()
    return "topic_id = ?", (topic_id,)


# Rows per INSERT statement: 4 parameters each stays under SQLite's oldest limit of 999.
_ROWS_PER_INSERT = 200
_INSERTS: dict[int, str] = {}


def _insert_messages(connection: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """INSERT OR IGNORE the rows, a message already stored (a page fetched twice after a
    reconnect) being kept once.

    One statement per page rather than executemany, which steps and resets a statement (and
    lets go of the GIL and takes it back) per row: about 15 % less storing CPU on the sandbox
    channel.
    """
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        sql = _INSERTS.get(len(chunk))
        if sql is None:
            sql = _INSERTS[len(chunk)] = "INSERT OR IGNORE INTO messages VALUES " + ",".join(
                ["(?, ?, ?, ?)"] * len(chunk)
            )
        connection.execute(sql, [value for row in chunk for value in row])


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        # Owner-only, like its -wal and -shm files, which SQLite creates with the store's mode.
        create_private_file(path)
        connection = sqlite3.connect(path, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # No fsync at all: in WAL mode a killed process still loses nothing, which is what
        # resuming needs; only an OS crash or power cut can lose or damage the last writes of
        # this scratch file, whose messages can be read from Telegram again.
        connection.execute("PRAGMA synchronous=OFF")
        connection.executescript(SCHEMA)
    return connection


class ExportStore:
    """The write side of one export's store, used from the event loop's thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = _connect(path)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("export store is closed")
        return self._connection

    def put_page(
        self,
        rows: Sequence[Row],
        *,
        stream: str,
        cursor: int,
        expected: int | None = None,
        refs: Sequence[RefRow] = (),
    ) -> int:
        """Store a page (and the files its records name) and move its stream's cursor, atomically;
        returns the rows newly stored."""
        connection = self.connection
        before = connection.total_changes
        # One transaction: after a crash a stream's cursor never points past what is stored,
        # nor behind it, so resuming reads every message exactly once.
        with connection:
            _insert_messages(connection, rows)
            inserted = connection.total_changes - before
            if refs:
                connection.executemany(_INSERT_REFS, refs)
            connection.execute(
                "UPDATE streams SET cursor = ?, expected = COALESCE(expected, ?) WHERE key = ?",
                (cursor, expected, stream),
            )
        return inserted

    def index_topics(self) -> None:
        """Index the messages by topic for rendering; call once reading is done (a store without
        the index still answers topic queries, by a scan)."""
        with self.connection:
            self.connection.execute(_TOPIC_INDEX)

    def present(self, ids: Sequence[int]) -> set[int]:
        """Which of these ids are stored: the exact answer behind every Bloom filter "maybe"."""
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        rows = self.connection.execute(f"SELECT id FROM messages WHERE id IN ({marks})", tuple(ids))
        return {msg_id for (msg_id,) in rows}

    async def stored_ids(self) -> list[int]:
        """Every stored id (a resumed export fills its Bloom filter with them), read in a thread."""

        def read() -> list[int]:
            with StoreReader(self.path) as reader:
                return reader.ids()

        return await asyncio.to_thread(read)

    def count(self) -> int:
        (count,) = self.connection.execute("SELECT COUNT(*) FROM messages").fetchone()
        return int(count)

    def add_streams(self, streams: Sequence[StreamRow]) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT OR IGNORE INTO streams VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (s.key, s.topic_id, s.min_id, s.max_id, s.label, s.cursor, int(s.done), s.expected)
                    for s in streams
                ],
            )

    def streams(self) -> list[StreamRow]:
        rows = self.connection.execute(
            "SELECT key, topic_id, min_id, max_id, label, cursor, done, expected FROM streams ORDER BY rowid"
        )
        return [
            StreamRow(key, topic, low, high, label, cursor, bool(done), expected)
            for (key, topic, low, high, label, cursor, done, expected) in rows
        ]

    def finish_stream(self, key: str) -> None:
        with self.connection:
            self.connection.execute("UPDATE streams SET done = 1 WHERE key = ?", (key,))

    def get_meta(self, key: str) -> object:
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: object) -> None:
        with self.connection:
            self.connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))


class StoreReader:
    """Read side, used from the rendering thread with its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = _connect(path, readonly=True)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ids(self) -> list[int]:
        return [msg_id for (msg_id,) in self._connection.execute("SELECT id FROM messages")]

    def senders(self, most: int) -> list[tuple[str, int]]:
        """The ``from_id`` values of the stored messages, most messages first, at most ``most``
        (ties by from_id, so the same store always gives the same list), each with the id of its
        newest message."""
        rows = self._connection.execute(
            "SELECT json_extract(CAST(record AS TEXT), '$.from_id') AS sender, COUNT(*) AS n, MAX(id) "
            "FROM messages WHERE sender IS NOT NULL GROUP BY sender ORDER BY n DESC, sender LIMIT ?",
            (most,),
        )
        return [(str(sender), newest) for sender, _, newest in rows]

    def records(self, first_id: int = 0) -> Iterator[dict[str, Any]]:
        """Every record of the chat (from ``first_id`` on) in ascending id order."""
        if first_id:
            return self._records("SELECT record FROM messages WHERE id >= ? ORDER BY id", (first_id,))
        return self._records("SELECT record FROM messages ORDER BY id", ())

    def topic_records(self, topic_id: int | None) -> Iterator[dict[str, Any]]:
        """The records of one topic (None: messages outside forums) in ascending id order."""
        where, args = _topic_filter(topic_id)
        return self._records(f"SELECT record FROM messages WHERE {where} ORDER BY id", args)

    def _records(self, query: str, args: tuple[int, ...]) -> Iterator[dict[str, Any]]:
        loads = orjson.loads
        for (record,) in self._connection.execute(query, args):
            yield loads(record)

    def overview(self, page_size: int, ranges_listed: int = 1000) -> StoreOverview:
        """Counts, gaps and page starts in one walk over the ids in order: a few hundred
        nanoseconds a message, where a window query for the gaps alone cost ten times that."""
        counts: dict[int | None, TopicCount] = {}
        page_starts: dict[int | None, list[int]] = {}
        ranges: list[list[int]] = []
        missing = 0
        previous: int | None = None
        for msg_id, topic_id in self._connection.execute("SELECT id, topic_id FROM messages ORDER BY id"):
            count = counts.get(topic_id)
            if count is None:
                count = counts[topic_id] = TopicCount(topic_id, 0, msg_id, msg_id)
                page_starts[topic_id] = []
            if count.messages % page_size == 0:
                page_starts[topic_id].append(msg_id)
            count.messages += 1
            count.last_id = msg_id
            # Negative ids are another history's (an upgraded group's, shifted down as Telegram
            # Desktop writes them): the step from them to the positive ids is no gap.
            if previous is not None and msg_id - previous > 1 and (previous < 0) == (msg_id < 0):
                missing += msg_id - previous - 1
                if len(ranges) < ranges_listed:
                    ranges.append([previous + 1, msg_id - 1])
            previous = msg_id
        gaps = {"missing_ids": missing, "ranges": ranges, "ranges_listed": len(ranges)}
        ordered = sorted(counts.values(), key=lambda c: (c.topic_id is not None, c.topic_id or 0))
        return StoreOverview(ordered, gaps, page_starts)

    def media_values(self, first_id: int = 0) -> Iterator[tuple[int, str, str]]:
        """(msg_id, record field, value) of every file the media stage has decided (for messages
        from ``first_id`` on), by message id."""
        if first_id:
            return iter(
                self._connection.execute(f"{_VALUES} AND msg_id >= ? ORDER BY msg_id, seq", (first_id,))
            )
        return iter(self._connection.execute(f"{_VALUES} ORDER BY msg_id, seq"))

    def topic_media_values(self, topic_id: int | None) -> Iterator[tuple[int, str, str]]:
        """The same for one topic's messages (None: messages outside forums)."""
        where, args = _topic_filter(topic_id)
        return iter(self._connection.execute(f"{_VALUES} AND {where} ORDER BY msg_id, seq", args))

    def record(self, msg_id: int) -> dict[str, Any] | None:
        """One stored record by id (the HTML's reply previews across pages), or None."""
        row = self._connection.execute("SELECT record FROM messages WHERE id = ?", (msg_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def topic_of(self, msg_id: int) -> tuple[bool, int | None]:
        """(stored?, topic id) of a message."""
        row = self._connection.execute("SELECT topic_id FROM messages WHERE id = ?", (msg_id,)).fetchone()
        return (row is not None, row[0] if row else None)
