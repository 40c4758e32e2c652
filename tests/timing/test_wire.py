"""The wire hook (exporter/wire.py): installed on the pinned Telethon, stamping the bytes, not the parse."""

from __future__ import annotations

import asyncio
import inspect
import re
import socket
import time
import tomllib
import tracemalloc
from pathlib import Path

import pytest
import telethon
from telethon import TelegramClient
from telethon.network.connection import ConnectionTcpFull
from telethon.network.connection.connection import Connection
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


def test_our_connect_ends_as_telethons_does() -> None:
    """WireConnection._connect opens its own socket, then repeats the end of Telethon's _connect."""
    source = inspect.getsource(Connection._connect)
    tail = source[source.index("self._codec = ") :].split()
    assert (
        tail == "self._codec = self.packet_codec(self) self._init_conn() await self._writer.drain()".split()
    )


async def test_a_late_read_still_knows_when_the_bytes_arrived() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    ours = await wire.open_stamped("127.0.0.1", listener.getsockname()[1])
    if not wire.KERNEL_STAMPS:
        # Off Linux x86-64/arm64: Telethon's own socket, and arrivals are read time.
        listener.close()
        assert ours is None
        return
    assert ours is not None
    theirs, _address = await asyncio.get_running_loop().sock_accept(listener)
    try:
        # The first socket of the machine that asks for timestamps turns them on in a deferred
        # kernel work item (net/core/dev.c net_enable_timestamp: a static key flipped by
        # schedule_work); packets received before it ran carry none. Seen once with no other
        # stamped socket open (the suite on two workers): arrival None. So: until one is stamped.
        for _ in range(100):
            theirs.send(b"warm-up")
            await asyncio.sleep(0.01)
            assert ours.recv(100) == b"warm-up"
            if ours.take_arrival() is not None:
                break
        # On loopback the kernel receives the bytes inside the sender's send call.
        before = time.perf_counter()
        theirs.send(b"answer")
        after = time.perf_counter()
        # Our loop reads 50 ms late: the stamp is the kernel's, not the read's (1 ms for the two
        # clocks being read one after the other).
        await asyncio.sleep(0.05)
        assert ours.recv(100) == b"answer"
        arrived = ours.take_arrival()
        assert arrived is not None
        assert before - 0.001 <= arrived <= after + 0.001, (
            f"stamped {1000 * (arrived - before):.1f} ms after the send began, which took "
            f"{1000 * (after - before):.1f} ms"
        )
        # Once: a chunk fed without a recv of ours (a moved asyncio seam) gets no stale stamp.
        assert ours.take_arrival() is None
    finally:
        for sock in (ours, theirs, listener):
            sock.close()


async def test_answers_are_stamped_by_the_kernel_where_it_can(connect: ClientFactory) -> None:
    client = await connect()
    clock = PhaseClock()
    scheduler = FetchScheduler(client, clock)
    for _ in range(3):
        await scheduler(_history())
    connection = client._sender._connection
    stamped = isinstance(connection._wire_socket, wire.StampedSocket)
    assert stamped == wire.KERNEL_STAMPS
    # As on the socket Telethon opens: small requests are not held back (Nagle's algorithm off).
    assert connection._writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert clock.report(messages=0).requests.arrival_clock == (wire.KERNEL if stamped else wire.READ)


async def test_where_the_kernel_gives_no_stamps_the_report_says_read_time(
    connect: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wire, "KERNEL_STAMPS", False)
    client = await connect()
    clock = PhaseClock()
    await FetchScheduler(client, clock)(_history())
    assert clock.report(messages=0).requests.arrival_clock == wire.READ


async def test_a_local_address_to_bind_keeps_telethons_own_socket(connect: ClientFactory) -> None:
    client = await connect(local_addr="127.0.0.1")
    assert client._sender._connection._wire_socket is None
    clock = PhaseClock()
    await FetchScheduler(client, clock)(_history())
    assert clock.report(messages=0).requests.arrival_clock == wire.READ


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


class OwnConnect(ConnectionTcpFull):
    """A connection class with a _connect of its own, as MTProxy's (it waits for the proxy's verdict)."""

    async def _connect(self, timeout: float | None = None, ssl: object = None) -> None:
        self.own_connect_ran = True
        await super()._connect(timeout=timeout, ssl=ssl)


async def test_a_connection_class_that_connects_its_own_way_keeps_it(connect: ClientFactory) -> None:
    client = await connect(connection=OwnConnect)
    connection = client._sender._connection
    assert connection.own_connect_ran and connection._wire_socket is None
    clock = PhaseClock()
    await FetchScheduler(client, clock)(_history())
    assert clock.report(messages=0).requests.arrival_clock == wire.READ


def test_packets_no_hooked_sender_decodes_are_not_kept() -> None:
    """Telethon's exported senders (other data centres, file downloads) share the hooked connection
    class but not the hooked MTProtoState: what they read must not pile up in the log."""
    log = wire.WireLog()
    tracemalloc.start()
    try:
        for _ in range(200):
            log.read(bytes(1 << 20), time.perf_counter(), wire.KERNEL)
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 200 MiB read; what stays is bookkeeping (measured: under 0.01 MiB; keeping the packets: 64 MiB).
    assert held < 1 << 20, f"{held / (1 << 20):.1f} MiB kept"
