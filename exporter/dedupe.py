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
from collections.abc import Iterable

from pybloom_live import BloomFilter

# About 1.8 MB at 0.1 % for a million ids; past the memory bound the error rate grows instead.
DEFAULT_ERROR_RATE = 0.001
DEFAULT_MEMORY_BOUND = 16 * 1024 * 1024


def _bits(capacity: int, error_rate: float) -> float:
    return -capacity * math.log(error_rate) / (math.log(2) ** 2)


def capacity_for(expected: int | None) -> int:
    """Room for the messages Telegram says the chat has (``count``), with a margin for new ones."""
    return max(1_000, int((expected or 100_000) * 1.2))


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
        self._filter = BloomFilter(capacity=capacity, error_rate=error_rate)
        self.capacity = capacity
        self.error_rate = error_rate
        self.full = False

    def add_all(self, ids: Iterable[int]) -> None:
        for msg_id in ids:
            self.add(msg_id)

    def add(self, msg_id: int) -> None:
        if self.full:
            return
        try:
            self._filter.add(msg_id)
        except IndexError:
            # At capacity: later ids go unrecorded and read as "definitely new", which the
            # store's primary key still de-duplicates.
            self.full = True

    def maybe_seen(self, msg_id: int) -> bool:
        return msg_id in self._filter
