"""The archive: one zip of everything rendered, the downloaded files and ``manifest.json``, cut into parts.

Parts are plain byte slices of the zip (``NAME.zip.001``, ``.002``, …) so that
each fits one Bot API upload and the whole comes back with common tools: ``cat NAME.zip.0* >
NAME.zip`` (``copy /b`` on Windows), or open ``NAME.zip.001`` in 7-Zip.  A zip that fits in one
part is sent as ``NAME.zip``.  A file larger than a part (a 200 MB video) is cut like everything
else: parts are slices of the zip's bytes, not of its members.
"""

from __future__ import annotations

import glob
import hashlib
import json
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.private import make_private, make_private_dir, private_opener

# The Bot API's upload limits (https://core.telegram.org/bots/api#sending-files: "up to 50 MB", and
# "up to 2000 MB" through a local server). Cloud: read as 50,000,000 bytes for the whole request (the
# stricter reading; users report 50 MiB files refused). Local: telegram-bot-api's HTTP reader refuses
# a file over 2000 MiB (tdnet/td/net/HttpReader.h: MAX_FILE_SIZE = 2000 << 20).
CLOUD_UPLOAD_LIMIT = 50_000_000
LOCAL_UPLOAD_LIMIT = 2000 << 20
# The most a sendDocument request carries besides the part, as aiogram 3 builds its multipart form
# (chat_id, message_thread_id, caption, "attach://" and the file, each with a boundary and headers):
# measured 766 bytes with the longest ids, so 1 KiB, plus a caption of 1024 characters of 4 UTF-8
# bytes each and a file name of 255 bytes (NAME_MAX; archive names are safe names, nothing escaped).
# The longest request measured was 5,117 bytes over its part (tests/bot/test_big_archives.py).
UPLOAD_ENVELOPE = 1024 + 4 * 1024 + 255


def part_size_for(upload_limit: int) -> int:
    """The largest part whose sendDocument request stays within ``upload_limit`` bytes."""
    return upload_limit - UPLOAD_ENVELOPE


DEFAULT_PART_SIZE = part_size_for(CLOUD_UPLOAD_LIMIT)
MANIFEST = "manifest.json"
_CHUNK = 1024 * 1024


def partial_path(destination: Path) -> Path:
    """The file a zip is written into until it is whole: the reservation of its name too
    (exporter.workdir.reserve)."""
    return destination.with_name(destination.name + ".partial")


def split_parts(destination: Path) -> list[Path]:
    """The parts ``split`` has cut from ``destination`` so far."""
    return sorted(destination.parent.glob(f"{glob.escape(destination.name)}.[0-9][0-9][0-9]"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class ArchivePart:
    path: Path
    size: int
    sha256: str
    index: int
    count: int


def file_checksums(root: Path, files: Iterable[Path]) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): sha256_of(path) for path in sorted(files)}


def write_zip(
    root: Path,
    files: Iterable[Path],
    manifest: dict[str, Any],
    destination: Path,
    media: Sequence[tuple[Path, str]] = (),
) -> Path:
    """Zip ``files`` (paths under ``root``) with the manifest first, so a reader finds it at once,
    then the downloaded ``media`` as (file, path in the archive)."""
    make_private_dir(destination.parent)
    _make_private_tree(root, files)
    partial = partial_path(destination)
    # Level 1: the export is mostly JSON and HTML, for which zlib's fastest level costs a third of
    # the CPU of the default 6 for an archive about a fifth larger (sandbox channel: 10.1 vs 8.3 MB).
    with (
        open(partial, "wb", opener=private_opener) as raw,
        zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
    ):
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        for path in sorted(files):
            archive.write(path, path.relative_to(root).as_posix())
        for path, name in media:
            # Stored as they are: photos, videos and voice are compressed already. Measured on 64 MiB
            # of random bytes (as incompressible as a JPEG) on this 2-core machine: zlib level 1 took
            # 2.2 s (29 MB/s) for a zip 0.03 % larger, storing 0.06 s (1 GB/s).
            archive.write(path, name, compress_type=zipfile.ZIP_STORED)
    # Only a finished zip gets its real name: a crash never leaves one that looks whole.
    partial.replace(destination)
    return destination


def _make_private_tree(root: Path, files: Iterable[Path]) -> None:
    """The renderers create files with the umask's mode inside the owner-only work folder; what
    is kept of them (a CLI --keep, the bot until delivery) is owner-only itself too."""
    folders = {root}
    for path in files:
        make_private(path)
        folders.update(parent for parent in path.parents if parent.is_relative_to(root))
    for folder in folders:
        make_private(folder)


def split(archive: Path, part_size: int = DEFAULT_PART_SIZE) -> list[ArchivePart]:
    """Cut the zip into parts of at most ``part_size`` bytes (none if it already fits)."""
    if part_size <= 0:
        raise ValueError("part size must be positive")
    size = archive.stat().st_size
    if size <= part_size:
        return [ArchivePart(archive, size, sha256_of(archive), 1, 1)]
    count = -(-size // part_size)
    parts = []
    with archive.open("rb") as source:
        for index in range(1, count + 1):
            path = archive.with_name(f"{archive.name}.{index:03d}")
            digest = hashlib.sha256()
            written = 0
            with open(path, "wb", opener=private_opener) as out:
                while written < part_size:
                    chunk = source.read(min(_CHUNK, part_size - written))
                    if not chunk:
                        break
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
            parts.append(ArchivePart(path, written, digest.hexdigest(), index, count))
    archive.unlink()
    return parts


def package(
    root: Path,
    files: list[Path],
    manifest: dict[str, Any],
    destination: Path,
    part_size: int,
    media: Sequence[tuple[Path, str]] = (),
) -> tuple[list[ArchivePart], float]:
    """Zip and split; returns the parts and the seconds it took (timed here, in the worker thread)."""
    started = time.perf_counter()
    try:
        parts = split(write_zip(root, files, manifest, destination, media), part_size)
    except BaseException:
        # A full disk or a kill mid-write: no truncated zip or part may stay to look like an archive.
        for leftover in (partial_path(destination), destination, *split_parts(destination)):
            leftover.unlink(missing_ok=True)
        raise
    return parts, time.perf_counter() - started
