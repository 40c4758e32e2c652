"""The per-export store gains its file tables without losing anything: a store written before them
(an export started by an older version) opens, keeps its messages, and takes files with a page."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from db.store import ExportStore, StoreReader, StreamRow

OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE messages (id INTEGER PRIMARY KEY, topic_id INTEGER, date INTEGER NOT NULL, record BLOB NOT NULL);
CREATE TABLE streams (key TEXT PRIMARY KEY, topic_id INTEGER, min_id INTEGER NOT NULL, max_id INTEGER NOT NULL,
    label TEXT NOT NULL, cursor INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, expected INTEGER);
"""


def test_a_store_from_before_the_file_tables_opens_and_takes_files(tmp_path: Path) -> None:
    path = tmp_path / "messages.sqlite"
    with sqlite3.connect(path) as old:
        old.executescript(OLD_SCHEMA)
        old.execute("INSERT INTO messages VALUES (1, NULL, 0, ?)", (b'{"id": 1}',))
    store = ExportStore(path)
    store.add_streams([StreamRow("chat:1-10", None, 1, 10, "chat", 1)])
    ref = (
        2,
        0,
        "photo",
        None,
        "photos",
        0,
        "photo:9:y",
        2,
        "photo",
        9,
        1,
        b"r",
        "y",
        10,
        10,
        "image/jpeg",
        "",
        0,
        None,
        None,
    )
    store.put_page([(2, None, 0, b'{"id": 2}')], stream="chat:1-10", cursor=2, refs=[ref])
    store.connection.execute("UPDATE media_refs SET value = 'photos/photo_1.jpg'")
    store.connection.commit()
    store.close()
    with StoreReader(path) as reader:
        assert [r["id"] for r in reader.records()] == [1, 2]
        assert list(reader.media_values()) == [(2, "photo", "photos/photo_1.jpg")]
