"""Ascending sets of message ids with rank/select, the only index a history window needs."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import Protocol, runtime_checkable


@runtime_checkable
class IdSet(Protocol):
    def __len__(self) -> int: ...
    def __contains__(self, msg_id: object) -> bool: ...
    def __iter__(self) -> Iterator[int]: ...
    def rank(self, msg_id: int) -> int: ...
    def select(self, k: int) -> int: ...
    @property
    def last(self) -> int: ...
    def append(self, msg_id: int) -> None: ...


class ArrayIds:
    """Explicit ids in an ``array('I')``: 4 bytes per id."""

    __slots__ = ("_a",)

    def __init__(self, ids: Iterable[int] = ()):
        self._a = array("I", ids)
        if any(x >= y for x, y in pairwise(self._a)):
            raise ValueError("ids must be strictly ascending")

    def __len__(self) -> int:
        return len(self._a)

    def __contains__(self, msg_id: object) -> bool:
        if not isinstance(msg_id, int) or msg_id < 0:
            return False
        i = bisect_left(self._a, msg_id)
        return i < len(self._a) and self._a[i] == msg_id

    def __iter__(self) -> Iterator[int]:
        return iter(self._a)

    def rank(self, msg_id: int) -> int:
        return bisect_left(self._a, msg_id)

    def select(self, k: int) -> int:
        if not 0 <= k < len(self._a):
            raise IndexError(k)
        return self._a[k]

    @property
    def last(self) -> int:
        return self._a[-1] if self._a else 0

    def append(self, msg_id: int) -> None:
        if msg_id <= self.last:
            raise ValueError(f"{msg_id} is not above the last id {self.last}")
        self._a.append(msg_id)


class PeriodicIds:
    """The first ``count`` ids of ``first, first+1, ...`` without those whose offset modulo ``period``
    is in ``holes``, then any appended ids. Constant memory until something is appended."""

    __slots__ = ("_base_count", "_base_last", "_first", "_holes", "_kept", "_period", "_tail")

    def __init__(self, count: int, period: int = 1, holes: Iterable[int] = (), first: int = 1):
        holes = frozenset(holes)
        if count < 0 or first < 1 or period < 1:
            raise ValueError("count >= 0, first >= 1 and period >= 1 required")
        if not all(0 < o < period for o in holes):
            # offset 0 stays so that ``first`` itself exists
            raise ValueError(f"holes must lie in 1..{period - 1}")
        self._first = first
        self._period = period
        self._holes = holes
        self._kept = tuple(o for o in range(period) if o not in holes)
        self._base_count = count
        self._base_last = self._nth(count - 1) if count else 0
        self._tail = array("I")

    def _nth(self, k: int) -> int:
        q, r = divmod(k, len(self._kept))
        return self._first + q * self._period + self._kept[r]

    def __len__(self) -> int:
        return self._base_count + len(self._tail)

    def __contains__(self, msg_id: object) -> bool:
        if not isinstance(msg_id, int):
            return False
        if self._first <= msg_id <= self._base_last:
            return (msg_id - self._first) % self._period not in self._holes
        i = bisect_left(self._tail, msg_id)
        return i < len(self._tail) and self._tail[i] == msg_id

    def __iter__(self) -> Iterator[int]:
        if self._base_count:
            kept, stop = self._kept, self._base_last
            for base in range(self._first, stop + 1, self._period):
                for o in kept:
                    if base + o > stop:
                        break
                    yield base + o
        yield from self._tail

    def rank(self, msg_id: int) -> int:
        if msg_id > self._base_last:
            return self._base_count + bisect_left(self._tail, msg_id)
        n = msg_id - self._first
        if n <= 0:
            return 0
        q, r = divmod(n, self._period)
        return q * len(self._kept) + bisect_left(self._kept, r)

    def select(self, k: int) -> int:
        if 0 <= k < self._base_count:
            return self._nth(k)
        if 0 <= k - self._base_count < len(self._tail):
            return self._tail[k - self._base_count]
        raise IndexError(k)

    @property
    def last(self) -> int:
        return self._tail[-1] if self._tail else self._base_last

    def append(self, msg_id: int) -> None:
        if msg_id <= self.last:
            raise ValueError(f"{msg_id} is not above the last id {self.last}")
        self._tail.append(msg_id)
