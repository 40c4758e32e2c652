"""A Bloom filter in front of the store: "definitely new" skips a lookup, "maybe seen" never skips a message.

The filter only ever answers "definitely not stored" or "maybe stored"; every
"maybe" is confirmed against the store's primary key before a message is
treated as a duplicate, so a false positive costs one lookup, never a message.
(TOBS used the "maybe" as "skip" and silently lost messages.)  The store's
``INSERT OR IGNORE`` stays the last word as well, so even a filter that missed
an id (one added after it filled up) cannot duplicate a message.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from pybloom_live import BloomFilter
from xxhash import xxh3_128_intdigest

# About 1.8 MB at 0.1 % for a million ids; past the memory bound the error rate grows instead.
DEFAULT_ERROR_RATE = 0.001
DEFAULT_MEMORY_BOUND = 16 * 1024 * 1024


def _bits(capacity: int, error_rate: float) -> float:
    return -capacity * math.log(error_rate) / (math.log(2) ** 2)


def capacity_for(expected: int | None) -> int:
    """Room for the messages Telegram says the chat has (``count``), with a margin for new ones."""
    return max(1_000, int((expected or 100_000) * 1.2))


class _IdBloomFilter(BloomFilter):
    """pybloom-live's filter (its sizing, one slice of bits per hash, its bit array) with a
    cheaper hash for integer ids.

    pybloom-live hashes ``str(key)`` with SHA-384 and yields the slices from a generator: about
    4 µs an id, the largest single cost of processing a message.  Here one 128-bit xxh3 digest
    of the id gives two values and slice ``i`` takes ``h1 + i·h2`` (Kirsch and Mitzenmacher's
    double hashing, which keeps the false-positive rate of k independent hashes).  ``add``
    and ``in`` use it too, so the filter stays one consistent object.
    """

    def __init__(self, capacity: int, error_rate: float) -> None:
        super().__init__(capacity=capacity, error_rate=error_rate)
        self.make_hashes = self._slice_values
        self._offsets = range(0, self.num_slices * self.bits_per_slice, self.bits_per_slice)

    def _slice_values(self, key: int) -> list[int]:
        """The position within each slice, as pybloom-live's ``make_hashes`` yields them."""
        return [
            position - offset for position, offset in zip(self.positions((key,)), self._offsets, strict=True)
        ]

    def positions(self, ids: Sequence[int]) -> list[int]:
        """Bit positions of every id, ``num_slices`` per id, in the order of ``ids``."""
        size, offsets = self.bits_per_slice, self._offsets
        out: list[int] = []
        append = out.append
        for key in ids:
            digest = xxh3_128_intdigest(key.to_bytes(8, "little", signed=True))
            value, step = digest % size, (digest >> 64) % size or 1
            for offset in offsets:
                append(offset + value)
                value += step
                if value >= size:
                    value -= size
        return out


class SeenFilter:
    def __init__(
        self,
        capacity: int,
        *,
        error_rate: float = DEFAULT_ERROR_RATE,
        memory_bound: int = DEFAULT_MEMORY_BOUND,
    ) -> None:
        # Keep within the memory bound by accepting more false positives (each costs a lookup).
        while _bits(capacity, error_rate) / 8 > memory_bound and error_rate < 0.5:
            error_rate = min(0.5, error_rate * 2)
        self._filter = _IdBloomFilter(capacity, error_rate)
        self.capacity = capacity
        self.error_rate = error_rate
        self.full = False

    def add_all(self, ids: Iterable[int]) -> None:
        self.check_and_add_page(list(ids))

    def check_and_add_page(self, ids: Sequence[int]) -> list[int]:
        """Record a page of ids; return those that may have been recorded before ("maybe seen",
        to confirm against the store), in the order given.

        The page's bits are read and set with two calls into bitarray's C code; only the
        hashing is a Python loop.  Ids repeated within one page are not each other's "maybe":
        Telegram never sends an id twice in a page, and the store keeps one row per id anyway.
        """
        bloom = self._filter
        positions = bloom.positions(ids)
        if not positions:
            return []
        found = bloom.bitarray[positions]
        k = bloom.num_slices
        maybe = [key for n, key in enumerate(ids) if found[n * k : n * k + k].all()]
        if not self.full:
            bloom.bitarray[positions] = 1
            bloom.count += len(ids) - len(maybe)
            # Past capacity the false-positive rate climbs, so later pages are not recorded: an
            # id of theirs that comes again may read as "definitely new", and the store's
            # INSERT OR IGNORE still keeps it once.
            self.full = bloom.count >= bloom.capacity
        return maybe

    def maybe_seen(self, msg_id: int) -> bool:
        return msg_id in self._filter
