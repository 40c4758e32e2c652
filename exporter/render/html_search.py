"""The HTML archive's search index, written as the pages are: ``search/1.js``, ``search/2.js``, …

Browsers refuse ``fetch()`` of local files opened from ``file://``, but they run local
``<script src>`` files: so each index file is a script that hands its rows to the page's search
(:mod:`.html_script`), ``archiveSearch.chunk(number, rows, last, topics)``.  The page loads them
one after another, only once a search is typed, and searches each as it comes; ``last`` tells it
to stop, so no file lists the others and the index is written in one pass with one file open.

A row is ``[message id, topic id (0 outside forums), page, unix time, sender, text]``: enough to
link the message (``topics/<topic>/messages<page>.html#message<id>``; a comment's row has its
element's id, ``comment<post>-<id>``, in place of the message id) and show it; ``topics`` maps
the topic ids of the file's rows to their titles.  The text is the message's as written, with the
media's description (a file's name, a poll's question); the script folds case and accents of it
and of the query alike, so one rule of normalising serves both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import orjson

from exporter.render.common import media_label, plain_text, service_text

Record = dict[str, Any]

SEARCH_DIR = "search"
# Rows per file. The sandbox's texts average about 60 characters, so a file of 2,000 rows holds
# about 200 KB: a browser parses one in a few milliseconds, and a chat of 100,000 messages is 50 files.
ROWS_PER_FILE = 2000
# Rows encoded per orjson call: one call a row cost more than the rest of a message's HTML.
_BATCH = 250


def searchable(rec: Record) -> str:
    """What a search looks through in a message: its text, its media's description, or what a
    service message says."""
    if rec.get("type") == "service":
        return service_text(rec)
    text = plain_text(rec.get("text") or "")
    label = media_label(rec)
    if label:
        return f"{label}\n{text}" if text else label
    return text


def _js(rows: list[Any]) -> bytes:
    """The rows as the items of a JavaScript array (no brackets): JSON, in UTF-8."""
    try:
        data = orjson.dumps(rows)[1:-1]
    except orjson.JSONEncodeError:
        # A lone surrogate (text Telegram split inside a character) has no UTF-8 form: escape it.
        data = json.dumps(rows, separators=(",", ":")).encode("ascii")[1:-1]
    # Line and paragraph separators end a line in older JavaScript engines' string literals.
    if b"\xe2\x80" in data:
        data = data.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return data


class SearchIndex:
    """The index files of one export; rows go in in page order, :meth:`finish` ends the last file."""

    def __init__(self, out_dir: Path, folder: Path | None = None) -> None:
        self.folder = folder or out_dir / SEARCH_DIR
        self.number = 0
        self.rows = 0
        self.batch: list[list[Any]] = []
        # The topic rows are added to now, and its title; the titles of the open file's topics.
        self.topic: int | None = None
        self.title = ""
        self.topics: dict[int, str] = {}
        self.out: IO[bytes] | None = None
        self.written: list[Path] = []

    def section(self, topic: int | None, title: str) -> None:
        """The rows added next are of ``topic`` (None outside forums), called ``title``."""
        self.topic = topic
        self.title = title

    def add(self, msg_id: int | str, page: int, unix: Any, sender: str, text: str) -> None:
        """A message (``unix``: its ``date_unixtime``), if it has ``text`` to find (see :func:`searchable`);
        a string ``msg_id`` is the element's own id (a comment under a post, :mod:`.html_comments`)."""
        if not text:
            return
        if self.out is None or self.rows == ROWS_PER_FILE:
            self._next_file()
        topic = self.topic
        if topic is not None and topic not in self.topics:
            self.topics[topic] = self.title
        self.batch.append([msg_id, topic or 0, page, int(unix or 0), sender, text])
        self.rows += 1
        if len(self.batch) == _BATCH:
            self._flush()

    def finish(self, then: list[Path] | None = None) -> list[Path]:
        """End the last file; ``then``: another index's files (a second process's, written with
        their own numbers from 1 and their own last one), which follow this one's, renumbered."""
        if self.out is None:
            self._next_file()
        self._end_file(last=not then)
        for path in then or ():
            self.number += 1
            data = path.read_bytes()
            opening = data.index(b"[")
            renumbered = self.folder / f"{self.number}.js"
            renumbered.write_bytes(f"archiveSearch.chunk({self.number}, ".encode() + data[opening:])
            self.written.append(renumbered)
        return self.written

    def close(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None

    def _flush(self) -> None:
        assert self.out is not None
        if self.batch:
            self.out.write((b",\n" if self.rows > len(self.batch) else b"\n") + _js(self.batch))
            self.batch = []

    def _next_file(self) -> None:
        if self.out is not None:
            self._end_file(last=False)
        self.number += 1
        self.rows = 0
        self.topics = {}
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.number}.js"
        self.out = path.open("wb")
        self.written.append(path)
        self.out.write(f"archiveSearch.chunk({self.number}, [".encode())

    def _end_file(self, *, last: bool) -> None:
        assert self.out is not None
        self._flush()
        topics = _js([self.topics])
        self.out.write(b"\n], " + (b"true" if last else b"false") + b", " + topics + b");\n")
        self.close()
