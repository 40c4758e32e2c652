"""How the sandbox's files misbehave: expiring references, unavailable files, stalling files.

A world carries one ``FileFaults`` (``world.file_faults``); scenarios set it, ``python -m sandbox serve``
changes it with flags, tests build their own. upload.getFile asks it about every request (and turns
its answers into RPC errors); serving a message asks it for the reference to hand out. Nothing here is
on by default.

Sources:
- core.telegram.org/api/file-references: a reference "may expire"; upload.getFile then answers
  FILE_REFERENCE_EXPIRED (or another FILE_REFERENCE_ error) and the client must fetch the object
  again (messages.getMessages / channels.getMessages for a message) and retry with the fresh one.
- core.telegram.org/method/upload.getFile lists FILE_REFERENCE_EMPTY, FILE_REFERENCE_EXPIRED,
  FILE_REFERENCE_INVALID and LOCATION_INVALID.
- Telegram Desktop's export (export_api_wrap.cpp, fileRequest) counts LOCATION_INVALID,
  VERSION_INVALID and LOCATION_NOT_AVAILABLE as "file unavailable", and refreshes the reference on
  any 400 FILE_REFERENCE_*.
guess: Telegram publishes neither how long a reference lives nor how often it may be used; both are
knobs here (``reference_ttl``, ``reference_uses``), and so is the stall (Telegram Desktop's export
offers to skip a file after 5 s without progress, which is how users meet it).
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .content import M63, REFERENCE_PREFIX, file_reference, h64

# What Telegram Desktop's export treats as "file unavailable" (export_api_wrap.cpp).
UNAVAILABLE_ERRORS = ("LOCATION_INVALID", "LOCATION_NOT_AVAILABLE", "VERSION_INVALID")
# A reference as content.file_reference writes it, and as TL bytes inside a serialized message.
_REFERENCE_LEN = len(file_reference(0, 0))
_SERIALIZED_MARK = bytes([_REFERENCE_LEN]) + REFERENCE_PREFIX
_SALT_UNAVAILABLE, _SALT_STALLING, _SALT_EXPIRING = 0x0A7A, 0x57A1, 0xE4B1
_PER = 1_000_000


@dataclass(frozen=True)
class FileSet:
    """Files picked by a stable hash of their id (about ``fraction`` of all files), plus ``ids``."""

    fraction: float = 0.0
    ids: frozenset[int] = frozenset()

    def contains(self, file_id: int, salt: int) -> bool:
        if file_id in self.ids:
            return True
        return self.fraction > 0 and h64(salt, file_id) % _PER < self.fraction * _PER

    @classmethod
    def of(cls, value: float | FileSet | set[int] | frozenset[int] | list[int]) -> FileSet:
        """A fraction, ids, or a FileSet as it is."""
        if isinstance(value, FileSet):
            return value
        if isinstance(value, int | float):
            if not 0 <= value <= 1:
                raise ValueError(f"a fraction of files must be within 0..1, not {value}")
            return cls(fraction=float(value))
        return cls(ids=frozenset(int(i) for i in value))


NO_FILES = FileSet()
ALL_FILES = FileSet(fraction=1.0)


@dataclass
class _Reference:
    generation: int
    issued: float
    uses: int = 0
    expired: bool = False


@dataclass
class FileFaults:
    """Per-world file faults and the state they keep while serving.

    - ``reference_ttl``: a reference expires this many seconds after it was handed out;
    - ``reference_uses``: the n-th upload.getFile with one reference fails (at least 2, else no
      reference would ever serve a part);
    - ``expiring``: which files these two apply to (all by default, once either is set);
    - ``unavailable``: files upload.getFile refuses with ``unavailable_error`` every time;
    - ``stalling``: files whose parts from offset ``stall_at`` on get no answer for ``stall_seconds``
      after the first such request (every part asked for meanwhile waits until then).
    """

    reference_ttl: float | None = None
    reference_uses: int | None = None
    expiring: FileSet = ALL_FILES
    unavailable: FileSet = NO_FILES
    unavailable_error: str = "LOCATION_INVALID"
    stalling: FileSet = NO_FILES
    stall_seconds: float = 600.0
    stall_at: int = 0
    clock: Callable[[], float] = time.monotonic
    # What happened, for tests and --stats-file: references_expired, references_renewed, unavailable,
    # stalled_requests.
    counts: Counter[str] = field(default_factory=Counter)
    _references: dict[int, _Reference] = field(default_factory=dict)
    _stall_until: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.expiring = FileSet.of(self.expiring)
        self.unavailable = FileSet.of(self.unavailable)
        self.stalling = FileSet.of(self.stalling)
        if self.reference_uses is not None and self.reference_uses < 2:
            raise ValueError("reference_uses must be at least 2: the first use of every reference fails")
        if self.reference_ttl is not None and self.reference_ttl <= 0:
            raise ValueError("reference_ttl must be positive")
        if self.unavailable_error not in UNAVAILABLE_ERRORS:
            raise ValueError(f"unavailable_error must be one of {', '.join(UNAVAILABLE_ERRORS)}")
        if self.stall_seconds < 0 or self.stall_at < 0:
            raise ValueError("stall_seconds and stall_at must not be negative")

    @property
    def references_expire(self) -> bool:
        return self.reference_ttl is not None or self.reference_uses is not None

    def expires(self, file_id: int) -> bool:
        return self.references_expire and self.expiring.contains(file_id, _SALT_EXPIRING)

    def is_unavailable(self, file_id: int) -> bool:
        return self.unavailable.contains(file_id, _SALT_UNAVAILABLE)

    def stalls(self, file_id: int) -> bool:
        return self.stalling.contains(file_id, _SALT_STALLING)

    # -- references

    def generation(self, file_id: int) -> int:
        """The generation of the reference to hand out now: a new one once the last one expired."""
        if not self.expires(file_id):
            return 0
        now = self.clock()
        ref = self._references.get(file_id)
        if ref is None:
            ref = self._references[file_id] = _Reference(0, now)
        elif ref.expired or self._timed_out(ref, now):
            ref.generation, ref.issued, ref.uses, ref.expired = ref.generation + 1, now, 0, False
            self.counts["references_renewed"] += 1
        return ref.generation

    def reference(self, file_id: int, access_hash: int) -> bytes:
        return file_reference(file_id, access_hash, self.generation(file_id))

    def stamp(self, data: bytes, world_key: int) -> bytes:
        """A serialized message with its file's reference as handed out now (the world generates
        every message with generation 0)."""
        at = data.find(_SERIALIZED_MARK)
        if at < 0:
            return data
        start = at + 1
        generation, file_id, _check = struct.unpack_from("<IQQ", data, start + len(REFERENCE_PREFIX))
        current = self.generation(file_id)
        if current == generation:
            return data
        # every plan's access hash is h64(world key, file id) (content._photo_plan, _doc_plan, media)
        fresh = file_reference(file_id, h64(world_key, file_id) & M63, current)
        return data[:start] + fresh + data[start + _REFERENCE_LEN :]

    def reference_error(self, file_id: int, access_hash: int, reference: bytes) -> str | None:
        """The FILE_REFERENCE_* error Telegram would give for this reference, or None (a use counted)."""
        if not reference:
            return "FILE_REFERENCE_EMPTY"
        if len(reference) != _REFERENCE_LEN or not reference.startswith(REFERENCE_PREFIX):
            return "FILE_REFERENCE_INVALID"
        generation, named, _check = struct.unpack_from("<IQQ", reference, len(REFERENCE_PREFIX))
        if named != file_id or reference != file_reference(file_id, access_hash, generation):
            return "FILE_REFERENCE_INVALID"
        if not self.expires(file_id):
            return "FILE_REFERENCE_INVALID" if generation else None
        now = self.clock()
        ref = self._references.get(file_id)
        if ref is None:
            # a reference handed out before the faults were switched on lives from its first use
            ref = self._references[file_id] = _Reference(0, now)
        if generation > ref.generation:
            return "FILE_REFERENCE_INVALID"  # never handed out
        if generation < ref.generation:
            return self._expired()  # an older reference stays dead once a new one was handed out
        ref.uses += 1
        if (
            ref.expired
            or self._timed_out(ref, now)
            or (self.reference_uses is not None and ref.uses >= self.reference_uses)
        ):
            ref.expired = True
            return self._expired()
        return None

    def _expired(self) -> str:
        self.counts["references_expired"] += 1
        return "FILE_REFERENCE_EXPIRED"

    def _timed_out(self, ref: _Reference, now: float) -> bool:
        return self.reference_ttl is not None and now - ref.issued >= self.reference_ttl

    # -- unavailable and stalling files

    def unavailable_error_for(self, file_id: int) -> str | None:
        if not self.is_unavailable(file_id):
            return None
        self.counts["unavailable"] += 1
        return self.unavailable_error

    async def stall(self, file_id: int, offset: int) -> None:
        """Hold a part of a stalling file until its stall is over."""
        if offset < self.stall_at or not self.stalls(file_id):
            return
        now = self.clock()
        until = self._stall_until.setdefault(file_id, now + self.stall_seconds)
        if now < until:
            self.counts["stalled_requests"] += 1
            await asyncio.sleep(until - now)
