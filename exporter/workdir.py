"""The per-export work folder: one run at a time, a damaged store named as such, room checked first.

The lock is an advisory ``flock`` on a file in the folder (the stdlib is
enough for one file): the kernel drops it when the process dies, so a killed
export never leaves a stale lock behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from db.store import ExportStore

from .errors import DiskFull, ExportAlreadyRunning, ExportError, WorkStoreDamaged, is_disk_full

LOCK_FILE = "lock"
# Disk use per message at its peak (the store, the rendered files and the zip side by side), measured
# on the sandbox's "small" scenario with json+html: about 2.6 KB. A real chat's messages are longer, so
# only an export that clearly will not fit (even at this figure) is refused before it starts.
BYTES_PER_MESSAGE = 2_600


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
    needed = messages * BYTES_PER_MESSAGE
    free = shutil.disk_usage(_existing(work_dir)).free
    if _existing(out_dir).stat().st_dev != _existing(work_dir).stat().st_dev:
        free = min(free, shutil.disk_usage(_existing(out_dir)).free)
    if needed > free:
        raise ExportError(
            f"This export needs about {needed / 1_000_000:.1f} MB ({messages:,} messages × about "
            f"{BYTES_PER_MESSAGE:,} bytes) but only {free / 1_000_000:.1f} MB are free at {work_dir}: "
            "free some space or choose another folder."
        )


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def reserve(destination: Path) -> Path:
    """A destination no other export uses: ``NAME.zip``, else ``NAME-2.zip``, …

    The reservation is the ``.partial`` file that archive.write_zip writes into, created
    exclusively, so two exports of one chat in the same second never share a name."""
    stem, suffix = destination.name.removesuffix(".zip"), ".zip"
    destination.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        name = f"{stem}{suffix}" if attempt == 1 else f"{stem}-{attempt}{suffix}"
        candidate = destination.with_name(name)
        if candidate.exists() or candidate.with_name(f"{name}.001").exists():
            continue
        try:
            os.close(os.open(candidate.with_name(f"{name}.partial"), os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return candidate
    raise OSError(errno.EEXIST, "no free archive name", str(destination))
