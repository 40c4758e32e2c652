"""The manifest: what an archive holds, checked against what Telegram promised.

``manifest.json`` sits next to the rendered files in every archive: the chat,
whether the export is complete and why not, the counts expected and written
(per topic in forums), the options, the timing report and each file's checksum;
``media`` lists every downloaded file with its size and SHA-256 (checked against
the document's size while it streamed in), every chosen file that is not in the
archive with the reason, and how many references got each of Telegram Desktop's
sentences (files the settings left out, or Telegram had nothing to load for).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from db.store import StoreOverview
from db.timing_report import TimingReport

from . import archive
from .media.stage import MediaResult
from .options import ExportOptions
from .run import ExportRun


def make_manifest(
    run: ExportRun,
    options: ExportOptions,
    files_root: Path,
    files: list[Path],
    complete: bool,
    reason: str | None,
    report: TimingReport,
    overview: StoreOverview,
    media: MediaResult | None = None,
) -> dict[str, Any]:
    counts = {c.topic_id: c for c in overview.counts}
    expected = run.topic_counts
    topics = []
    for topic in run.topics:
        c = counts.get(topic.id)
        topics.append(
            {
                "id": topic.id,
                "title": topic.title,
                "expected": None if options.bounded else expected.get(topic.id),
                "written": c.messages if c else 0,
                "first_id": c.first_id if c else None,
                "last_id": c.last_id if c else None,
                "newer_messages_left_out": run.snapshot.newer_left_out.get(topic.id, 0),
            }
        )
    return {
        "format": "telegram-export-bot/manifest",
        "version": 1,
        "chat": {
            "id": run.chat.id,
            "name": run.chat.name,
            "type": run.chat.type,
            "username": run.chat.username,
            "is_forum": run.chat.is_forum,
        },
        "complete": complete,
        "reason": reason,
        "messages": {
            "expected": run.total,
            "written": sum(c.messages for c in counts.values()),
            "first_id": min((c.first_id for c in counts.values() if c.first_id), default=None),
            "last_id": max((c.last_id for c in counts.values() if c.last_id), default=None),
            "gaps": overview.gaps,
        },
        "topics": topics if run.chat.is_forum else None,
        "snapshot": run.snapshot.to_dict(),
        # An incremental export says what it covers: messages after these ids (per topic).
        "incremental": (
            {"after_ids": {("chat" if t is None else str(t)): i for t, i in options.after}}
            if options.after
            else None
        ),
        "options": options.identity(),
        "filter": _filter(run, options),
        # With --comments: Telegram's comment counts of the posts against the comments written.
        "comments": run.comments,
        # Dates are local to this zone, without a suffix, as in Telegram Desktop's export.
        "time_zone": options.time_zone,
        "timing": report.to_dict(),
        # Every file of the archive: the rendered ones read back here, the downloaded ones as
        # their SHA-256 was computed while they streamed in.
        "files": {
            **archive.file_checksums(files_root, files),
            **{path: entry["sha256"] for path, entry in (media or MediaResult()).written.items()},
        },
        "media": _media(media or MediaResult()),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _filter(run: ExportRun, options: ExportOptions) -> dict[str, Any] | None:
    """The filter, what of it Telegram was asked (messages.search), the matches Telegram counted and
    how many of its answers were read: a complete export read all it counted (docs/filters.md)."""
    if options.filter is None:
        return None
    return {
        "query": options.filter,
        "asked_of_telegram": run.search.to_dict() if run.search is not None else None,
        "telegram_count": run.search_count,
        "read": run.search_read if run.search is not None else None,
    }


def _media(media: MediaResult) -> dict[str, Any]:
    return {
        "downloaded": len(media.written),
        "bytes": sum(f["size"] for f in media.written.values()),
        "files": media.written,
        # Chosen, but not in this archive: Telegram refused them, they stalled, or the export stopped.
        "not_downloaded": media.missing,
        "sentences": media.sentences,
        # Incremental exports: references to files an earlier archive holds (same paths there).
        "in_earlier_archives": media.earlier,
    }
