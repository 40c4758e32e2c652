"""Telegram's paging arithmetic, checked against a brute-force reading of the rules."""

from __future__ import annotations

import random

import pytest

from sandbox.api.paging import page


class ListIds:
    def __init__(self, ids: list[int]) -> None:
        self.ids = sorted(ids)

    def __len__(self) -> int:
        return len(self.ids)

    def rank(self, msg_id: int) -> int:
        return sum(1 for x in self.ids if x < msg_id)

    def select(self, k: int) -> int:
        return self.ids[k]


def brute_force(
    ids, *, offset_id=0, offset_date=0, add_offset=0, limit=100, max_id=0, min_id=0, date_of=None
):
    limit = min(limit, 100) if limit > 0 else 20
    newest_first = sorted(ids, reverse=True)
    if offset_id:
        start = next((i for i, x in enumerate(newest_first) if x < offset_id), len(newest_first))
    elif offset_date:
        start = next((i for i, x in enumerate(newest_first) if date_of(x) < offset_date), len(newest_first))
    else:
        start = 0
    start += add_offset
    end = start + limit
    window = newest_first[max(start, 0) : max(end, 0)]
    # api/offsets "Additional filtering": min_id/max_id drop ids from the sliced window, after it.
    return [x for x in window if (not max_id or x < max_id) and x > min_id]


def test_a_low_max_id_returns_nothing_from_the_newest_page() -> None:
    ids = ListIds(list(range(1, 500)))
    assert page(ids, max_id=100, limit=100) == []
    assert page(ids, min_id=450, limit=100) == list(range(499, 450, -1))


def test_limit_zero_is_not_count_only_but_a_default_page() -> None:
    assert page(ListIds(list(range(1, 500))), limit=0) == list(range(499, 479, -1))


def test_matches_brute_force_on_random_requests() -> None:
    rng = random.Random(7)
    for _ in range(400):
        ids = sorted(rng.sample(range(1, 600), rng.randint(0, 250)))
        date_of = lambda msg_id: msg_id // 3  # noqa: E731
        request = {
            "offset_id": rng.choice([0, 0, rng.randint(1, 650)]),
            "add_offset": rng.choice([0, 0, -100, -rng.randint(1, 100), rng.randint(1, 50)]),
            "limit": rng.choice([100, 100, rng.randint(0, 150)]),
            "max_id": rng.choice([0, 0, rng.randint(1, 650)]),
            "min_id": rng.choice([0, 0, rng.randint(1, 650)]),
        }
        if not request["offset_id"] and rng.random() < 0.3:
            request["offset_date"] = rng.randint(1, 220)
        expected = brute_force(ids, date_of=date_of, **request)
        assert page(ListIds(ids), date_of=date_of, **request) == expected, request


@pytest.mark.parametrize("reverse", [False, True])
def test_walking_the_history_like_a_client_visits_every_id_once(reverse: bool) -> None:
    ids = ListIds([i for i in range(1, 1000) if i % 7])
    seen: list[int] = []
    offset = 1 if reverse else 0
    while True:
        if reverse:
            got = page(ids, offset_id=offset, add_offset=-100, limit=100)[::-1]
        else:
            got = page(ids, offset_id=offset, limit=100)
        if not got:
            break
        seen += got
        offset = got[-1] + 1 if reverse else got[-1]
    assert seen == (ids.ids if reverse else ids.ids[::-1])
