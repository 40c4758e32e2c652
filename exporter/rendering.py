"""From the store to the chosen formats: each renderer gets records in the order it needs.

Layout of an export folder (the archive holds it as is):
    result.json                 json: Telegram Desktop's machine-readable export (+ forum topics)
    messages.html, css/, …      html: Desktop-style pages of 1,000 messages; forums: index.html + topics/<id>/
    markdown/                   md: one Markdown file per chat, or per topic for forums
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path

from db.private import make_private_dir
from db.store import StoreReader

from .render.html import HtmlWriter, render_html
from .render.json import JsonWriter, render_json
from .render.local_time import LocalTime
from .render.markdown import MarkdownWriter, render_markdown
from .render.model import ChatInfo, Locate, RecordWriter, TopicInfo

MARKDOWN_DIR = "markdown"


def locator(reader: StoreReader, page_starts: dict[int | None, list[int]]) -> Locate:
    """Message id → (topic, page) for reply links across pages and topics.

    Keeps only the first id of every page (a thousandth of the chat), so it
    stays small for any chat; each lookup is one primary-key query."""

    def locate(msg_id: int) -> tuple[int | None, int] | None:
        stored, topic_id = reader.topic_of(msg_id)
        starts = page_starts.get(topic_id)
        if not stored or not starts:
            return None
        return topic_id, bisect_right(starts, msg_id)

    return locate


def _topic_ordered(reader: StoreReader, topics: list[TopicInfo] | None, local: LocalTime) -> Iterator[dict]:
    if topics is None:
        yield from map(local.localize, reader.records())
        return
    for topic in topics:
        yield from map(local.localize, reader.topic_records(topic.id))


def render_formats(
    reader: StoreReader,
    out_dir: Path,
    chat: ChatInfo,
    topics: list[TopicInfo] | None,
    formats: tuple[str, ...],
    page_starts: dict[int | None, list[int]],
    local: LocalTime | None = None,
) -> list[Path]:
    """``page_starts``: per topic, the first id of every page (``StoreReader.overview``);
    ``local``: the time zone dates are written in (UTC when not given)."""
    local = local or LocalTime()
    make_private_dir(out_dir)
    if topics is None:
        return _render_in_one_pass(reader, out_dir, chat, formats, page_starts, local)
    files: list[Path] = []
    if "json" in formats:
        files += render_json(out_dir, chat, topics, map(local.localize, reader.records()))
    if "html" in formats or "md" in formats:
        locate = locator(reader, page_starts)
        if "html" in formats:
            files += render_html(
                out_dir, chat, topics, _topic_ordered(reader, topics, local), locate, zone=local.name
            )
        if "md" in formats:
            files += render_markdown(
                out_dir / MARKDOWN_DIR,
                chat,
                topics,
                _topic_ordered(reader, topics, local),
                locate,
                zone=local.name,
            )
    return files


def _render_in_one_pass(
    reader: StoreReader,
    out_dir: Path,
    chat: ChatInfo,
    formats: tuple[str, ...],
    page_starts: dict[int | None, list[int]],
    local: LocalTime,
) -> list[Path]:
    """Outside forums every format wants ascending id, so each record is read and parsed once for all."""
    locate = locator(reader, page_starts) if "html" in formats or "md" in formats else None
    writers: list[RecordWriter] = []
    try:
        if "json" in formats:
            writers.append(JsonWriter(out_dir, chat, None))
        if locate is not None and "html" in formats:
            writers.append(HtmlWriter(out_dir, chat, None, locate, zone=local.name))
        if locate is not None and "md" in formats:
            writers.append(MarkdownWriter(out_dir / MARKDOWN_DIR, chat, None, locate, zone=local.name))
        adds = [writer.add for writer in writers]
        for record in map(local.localize, reader.records()):
            for add in adds:
                add(record)
        return [path for writer in writers for path in writer.finish()]
    except BaseException:
        for writer in writers:
            writer.close()
        raise
