"""The sandbox kills an auth key used from two places at once (406 AUTH_KEY_DUPLICATED,
sandbox/mtproto/places.py), and only then: one client's several connections are one place."""

from __future__ import annotations

import os
import socket

import psutil
import pytest
from telethon import errors

from exporter.client import SessionFile, build_client
from sandbox.cluster import Cluster
from sandbox.mtproto.places import place_of


async def test_one_key_from_two_places_at_once_is_killed(cluster: Cluster) -> None:
    payload = cluster.session_file_payload(cluster.session_string())
    here = build_client(SessionFile.from_payload(payload))
    # Another place: the same session from another address (127.0.0.2 is this machine too).
    there = build_client(SessionFile.from_payload(payload), local_addr=("127.0.0.2", 0))
    await here.connect()
    try:
        assert (await here.get_me()).id == cluster.world.me.id
        try:
            # Telethon's first request (initConnection) already gets it.
            with pytest.raises(errors.AuthKeyDuplicatedError):
                await there.connect()
            with pytest.raises(errors.AuthKeyDuplicatedError):
                await here.get_me()
        finally:
            await there.disconnect()
        # For good: the first place alone cannot use it any more either.
        with pytest.raises(errors.AuthKeyDuplicatedError):
            await here.get_me()
    finally:
        await here.disconnect()
    assert sum(dc.stats["auth_key_duplicated"] for dc in cluster.dcs.values()) == 1


async def test_one_process_with_several_connections_and_one_place_after_another_are_fine(
    cluster: Cluster,
) -> None:
    payload = cluster.session_file_payload(cluster.session_string())
    first = build_client(SessionFile.from_payload(payload))
    second = build_client(SessionFile.from_payload(payload))
    await first.connect()
    await second.connect()
    try:
        # Two clients of one process: one place (as the exporter's extra media connections are).
        assert (await first.get_me()).id == (await second.get_me()).id
    finally:
        await first.disconnect()
        await second.disconnect()
    # The session moves elsewhere once nothing here uses it (a lease taken over after a crash).
    later = build_client(SessionFile.from_payload(payload), local_addr=("127.0.0.2", 0))
    await later.connect()
    try:
        assert (await later.get_me()).id == cluster.world.me.id
    finally:
        await later.disconnect()


def test_a_client_whose_socket_is_gone_is_no_place() -> None:
    """A process killed with -9 loses its sockets at once, before the server reads the end of its
    connection: a rerun right after it is one place after another, not two at once."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, peer = server.accept()
        with accepted:
            assert place_of(peer, accepted.getsockname()) == ("127.0.0.1", os.getpid())
            client.close()
            assert place_of(peer, accepted.getsockname()) is None


def test_a_client_on_a_port_an_earlier_connection_used_is_still_there() -> None:
    """Linux gives one local port to connections to different servers, and the closed end of an
    earlier one lingers in TIME_WAIT: the live client is known by both ends, not by its port. The
    system lists the two ends in its hash order; the case is made until it lists the earlier one
    first, as it did when CI's two workers took a live bot for a gone one."""
    for _ in range(50):
        with (
            socket.create_server(("127.0.0.1", 0)) as first,
            socket.create_server(("127.0.0.1", 0)) as second,
        ):
            earlier = socket.socket()
            earlier.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            earlier.bind(("127.0.0.1", 0))
            port = earlier.getsockname()[1]
            earlier.connect(first.getsockname())
            with first.accept()[0]:
                earlier.close()  # closed by the client first: its end waits in TIME_WAIT
            with socket.socket() as client:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                client.bind(("127.0.0.1", port))
                client.connect(second.getsockname())
                accepted, peer = second.accept()
                with accepted:
                    on_port = [c.status for c in psutil.net_connections("inet") if c.laddr == peer]
                    if on_port[0] != psutil.CONN_TIME_WAIT:
                        continue
                    assert place_of(peer, accepted.getsockname()) == ("127.0.0.1", os.getpid())
                    return
    pytest.fail("the system never listed the earlier connection's end first")
