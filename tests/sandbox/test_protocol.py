"""MTProto with the real Telethon client: handshake, transports, sessions, service messages."""

from __future__ import annotations

import asyncio
import os

import pytest
from telethon import TelegramClient, errors
from telethon.network import ConnectionTcpAbridged, ConnectionTcpFull, ConnectionTcpIntermediate
from telethon.sessions import StringSession
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter.client import SessionFile, build_client
from sandbox.cluster import Cluster


def fresh_client(cluster: Cluster, **options: object) -> TelegramClient:
    """A client with no auth key at all: it must run the DH exchange."""
    payload = cluster.session_file_payload("")
    return build_client(SessionFile.from_payload(payload), **options)


@pytest.mark.parametrize("connection", [ConnectionTcpFull, ConnectionTcpIntermediate, ConnectionTcpAbridged])
async def test_key_exchange_and_code_login_over_every_transport(cluster: Cluster, connection: type) -> None:
    client = fresh_client(cluster, connection=connection)
    try:
        await client.connect()
        assert not await client.is_user_authorized()
        await client.start(phone=cluster.world.me.phone, code_callback=lambda: cluster.world.login_code)
        assert (await client.get_me()).id == cluster.world.me.id
    finally:
        await client.disconnect()
    stats = cluster.stats()
    assert stats["auth_keys_created"] == 1
    assert stats[f"transport_{connection.__name__.removeprefix('ConnectionTcp').lower()}"] >= 1
    # Telethon starts with salt 0, so the salt correction and the session announcement both ran.
    assert stats["bad_server_salt"] >= 1
    assert stats["new_session_created"] >= 1


async def test_wrappers_are_peeled_and_remembered(cluster: Cluster, client: TelegramClient) -> None:
    await client.get_me()
    record = next(iter(cluster.home.auth_keys.values()))
    from telethon.tl.alltlobjects import LAYER

    assert record.layer == LAYER
    assert record.init is not None and record.init.api_id == 611335


async def test_unknown_method_is_a_400_that_names_it(client: TelegramClient) -> None:
    with pytest.raises(errors.BadRequestError) as caught:
        await client(F.messages.GetStickersRequest(emoticon="🙂", hash=0))
    assert "MESSAGES_GETSTICKERS" in str(caught.value)
    assert caught.value.code == 400


async def test_unknown_auth_key_is_refused_with_transport_error_404(cluster: Cluster) -> None:
    payload = cluster.session_file_payload(cluster.session_string())
    session = StringSession(payload["string_session"])
    session.auth_key.key = os.urandom(256)  # a key the DC never saw
    payload["string_session"] = StringSession.save(session)
    client = build_client(SessionFile.from_payload(payload))
    try:
        with pytest.raises(errors.AuthKeyNotFound):
            await asyncio.wait_for(client.connect(), 10)
    finally:
        await client.disconnect()
    assert cluster.stats()["unknown_auth_key"] >= 1


async def test_ping_container_gzip_and_ordered_calls(cluster: Cluster, client: TelegramClient) -> None:
    pong = await client(F.PingRequest(ping_id=4242))
    assert isinstance(pong, T.Pong) and pong.ping_id == 4242

    # Requests sent together travel in one container.
    channel = await client.get_entity("daily_digest_sandbox")
    results = await asyncio.gather(
        *(client.get_messages(channel, limit=3, offset_id=50 + k) for k in range(6))
    )
    assert all(len(r) == 3 for r in results)

    # A request over 512 bytes is gzipped by the client; history pages are gzipped by the server.
    big = F.channels.GetMessagesRequest(channel, [T.InputMessageID(i) for i in range(1, 201)])
    result = await client(big)
    assert len(result.messages) == 200

    ordered = await client(
        [F.PingRequest(ping_id=1), F.updates.GetStateRequest(), F.PingRequest(ping_id=2)], ordered=True
    )
    assert [type(r).__name__ for r in ordered] == ["Pong", "State", "Pong"]

    stats = cluster.stats()
    assert stats["pings"] >= 3
    assert stats["client_containers"] >= 1
    assert stats["client_gzip"] >= 1
    assert stats["gzipped_results"] >= 1


async def test_client_clock_skew_is_corrected_through_bad_msg_notification(
    cluster: Cluster, client: TelegramClient
) -> None:
    client._sender._state.time_offset = 3600  # our msg_ids now claim to come from the future
    assert (await client.get_me()).id == cluster.world.me.id
    assert cluster.stats()["bad_msg_notification_17"] >= 1


async def test_reconnects_after_the_dc_drops_every_connection(
    cluster: Cluster, client: TelegramClient
) -> None:
    await client.get_me()
    assert cluster.drop_connections() >= 1
    assert (await asyncio.wait_for(client.get_me(), 20)).id == cluster.world.me.id
    assert cluster.stats()["connections"] >= 2
