"""python -m sandbox files | serve with the file flags, as separate processes."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from telethon import errors
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter.client import SessionFile, build_client
from sandbox.__main__ import _file_faults, _parser
from sandbox.netmodel import MBPS
from sandbox.world import build_scenario, expected_files

PART = 256 * 1024


def test_files_prints_the_ground_truth() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "files", "--scenario", "media-small"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    world = build_scenario("media-small")
    truth = [f for chat in world.chats.values() for f in expected_files(world, chat)]
    assert len(printed) == len(truth)
    for line, f in zip(printed, truth, strict=True):
        assert (line["file_id"], line["thumb"], line["size"], line["sha256"]) == (
            f.file_id,
            f.thumb,
            f.size,
            f.sha256,
        )


def test_fault_flags_make_the_worlds_file_faults() -> None:
    world = build_scenario("media-faults")
    args = _parser().parse_args(["serve", "--session-file", "s.json"])
    assert _file_faults(args, world) is world.file_faults, "without flags a scenario keeps its own faults"
    args = _parser().parse_args(
        [
            "serve",
            "--session-file",
            "s.json",
            "--reference-ttl",
            "30",
            "--expiring-files",
            "0.5",
            "--unavailable-files",
            "0.1",
            "--unavailable-error",
            "VERSION_INVALID",
            "--stalling-files",
            "0.05",
            "--stall-seconds",
            "7",
            "--stall-at",
            "1048576",
        ]
    )
    faults = _file_faults(args, world)
    assert (faults.reference_ttl, faults.reference_uses) == (30, None)
    assert (faults.expiring.fraction, faults.unavailable.fraction, faults.stalling.fraction) == (
        0.5,
        0.1,
        0.05,
    )
    assert (faults.unavailable_error, faults.stall_seconds, faults.stall_at) == (
        "VERSION_INVALID",
        7,
        1 << 20,
    )


async def test_serve_applies_the_file_flags(tmp_path: Path) -> None:
    session_path, stats_path = tmp_path / "session.json", tmp_path / "stats.json"
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "serve",
        "--scenario",
        "media-small",
        "--reference-uses",
        "2",
        "--bandwidth-mbps",
        "8",
        "--file-rate",
        "100",
        "--session-file",
        str(session_path),
        "--stats-file",
        str(stats_path),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        ready = await asyncio.wait_for(server.stdout.readline(), 60)
        assert ready.startswith(b"sandbox ready:"), ready
        world = build_scenario("media-small")
        group = world.by_username("media_small_sandbox")
        f = next(
            f for f in expected_files(world, group) if f.kind == "document" and f.dc_id == 2 and f.size > PART
        )
        client = build_client(SessionFile.load(session_path))
        async with client:
            document = (await client.get_messages("media_small_sandbox", ids=f.msg_id)).document
            where = T.InputDocumentFileLocation(
                document.id, document.access_hash, document.file_reference, ""
            )
            started = time.monotonic()
            await client(F.upload.GetFileRequest(where, offset=0, limit=PART))
            # 8 megabits/s: a quarter MiB takes at least 0.26 s
            assert time.monotonic() - started >= PART / (8 * MBPS)
            with pytest.raises(errors.FileReferenceExpiredError):
                await client(F.upload.GetFileRequest(where, offset=0, limit=PART))
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 30) == 0
    stats = json.loads(stats_path.read_text())
    assert stats["files:references_expired"] == 1
    assert stats["file_bytes:dc2"] == PART
