"""Bandwidth per connection and per account: file bytes take the time the modelled links give them.

Each test checks a lower bound that no schedule can beat (bytes / rate) and a loose upper bound, as
other processes share this machine's two cores."""

from __future__ import annotations

import asyncio
import time

import pytest
from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.cluster import Cluster
from sandbox.netmodel import MBPS, NetworkModel
from sandbox.world import World, build_scenario, expected_files

MIB = 1 << 20
RATE = 8 * MIB  # bytes per second


@pytest.fixture
def world() -> World:
    return build_scenario("media-large")


@pytest.fixture
def network(request: pytest.FixtureRequest) -> NetworkModel:
    return NetworkModel(**getattr(request, "param", {}))


async def video(client: TelegramClient, world: World) -> T.InputDocumentFileLocation:
    (chat,) = world.chats.values()
    (f,) = expected_files(world, chat, thumbnails=False)
    document = (await client.get_messages("media_large_sandbox", ids=f.msg_id)).document
    return T.InputDocumentFileLocation(document.id, document.access_hash, document.file_reference, "")


async def fetch(client: TelegramClient, where: object, first: int, count: int) -> float:
    """Seconds to get ``count`` 1 MiB parts from part ``first`` on, all in flight at once."""
    started = time.monotonic()
    parts = await asyncio.gather(
        *(client(F.upload.GetFileRequest(where, offset=(first + k) * MIB, limit=MIB)) for k in range(count))
    )
    assert all(len(p.bytes) == MIB for p in parts)
    return time.monotonic() - started


def within(elapsed: float, nbytes: int, rate: float) -> bool:
    bound = nbytes / rate
    return bound * 0.97 <= elapsed <= bound * 1.5 + 0.3


@pytest.mark.parametrize("network", [{"bandwidth": RATE}], indirect=True)
async def test_one_connection_carries_its_bandwidth(client: TelegramClient, world: World) -> None:
    where = await video(client, world)
    elapsed = await fetch(client, where, 0, 6)
    assert within(elapsed, 6 * MIB, RATE), elapsed


@pytest.mark.parametrize("network", [{"bandwidth": RATE}], indirect=True)
async def test_each_connection_has_its_own_link(connect, world: World) -> None:
    """Three connections of one account get three times what one gets (no account cap here): 12 MiB
    in the time of 4, where one shared link would need at least 1.5 s."""
    clients = [await connect() for _ in range(3)]
    where = await video(clients[0], world)
    started = time.monotonic()
    await asyncio.gather(*(fetch(client, where, 4 * k, 4) for k, client in enumerate(clients)))
    elapsed = time.monotonic() - started
    assert within(elapsed, 4 * MIB, RATE) and elapsed < 12 * MIB / RATE * 0.8, elapsed


@pytest.mark.parametrize("network", [{"bandwidth": RATE, "account_bandwidth": RATE}], indirect=True)
async def test_the_account_caps_all_its_connections(connect, world: World, network: NetworkModel) -> None:
    first, second = await connect(), await connect()
    where = await video(first, world)
    started = time.monotonic()
    await asyncio.gather(fetch(first, where, 0, 4), fetch(second, where, 4, 4))
    elapsed = time.monotonic() - started
    assert within(elapsed, 8 * MIB, RATE), elapsed
    assert network.bandwidth_bound(connections=2) == RATE


@pytest.mark.parametrize("network", [{"bandwidth": RATE, "latency": 0.1}], indirect=True)
async def test_one_part_at_a_time_pays_latency_on_every_part(
    cluster: Cluster, client: TelegramClient, world: World
) -> None:
    """What Telethon's download_media does: the latency adds to each part's transfer time."""
    where = await video(client, world)
    started = time.monotonic()
    for k in range(4):
        await client(F.upload.GetFileRequest(where, offset=k * MIB, limit=MIB))
    elapsed = time.monotonic() - started
    bound = 4 * (0.1 + MIB / RATE)
    assert bound * 0.97 <= elapsed <= bound * 1.5 + 0.3, elapsed
    assert cluster.stats()["file_bytes:dc2"] == 4 * MIB


def test_bandwidth_changes_while_serving() -> None:
    network = NetworkModel()
    assert network.bandwidth_bound() is None
    network.apply({"bandwidth_mbps": 80, "account_bandwidth_mbps": 200, "file_rate": 5})
    assert (network.bandwidth, network.account_bandwidth, network.file_rate) == (80 * MBPS, 200 * MBPS, 5)
    assert network.bandwidth_bound(connections=4) == 200 * MBPS
    with pytest.raises(ValueError):
        network.apply({"bandwidth_mbps": -1})
    assert network.bandwidth == 80 * MBPS, "a bad control file leaves the model as it was"
    network.apply({"bandwidth_mbps": None})
    assert network.bandwidth is None
