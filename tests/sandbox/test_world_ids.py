"""IdSet implementations against a plain sorted list, on random cases."""

from __future__ import annotations

import random
import tracemalloc
from bisect import bisect_left

import pytest

from sandbox.world import ArrayIds, IdSet, PeriodicIds


def check_against(ids: IdSet, expected: list[int], rng: random.Random) -> None:
    assert len(ids) == len(expected)
    assert list(ids) == expected
    assert ids.last == (expected[-1] if expected else 0)
    top = (expected[-1] if expected else 0) + 5
    for x in [*expected, *(rng.randint(-2, top) for _ in range(60)), 0, top]:
        assert (x in ids) == (x in expected), x
        assert ids.rank(x) == bisect_left(expected, x), x
    for k, x in enumerate(expected):
        assert ids.select(k) == x
    for k in (-1, len(expected), len(expected) + 3):
        with pytest.raises(IndexError):
            ids.select(k)


def test_array_ids_match_a_sorted_list() -> None:
    rng = random.Random(11)
    for _ in range(150):
        expected = sorted(rng.sample(range(1, 400), rng.randint(0, 120)))
        ids = ArrayIds(expected)
        check_against(ids, expected, rng)
        for _ in range(rng.randint(0, 5)):
            new = ids.last + rng.randint(1, 9)
            ids.append(new)
            expected.append(new)
        check_against(ids, expected, rng)


def test_periodic_ids_match_a_sorted_list() -> None:
    rng = random.Random(12)
    for _ in range(150):
        period = rng.randint(1, 40)
        holes = set(rng.sample(range(1, period), rng.randint(0, period - 1))) if period > 1 else set()
        first, count = rng.randint(1, 5), rng.randint(0, 150)
        expected = [
            i for i in range(first, first + period * (count + 1)) if (i - first) % period not in holes
        ]
        expected = expected[:count]
        ids = PeriodicIds(count, period, holes, first)
        check_against(ids, expected, rng)
        for _ in range(rng.randint(0, 5)):
            new = ids.last + rng.randint(1, 9)
            ids.append(new)
            expected.append(new)
        check_against(ids, expected, rng)


@pytest.mark.parametrize("ids", [ArrayIds([3, 5]), PeriodicIds(2, 3, {1}, 3)])
def test_append_must_grow(ids: IdSet) -> None:
    for bad in (ids.last, ids.last - 1):
        with pytest.raises(ValueError):
            ids.append(bad)


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError):
        ArrayIds([1, 3, 3])
    with pytest.raises(ValueError):
        PeriodicIds(10, 5, {0})  # the first id would not exist
    with pytest.raises(ValueError):
        PeriodicIds(10, 5, {5})


def test_periodic_ids_stay_small_and_fast_at_any_size() -> None:
    tracemalloc.start()
    ids = PeriodicIds(2_000_000_000, 37, {5, 20})
    middle = ids.select(1_000_000_000)
    assert ids.rank(middle) == 1_000_000_000 and middle in ids and middle + 0 in ids
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 100_000
    assert isinstance(ids, IdSet) and isinstance(ArrayIds(), IdSet)
