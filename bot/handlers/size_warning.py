"""The warning before a big export: the chosen files would make more archive parts than
``warn_above_parts``, so the bot says how many and offers fewer files, one tap each.

Parts are what the user has to download and join (``cat NAME.zip.0* > NAME.zip``), 50 MB each
through the cloud Bot API; a video collection chosen with "All files" easily makes dozens. The size
is estimated before anything is exported, from the newest messages (exporter.estimate: two history
pages, the files the settings choose, scaled to the chat's message count), so the warning comes at
once. The smaller choices are estimated from the same pages: photos only (when more than photos was
chosen) and no media. A choice made here is for this export; the media row remembers its own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telethon import errors

from db import JobKind
from exporter.estimate import ArchiveEstimate, HistorySample, sample_history
from exporter.media.progress import human_bytes
from exporter.media.selection import Selection
from exporter.options import ExportOptions
from exporter.targets import ResolvedTarget

from .. import text
from ..context import App

log = logging.getLogger(__name__)
# Button data of the warning's answers (the options screen's own are other letters).
ANYWAY = "xgo"
SMALLER = {"xphotos": ("photos",), "xnone": ()}
BACK = "back"
# The estimate is two history requests; a Telegram slower than this gets no warning, not a wait.
ESTIMATE_SECONDS = 15.0


def is_answer(choice: str) -> bool:
    return choice == ANYWAY or choice in SMALLER


def apply(picked: dict[str, Any], choice: str) -> None:
    """A smaller choice replaces the files chosen for this export."""
    if choice in SMALLER:
        picked["media"] = list(SMALLER[choice])


async def check(
    app: App, user_id: int, target: ResolvedTarget, kind: JobKind, options: ExportOptions
) -> tuple[str, list[tuple[str, str]]] | None:
    """The warning's text and its (label, choice) buttons, or None: few enough parts, no files
    chosen, topics chosen (the sample is the whole forum's), or no estimate (Telegram refused or was
    slow; the export is not held up for it)."""
    if not options.media:
        return None
    if options.topics:
        # The sample is the newest messages of the whole forum (messages.getHistory), not of the
        # chosen topics: their files could be none of those sampled, so no warning, not a wrong one.
        return None
    min_id = 0
    if kind == JobKind.INCREMENTAL:
        after = await app.checkpoints.last_exported(user_id, target.chat.id)
        min_id = min(after.values(), default=0)
    try:
        async with asyncio.timeout(ESTIMATE_SECONDS):
            sample = await sample_history(app.client, target.input_peer, since=options.since, min_id=min_id)
    except (errors.RPCError, ConnectionError, TimeoutError) as exc:
        log.warning("no size estimate for %s: %r", target.chat.id, exc)
        return None
    part_size = app.settings.part_size_bytes
    chosen = sample.estimate(Selection.of(options))
    parts = chosen.parts(part_size)
    if parts <= app.settings.warn_above_parts:
        return None
    lines = [
        text.BIG_ARCHIVE.format(
            size=human_bytes(chosen.bytes), parts=parts, part_size=human_bytes(part_size)
        ),
        _basis(chosen),
        "",
        text.FEWER_FILES,
    ]
    buttons = [(text.EXPORT_ANYWAY, ANYWAY)]
    for choice, kinds in SMALLER.items():
        if set(kinds) >= set(options.media):
            continue  # not smaller than what was chosen
        smaller = _estimate(sample, kinds, options)
        count = smaller.parts(part_size)
        if kinds:
            template = text.SMALLER_PHOTOS_PARTS if count > 1 else text.SMALLER_PHOTOS
        else:
            template = text.SMALLER_NONE_PARTS if count > 1 else text.SMALLER_NONE
        label = template.format(size=human_bytes(smaller.bytes), parts=count)
        lines.append(label)
        buttons.append((label, choice))
    buttons.append((text.BACK, BACK))
    return "\n".join(lines), buttons


def _estimate(sample: HistorySample, kinds: tuple[str, ...], options: ExportOptions) -> ArchiveEstimate:
    return sample.estimate(Selection(frozenset(kinds), options.max_file_size))


def _basis(estimate: ArchiveEstimate) -> str:
    if estimate.whole:
        return text.COUNTED_FROM_ALL.format(messages=estimate.messages)
    return text.ESTIMATED_FROM_NEWEST.format(sampled=estimate.sampled, messages=estimate.messages)
