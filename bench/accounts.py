"""What a second exporting account buys under Telegram's per-account flood limit: the accounts-2
scenario of ``python -m bench`` (and ``python -m bench.accounts``, the same runs with their
settings as flags).

Two channels are exported at once, first both by one account, then one by each of two accounts
(sandbox/world/accounts.py), on the sandbox with a flood bucket per account (sandbox/netmodel.py).
Each run is checked complete (every message Telegram counts, exporter.completeness); its rate is
the messages of both channels over the time until both are done. The issue asks two accounts to
reach at least 1.9x one account's rate (bench/targets.py).

The sandbox runs in this process (the second account lives in its world), so the CPU figure counts
its work too; the two contestants pay it alike.

guess: the limit (``rate`` requests a second, ``burst`` at once, 100 messages a request) is the
sandbox's model; Telegram publishes none.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

from telethon import TelegramClient

from exporter.client import SessionFile, build_client
from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.netmodel import NetworkModel
from sandbox.world import ChatSpec, World, WorldSpec, build_world
from sandbox.world.accounts import add_account

from .model import Result, Scenario

CHANNELS = ("bench_accounts_one", "bench_accounts_two")
# accounts-2's contestants: how many accounts share the two channels.
CONTESTANTS = {"one-account": 1, "two-accounts": 2}


def bench_world(messages: int) -> World:
    """Two public channels of ``messages`` messages each."""
    chats = [ChatSpec("channel", name, username=name, messages=messages) for name in CHANNELS]
    return build_world(WorldSpec(seed=7, contacts=5, chats=chats))


async def measured_run(
    accounts: int, messages: int, network: NetworkModel
) -> tuple[int, float, Counter[str]]:
    """(messages exported, seconds, the sandbox's request counts) for both channels exported at
    once by ``accounts`` accounts."""
    world = bench_world(messages)
    # Public channels: the second account reads them by username without joining.
    users = [world.me.id, add_account(world, "Bea", []).id]
    TelegramClient._config = None  # Telethon caches the DC list on the class (tests/conftest.py)
    async with Cluster(world, network=network) as cluster:
        clients = [
            build_client(SessionFile.from_payload(cluster.session_file_payload(cluster.session_string(uid))))
            for uid in users[:accounts]
        ]
        for client in clients:
            await client.connect()
        try:
            with tempfile.TemporaryDirectory() as folder:
                options = ExportOptions(formats=("json",), media=())

                async def export(index: int, name: str) -> int:
                    client = clients[index % accounts]
                    target = await resolve_target(client, parse_target(f"@{name}"))
                    out = Path(folder) / name
                    result = await export_chat(client, target, options, out, work_dir=out / "work")
                    if not result.complete:
                        raise RuntimeError(f"{name} was not exported completely: {result.reason}")
                    return result.report.messages

                started = time.perf_counter()
                counts = await asyncio.gather(*(export(i, name) for i, name in enumerate(CHANNELS)))
                return sum(counts), time.perf_counter() - started, cluster.stats()
        finally:
            for client in clients:
                await client.disconnect()


async def one_run(
    accounts: int, messages: int, rate: float, burst: float, latency: float
) -> tuple[int, float]:
    """(messages exported, seconds) for both channels exported at once by ``accounts`` accounts."""
    count, seconds, _ = await measured_run(
        accounts, messages, NetworkModel(rate=rate, burst=burst, latency=latency)
    )
    return count, seconds


async def run_accounts(scenario: Scenario, contestant: str, *, messages: int) -> Result:
    """One of accounts-2's contestants: both channels of ``messages`` messages under the scenario's
    flood limit and latency."""
    assert scenario.rate is not None, "accounts-2 is about a flood limit"
    network = NetworkModel(rate=scenario.rate, burst=scenario.burst, latency=scenario.latency_ms / 1000)
    cpu = time.process_time()
    count, seconds, stats = await measured_run(CONTESTANTS[contestant], messages, network)
    return Result(
        scenario.name,
        contestant,
        count,
        seconds,
        time.process_time() - cpu,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        stats["rpc:messages.getHistory"],
        sum(n for key, n in stats.items() if key.startswith("flood_wait:")),
        sum(n for key, n in stats.items() if key.startswith("flood_wait_seconds:")),
        extra={"accounts": CONTESTANTS[contestant], "sandbox": "in the bench's process"},
    )


ACCOUNTS_SCENARIO = Scenario(
    "accounts-2",
    "",
    "",
    "two channels of 20,000 messages exported at once, by one account, then one by each of two "
    "accounts; 10 history requests a second per account, burst 10, 50 ms (issue 17)",
    latency_ms=50,
    rate=10,
    burst=10,
    contestants=tuple(CONTESTANTS),
    runner=partial(run_accounts, messages=20_000),
)


async def main(messages: int, rate: float, burst: float, latency: float) -> None:
    rates = {}
    for accounts in (1, 2):
        count, seconds = await one_run(accounts, messages, rate, burst, latency)
        rates[accounts] = count / seconds
        print(f"{accounts} account(s): {count:,} messages in {seconds:.1f} s, {rates[accounts]:,.0f} msg/s")
    print(f"two accounts / one: {rates[2] / rates[1]:.2f}x (the issue asks at least 1.9x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.accounts", description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000, help="messages of each channel")
    parser.add_argument("--rate", type=float, default=10.0, help="history requests a second per account")
    parser.add_argument("--burst", type=float, default=10.0, help="requests an account may send at once")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each request takes")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.rate, args.burst, args.latency))
