"""python -m bench.accounts runs: both channels complete by one account and by two (small sizes)."""

from __future__ import annotations

from bench.accounts import CHANNELS, bench_world, one_run
from sandbox.world import expected_messages


async def test_the_accounts_bench_exports_both_channels_with_one_and_two_accounts() -> None:
    world = bench_world(300)
    expected = sum(len(list(expected_messages(world, world.by_username(name)))) for name in CHANNELS)
    for accounts in (1, 2):
        count, seconds = await one_run(accounts, messages=300, rate=50.0, burst=20.0, latency=0.0)
        assert count == expected and seconds > 0
