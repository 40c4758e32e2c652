"""The media stage: after fetching, before rendering, every file the records name is chosen, named,
downloaded once, and its outcome stored for the renderers.

1. Custom emoji documents are asked for (messages.getCustomEmojiDocuments, 100 ids a request as
   Desktop asks: kMaxEmojiPerRequest).
2. The naming pass walks the stored files in the order Telegram Desktop parses and loads them
   (exporter.media.naming): messages in slices of 100 (kMessagesSliceLimit), each slice's files
   numbered in message order, then the slice's new custom emoji (Desktop resolves them after
   parsing the slice, from a sorted set, 100 at a time from its end); then each file, in load order
   (a message's emoji, its file, its thumbnail), is pointed at a file already written (same
   Telegram identity: stored once), left out with Desktop's sentence (exporter.media.selection),
   or given a free path. The pass is one transaction: a kill during it leaves nothing half named.
   It is a module of its own (exporter.media.naming_pass): it reads and writes only the store.
3. The chosen files are downloaded by the engine (exporter.media.MediaDownloader), streamed from
   the store; a vCard's bytes came with its message and are written at once. Each outcome is
   stored as it comes, so a rerun asks only for what is missing (the engine continues ``.part``
   files; a file a kill left in place but not recorded is taken as it is).
4. Every reference gets its final value: the path, or Desktop's unavailable sentence when the
   download failed or stalled; the renderers put the values into the records.

An error that ends the whole export (the session revoked, a flood wait too long) stops the stage:
what was downloaded stays, the rest is unavailable in this archive, and the export is incomplete,
so running it again continues.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telethon import TelegramClient, errors
from telethon.tl import functions as F
from telethon.tl import types as T

from db.media_store import (
    DOWNLOADED,
    PENDING,
    STALLED,
    UNAVAILABLE,
    EmojiDocument,
    FileRow,
    MediaStore,
)
from db.private import make_private_dir, private_opener
from db.timing_report import MediaStats

from ..archive import sha256_of
from ..errors import explain
from ..migrated import MIGRATED_ID_SHIFT
from ..options import ExportOptions
from ..run import ExportRun
from ..scheduler import FetchScheduler
from ..targets import ResolvedTarget
from .capture import document_facts
from .connections import MediaConnections
from .engine import MediaDownloader
from .naming_pass import CONTENT_PREFIX, EMOJI_PER_REQUEST, PLAN_KEY, name_files
from .progress import MediaProgress
from .selection import FILE_UNAVAILABLE, Selection, unavailable
from .spec import Downloaded, FileLocation, FileSpec, MessageRef, Outcome, Stalled, file_kind

MEDIA_DIR = "media"


@dataclass
class MediaResult:
    """What the stage leaves for packaging and the manifest. One entry per file in the archive, held
    until the manifest is written: measured at 54 MB for 100,000 files (tracemalloc; the manifest's
    JSON adds 15 MB while it is written), where the downloads themselves stay at a few parts."""

    # (file on disk, path in the archive) of every file written, by path.
    files: list[tuple[Path, str]] = field(default_factory=list)
    # path -> {"size", "sha256"} of each file written.
    written: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Telegram's identity -> path of each file written (a vCard's identity is its path).
    keys: dict[str, str] = field(default_factory=dict)
    # References to files an earlier archive of an incremental export holds.
    earlier: int = 0
    # Files chosen but not in the archive: path, first message, why.
    missing: list[dict[str, Any]] = field(default_factory=list)
    # References per sentence they got (files left out by the settings, or with nothing to load).
    sentences: dict[str, int] = field(default_factory=dict)
    progress: MediaProgress | None = None
    # Why the stage stopped before every file had its outcome (the export is then incomplete).
    reason: str | None = None

    def stats(self) -> MediaStats:
        """For the timing report: "media: 1.2 GB in 3 min, 6.8 MB/s", and the files unavailable."""
        progress = self.progress or MediaProgress()
        stalled = sum(1 for m in self.missing if m["status"] == "stalled")
        return MediaStats(
            files=len(self.written),
            bytes=sum(f["size"] for f in self.written.values()),
            fetched=progress.bytes_fetched,
            resumed=progress.bytes_resumed,
            seconds=progress.seconds,
            unavailable=len(self.missing),
            stalled=stalled,
        )


async def media_stage(
    client: TelegramClient,
    run: ExportRun,
    target: ResolvedTarget,
    options: ExportOptions,
    media_dir: Path,
    earlier: Iterable[tuple[str, str]] = (),
    *,
    fetched_all: bool = True,
    connections: MediaConnections | None = None,
) -> MediaResult:
    """Choose, name and download the files of the stored records (see the module's docstring);
    ``earlier``: (identity, path) of the files earlier archives of an incremental export hold.

    Only once every message is stored (``fetched_all``): Desktop numbers files in message order, so
    a message fetched later could take a number already given. The PARTIAL archive of an export that
    stopped early says its files are unavailable ("please try again later"): the next run fetches
    the rest, then names and downloads them all. ``connections``: media connections opened while
    history was read (exporter/media/warmup.py), which the caller closes."""
    media = MediaStore(run.store.connection)
    result = MediaResult()
    if not media.has_refs():
        return result
    if not fetched_all:
        media.all_unavailable(FILE_UNAVAILABLE, unavailable(emoji=True))
        result.sentences = media.references()
        return result
    make_private_dir(media_dir)
    history = history_scheduler(client, run, options)
    try:
        if run.store.get_meta(PLAN_KEY) is None:
            await ask_emoji(history, media)
            name_files(media, Selection.of(options), options.time_zone, earlier)
        else:
            await _take_finished(media, media_dir)
        await _download(client, run, target, media, media_dir, history, options, result, connections)
    except (errors.RPCError, errors.AuthKeyNotFound, ConnectionError, TimeoutError) as exc:
        result.reason = explain(exc)
    finally:
        media.settle(FILE_UNAVAILABLE, unavailable(emoji=True))
    _collect(media, media_dir, result)
    return result


def history_scheduler(client: TelegramClient, run: ExportRun, options: ExportOptions) -> FetchScheduler:
    """For the media stages' own history requests (emoji documents, fresh file references, profile
    photos): paced and flood-checked like the messages were (the engine sends file parts through a
    scheduler of its own)."""
    return FetchScheduler(
        client,
        run.clock,
        on_flood_wait=run.on_flood_wait,
        initial_concurrency=1,
        max_concurrency=4,
        longest_wait=options.longest_flood_wait,
    )


# -- 1. custom emoji


async def ask_emoji(send: Any, media: MediaStore, *, refused_unavailable: bool = True) -> None:
    """Ask for the custom emoji documents not asked for yet. ``refused_unavailable``: a batch Telegram
    refuses with a 400 is stored as not found, as Desktop does; else it stays to be asked again."""
    unknown = media.unknown_emoji()
    for start in range(0, len(unknown), EMOJI_PER_REQUEST):
        batch = unknown[start : start + EMOJI_PER_REQUEST]
        try:
            documents = await send(F.messages.GetCustomEmojiDocumentsRequest(batch))
        except errors.BadRequestError:
            # A 400 is about these ids: Desktop marks the whole batch unavailable and goes on. Any
            # other error (401 session revoked, a flood wait over the limit) ends the stage before
            # the plan is stored, so a rerun asks for this batch again.
            if not refused_unavailable:
                continue
            documents = []
        found = {d.id: d for d in documents if isinstance(d, T.Document)}
        media.put_emoji([_emoji_document(i, found.get(i)) for i in batch])


def _emoji_document(document_id: int, document: T.Document | None) -> EmojiDocument:
    if document is None:
        return EmojiDocument(document_id, False)
    flags, name = document_facts(document)
    return EmojiDocument(
        document_id,
        True,
        document.dc_id,
        document.access_hash,
        document.file_reference,
        document.size,
        document.mime_type or "",
        name,
        flags,
    )


# -- 3. downloads


async def _download(
    client: TelegramClient,
    run: ExportRun,
    target: ResolvedTarget,
    media: MediaStore,
    media_dir: Path,
    history: FetchScheduler,
    options: ExportOptions,
    result: MediaResult,
    connections: MediaConnections | None,
) -> None:
    if not media.has_pending():
        return
    # What the engine fetches (a vCard's bytes are written here, at once).
    files, nbytes = media.to_fetch()
    async with MediaDownloader(
        client,
        run.clock,
        options.media_settings,
        history=history,
        on_flood_wait=run.on_flood_wait,
        longest_flood_wait=options.longest_flood_wait,
        connections=connections,
    ) as engine:
        engine.expect(files, nbytes)
        # Said before the first file: a stage that stops on its first file (the disk full, the
        # session revoked) reports the media phase, not the fetching that ended before it. Said
        # before the engine's progress is shown: until a byte comes it has no speed or time left.
        run.emit("media")
        result.progress = run.media = engine.progress

        async def specs() -> AsyncIterator[FileSpec]:
            for row in media.pending():
                dest = media_dir / row.path
                make_private_dir(dest.parent)
                if row.content is not None:
                    sha = await asyncio.to_thread(_write, dest, row.content)
                    media.finish(row.key, DOWNLOADED, sha256=sha)
                    continue
                location = FileLocation(
                    file_kind(row.loc_kind), row.file_id, row.access_hash, row.file_reference, row.thumb_size
                )
                yield FileSpec(row.key, location, row.dc_id, row.size, dest, _message_ref(row, target))

        def done(spec: FileSpec, outcome: Outcome) -> None:
            status, sha256, reason = _status(outcome)
            media.finish(spec.key, status, sha256=sha256, reason=reason)
            run.emit("media")

        await engine.download_all(specs(), done)
    run.emit("media")


async def _take_finished(media: MediaStore, media_dir: Path) -> None:
    """A rerun takes the files an earlier run had put in place but not recorded: a kill between a
    download's rename and its record (a few milliseconds a file; the kill -9 test under CI's load
    landed there once) must not cost that file again. Only a whole file has its final name: the
    engine renames it once every part is written and its size checked (PartFile.finish)."""
    for row in media.pending():
        if row.content is not None:
            continue
        dest = media_dir / row.path
        try:
            if dest.stat().st_size != row.size:
                continue
        except FileNotFoundError:
            continue
        sha = await asyncio.to_thread(sha256_of, dest)
        media.finish(row.key, DOWNLOADED, sha256=sha)


def _message_ref(row: FileRow, target: ResolvedTarget) -> MessageRef | None:
    if row.msg_id is None:
        return None  # a custom emoji: the engine asks for its document again
    if row.ref_chat is not None:
        return MessageRef(T.InputPeerChat(row.ref_chat), row.msg_id + MIGRATED_ID_SHIFT)
    return MessageRef(target.input_peer, row.msg_id)


def _status(outcome: Outcome) -> tuple[str, str | None, str | None]:
    if isinstance(outcome, Downloaded):
        return DOWNLOADED, outcome.sha256, None
    if isinstance(outcome, Stalled):
        return STALLED, None, outcome.reason
    return UNAVAILABLE, None, outcome.reason


def _write(dest: Path, content: bytes) -> str:
    partial = dest.with_name(dest.name + ".part")
    with open(partial, "wb", opener=private_opener) as out:
        out.write(content)
    os.replace(partial, dest)
    return hashlib.sha256(content).hexdigest()


# -- what the archive and the manifest say


def _collect(media: MediaStore, media_dir: Path, result: MediaResult) -> None:
    for row in media.files(DOWNLOADED):
        result.files.append((media_dir / row.path, row.path))
        result.written[row.path] = {"size": row.size, "sha256": row.sha256}
        # A vCard has no identity on Telegram: its path stands for it, so a later archive's vCards
        # take other names.
        result.keys[f"path:{row.path}" if row.key.startswith(CONTENT_PREFIX) else row.key] = row.path
    for row in media.files(UNAVAILABLE, STALLED, PENDING):
        why = row.reason or "not downloaded: the export stopped first"
        status = "stalled" if row.status == STALLED else "unavailable"
        result.missing.append({"path": row.path, "message_id": row.msg_id, "status": status, "reason": why})
    result.sentences = media.references()
    result.earlier = media.earlier_references()
