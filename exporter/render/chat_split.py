"""A chat's HTML pages on both cores (outside forums): the export's helper process writes the later pages.

The helper is the forum's (:mod:`.forum_split`, which says why a new interpreter, when it starts
and how it ends). Outside forums every format reads the records once, in id order, so this
process goes on writing ``result.json`` (and Markdown) over the whole chat and the pages up to
the helper's first; the helper writes the rest of the pages from its own read-only connection to
the store. A page stands on its own (it opens with its own day line and sender names; replies to
other pages are found through the store), so the helper's pages are the ones this process would
write, and this process's last page links on to the helper's first.

Measured per 100,000 messages of the sandbox channel, rendering alone (docs/benchmarks.md):
reading and parsing the records 0.29 s, ``result.json`` 0.15 s, the pages and search index 1.18 s.
The helper reads and parses its share again, so the sides are even when it writes 60 % of the
pages: 0.29 + 0.15 + 0.4 × 1.18 against 0.6 × (0.29 + 1.18), both about 0.9 s.

Comments under posts are put into the records this process reads (:mod:`.comments`): an export
with them renders its pages here alone.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from db.store import StoreReader

from .forum_split import HELPER_SEARCH_DIR, RenderHelper, helper_job, pages_writer
from .html import HtmlWriter
from .html_pages import HtmlPart
from .local_time import LocalTime
from .model import ChatInfo
from .reading import resolved

# The helper's share of the pages (see the module's docstring).
HELPER_SHARE = 0.6


def helper_first_page(pages: int) -> int:
    """The helper's first page (1-based) of ``pages``; past the last when there are too few to share."""
    return pages + 1 if pages < 2 else max(2, pages - round(pages * HELPER_SHARE) + 1)


class ChatPages:
    """The pages' writer as :func:`~.model.write_records` sees it: it takes every record, writes
    those before the helper's first page, and at :meth:`finish` counts the helper's pages in (or
    writes them itself, when the helper failed)."""

    def __init__(
        self,
        helper: RenderHelper,
        reader: StoreReader,
        writer: HtmlWriter,
        page_starts: dict[int | None, list[int]],
        local: LocalTime,
        userpics: Mapping[str, str] | None,
    ) -> None:
        self.helper = helper
        self.reader = reader
        self.writer = writer
        self.local = local
        self.first_helper_id: int | None = None
        starts = page_starts.get(None, [])
        first = helper_first_page(len(starts))
        if first > len(starts):
            return
        job = helper_job(
            _render_pages, reader, writer.out_dir, writer.chat, page_starts, local, userpics, first_page=first
        )
        if helper.send(job):
            self.first_helper_id = starts[first - 1]
            writer.continued = True

    def add(self, rec: dict[str, Any]) -> None:
        if self.first_helper_id is None or rec["id"] < self.first_helper_id:
            self.writer.add(rec)

    def finish(self) -> list[Path]:
        try:
            if self.first_helper_id is not None:
                part = self.helper.answer()
                if part is not None:
                    self.writer.adopt(part)
                else:
                    # The helper failed: its pages are written here, over whatever it left (its search
                    # index files go with the clean-up below).
                    self.writer.continued = False
                    for rec in _records_from(self.reader, self.first_helper_id, self.local):
                        self.writer.add(rec)
            return self.writer.finish()
        finally:
            shutil.rmtree(self.writer.out_dir / HELPER_SEARCH_DIR, ignore_errors=True)

    def close(self) -> None:
        self.writer.close()


def _records_from(reader: StoreReader, first_id: int, local: LocalTime) -> map[dict[str, Any]]:
    return map(local.localize, resolved(reader.records(first_id), reader.media_values(first_id)))


def _render_pages(
    store_path: Path,
    out_dir: Path,
    chat: ChatInfo,
    page_starts: dict[int | None, list[int]],
    first_page: int,
    zone: str,
    userpics: dict[str, str],
) -> HtmlPart:
    """The helper's work: the chat's pages from ``first_page`` on, search index apart."""
    local = LocalTime(zone)
    with StoreReader(store_path) as reader:
        writer = pages_writer(
            reader, out_dir, chat, None, page_starts, local, userpics, out_dir / HELPER_SEARCH_DIR
        )
        writer.first_page = first_page
        try:
            for record in _records_from(reader, page_starts[None][first_page - 1], local):
                writer.add(record)
            return writer.finish_part()
        except BaseException:
            writer.close()
            raise
