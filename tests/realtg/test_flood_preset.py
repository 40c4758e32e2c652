"""Issue 11, point 8: under Telegram's flood limit the exporter goes as fast as allowed, says that
Telegram is the limit, and estimates the time left well.

The ``strict`` preset (sandbox/netmodel.py, with its evidence) is 30 requests at once, then one a
second: a channel big enough to measure under it takes minutes, so the end-to-end run here keeps
the one request a second (FLOOD_WAIT is in whole seconds, so a faster scaled rate would measure the
rounding, not the exporter) and scales the burst down to 5 and the channel to 45 pages. Once a
quarter is done every estimate must be within 15 % of the time that was really left. The rate
target (at least 95 % of what Telegram allows) is a performance target, so it lives in
``python -m bench --scenario channel-strict``; here a loose floor only catches a pacer that broke.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions as F

from bot.progress import describe as bot_progress_text
from exporter.cli_progress import describe_progress
from exporter.client import SessionFile, build_client
from exporter.export import Progress, export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.netmodel import HISTORY_METHODS, LIMIT_PRESETS, NetworkModel
from sandbox.world import ChatSpec, World, WorldSpec, build_world

RATE, BURST = 1.0, 5.0
MESSAGES = 4_500  # 45 pages of 100: about 40 s at one request a second
PAGE = 100


@pytest.fixture
def world() -> World:
    return build_world(
        WorldSpec(chats=[ChatSpec("channel", "Busy channel", username="busy_sandbox", messages=MESSAGES)])
    )


@pytest.fixture
def network() -> NetworkModel:
    return NetworkModel(rate=RATE, burst=BURST, latency=0.01)


def test_the_strict_preset_is_the_public_evidence(network: NetworkModel) -> None:
    preset = network.use_limits("strict")
    assert (network.rate, network.burst) == (1.0, 30.0)  # 3000 messages in 30 s, then 1 request/s
    assert network.takeout_factor == preset.takeout_factor > 1
    assert "#565" in LIMIT_PRESETS["strict"].evidence


def granted_history_requests(network: NetworkModel) -> list[float]:
    """When the sandbox let each history request through (refused ones are not listed)."""
    granted: list[float] = []
    check = network.flood_check

    def recording(user_id: int | None, method: str, *, takeout: bool) -> None:
        check(user_id, method, takeout=takeout)
        if method in HISTORY_METHODS and user_id is not None:
            granted.append(time.monotonic())

    network.flood_check = recording  # type: ignore[method-assign]
    return granted


async def test_rate_limited_export_runs_at_the_allowed_rate_and_says_telegram_is_the_limit(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    seen: list[tuple[float, Progress]] = []
    granted = granted_history_requests(cluster.network)
    target = await resolve_target(client, parse_target("@busy_sandbox"))
    result = await export_chat(
        client,
        target,
        ExportOptions(formats=("json",)),
        tmp_path,
        on_progress=lambda progress: seen.append((time.monotonic(), progress)),
    )
    fetched = max(at for at, p in seen if p.phase == "fetching")
    assert result.complete
    # What the bucket allowed between the first and the last request it let through.
    allowed = BURST + RATE * (granted[-1] - granted[0])
    assert len(granted) >= MESSAGES // PAGE
    # Measured 96-98 % on a quiet machine and 93.7 % on a loaded one; bench holds the 95 % target.
    assert len(granted) / allowed >= 0.85, f"{len(granted)} requests where {allowed:.0f} were allowed"

    fetching = [(at, p) for at, p in seen if p.phase == "fetching" and p.total]
    late = [(at, p) for at, p in fetching if p.done >= p.total / 4 and p.eta is not None]
    assert late, "no estimate after a quarter"
    # Checked while at least 10 s are left: one more flood wait near the end costs up to a second,
    # which is 15 % of the last few seconds but not of the export (the preset's runs are minutes).
    for at, progress in [(at, p) for at, p in late if fetched - at >= 10]:
        left = fetched - at
        assert abs(progress.eta - left) <= 0.15 * left, (progress.done, progress.eta, left)
    limited = late[-1][1]
    assert limited.limited is not None
    assert "Telegram is the limit" in describe_progress(limited)
    assert "Telegram is the limit" in bot_progress_text(limited, "Busy channel")


async def test_sandbox_serve_limits_strict_refuses_the_31st_page_at_once(tmp_path: Path) -> None:
    """``python -m sandbox serve --limits strict``: 30 history requests at once, then FLOOD_WAIT."""
    session_file = tmp_path / "session.json"
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "serve", "--limits", "strict", "--session-file", str(session_file),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert (await asyncio.wait_for(server.stdout.readline(), 60)).startswith(b"sandbox ready")
        TelegramClient._config = None
        client = build_client(SessionFile.load(session_file))
        async with client:
            channel = await client.get_input_entity("daily_digest_sandbox")
            page = F.messages.GetHistoryRequest(channel, 0, None, 0, 100, 0, 0, 0)
            for _ in range(30):
                await client(page)
            with pytest.raises(errors.FloodWaitError) as refused:
                await client(page)
        assert refused.value.seconds == 1
    finally:
        TelegramClient._config = None
        server.terminate()
        await server.wait()
