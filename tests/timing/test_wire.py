"""The wire hook (exporter/wire.py): installed on the pinned Telethon, stamping the bytes, not the parse."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import pytest
import telethon
from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter import wire
from exporter.scheduler import FetchScheduler
from exporter.timing import DECODING, PhaseClock
from sandbox.cluster import Cluster
from sandbox.netmodel import NetworkModel
from tests.conftest import ClientFactory


def _history(limit: int = 100) -> F.messages.GetHistoryRequest:
    return F.messages.GetHistoryRequest(T.InputPeerSelf(), 0, 0, 0, limit, 0, 0, 0)


def test_the_hook_is_pinned_to_the_telethon_range_it_was_written_for() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    pin = next(d for d in pyproject["project"]["dependencies"] if d.startswith("telethon"))
    assert pin == "telethon>=1.45,<1.46", (
        "exporter/wire.py hooks Telethon internals: re-check them, then the pin"
    )
    assert re.match(r"1\.45\.", telethon.__version__)


async def test_clients_built_by_the_exporter_carry_the_hook(connect: ClientFactory) -> None:
    client = await connect()
    assert wire.log_of(client) is not None
    assert client._connection.__name__.startswith("Wire")
    # ArrivalClock reads asyncio's unread bytes: the stream must still keep them in ``_buffer``.
    assert isinstance(client._sender._connection._reader._buffer, bytearray)


def test_a_changed_telethon_fails_loudly() -> None:
    client = TelegramClient.__new__(TelegramClient)
    with pytest.raises(wire.WireHookError):
        wire.install(client)


@pytest.fixture
def network() -> NetworkModel:
    return NetworkModel(latency=0.05)


async def test_wire_time_is_the_sandbox_time_even_with_a_slow_parse(
    cluster: Cluster, connect: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await connect()
    clock = PhaseClock()
    scheduler = FetchScheduler(client, clock)
    # Our side is slow: 30 ms of parsing per answer is ours (decoding), never Telegram's.
    # (build_client turns updates off, so Telethon sends every request inside invokeWithoutUpdates.)
    parse = F.InvokeWithoutUpdatesRequest.read_result

    def slow_parse(reader: object) -> object:
        time.sleep(0.03)
        return parse(reader)

    monkeypatch.setattr(F.InvokeWithoutUpdatesRequest, "read_result", staticmethod(slow_parse))
    for _ in range(5):
        await scheduler(_history())
    truth = [t for t in cluster.request_timings() if t["method"] == "messages.getHistory"]
    assert len(truth) == 5
    report = clock.report(messages=0)
    assert report.requests.count == 5
    assert abs(report.requests.max - max(t["seconds"] for t in truth)) < 0.005
    assert 0.05 <= report.requests.p50 < 0.06
    assert clock.phases[DECODING] >= 5 * 0.03
