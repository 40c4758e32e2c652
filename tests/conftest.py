"""Shared fixtures: a running sandbox Telegram and real Telethon clients connected to it."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from telethon import TelegramClient
from telethon.network.connection.connection import Connection

from exporter.client import SessionFile, build_client
from sandbox.cluster import Cluster
from sandbox.netmodel import NetworkModel
from sandbox.world import World, build_scenario
from tests.postgres.server import fresh_schema, session_database

ClientFactory = Callable[..., Awaitable[TelegramClient]]

# Tests that measure time take turns with the rest under pytest-xdist (tests/turns.py).
pytest_plugins = ("tests.turns",)


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may ever reach a real Telegram address: fail loudly instead."""
    original = Connection.connect

    async def guarded(self: Connection, *args: object, **kwargs: object) -> None:
        if not ipaddress.ip_address(self._ip).is_loopback:
            raise AssertionError(f"a test tried to connect to {self._ip}:{self._port}")
        await original(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "connect", guarded)


@pytest.fixture(autouse=True)
def no_terminal_and_no_leftovers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every child process a test starts (asyncio's and subprocess's both go through Popen) runs in a
    session of its own with stdin from /dev/null unless the test pipes it: it has no controlling
    terminal, so a prompt (getpass opens /dev/tty) can never wait on the developer's keyboard or
    swallow the next command typed there.  Whatever is still running when the test ends (a test that
    failed half-way, a wait that timed out) is killed with its process group, and the test fails."""
    started: list[subprocess.Popen] = []

    class DetachedPopen(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs["start_new_session"] = True
            if kwargs.get("stdin") is None:
                kwargs["stdin"] = subprocess.DEVNULL
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    monkeypatch.setattr(subprocess, "Popen", DetachedPopen)
    yield
    leftovers = []
    for process in started:
        if process.poll() is None:
            leftovers.append(process.args)
        # The child leads a process group of its own (start_new_session), and whatever it started
        # stays in that group: a demo's sandbox server outlives the demo killed on a timeout.
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            continue  # nobody is left in the group
        leftovers.append(f"what {process.args} started")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert not leftovers, f"the test left {leftovers} running (killed now)"


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


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database of this test session's own (tests/postgres/server.py)."""
    with session_database() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A URL to an empty PostgreSQL schema of this test's own."""
    with fresh_schema(postgres_database) as url:
        yield url
