"""From the store to the chosen formats: records → result.json, paged HTML, Markdown.

Layout of an export folder (the archive holds it as is):
    result.json                 json: Telegram Desktop's machine-readable export (+ forum topics)
    messages.html, css/, …      html: Desktop-style pages of 1,000 messages; forums: index.html + topics/<id>/
    markdown/                   md: one Markdown file per chat, or per topic for forums

Each format's writer (:mod:`.json`, :mod:`.html`, :mod:`.markdown`) takes records
one at a time in the order its module docstring states and writes as it goes;
:func:`~exporter.render.model.write_records` feeds them.  What they are told
about the chat is in :mod:`.model`; the HTML and Markdown writers share their
per-topic bookkeeping (:mod:`.sections`) and their wording (:mod:`.common`).

Files: the records stored at fetch time hold Desktop's "not included" sentence where a file goes;
the media stage decides each file's value (its path in the archive, or the sentence that says why
it is not there) and :func:`resolved` puts those values into the records before any writer sees
them, so every format shows the same.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from db.comments import CommentReader
from db.private import make_private_dir
from db.store import StoreReader

from ..media.capture import EMOJI_PREFIX
from .comments import with_comments
from .html import HtmlWriter, render_html
from .json import JsonWriter, render_json
from .local_time import LocalTime
from .markdown import MarkdownWriter, render_markdown
from .model import ChatInfo, Locate, RecordWriter, TopicInfo, write_records

MARKDOWN_DIR = "markdown"


def render_formats(
    reader: StoreReader,
    out_dir: Path,
    chat: ChatInfo,
    topics: list[TopicInfo] | None,
    formats: tuple[str, ...],
    page_starts: dict[int | None, list[int]],
    local: LocalTime | None = None,
    comments: CommentReader | None = None,
    userpics: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write ``formats`` of the stored records into ``out_dir``; the files written, in format order.

    ``page_starts``: per topic, the first id of every page (``StoreReader.overview``);
    ``local``: the time zone dates are written in (UTC when not given); ``comments``: a channel's
    comments, put under their posts (:mod:`.comments`); ``userpics``: from_id -> the sender's
    profile photo in the archive, for the HTML's userpics."""
    local = local or LocalTime()
    make_private_dir(out_dir)
    locate = locator(reader, page_starts)
    # Pages per topic, for "Page 4 of 21"; a topic without messages still gets its one empty page.
    pages = {topic: len(starts) for topic, starts in page_starts.items()}
    if topics is None:
        # Outside forums every format wants ascending id, so each record is read and parsed once for all.
        writers: list[RecordWriter] = []
        try:
            if "json" in formats:
                writers.append(JsonWriter(out_dir, chat, None))
            if "html" in formats:
                writers.append(
                    HtmlWriter(
                        out_dir,
                        chat,
                        None,
                        locate,
                        zone=local.name,
                        pages=pages,
                        quote=reader.record,
                        userpics=userpics,
                    )
                )
            if "md" in formats:
                writers.append(
                    MarkdownWriter(
                        out_dir / MARKDOWN_DIR, chat, None, locate, zone=local.name, quote=reader.record
                    )
                )
        except BaseException:
            for writer in writers:
                writer.close()
            raise
        records: Iterator[dict[str, Any]] = map(
            local.localize, resolved(reader.records(), reader.media_values())
        )
        if comments is not None:
            records = with_comments(records, comments, local)
        return write_records(writers, records)
    # Forums: JSON wants ascending id over the whole chat, HTML and Markdown one topic after another.
    files: list[Path] = []
    if "json" in formats:
        records = resolved(reader.records(), reader.media_values())
        files += render_json(out_dir, chat, topics, map(local.localize, records))
    if "html" in formats:
        files += render_html(
            out_dir,
            chat,
            topics,
            _topic_ordered(reader, topics, local),
            locate,
            zone=local.name,
            pages=pages,
            quote=reader.record,
            userpics=userpics,
        )
    if "md" in formats:
        files += render_markdown(
            out_dir / MARKDOWN_DIR,
            chat,
            topics,
            _topic_ordered(reader, topics, local),
            locate,
            zone=local.name,
            quote=reader.record,
        )
    return files


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


def _topic_ordered(
    reader: StoreReader, topics: list[TopicInfo], local: LocalTime
) -> Iterator[dict[str, Any]]:
    for topic in topics:
        records = resolved(reader.topic_records(topic.id), reader.topic_media_values(topic.id))
        yield from map(local.localize, records)


def resolved(
    records: Iterator[dict[str, Any]], values: Iterator[tuple[int, str, str]]
) -> Iterator[dict[str, Any]]:
    """The records with the media stage's values in their file fields: ``photo``, ``file``,
    ``thumbnail``, ``contact_vcard`` and custom emoji's ``document_id`` (in the text and the
    reactions, as Desktop writes them). Both come in ascending message id, so one pass merges them."""
    value = next(values, None)
    for record in records:
        msg_id = record["id"]
        while value is not None and value[0] < msg_id:
            value = next(values, None)
        emoji: dict[str, str] = {}
        while value is not None and value[0] == msg_id:
            role = value[1]
            if role.startswith(EMOJI_PREFIX):
                emoji[role[len(EMOJI_PREFIX) :]] = value[2]
            else:
                record[role] = value[2]
            value = next(values, None)
        if emoji:
            _emoji_paths(record, emoji)
        yield record


def _emoji_paths(record: dict[str, Any], paths: dict[str, str]) -> None:
    text = record.get("text")
    parts = [
        *record.get("text_entities", ()),
        *(text if isinstance(text, list) else ()),
        *record.get("reactions", ()),
    ]
    for part in parts:
        if isinstance(part, dict) and part.get("type") == "custom_emoji":
            part["document_id"] = paths.get(part["document_id"], part["document_id"])
