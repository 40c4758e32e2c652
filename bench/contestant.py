"""One contestant reading one chat, in its own process: prints a JSON line with what it measured.

    python -m bench.contestant NAME --session-file F --target @name [--topics 1,2] [--max-messages N]

Contestants:
- telethon-default: ``client.iter_messages(chat, limit=None)`` with Telethon's defaults
  (per topic for forums): what most Telethon scripts do, one second between pages;
- sequential: 100-message pages with no pause, topics one after another (TOBS's design);
- bare: like sequential but with raw requests and no message objects, at 0 ms latency it is
  the CPU bound of Telethon's own parsing;
- ours: the full exporter pipeline, writing json and html to disk;
- ours-full-read: ours with ``--filter`` evaluated on our side over the whole history, never asked
  of Telegram's messages.search (what push-down saves, exporter.filters.pushdown).

``--max-messages`` stops a slow contestant early; the orchestrator scales and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter.client import SessionFile, build_client
from exporter.export import Progress, export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target

from .eta import eta_errors

CONTESTANTS = ("telethon-default", "sequential", "bare", "ours", "ours-full-read")


async def forum_topics(client: TelegramClient, entity: Any) -> list[int]:
    topics: dict[int, T.ForumTopic] = {}
    offset: tuple[Any, int, int] = (None, 0, 0)
    while True:
        page = await client(F.messages.GetForumTopicsRequest(entity, *offset, limit=100))
        new = [t for t in page.topics if t.id not in topics]
        if not new:
            return sorted(topics)
        topics.update((t.id, t) for t in new)
        dates = {m.id: m.date for m in page.messages}
        offset = (dates.get(new[-1].top_message), new[-1].top_message, new[-1].id)


async def iterate(
    client: TelegramClient, entity: Any, topics: list[int] | None, limit: int | None, **kw: Any
) -> int:
    seen = 0
    # None: the whole history, outside forums.
    wanted: list[int | None] = [*topics] if topics else [None]
    for topic in wanted:
        async for _ in client.iter_messages(entity, limit=None, reply_to=topic, **kw):
            seen += 1
            if limit and seen >= limit:
                return seen
    return seen


async def bare(client: TelegramClient, entity: Any, topics: list[int] | None, limit: int | None) -> int:
    seen = 0
    peer = await client.get_input_entity(entity)
    wanted: list[int | None] = [*topics] if topics else [None]
    for topic in wanted:
        offset = 0
        while True:
            if topic is None:
                request = F.messages.GetHistoryRequest(peer, offset, None, 0, 100, 0, 0, 0)
            else:
                request = F.messages.GetRepliesRequest(peer, topic, offset, None, 0, 100, 0, 0, 0)
            messages = [m for m in (await client(request)).messages if not isinstance(m, T.MessageEmpty)]
            if not messages:
                break
            seen += len(messages)
            offset = min(m.id for m in messages)
            if limit and seen >= limit:
                return seen
    return seen


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def run(args: argparse.Namespace) -> dict[str, Any]:
    # The common approaches keep Telethon's default of sleeping through flood waits up to 60 s;
    # ours handles them itself (build_client's default of 0).
    ours = args.name.startswith("ours")
    sleeping = {} if ours else {"flood_sleep_threshold": 60}
    client = build_client(SessionFile.load(args.session_file), **sleeping)
    async with client:
        entity = await client.get_entity(args.target)
        topics = args.topics
        if topics is None and getattr(entity, "forum", False) and not ours:
            topics = await forum_topics(client, entity)
        # A forum's export renders part of its pages in a helper process (exporter/render/
        # forum_split.py): its CPU counts as ours, once it has ended and been waited for.
        cpu0, children0, wall0 = time.process_time(), children_cpu(), time.perf_counter()
        # Children ended before the export (a library's probe at import, 44 MB) set this maximum already.
        rss_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        extra: dict[str, Any] = {}
        if args.name == "telethon-default":
            messages = await iterate(client, entity, topics, args.max_messages)
        elif args.name == "sequential":
            messages = await iterate(client, entity, topics, args.max_messages, wait_time=0)
        elif args.name == "bare":
            messages = await bare(client, entity, topics, args.max_messages)
        else:
            target = await resolve_target(client, parse_target(args.target))
            # What the progress message showed while reading: the time estimate's error (bench/eta.py).
            reading: list[tuple[float, int, int | None, float | None]] = []

            def on_progress(progress: Progress) -> None:
                if progress.phase == "fetching":
                    reading.append((progress.elapsed, progress.done, progress.total, progress.eta))

            # The newest N ids: a whole export of fewer messages (bench/instructions.py). Bounded by
            # id, not as --last N, which first walks those N messages page by page to find where
            # they start (exporter/bounds.py) and so would read and parse each of them twice.
            newest = await client.get_messages(entity, limit=1) if args.max_messages else []
            min_id = max(newest[0].id - args.max_messages, 0) if newest else 0
            with tempfile.TemporaryDirectory() as out:
                # No files: the other contestants download none, and the bench compares reading.
                options = ExportOptions(
                    formats=("json", "html"),
                    topics=tuple(topics) if topics else None,
                    media=(),
                    filter=args.filter,
                    push_down=args.name != "ours-full-read",
                    min_id=min_id,
                )
                result = await export_chat(client, target, options, Path(out), on_progress=on_progress)
            report = result.report
            messages = report.messages
            extra = {
                "complete": result.complete,
                "flood_wait_seconds": round(report.flood.waited_wall, 2),
                "flood_waits_slept": report.flood.waits,
                "phases": {k: round(v, 3) for k, v in report.phases.items()},
                "request_p50": report.requests.p50,
                "request_p95": report.requests.p95,
                "arrival_clock": report.requests.arrival_clock,
                "accounted": {k: round(v, 3) for k, v in report.accounted.items()},
                **eta_errors(reading, report.wall),
            }
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0 + children_cpu() - children0
        # The rendering helper's peak, if it was the largest child (a smaller one would not show).
        helper_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if ours and helper_rss > rss_before:
            extra["helper_peak_rss_mb"] = round(helper_rss / 1024, 1)
    return {
        "contestant": args.name,
        "messages": messages,
        "wall": wall,
        "cpu": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", choices=CONTESTANTS)
    parser.add_argument("--session-file", type=Path, required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--topics", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--max-messages", type=int, default=None)
    parser.add_argument("--filter", default=None, help="ours: export only what this filter matches")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
