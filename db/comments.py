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
from collections.abc import Iterable, Iterator, Sequence
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


class CommentStore:
    """The write side, on the export store's connection (the event loop's thread)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        connection.executescript(SCHEMA)

    def add_threads(self, threads: Iterable[tuple[int, int, int]]) -> None:
        """(post id, expected comments, newest comment id); a thread known already is kept."""
        with self.connection:
            self.connection.executemany("INSERT OR IGNORE INTO comment_threads VALUES (?, ?, ?)", threads)

    def busy(self) -> tuple[int, int | None, int | None]:
        """Over the posts with comments: getReplies pages to read them all (100 a page), the oldest
        such post and the newest comment."""
        row = self.connection.execute(
            "SELECT COALESCE(SUM((expected + 99) / 100), 0), MIN(post_id), MAX(max_id) "
            "FROM comment_threads WHERE expected > 0"
        ).fetchone()
        return int(row[0]), row[1], row[2]

    def busy_threads(self) -> Iterator[tuple[int, int]]:
        """(post id, newest comment id) of each post with comments, by post id."""
        return iter(
            self.connection.execute(
                "SELECT post_id, max_id FROM comment_threads WHERE expected > 0 ORDER BY post_id"
            )
        )

    def add_streams(self, streams: Iterable[CommentStream]) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT OR IGNORE INTO comment_streams VALUES (?, ?, ?, ?, ?, ?)",
                ((s.key, s.post_id, s.min_id, s.max_id, s.cursor, int(s.done)) for s in streams),
            )

    def pending(self) -> Iterator[CommentStream]:
        """The streams not yet read to their end, in plan order, one by one as they are taken."""
        last = 0
        while True:
            row = self.connection.execute(
                "SELECT rowid, key, post_id, min_id, max_id, cursor FROM comment_streams "
                "WHERE done = 0 AND rowid > ? ORDER BY rowid LIMIT 1",
                (last,),
            ).fetchone()
            if row is None:
                return
            last = row[0]
            yield CommentStream(*row[1:])

    def all_done(self) -> bool:
        return self.connection.execute("SELECT 1 FROM comment_streams WHERE done = 0").fetchone() is None

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

    def summary(self, listed: int = 100) -> dict[str, Any]:
        """Posts with a comment section, those with comments, Telegram's count and the comments
        stored under their posts, and the first ``listed`` posts whose counts differ."""
        per_post = (
            "SELECT t.post_id, t.expected, (SELECT COUNT(*) FROM comments c WHERE c.post_id = t.post_id) "
            "AS written FROM comment_threads t"
        )
        posts, busy, expected, written = self.connection.execute(
            f"SELECT COUNT(*), COUNT(NULLIF(expected, 0)), COALESCE(SUM(expected), 0), "
            f"COALESCE(SUM(written), 0) FROM ({per_post})"
        ).fetchone()
        short = self.connection.execute(
            f"SELECT post_id FROM ({per_post}) WHERE written != expected ORDER BY post_id LIMIT ?", (listed,)
        )
        return {
            "posts": posts,
            "posts_with_comments": busy,
            "expected": expected,
            "written": written,
            "posts_short": [post for (post,) in short],
        }


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
