"""The render driver: records from a real store to every chosen format, and no file left open on failure."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from db.store import ExportStore, StoreReader, StreamRow
from exporter.render import MARKDOWN_DIR, render_formats
from exporter.render.html import HtmlWriter
from exporter.render.json import JsonWriter
from exporter.render.markdown import MarkdownWriter
from exporter.render.model import PAGE_SIZE, ChatInfo, RecordWriter, write_records
from tests.exporter import history

CHAT = ChatInfo(id=1, name="Driver", type="private_supergroup")


class CountingReader(StoreReader):
    """A real reader that counts how often the whole chat is read."""

    reads = 0

    def records(self) -> Iterator[dict[str, Any]]:
        self.reads += 1
        return super().records()


def stored(path: Path, records: list[dict[str, Any]]) -> Path:
    store = ExportStore(path)
    store.add_streams([StreamRow("all", None, 0, 0, "all", 0)])
    rows = [(r["id"], r.get("topic_id"), 0, orjson.dumps(r)) for r in records]
    store.put_page(rows, stream="all", cursor=records[-1]["id"])
    store.close()
    return path


def open_files_below(folder: Path) -> list[str]:
    """Paths below ``folder`` this process holds open (Linux: /proc/self/fd)."""
    fds = Path("/proc/self/fd")
    targets = []
    for fd in fds.iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:  # the directory's own descriptor, closed while listing
            continue
    return [t for t in targets if t.startswith(str(folder))]


def test_outside_forums_the_store_is_read_once_for_every_format(tmp_path: Path) -> None:
    records = history.plain_history(2 * PAGE_SIZE + 500)
    # Replies from the last page to the first.
    replying = [rec for rec in records[-20:-10] if rec["type"] == "message"]
    for rec in replying:
        rec["reply_to_message_id"] = 8
    path = stored(tmp_path / "store.sqlite", records)
    out = tmp_path / "out"
    with CountingReader(path) as reader:
        page_starts = reader.overview(PAGE_SIZE).page_starts
        files = render_formats(reader, out, CHAT, None, ("json", "html", "md"), page_starts)
        assert reader.reads == 1, "each format read the store again"
    names = [str(f.relative_to(out)) for f in files]
    assert names == [
        "result.json",
        "messages.html",
        "messages2.html",
        "messages3.html",
        "css/style.css",
        "js/archive.js",
        "search/1.js",
        "search/2.js",
        f"{MARKDOWN_DIR}/Driver.md",
    ]
    assert [m["id"] for m in json.loads((out / "result.json").read_text())["messages"]] == [
        r["id"] for r in records
    ]
    last_page = (out / "messages3.html").read_text()
    assert f'id="message{records[-1]["id"]}"' in last_page
    # The page counts come from the store's overview; a reply to another page is labelled from the store.
    assert "Page 3 of 3" in last_page
    across = re.findall(
        r'In reply to <a href="messages\.html#message(\d+)"><bdi>([^<]+)</bdi>: ([^<]+)</a>', last_page
    )
    by_id = {r["id"]: r for r in records}
    assert len(across) == len(replying) and all(
        (by_id[int(i)]["from"], by_id[int(i)]["text"]) == (n, t) for i, n, t in across
    )
    assert "In reply to <a" in last_page and ">this message</a>" not in last_page
    assert f"messages: {len(records)}" in (out / MARKDOWN_DIR / "Driver.md").read_text()


def test_an_error_mid_stream_closes_every_writer(tmp_path: Path) -> None:
    count = PAGE_SIZE + 500

    def failing() -> Iterator[dict[str, Any]]:
        yield from history.generated(count)
        raise OSError("disk gone")

    locate = history.generated_locate(count)
    writers: list[RecordWriter] = [
        JsonWriter(tmp_path, CHAT, None),
        HtmlWriter(tmp_path, CHAT, None, locate),
        MarkdownWriter(tmp_path / MARKDOWN_DIR, CHAT, None, locate),
    ]
    with pytest.raises(OSError, match="disk gone"):
        write_records(writers, failing())
    # Mid-stream every writer had a file open: result.json, page 2, the Markdown body.
    assert open_files_below(tmp_path) == []
    assert not list(tmp_path.rglob("*.part"))
