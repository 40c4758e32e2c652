"""python -m exporter.media: download the files of some messages with the media engine.

For trying the engine against a sandbox session file (or a real session), measuring it, and for
tests that kill a download half way. Files are named ``<kind>_<id>[_<size>]`` in --out (the export's
media stage names them as Telegram Desktop does; this tool does not). Prints one JSON line per file
and the timing summary line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import sys
import time
from pathlib import Path

from telethon import TelegramClient
from telethon.tl.custom import Message

from db.private import make_private_dir

from ..client import SessionFile, build_client
from ..timing import PhaseClock
from . import Downloaded, FileSpec, MediaDownloader, MediaSettings, MessageRef, Outcome, location_of
from .settings import LIMITS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m exporter.media", description=__doc__.split("\n")[0])
    parser.add_argument("--session-file", type=Path, required=True, help="a sandbox session file")
    parser.add_argument("--chat", required=True, help="@username or marked id")
    parser.add_argument("--ids", required=True, help="message ids, comma separated")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--thumbnails", action="store_true", help="also every thumbnail")
    defaults = MediaSettings()
    for name in LIMITS:
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    parser.add_argument("--stall-seconds", type=float, default=defaults.stall_seconds)
    parser.add_argument(
        "--telethon", action="store_true", help="use Telethon's download_media instead (for comparison)"
    )
    return parser


def _chat(value: str) -> str | int:
    return int(value) if value.lstrip("-").isdigit() else value


async def main(args: argparse.Namespace) -> int:
    make_private_dir(args.out)
    client = build_client(SessionFile.load(args.session_file))
    async with client:
        chat = _chat(args.chat)
        peer = await client.get_input_entity(chat)
        ids = [int(i) for i in args.ids.split(",") if i]
        messages = [m for m in await client.get_messages(peer, ids=ids) if m is not None]
        if args.telethon:
            return await _telethon(client, messages, args.out)
        specs = []
        for message in messages:
            media = message.photo or message.document
            if media is None:
                continue
            thumbs = [""]
            if args.thumbnails:
                sizes = media.sizes if message.photo else (media.thumbs or [])
                thumbs += [s.type for s in sizes[: -1 if message.photo else None] if hasattr(s, "type")]
            for thumb in thumbs:
                found = location_of(media, thumb)
                if found is None:
                    continue
                location, dc_id, size = found
                name = location.key.replace(":", "_")
                specs.append(
                    FileSpec(
                        location.key, location, dc_id, size, args.out / name, MessageRef(peer, message.id)
                    )
                )
        settings = MediaSettings(
            connections_per_dc=args.connections_per_dc,
            bytes_per_connection=args.bytes_per_connection,
            parts_per_file=args.parts_per_file,
            files_at_once=args.files_at_once,
            file_bytes_at_once=args.file_bytes_at_once,
            stall_seconds=args.stall_seconds,
        )

        def done(spec: FileSpec, outcome: Outcome) -> None:
            line: dict[str, str | int] = {"key": spec.key, "outcome": type(outcome).__name__}
            if isinstance(outcome, Downloaded):
                line |= {"path": str(outcome.path), "size": outcome.size, "sha256": outcome.sha256}
            else:
                line["reason"] = outcome.reason
            print(json.dumps(line), flush=True)

        async with MediaDownloader(client, PhaseClock(), settings) as engine:
            progress = await engine.download_all(specs, done)
        print(progress.summary(), flush=True)
        counters = {k: v for k, v in vars(progress).items() if k != "announced"}
        counters["max_rss_kib"] = peak_rss_kib()
        print(json.dumps({"progress": counters}), flush=True)
        return 0


async def _telethon(client: TelegramClient, messages: list[Message], out: Path) -> int:
    """Telethon's own download_media, one file after another, for comparison."""
    started = time.monotonic()
    paths = []
    for message in messages:
        if message.file is not None:
            target = str(out / f"telethon_{message.id}")
            paths.append((message.id, Path(await client.download_media(message, file=target))))
    seconds = time.monotonic() - started
    total = 0
    for msg_id, path in paths:
        size, sha = _sha256(path)
        total += size
        print(json.dumps({"key": f"message:{msg_id}", "path": str(path), "sha256": sha}), flush=True)
    rss = peak_rss_kib()
    print(json.dumps({"telethon": {"bytes": total, "seconds": seconds, "max_rss_kib": rss}}), flush=True)
    return 0


def peak_rss_kib() -> int:
    """Peak resident memory of this process, what "memory stays flat" means. Linux's VmHWM, which
    starts afresh at exec; getrusage's ru_maxrss keeps the parent's peak across fork and exec (a
    child of a 134 MiB test process reported 134 MiB having downloaded nothing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _sha256(path: Path) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(_parser().parse_args())))
