"""The media stage's queries on the per-export store (tables in :mod:`db.store`).

Everything the stage decides is written here as it decides, so a run killed at any moment
continues: custom emoji documents once asked for, each file's path once named (one transaction for
the whole naming pass), each download's outcome as it ends. Reads are keyed or paged, so memory
stays flat however many files an export holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# media_files.status
PENDING, DOWNLOADED, UNAVAILABLE, STALLED, EARLIER = (
    "pending",
    "downloaded",
    "unavailable",
    "stalled",
    "earlier",
)
# Files listed per query while paging through them.
_PAGE = 500


@dataclass(frozen=True)
class Ref:
    """One media_refs row: a file a record names."""

    msg_id: int
    seq: int
    role: str
    kind: str
    flags: int
    file_key: str | None
    dc_id: int
    loc_kind: str
    file_id: int
    access_hash: int
    file_reference: bytes
    thumb_size: str
    size: int
    full_size: int
    mime: str
    file_name: str
    date: int
    content: bytes | None
    ref_chat: int | None


_REF_COLUMNS = (
    "msg_id, seq, role, kind, flags, file_key, dc_id, loc_kind, file_id, access_hash, file_reference, "
    "thumb_size, size, full_size, mime, file_name, date, content, ref_chat"
)


@dataclass(frozen=True)
class FileRow:
    """One media_files row: a file to write into the archive, once per Telegram identity."""

    ord: int
    key: str
    path: str
    status: str
    dc_id: int
    loc_kind: str
    file_id: int
    access_hash: int
    file_reference: bytes
    thumb_size: str
    size: int
    content: bytes | None
    msg_id: int | None
    ref_chat: int | None
    sha256: str | None
    reason: str | None


_FILE_COLUMNS = (
    "ord, key, path, status, dc_id, loc_kind, file_id, access_hash, file_reference, thumb_size, size, "
    "content, msg_id, ref_chat, sha256, reason"
)


@dataclass(frozen=True)
class EmojiDocument:
    id: int
    found: bool
    dc_id: int = 0
    access_hash: int = 0
    file_reference: bytes = b""
    size: int = 0
    mime: str = ""
    file_name: str = ""
    flags: int = 0


class MediaStore:
    """Queries of one export's files, on the store's own connection (the event loop's thread)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def has_refs(self) -> bool:
        return self.connection.execute("SELECT 1 FROM media_refs LIMIT 1").fetchone() is not None

    # -- custom emoji

    def unknown_emoji(self) -> list[int]:
        """Custom emoji documents named by some record and not asked for yet."""
        rows = self.connection.execute(
            "SELECT DISTINCT file_id FROM media_refs WHERE kind = 'emoji' "
            "AND file_id NOT IN (SELECT id FROM emoji_documents) ORDER BY file_id"
        )
        return [document_id for (document_id,) in rows]

    def put_emoji(self, documents: Sequence[EmojiDocument]) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO emoji_documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d.id,
                        int(d.found),
                        d.dc_id,
                        d.access_hash,
                        d.file_reference,
                        d.size,
                        d.mime,
                        d.file_name,
                        d.flags,
                    )
                    for d in documents
                ],
            )

    def download_dcs(self, kinds: Sequence[str], max_size: int) -> list[int]:
        """The DCs of the files the settings would download, as far as the records read so far say:
        emoji documents found, and files of ``kinds`` up to ``max_size`` bytes (vCards need no DC)."""
        marks = ",".join("?" * len(kinds))
        rows = self.connection.execute(
            "SELECT dc_id FROM emoji_documents WHERE found AND size <= ? "
            f"UNION SELECT dc_id FROM media_refs WHERE kind IN ({marks}) AND full_size <= ? "
            "AND file_key IS NOT NULL AND content IS NULL",
            (max_size, *kinds, max_size),
        )
        return sorted(dc_id for (dc_id,) in rows if dc_id)

    def emoji(self, document_id: int) -> EmojiDocument | None:
        row = self.connection.execute(
            "SELECT id, found, dc_id, access_hash, file_reference, size, mime, file_name, flags "
            "FROM emoji_documents WHERE id = ?",
            (document_id,),
        ).fetchone()
        if row is None:
            return None
        return EmojiDocument(row[0], bool(row[1]), *row[2:])

    # -- the naming pass

    def slices(self, size: int) -> Iterator[tuple[int, int]]:
        """(first, last) id bounds of each run of ``size`` stored messages, ascending; an upgraded
        group's (negative) ids are cut apart from the supergroup's (export_api_wrap.cpp: splits).
        ``last`` is the id before the next run's first (no stored message lies between).

        SQLite steps over each run (OFFSET) instead of handing every id to Python: 15 ms for the
        sandbox channel's 100,000 messages, where reading the ids and cutting them in Python took
        about 100 ms."""
        for history in ("id < 0", "id >= 0"):
            (first,) = self.connection.execute(f"SELECT MIN(id) FROM messages WHERE {history}").fetchone()
            while first is not None:
                following = self.connection.execute(
                    f"SELECT id FROM messages WHERE id >= ? AND {history} ORDER BY id LIMIT 1 OFFSET ?",
                    (first, size),
                ).fetchone()
                if following is None:
                    (last,) = self.connection.execute(
                        f"SELECT MAX(id) FROM messages WHERE {history}"
                    ).fetchone()
                    yield first, last
                    break
                yield first, following[0] - 1
                first = following[0]

    def refs_between(self, first: int, last: int) -> list[Ref]:
        rows = self.connection.execute(
            f"SELECT {_REF_COLUMNS} FROM media_refs WHERE msg_id BETWEEN ? AND ? ORDER BY msg_id, seq",
            (first, last),
        )
        return [Ref(*row) for row in rows]

    def file_path(self, key: str) -> str | None:
        """Where a file already named goes (the first reference's path: Desktop's file cache)."""
        row = self.connection.execute("SELECT path FROM media_files WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def path_taken(self, path: str) -> bool:
        # Folded: "Report.pdf" and "report.pdf" are one file once unzipped on Windows or macOS.
        found = self.connection.execute("SELECT 1 FROM media_files WHERE path_fold = ?", (path.casefold(),))
        return found.fetchone() is not None

    def add_file(self, row: FileRow) -> None:
        self.connection.execute(
            f"INSERT INTO media_files ({_FILE_COLUMNS}, path_fold) VALUES ({','.join('?' * 17)})",
            (
                None, row.key, row.path, row.status, row.dc_id, row.loc_kind, row.file_id, row.access_hash,
                row.file_reference, row.thumb_size, row.size, row.content, row.msg_id, row.ref_chat,
                row.sha256, row.reason, row.path.casefold(),
            ),
        )  # fmt: skip

    def decide(self, msg_id: int, seq: int, *, value: str | None = None, file: str | None = None) -> None:
        """A reference's value (Desktop's sentence), or the file (by key) whose path or failure
        becomes its value once the download has ended (settle)."""
        self.connection.execute(
            "UPDATE media_refs SET value = ?, file = ? WHERE msg_id = ? AND seq = ?",
            (value, file, msg_id, seq),
        )

    # -- downloads

    def pending(self) -> Iterator[FileRow]:
        """Files not yet written, in the order they were named, a page at a time."""
        after = 0
        while True:
            rows = self.connection.execute(
                f"SELECT {_FILE_COLUMNS} FROM media_files WHERE status = ? AND ord > ? ORDER BY ord LIMIT ?",
                (PENDING, after, _PAGE),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield FileRow(*row)
            after = rows[-1][0]

    def has_pending(self) -> bool:
        found = self.connection.execute("SELECT 1 FROM media_files WHERE status = ? LIMIT 1", (PENDING,))
        return found.fetchone() is not None

    def to_fetch(self) -> tuple[int, int]:
        """(files, bytes) still to download from Telegram."""
        count, size = self.connection.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM media_files WHERE status = ? AND content IS NULL",
            (PENDING,),
        ).fetchone()
        return count, size

    def finish(self, key: str, status: str, *, sha256: str | None = None, reason: str | None = None) -> None:
        with self.connection:
            self.connection.execute(
                "UPDATE media_files SET status = ?, sha256 = ?, reason = ? WHERE key = ?",
                (status, sha256, reason, key),
            )

    def settle(self, unavailable: str, emoji_unavailable: str) -> None:
        """Every reference to a file gets its final value: the path when the file is in the archive
        (or an earlier one), else Desktop's unavailable sentence."""
        with self.connection:
            self.connection.execute(
                "UPDATE media_refs SET value = COALESCE("
                " (SELECT f.path FROM media_files f WHERE f.key = media_refs.file AND f.status IN (?, ?)),"
                " CASE WHEN role LIKE 'emoji:%' THEN ? ELSE ? END) WHERE file IS NOT NULL",
                (DOWNLOADED, EARLIER, emoji_unavailable, unavailable),
            )

    def all_unavailable(self, unavailable: str, emoji_unavailable: str) -> None:
        """Every reference says "unavailable" for now (an export that stopped before naming its
        files); the naming pass gives each its real value later."""
        with self.connection:
            self.connection.execute(
                "UPDATE media_refs SET value = CASE WHEN role LIKE 'emoji:%' THEN ? ELSE ? END "
                "WHERE role NOT LIKE 'paid:%'",
                (emoji_unavailable, unavailable),
            )

    # -- the manifest

    def files(self, *statuses: str) -> Iterator[FileRow]:
        marks = ",".join("?" * len(statuses))
        rows = self.connection.execute(
            f"SELECT {_FILE_COLUMNS} FROM media_files WHERE status IN ({marks}) ORDER BY path", statuses
        )
        return (FileRow(*row) for row in rows)

    def earlier_references(self) -> int:
        """References pointed at a file of an earlier archive."""
        (count,) = self.connection.execute(
            "SELECT COUNT(*) FROM media_refs r JOIN media_files f ON f.key = r.file WHERE f.status = ?",
            (EARLIER,),
        ).fetchone()
        return int(count)

    def references(self) -> dict[str, int]:
        """How many references got each value that is not a path (Desktop's sentences)."""
        rows = self.connection.execute(
            "SELECT value, COUNT(*) FROM media_refs WHERE value IS NOT NULL AND file IS NULL GROUP BY value"
        )
        return dict(rows.fetchall())
