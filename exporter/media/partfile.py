"""A file on its way to disk: ``<dest>.part`` and its log ``<dest>.part.log``, resumable after kill -9.

Parts arrive in any order (several are in flight), and each is written at its offset as soon as it
arrives, then logged as one line ``<index> <crc32>``: a part is in the log only once all its bytes
were handed to the kernel. After a kill at any moment the log names every part that is whole on disk;
the one part being written at that moment is fetched again, and so are the parts still in flight,
whose bytes never reached us. A torn last line is ignored. The log's first line is a JSON header
naming the file (key, size, part size): a ``.part`` left by another file under the same name is
started afresh.

Resuming reads every logged part back once and checks its CRC-32, so a part the machine lost (a
power cut after the process logged it) is fetched again rather than trusted. SHA-256 runs over the
parts in file order while they come: parts that arrive ahead of a missing one wait in memory (at most
``keep`` of them) or are read back from disk when their turn comes. Memory stays at a few parts
whatever the file's size. Both files are the owner's alone (0600), as every file of an export.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path

from db.private import private_opener

from .spec import Downloaded

_LOG_VERSION = 1


class SizeMismatch(Exception):
    """Telegram's bytes do not add up to the size the file was announced with."""


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def log_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.log")


class PartFile:
    def __init__(self, dest: Path, key: str, size: int, part_size: int, *, keep: int = 8) -> None:
        self.dest, self.key, self.size, self.part_size, self.keep = dest, key, size, part_size, keep
        self.count = -(-size // part_size)
        self.done: set[int] = set()
        self.resumed_bytes = 0
        self._sha = hashlib.sha256()
        self._hashed = 0  # parts [0, _hashed) are in the digest
        self._held: dict[int, bytes] = {}
        self._fd = -1
        self._log = -1

    # -- opening

    @classmethod
    def open(cls, dest: Path, key: str, size: int, part_size: int, *, keep: int = 8) -> PartFile:
        """Open (or resume) the partial file. Blocking: reads back what an earlier run wrote."""
        part = cls(dest, key, size, part_size, keep=keep)
        part._open()
        return part

    def _header(self) -> str:
        return json.dumps(
            {"v": _LOG_VERSION, "key": self.key, "size": self.size, "part_size": self.part_size},
            sort_keys=True,
        )

    def _open(self) -> None:
        data, log = part_path(self.dest), log_path(self.dest)
        if self.count <= 1:
            # One part is whole or not there: nothing to resume, so no log (a third of the syscalls
            # of a small file, which is most files).
            log.unlink(missing_ok=True)
            self._fd = private_opener(data, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
            return
        logged = self._read_log(log)
        if logged is None:
            # Nothing of this file yet (or another file's leftovers): start afresh.
            self._fd = private_opener(data, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
            self._log = private_opener(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
            os.write(self._log, (self._header() + "\n").encode())
            return
        self._fd = private_opener(data, os.O_RDWR | os.O_CREAT)
        for index in sorted(logged):
            chunk = os.pread(self._fd, self._length(index), index * self.part_size)
            if len(chunk) != self._length(index) or zlib.crc32(chunk) != logged[index]:
                continue
            self.done.add(index)
            self.resumed_bytes += len(chunk)
            if index == self._hashed:
                self._sha.update(chunk)
                self._hashed += 1
        # Rewrite the log with the parts that passed, so a bad line never survives another run.
        self._log = private_opener(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
        lines = [self._header()] + [f"{i} {logged[i]}" for i in sorted(self.done)]
        os.write(self._log, ("\n".join(lines) + "\n").encode())

    def _read_log(self, log: Path) -> dict[int, int] | None:
        try:
            text = log.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return None
        if not part_path(self.dest).exists():
            return None
        lines = text.split("\n")
        if not lines or lines[0] != self._header():
            return None
        logged: dict[int, int] = {}
        # The last element is '' after a whole last line, or a torn line: never trusted.
        for line in lines[1:-1]:
            fields = line.split()
            if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
                index = int(fields[0])
                if index < self.count:
                    logged[index] = int(fields[1])
        return logged

    # -- parts

    def _length(self, index: int) -> int:
        return min(self.part_size, self.size - index * self.part_size)

    def missing(self) -> list[int]:
        return [i for i in range(self.count) if i not in self.done]

    @property
    def closed(self) -> bool:
        return self._fd < 0

    @property
    def bytes_on_disk(self) -> int:
        return sum(self._length(i) for i in self.done)

    def write(self, index: int, data: bytes) -> None:
        """Write a part at its offset and log it (blocking; a few hundred µs a MiB to the page cache)."""
        if len(data) != self._length(index):
            raise SizeMismatch(
                f"part {index} has {len(data)} bytes where a file of {self.size} bytes has "
                f"{self._length(index)}"
            )
        written = os.pwrite(self._fd, data, index * self.part_size)
        if written != len(data):
            raise OSError(f"short write to {part_path(self.dest)}: {written} of {len(data)} bytes")
        if self._log >= 0:
            os.write(self._log, f"{index} {zlib.crc32(data)}\n".encode())
        # Held before it is marked done: hash_ready (in a worker thread) takes it from memory then,
        # and never finds a part done whose bytes it would have to read back needlessly.
        if index >= self._hashed and len(self._held) < self.keep:
            self._held[index] = data
        self.done.add(index)

    def hash_ready(self) -> None:
        """Feed SHA-256 the parts that now follow the hashed prefix (blocking: hashing and reading back).
        Only one call at a time per file."""
        while self._hashed < self.count and self._hashed in self.done:
            index = self._hashed
            chunk = self._held.pop(index, None)
            if chunk is None:
                chunk = os.pread(self._fd, self._length(index), index * self.part_size)
            self._sha.update(chunk)
            self._hashed += 1

    def finish(self) -> Downloaded:
        """Every part is written and hashed: check the size, put the file in place, drop the log."""
        self.hash_ready()
        if self._hashed != self.count:
            raise RuntimeError(f"{self.dest}: finished with parts missing")
        length = os.fstat(self._fd).st_size
        if length != self.size:
            raise SizeMismatch(f"{length} bytes on disk where the file has {self.size}")
        self.close()
        os.replace(part_path(self.dest), self.dest)
        if self.count > 1:
            log_path(self.dest).unlink()
        return Downloaded(self.dest, self.size, self._sha.hexdigest())

    def close(self) -> None:
        for fd in (self._fd, self._log):
            if fd >= 0:
                os.close(fd)
        self._fd = self._log = -1
        self._held.clear()
