"""Shared fixtures: a running sandbox Telegram and real Telethon clients connected to it."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from telethon import TelegramClient
from telethon.network.connection.connection import Connection

from exporter.client import SessionFile, build_client
from sandbox.cluster import Cluster
from sandbox.netmodel import NetworkModel
from sandbox.world import World, build_scenario

ClientFactory = Callable[..., Awaitable[TelegramClient]]


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may ever reach a real Telegram address: fail loudly instead."""
    original = Connection.connect

    async def guarded(self: Connection, *args: object, **kwargs: object) -> None:
        if not ipaddress.ip_address(self._ip).is_loopback:
            raise AssertionError(f"a test tried to connect to {self._ip}:{self._port}")
        await original(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "connect", guarded)


@pytest.fixture
def world() -> World:
    return build_scenario("small")


@pytest.fixture
def network() -> NetworkModel:
    return NetworkModel()


@pytest.fixture
async def cluster(world: World, network: NetworkModel) -> AsyncIterator[Cluster]:
    # Telethon caches help.getConfig on the class: a DC list from an earlier
    # test's ports would send file downloads to a dead port.
    TelegramClient._config = None
    async with Cluster(world, network=network) as running:
        yield running
    TelegramClient._config = None


@pytest.fixture
async def connect(cluster: Cluster) -> AsyncIterator[ClientFactory]:
    """connect(logged_in=True, **telethon_options) -> a connected client, disconnected after the test."""
    clients: list[TelegramClient] = []

    async def factory(*, logged_in: bool = True, **options: object) -> TelegramClient:
        string = cluster.session_string() if logged_in else cluster.logged_out_session_string()
        client = build_client(SessionFile.from_payload(cluster.session_file_payload(string)), **options)
        clients.append(client)
        await client.connect()
        return client

    yield factory
    for client in clients:
        await client.disconnect()


@pytest.fixture
async def client(connect: ClientFactory) -> TelegramClient:
    return await connect()
