"""ExportOptions.longest_flood_wait holds for file parts too: a flood wait on upload.getFile longer
than it is not slept, the export stops incomplete and says why (run again, it continues)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter.export import export_chat
from exporter.options import MEDIA_TYPES, ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from sandbox.world import World, build_scenario

GROUP = "@media_small_sandbox"


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


async def test_a_file_flood_wait_over_the_options_limit_stops_the_export(
    client: TelegramClient, cluster: Cluster, tmp_path: Path
) -> None:
    target = await resolve_target(client, parse_target(GROUP))
    options = ExportOptions(
        formats=("json",), time_zone="UTC", media=MEDIA_TYPES, max_file_size=1 << 30, longest_flood_wait=5
    )
    # 30 s is within the engine's old default (900 s), which slept it; over this export's 5 s.
    cluster.network.add_fault(parse_fault("upload.getFile=420:FLOOD_WAIT_30*1000"))
    started = time.monotonic()
    result = await asyncio.wait_for(export_chat(client, target, options, tmp_path / "out"), 25)
    assert time.monotonic() - started < 25
    assert not result.complete
    assert result.reason and "30" in result.reason, result.reason
