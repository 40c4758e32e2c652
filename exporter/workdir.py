"""The per-export work folder: one run at a time, a damaged store named as such, room checked first.

The folder is named by the chat and the options, so the same export always
lands in the same folder and running it again resumes it; the archive is named
by the chat and the time the export began.

The lock is an advisory ``flock`` on a file in the folder (the stdlib is
enough for one file): the kernel drops it when the process dies, so a killed
export never leaves a stale lock behind.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import os
import shutil
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from db.store import ExportStore

from .archive import partial_path, split_parts
from .errors import DiskFull, ExportAlreadyRunning, ExportError, WorkStoreDamaged, is_disk_full
from .options import ExportOptions
from .render.model import ChatInfo
from .render.names import safe_filename

LOCK_FILE = "lock"
# The archive a run is writing (its path), from its reservation until it is written.
PACKAGING_FILE = "packaging"
# Disk use per message, measured on the sandbox's "small" scenario with json+html: the work folder
# (store and rendered files) 1,350-1,450 bytes, the zip 115-160 bytes. Real messages are longer, so
# only an export that will not fit even at these figures is refused before it starts.
WORK_BYTES_PER_MESSAGE = 1_350
ARCHIVE_BYTES_PER_MESSAGE = 115


@contextmanager
def locked(work_dir: Path) -> Iterator[None]:
    """Hold the folder's lock for one run; a second run of the same export is refused at once."""
    fd = os.open(work_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ExportAlreadyRunning(work_dir) from None
    try:
        yield
    finally:
        os.close(fd)


def open_store(work_dir: Path, store_file: str) -> ExportStore:
    """The folder's store, or WorkStoreDamaged naming the folder when SQLite cannot read it."""
    try:
        store = ExportStore(work_dir / store_file)
        store.get_meta("name")
    except sqlite3.DatabaseError as exc:
        if is_disk_full(exc):
            raise DiskFull(work_dir) from exc
        raise WorkStoreDamaged(work_dir, str(exc)) from exc
    return store


def discard(work_dir: Path) -> None:
    """Delete an export's work folder to start it over, unless that export is running now."""
    if not work_dir.exists():
        return
    with locked(work_dir):
        shutil.rmtree(work_dir)


def check_room(work_dir: Path, out_dir: Path, messages: int | None) -> None:
    """Refuse an export that will not fit even at the smallest measured size per message."""
    if not messages:
        return
    work, out = _existing(work_dir), _existing(out_dir)
    needs = {work: messages * WORK_BYTES_PER_MESSAGE}
    archive = messages * ARCHIVE_BYTES_PER_MESSAGE
    if out.stat().st_dev == work.stat().st_dev:
        needs[work] += archive
    else:
        needs[out] = archive
    for folder, needed in needs.items():
        free = shutil.disk_usage(folder).free
        if needed > free:
            raise ExportError(
                f"This export needs at least {needed / 1_000_000:.1f} MB ({messages:,} messages × about "
                f"{needed // messages:,} bytes) but only {free / 1_000_000:.1f} MB are free at {folder}: "
                "free some space or choose another folder."
            )


def fullest(*folders: Path) -> Path:
    """The folder with the least free space: where a write without a file name most likely failed."""
    return min(folders, key=lambda folder: shutil.disk_usage(_existing(folder)).free)


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def reserve(destination: Path, work_dir: Path | None = None) -> Path:
    """A destination no other export uses: ``NAME.zip``, else ``NAME-2.zip``, …

    The reservation is the ``.partial`` file that archive.write_zip writes into, created
    exclusively, so two exports of one chat in the same second never share a name. With a
    ``work_dir``, the folder remembers it until ``packaged``: a run killed while packaging leaves
    that file behind, and only this export's next run may remove it (remove_unfinished_archive)."""
    stem, suffix = destination.name.removesuffix(".zip"), ".zip"
    destination.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        name = f"{stem}{suffix}" if attempt == 1 else f"{stem}-{attempt}{suffix}"
        candidate = destination.with_name(name)
        if candidate.exists() or candidate.with_name(f"{name}.001").exists():
            continue
        # Noted before the file is made: a kill between the two must leave nothing unnoted (the
        # test that kills once the .partial appears landed there twice in three runs).
        if work_dir is not None:
            _note_packaging(work_dir, candidate)
        try:
            os.close(os.open(partial_path(candidate), os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            if work_dir is not None:
                packaged(work_dir)  # another export's: never this one's to remove
            continue
        return candidate
    raise OSError(errno.EEXIST, "no free archive name", str(destination))


def _note_packaging(work_dir: Path, destination: Path) -> None:
    note = work_dir / PACKAGING_FILE
    temporary = note.with_name(f"{PACKAGING_FILE}.tmp")
    temporary.write_text(str(destination.resolve()), encoding="utf-8")
    os.replace(temporary, note)


def packaged(work_dir: Path) -> None:
    """The archive reserve noted is written: nothing of it is left to remove."""
    (work_dir / PACKAGING_FILE).unlink(missing_ok=True)


def remove_unfinished_archive(work_dir: Path) -> None:
    """What an earlier run of this export, killed while packaging, left in the output folder: its
    ``.partial`` zip, and the parts of a split it had begun (the zip they were being cut from is
    whole, and stays). Found killing the forum export of tests/exporter/test_resume.py under load:
    the rerun's archive was right, and beside it lay the killed run's ``.zip.partial``."""
    note = work_dir / PACKAGING_FILE
    try:
        destination = Path(note.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    partial_path(destination).unlink(missing_ok=True)
    if destination.exists():
        for part in split_parts(destination):
            part.unlink(missing_ok=True)
    note.unlink()


def default_work_dir(out_dir: Path, chat: ChatInfo, options: ExportOptions) -> Path:
    """The same chat with the same options always lands in the same folder, so running an
    interrupted export again resumes it."""
    digest = hashlib.sha256(orjson.dumps(options.identity(), option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]
    return out_dir / ".work" / f"{chat.id}-{digest}"


def export_name(chat: ChatInfo) -> str:
    """``Title_words-ID-YYYYMMDD-HHMMSS``: the chat's words joined by "_", so the archive's name needs
    no quotes in a shell (no spaces, emoji or punctuation; letters of every script stay, so a
    Cyrillic or Arabic title is still recognisable), with the id telling apart chats of one title."""
    return _stamped(_shell_words(chat.name or ""), chat)


def title_name(chat: ChatInfo) -> str:
    """``Title as written-ID-YYYYMMDD-HHMMSS``, for whoever asked for the raw title
    (``ExportOptions.raw_title``): spaces and emoji stay; only what no file system takes (``/``,
    Windows' forbidden characters, control and direction characters) goes, as in any file name."""
    return _stamped(chat.name or "", chat)


def _stamped(title: str, chat: ChatInfo) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{safe_filename(title, fallback=chat.type, max_bytes=60)}-{chat.id}-{stamp}"


def _shell_words(title: str) -> str:
    """Letters (with their combining marks, which Devanagari or Arabic words need) and digits of
    ``title``; every other run of characters becomes one "_", none at either end."""
    kept = [ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in unicodedata.normalize("NFC", title)]
    return "_".join("".join(kept).split())
