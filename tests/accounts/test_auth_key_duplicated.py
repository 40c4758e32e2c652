"""The sandbox kills an auth key used from two places at once (406 AUTH_KEY_DUPLICATED,
sandbox/mtproto/places.py), and only then: one client's several connections are one place."""

from __future__ import annotations

import os
import socket

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
            assert place_of(peer) == ("127.0.0.1", os.getpid())
            client.close()
            assert place_of(peer) is None
