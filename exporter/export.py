"""One export from start to archive: plan → fetch → store → media → render → package.

Each step has its module: ``options`` (what is asked), ``plan`` (which id
ranges or topics to read), ``fetch`` (reading them concurrently into the
per-export store, which orders and de-duplicates), ``media.stage`` (choosing,
naming and downloading the files the messages hold), rendering reads the store
back in order, ``manifest`` (what the archive holds against what Telegram
promised), ``archive`` (zip parts), ``workdir`` (the resumable work folder and
its lock) and ``errors`` (one sentence per fault).  This module tells the story
that calls them.

Resuming: the plan and each range's cursor live in the store next to the
messages, and each file's name and outcome next to them.  Run an export again
with the same work folder after a crash, a kill or a lost connection and it
continues where it stopped; rendering and packaging simply run again from the
store.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import Iterable
from contextlib import AsyncExitStack, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from telethon import TelegramClient, errors

from db.comments import CommentReader
from db.private import make_private_dir
from db.store import StoreOverview, StoreReader
from db.timing_report import TimingReport

from . import archive, workdir
from .completeness import count_mismatch, with_header_topics
from .errors import DiskFull, ExportError, WorkStoreDamaged, explain, is_disk_full
from .fetch import fetch
from .gc_threshold import raised_gc_threshold
from .manifest import make_manifest
from .media.connections import learn_dc_addresses
from .media.stage import MEDIA_DIR, media_stage
from .media.userpics import userpics_stage
from .media.warmup import MediaWarmup
from .options import ExportOptions
from .render import render_formats
from .render.forum_split import RenderHelper
from .render.local_time import LocalTime
from .render.model import PAGE_SIZE, ChatInfo, TopicInfo
from .run import ExportRun, Progress, ProgressListener
from .targets import ResolvedTarget
from .timing import PACKAGING, RENDERING, PhaseClock

# The engine's face: what callers of export_chat need (Progress is what a listener receives).
__all__ = ["STORE_FILE", "ExportResult", "Progress", "ProgressListener", "export_chat"]

STORE_FILE = "messages.sqlite"


@dataclass
class ExportResult:
    chat: ChatInfo
    parts: list[archive.ArchivePart]
    manifest: dict[str, Any]
    report: TimingReport
    complete: bool
    reason: str | None = None
    # Highest message id per topic (None outside forums): where the next incremental export starts.
    last_ids: dict[int | None, int] = field(default_factory=dict)
    # Telegram's identity of each file in this archive → its path there: what the next incremental
    # export need not download again (see export_chat's ``earlier_files``).
    files: dict[str, str] = field(default_factory=dict)


async def export_chat(
    client: TelegramClient,
    target: ResolvedTarget,
    options: ExportOptions,
    out_dir: Path,
    *,
    work_dir: Path | None = None,
    on_progress: ProgressListener | None = None,
    keep_work_dir: bool = False,
    earlier_files: Iterable[tuple[str, str]] = (),
) -> ExportResult:
    """Export one chat into ``out_dir``.

    ``earlier_files``: for an incremental export, the files earlier archives of this chat hold
    (``ExportResult.files`` of each): records point at their paths instead of downloading them again,
    and new files take other names, so the archives can be unzipped into one folder.

    ``work_dir`` keeps the resumable store: pass the same folder again after an
    interruption to continue.  It is deleted once the archive is written, unless
    ``keep_work_dir`` (the bot deletes it once the archive is delivered)."""
    options.check()
    work_dir = work_dir or workdir.default_work_dir(out_dir, target.chat, options)
    resuming = (work_dir / STORE_FILE).exists()
    make_private_dir(out_dir)
    make_private_dir(work_dir)
    # Pages in flight would otherwise run the cyclic collector once a page (exporter/gc_threshold.py).
    with workdir.locked(work_dir), raised_gc_threshold(), RenderHelper() as helper:
        try:
            return await _export_locked(
                client,
                target,
                options,
                out_dir,
                work_dir,
                on_progress,
                resuming,
                keep_work_dir,
                earlier_files,
                helper,
            )
        except (OSError, sqlite3.Error) as exc:
            # What was fetched stays in the work folder: the next run continues from it.
            if is_disk_full(exc):
                filename = exc.filename if isinstance(exc, OSError) else None
                where = Path(filename).parent if filename else workdir.fullest(work_dir, out_dir)
                raise DiskFull(where) from exc
            if isinstance(exc, sqlite3.DatabaseError):
                raise WorkStoreDamaged(work_dir, str(exc)) from exc
            raise


async def _export_locked(
    client: TelegramClient,
    target: ResolvedTarget,
    options: ExportOptions,
    out_dir: Path,
    work_dir: Path,
    on_progress: ProgressListener | None,
    resuming: bool,
    keep_work_dir: bool,
    earlier_files: Iterable[tuple[str, str]],
    helper: RenderHelper,
) -> ExportResult:
    clock = PhaseClock()
    workdir.remove_unfinished_archive(work_dir)
    store_path = work_dir / STORE_FILE
    store = workdir.open_store(work_dir, STORE_FILE)
    run = ExportRun(
        target.chat, store, clock, on_progress, after=dict(options.after), work_dir=work_dir, out_dir=out_dir
    )
    warmup = MediaWarmup(client, run, options)
    # Comments under posts are rendered in this process alone (exporter/render/chat_split.py).
    shared_pages = "html" in options.formats and not (options.comments and not target.chat.is_forum)

    def planned(expected: int | None) -> None:
        # Once the plan tells the chat's size: the helper's imports overlap reading, and the media
        # stage's first round trips its end (exporter/media/warmup.py).
        if shared_pages:
            helper.start(expected)
        warmup.start(expected)

    run.planned = planned
    addresses = asyncio.create_task(learn_dc_addresses(client))
    # The takeout, when asked for, stays open until a forum's topic counts are in (exporter/topics.py).
    async with AsyncExitStack() as session:
        try:
            name = store.get_meta("name")
            if name is None:
                naming = workdir.title_name if options.raw_title else workdir.export_name
                name = naming(target.chat)
                store.set_meta("name", name)
            reason = await fetch(client, run, target, options, session)
            if run.counting is not None:
                # A no-op once the counts are in; stops them when a step below fails.
                session.callback(run.counting.cancel)
            await warmup.settle()
            media = await media_stage(
                client,
                run,
                target,
                options,
                work_dir / MEDIA_DIR,
                earlier_files,
                fetched_all=reason is None,
                connections=warmup.connections,
            )
            userpics = await userpics_stage(
                client,
                run,
                options,
                work_dir / MEDIA_DIR,
                media,
                earlier_files,
                input_peer=target.input_peer,
                fetched_all=reason is None,
            )
            if target.chat.is_forum:
                store.index_topics()
        except ExportError:
            store.close()
            if not resuming:
                shutil.rmtree(work_dir, ignore_errors=True)
            raise
        finally:
            await warmup.close()
            store.close()
            addresses.cancel()
        reason = reason or media.reason

        run.emit("rendering")
        render_dir = work_dir / "export"
        files, overview, seconds = await asyncio.to_thread(
            _render, store_path, render_dir, run, options.formats, options.time_zone, userpics, helper
        )
        clock.add(RENDERING, seconds)
        reason = reason or await _counted(run)
    complete = reason is None

    run.emit("packaging")
    manifest = make_manifest(
        run,
        options,
        render_dir,
        files,
        complete,
        reason,
        replace(clock.report(run.done, run.already_saved), media=media.stats()),
        overview,
        media,
    )
    mismatch = count_mismatch(manifest) if complete else None
    if mismatch is not None:
        complete, reason = False, mismatch
        manifest.update(complete=False, reason=reason)
    last_ids = {c.topic_id: c.last_id for c in overview.counts if c.last_id}
    # An incomplete export is delivered too (never lose what was read), but its name says so.
    destination = workdir.reserve(out_dir / (f"{name}.zip" if complete else f"{name}.PARTIAL.zip"), work_dir)
    parts, seconds = await asyncio.to_thread(
        archive.package, render_dir, files, manifest, destination, options.part_size, media.files
    )
    workdir.packaged(work_dir)
    clock.add(PACKAGING, seconds)
    clock.finish()
    if complete and not keep_work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)
    run.emit("done")
    return ExportResult(
        target.chat,
        parts,
        manifest,
        replace(clock.report(run.done, run.already_saved), media=media.stats()),
        complete,
        reason,
        last_ids,
        media.keys,
    )


async def _counted(run: ExportRun) -> str | None:
    """Waits for the topic counts asked after reading; the reason the export is incomplete when
    Telegram did not give them (the archive is delivered all the same, and says so)."""
    if run.counting is None:
        return None
    try:
        await run.counting
    except (errors.RPCError, errors.AuthKeyNotFound, ConnectionError, OSError) as exc:
        return explain(exc)
    return None


def _render(
    store_path: Path,
    out_dir: Path,
    run: ExportRun,
    formats: tuple[str, ...],
    time_zone: str,
    userpics: dict[str, str],
    helper: RenderHelper,
) -> tuple[list[Path], StoreOverview, float]:
    started = time.perf_counter()
    if out_dir.exists():
        # A resumed export renders again from the store; nothing of an interrupted run stays.
        shutil.rmtree(out_dir)
    comment_reader = CommentReader(store_path) if run.with_comments else nullcontext()
    with StoreReader(store_path) as reader, comment_reader as comments:
        overview = reader.overview(PAGE_SIZE)
        if run.chat.is_forum:
            # Topics missing from Telegram's list still get their pages and manifest lines.
            run.topics = with_header_topics(run.topics, (c.topic_id for c in overview.counts))
        topics = _counted_topics(run, overview) if run.chat.is_forum else None
        files = render_formats(
            reader,
            out_dir,
            run.chat,
            topics,
            formats,
            overview.page_starts,
            LocalTime(time_zone),
            comments,
            userpics=userpics,
            helper=helper,
        )
    return files, overview, time.perf_counter() - started


def _counted_topics(run: ExportRun, overview: StoreOverview) -> list[TopicInfo]:
    counts = {c.topic_id: c.messages for c in overview.counts}
    return [
        TopicInfo(t.id, t.title, t.closed, t.hidden, t.icon_color, message_count=counts.get(t.id, 0))
        for t in run.topics
    ]
