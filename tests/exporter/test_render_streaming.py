"""Renderers hold a bounded amount of memory whatever the length of the chat.

200,000 records go through each renderer.  tracemalloc makes every allocation
about twenty times slower, so it traces the last 10,000 records of the run
(steady state: a leak of even 100 bytes per record shows as 1 MB there), while
the allocated-block count is compared between record 20,000 and record 190,000
over the untraced part.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from exporter.render.html import render_html
from exporter.render.json import render_json
from exporter.render.markdown import render_markdown
from exporter.render.model import ChatInfo
from tests.exporter import history

COUNT = 200_000
EARLY = 20_000
TRACE_FROM = COUNT - 10_000
PEAK_LIMIT = 2 * 1024 * 1024
BLOCK_GROWTH_LIMIT = 5_000

CHAT = ChatInfo(id=1, name="Big", type="private_supergroup")
LOCATE = history.generated_locate(COUNT)

RENDERERS: dict[str, Callable[[Path, Iterable[dict[str, Any]]], list[Path]]] = {
    "json": lambda out, records: render_json(out, CHAT, None, records),
    "html": lambda out, records: render_html(out, CHAT, None, records, LOCATE),
    "markdown": lambda out, records: render_markdown(out, CHAT, None, records, LOCATE),
}


def observed(records: Iterator[dict[str, Any]], blocks: dict[str, int]) -> Iterator[dict[str, Any]]:
    for rec in records:
        if rec["id"] in (EARLY, TRACE_FROM):
            gc.collect()
            blocks[str(rec["id"])] = sys.getallocatedblocks()
            if rec["id"] == TRACE_FROM:
                tracemalloc.start()
        yield rec


@pytest.mark.parametrize("kind", list(RENDERERS))
def test_200k_records_render_in_flat_memory(kind: str, tmp_path: Path) -> None:
    blocks: dict[str, int] = {}
    try:
        files = RENDERERS[kind](tmp_path, observed(history.generated(COUNT), blocks))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT, f"{kind}: {peak / 1e6:.1f} MB traced over the last 10,000 records"
    growth = blocks[str(TRACE_FROM)] - blocks[str(EARLY)]
    assert growth < BLOCK_GROWTH_LIMIT, f"{kind}: {growth} more blocks after 170,000 more records"

    if kind == "html":
        pages = [p for p in files if p.suffix == ".html"]
        assert len(pages) == COUNT // 1000
        assert f'id="message{COUNT}"' in pages[-1].read_text(encoding="utf-8")
    else:
        [path] = files
        with path.open("rb") as fh:
            fh.seek(-300, 2)
            end = fh.read().decode("utf-8", "replace")
        assert end.endswith("\n  ]\n}") if kind == "json" else f"^msg-{COUNT}" in end
