"""The render driver: records from a real store to every chosen format, and no file left open on failure."""

from __future__ import annotations

import json
import os
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
        f"{MARKDOWN_DIR}/Driver.md",
    ]
    assert [m["id"] for m in json.loads((out / "result.json").read_text())["messages"]] == [
        r["id"] for r in records
    ]
    assert f'id="message{records[-1]["id"]}"' in (out / "messages3.html").read_text()
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
