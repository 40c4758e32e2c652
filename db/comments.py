"""The comments of a channel's posts, in the export's own store (beside ``db.store``'s tables).

``comment_threads``: each exported post with a comment section, Telegram's count of its comments
and the newest comment's id when the post was read (the snapshot the comments are read up to).
``comment_streams``: what is read for them (one history range of the discussion group, or one
post's replies), each with its cursor.  ``comment_forwards``: the group's automatic forward of
each post (the top of its thread), so that a comment read from the group's history finds its
post (:meth:`CommentStore.resolve`).  ``comments``: the comments' records by (post, id).  A page, the forwards it holds and its
stream's cursor are written in one transaction, as ``ExportStore.put_page`` does: resuming reads
every comment exactly once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS comment_threads (
    post_id INTEGER PRIMARY KEY,
    expected INTEGER NOT NULL,
    max_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS comment_streams (
    key TEXT PRIMARY KEY,
    post_id INTEGER,
    min_id INTEGER NOT NULL,
    max_id INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS comment_forwards (forward_id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS comments (
    post_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    date INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (post_id, id)
) WITHOUT ROWID;
"""

# (post id, comment id, unix date, record as UTF-8 JSON)
CommentRow = tuple[int, int, int, bytes]


@dataclass(frozen=True)
class CommentStream:
    """One range to read: the group's history (``post_id`` None) or one post's replies."""

    key: str
    post_id: int | None
    min_id: int
    max_id: int
    cursor: int
    done: bool = False


@dataclass(frozen=True)
class ThreadCount:
    post_id: int
    expected: int
    written: int


class CommentStore:
    """The write side, on the export store's connection (the event loop's thread)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        connection.executescript(SCHEMA)

    def add_threads(self, threads: Sequence[tuple[int, int, int]]) -> None:
        """(post id, expected comments, newest comment id); a thread known already is kept."""
        with self.connection:
            self.connection.executemany("INSERT OR IGNORE INTO comment_threads VALUES (?, ?, ?)", threads)

    def threads(self) -> dict[int, tuple[int, int]]:
        """post id -> (expected comments, newest comment id)."""
        rows = self.connection.execute("SELECT post_id, expected, max_id FROM comment_threads")
        return {post: (expected, max_id) for post, expected, max_id in rows}

    def add_streams(self, streams: Sequence[CommentStream]) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT OR IGNORE INTO comment_streams VALUES (?, ?, ?, ?, ?, ?)",
                [(s.key, s.post_id, s.min_id, s.max_id, s.cursor, int(s.done)) for s in streams],
            )

    def streams(self) -> list[CommentStream]:
        rows = self.connection.execute(
            "SELECT key, post_id, min_id, max_id, cursor, done FROM comment_streams ORDER BY rowid"
        )
        return [CommentStream(k, p, low, high, cursor, bool(done)) for k, p, low, high, cursor, done in rows]

    def forwards(self) -> dict[int, int]:
        """forward id -> post id, of the forwards read so far."""
        return dict(self.connection.execute("SELECT forward_id, post_id FROM comment_forwards"))

    def put_page(
        self, stream: str, rows: Sequence[CommentRow], forwards: Sequence[tuple[int, int]], cursor: int
    ) -> int:
        """Store a page's comments and forwards and move its stream's cursor, atomically; returns
        the comments newly stored."""
        connection = self.connection
        before = connection.total_changes
        with connection:
            connection.executemany("INSERT OR IGNORE INTO comments VALUES (?, ?, ?, ?)", rows)
            inserted = connection.total_changes - before
            connection.executemany("INSERT OR IGNORE INTO comment_forwards VALUES (?, ?)", forwards)
            connection.execute("UPDATE comment_streams SET cursor = ? WHERE key = ?", (cursor, stream))
        return inserted

    def finish(self, key: str) -> None:
        with self.connection:
            self.connection.execute("UPDATE comment_streams SET done = 1 WHERE key = ?", (key,))

    def resolve(self, *, final: bool) -> None:
        """Comments read from the group's history are stored under minus their thread's top (the
        forward a thread starts from may lie in a range not read yet); here each whose forward is
        known goes under its post, if not newer than the post's snapshot.  ``final`` (every range
        read): the rest goes away (talk in the group, threads of posts not exported, newer comments)."""
        with self.connection:
            self.connection.execute(
                "UPDATE OR IGNORE comments SET post_id = (SELECT f.post_id FROM comment_forwards f "
                "WHERE f.forward_id = -comments.post_id) WHERE post_id < 0 AND id <= ("
                "SELECT t.max_id FROM comment_threads t JOIN comment_forwards f ON f.post_id = t.post_id "
                "WHERE f.forward_id = -comments.post_id)"
            )
            if final:
                self.connection.execute("DELETE FROM comments WHERE post_id < 0")

    def counts(self) -> list[ThreadCount]:
        """Per post with a comment section, by post id: Telegram's count and the comments stored
        under it."""
        rows = self.connection.execute(
            "SELECT t.post_id, t.expected, COUNT(c.id) FROM comment_threads t "
            "LEFT JOIN comments c ON c.post_id = t.post_id GROUP BY t.post_id ORDER BY t.post_id"
        )
        return [ThreadCount(post, expected, written) for post, expected, written in rows]


class CommentReader:
    """The read side, for rendering: its own read-only connection."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> CommentReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def thread(self, post_id: int) -> Iterator[dict[str, Any]]:
        """The comments of one post, oldest first."""
        query = "SELECT record FROM comments WHERE post_id = ? ORDER BY id"
        for (record,) in self._connection.execute(query, (post_id,)):
            yield orjson.loads(record)
