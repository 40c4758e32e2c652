"""The Bloom filter in front of the store: never "new" for an id it recorded, few false "maybe"s,
sized for the chat within a memory bound, and honest about filling up."""

from __future__ import annotations

import math

import pytest

from exporter.dedupe import DEFAULT_ERROR_RATE, SeenFilter, capacity_for


def test_every_recorded_id_is_a_maybe_afterwards_and_a_page_is_not_its_own_maybe() -> None:
    seen = SeenFilter(5_000, error_rate=0.01)
    first = list(range(1, 2_001))
    assert seen.check_and_add_page(first) == []
    again = seen.check_and_add_page([*range(1_500, 2_500)])
    assert again[:501] == list(range(1_500, 2_001))  # in the order given
    assert all(seen.maybe_seen(i) for i in range(1, 2_500))
    assert seen.check_and_add_page([]) == []


def test_false_maybes_stay_near_the_error_rate() -> None:
    seen = SeenFilter(10_000, error_rate=0.01)
    seen.add_all(range(0, 20_000, 2))
    strangers = range(1, 40_001, 2)
    false_maybes = sum(seen.maybe_seen(i) for i in strangers) / len(strangers)
    # Designed for 1 % at capacity; a filter that hashed badly, or kept too few bits, misses this.
    assert 0.002 < false_maybes < 0.02, false_maybes
    assert len(seen.check_and_add_page(list(range(100_001, 120_001, 2)))) < 0.02 * 10_000


def test_the_filter_stops_recording_at_capacity_and_says_so() -> None:
    seen = SeenFilter(1_000, error_rate=0.01)
    seen.add_all(range(999))
    assert not seen.full
    seen.add_all(range(10_000, 10_010))
    assert seen.full
    # Past capacity a page is answered but not recorded: its ids may read as new later (the store
    # keeps one row per id whatever the filter says).
    assert seen.check_and_add_page([7_000_001, 7_000_002]) == []
    assert [seen.maybe_seen(i) for i in (7_000_001, 7_000_002)].count(True) <= 1
    # Maybes among the page are not counted as recorded ids.
    fresh = SeenFilter(1_000, error_rate=0.01)
    fresh.add_all(range(500))
    fresh.add_all(range(400, 900))  # 100 maybes, 400 new
    assert not fresh.full
    fresh.add_all(range(900, 1_010))  # a few may read as maybes at this fill
    assert fresh.full


def test_a_large_chat_trades_error_rate_for_memory() -> None:
    bound = 8 * 1024 * 1024
    seen = SeenFilter(10_000_000, error_rate=0.001, memory_bound=bound)

    def megabytes(error_rate: float) -> float:
        return -10_000_000 * math.log(error_rate) / math.log(2) ** 2 / 8

    # The smallest rate of 0.001 × 2^k that fits the bound, and never more than one half.
    assert megabytes(seen.error_rate) <= bound < megabytes(seen.error_rate / 2)
    assert seen.error_rate == pytest.approx(0.001 * 2 ** round(math.log2(seen.error_rate / 0.001)))
    small = SeenFilter(10_000)
    assert small.error_rate == DEFAULT_ERROR_RATE and small.capacity == 10_000
    hopeless = SeenFilter(10**8, memory_bound=1)
    assert hopeless.error_rate == 0.5


def test_capacity_is_the_chats_count_with_room_for_new_messages() -> None:
    assert capacity_for(100_000) == 120_000
    assert capacity_for(10) == 1_000
    assert capacity_for(None) == 120_000
    assert capacity_for(0) == 120_000
