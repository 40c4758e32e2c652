"""Is the sandbox ever the bottleneck?  CPU per message of the server and of the client.

    python -m bench.sandbox_cost [--scenario channel-large] [--concurrency 4]

Runs ``python -m sandbox serve`` in its own process, reads the scenario's
biggest chat with raw getHistory pages (no pauses, a few pages in flight) and
reports the CPU seconds each process spent per message, read from
/proc/<pid>/stat (server) and ``time.process_time`` (client).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from telethon.tl import functions as F

from exporter.client import SessionFile, build_client


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def read_all(session: SessionFile, username: str, concurrency: int) -> int:
    client = build_client(session)
    async with client:
        peer = await client.get_input_entity(username)
        newest = (await client(F.messages.GetHistoryRequest(peer, 0, None, 0, 1, 0, 0, 0))).messages[0].id
        edges = [newest * k // concurrency for k in range(concurrency)] + [newest]

        async def shard(low: int, high: int) -> int:
            cursor, seen = low, 0
            while True:
                page = await client(
                    F.messages.GetHistoryRequest(peer, cursor + 1, None, -100, 100, high + 1, low, 0)
                )
                ids = [m.id for m in page.messages if low < m.id <= high]
                if not ids:
                    return seen
                seen += len(ids)
                cursor = max(ids)

        counts = await asyncio.gather(*(shard(edges[k], edges[k + 1]) for k in range(concurrency)))
    return sum(counts)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default="channel-large")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        session_path = Path(tmp) / "session.json"
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--scenario",
            args.scenario,
            "--session-file",
            str(session_path),
            stdout=asyncio.subprocess.PIPE,
        )
        assert server.stdout is not None  # asked for with PIPE
        try:
            await server.stdout.readline()
            describe = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "sandbox",
                "describe",
                "--scenario",
                args.scenario,
                stdout=asyncio.subprocess.PIPE,
            )
            truth = json.loads((await describe.communicate())[0])
            biggest = max(truth["chats"], key=lambda chat: chat["message_count"])
            session = SessionFile.load(session_path)
            server_before, client_before, wall_before = (
                process_cpu_seconds(server.pid),
                time.process_time(),
                time.perf_counter(),
            )
            messages = await read_all(session, biggest["username"], args.concurrency)
            wall = time.perf_counter() - wall_before
            server_cpu = process_cpu_seconds(server.pid) - server_before
            client_cpu = time.process_time() - client_before
        finally:
            server.terminate()
            await server.wait()
    print(f"{messages:,} messages of {biggest['title']!r} in {wall:.2f} s ({messages / wall:,.0f} msg/s)")
    print(f"server CPU: {1e6 * server_cpu / messages:6.1f} µs per message")
    print(f"client CPU: {1e6 * client_cpu / messages:6.1f} µs per message (Telethon parsing, raw requests)")


if __name__ == "__main__":
    asyncio.run(main())
