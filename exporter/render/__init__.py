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

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from db.comments import CommentReader
from db.private import make_private_dir
from db.store import StoreReader

from .chat_split import ChatPages
from .comments import with_comments
from .forum_split import ForumPages, RenderHelper, pages_writer
from .json import JsonWriter, render_json
from .local_time import LocalTime
from .markdown import MarkdownWriter, render_markdown
from .model import ChatInfo, RecordWriter, TopicInfo, write_records
from .reading import locator, resolved, topic_ordered

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
    helper: RenderHelper | None = None,
) -> list[Path]:
    """Write ``formats`` of the stored records into ``out_dir``; the files written, in format order.

    ``page_starts``: per topic, the first id of every page (``StoreReader.overview``);
    ``local``: the time zone dates are written in (UTC when not given); ``comments``: a channel's
    comments, put under their posts (:mod:`.comments`); ``userpics``: from_id -> the sender's
    profile photo in the archive, for the HTML's userpics; ``helper``: a
    process that writes part of the pages (:mod:`.forum_split`, :mod:`.chat_split`)."""
    local = local or LocalTime()
    make_private_dir(out_dir)
    locate = locator(reader, page_starts)
    if topics is None:
        # Outside forums every format wants ascending id, so each record is read and parsed once for all.
        writers: list[RecordWriter] = []
        try:
            if "json" in formats:
                writers.append(JsonWriter(out_dir, chat, None))
            if "html" in formats:
                html = pages_writer(reader, out_dir, chat, None, page_starts, local, userpics)
                # A helper process writes the later pages (chat_split), but not under comments: they
                # come into the records read here.
                if helper is not None and comments is None:
                    writers.append(ChatPages(helper, reader, html, page_starts, local, userpics))
                else:
                    writers.append(html)
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
    # The pages go first, so that a helper process (forum_split) writes its share of them meanwhile.
    forum_pages = (
        ForumPages(helper, reader, out_dir, chat, topics, page_starts, local, userpics)
        if "html" in formats
        else None
    )
    files: list[Path] = []
    if "json" in formats:
        records = resolved(reader.records(), reader.media_values())
        files += render_json(out_dir, chat, topics, map(local.localize, records))
    if forum_pages is not None:
        files += forum_pages.write()
    if "md" in formats:
        files += render_markdown(
            out_dir / MARKDOWN_DIR,
            chat,
            topics,
            topic_ordered(reader, topics, local),
            locate,
            zone=local.name,
            quote=reader.record,
        )
    return files
