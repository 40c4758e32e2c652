"""python -m bench.accounts: what a second exporting account buys under Telegram's per-account flood limit.

Two channels are exported at once, first both by one account, then one by each of two accounts
(sandbox/world/accounts.py), on the sandbox with a flood bucket per account (sandbox/netmodel.py).
Each run is checked complete (every message Telegram counts, exporter.completeness); the line
printed is the messages a second of each run and their ratio. The issue asks two accounts to reach
at least 1.9x one account's rate.

guess: the limit (``--rate`` requests a second, ``--burst`` at once, 100 messages a request) is
the sandbox's model; Telegram publishes none.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
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

CHANNELS = ("bench_accounts_one", "bench_accounts_two")


def bench_world(messages: int) -> World:
    """Two public channels of ``messages`` messages each."""
    chats = [ChatSpec("channel", name, username=name, messages=messages) for name in CHANNELS]
    return build_world(WorldSpec(seed=7, contacts=5, chats=chats))


async def one_run(
    accounts: int, messages: int, rate: float, burst: float, latency: float
) -> tuple[int, float]:
    """(messages exported, seconds) for both channels exported at once by ``accounts`` accounts."""
    world = bench_world(messages)
    # Public channels: the second account reads them by username without joining.
    users = [world.me.id, add_account(world, "Bea", []).id]
    network = NetworkModel(rate=rate, burst=burst, latency=latency)
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
                return sum(counts), time.perf_counter() - started
        finally:
            for client in clients:
                await client.disconnect()


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
