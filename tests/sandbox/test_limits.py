"""Latency, the flood limit, takeout and injected faults, seen through the real Telethon client."""

from __future__ import annotations

import asyncio
import time

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions as F

from sandbox.cluster import Cluster
from sandbox.mtproto.tl import RpcError
from sandbox.netmodel import Fault, TokenBucket, parse_fault
from sandbox.world import World, expected_messages
from tests.conftest import ClientFactory

CHANNEL = "daily_digest_sandbox"


def history(peer: object, offset_id: int = 0) -> F.messages.GetHistoryRequest:
    return F.messages.GetHistoryRequest(peer, offset_id, None, 0, 100, 0, 0, 0)


async def test_latency_is_paid_per_request_and_concurrently(cluster: Cluster, client: TelegramClient) -> None:
    peer = await client.get_input_entity(CHANNEL)
    cluster.network.latency = 0.2
    started = time.perf_counter()
    await client(history(peer))
    single = time.perf_counter() - started
    started = time.perf_counter()
    await asyncio.gather(*(client(history(peer, 100 + k)) for k in range(8)))
    parallel = time.perf_counter() - started
    assert 0.2 <= single < 0.4
    assert 0.2 <= parallel < 0.6  # eight requests in flight at once, not one after another


async def test_short_flood_wait_is_slept_by_telethon(cluster: Cluster, connect: ClientFactory) -> None:
    client = await connect(flood_sleep_threshold=5)
    peer = await client.get_input_entity(CHANNEL)
    cluster.network.add_fault(Fault("messages.getHistory", error=RpcError(420, "FLOOD_WAIT_1")))
    started = time.perf_counter()
    result = await client(history(peer))
    assert len(result.messages) == 100
    assert time.perf_counter() - started >= 1.0


async def test_long_flood_wait_reaches_the_caller(cluster: Cluster, client: TelegramClient) -> None:
    peer = await client.get_input_entity(CHANNEL)
    cluster.network.add_fault(Fault("messages.getHistory", error=RpcError(420, "FLOOD_WAIT_37")))
    with pytest.raises(errors.FloodWaitError) as caught:
        await client(history(peer))
    assert caught.value.seconds == 37


async def test_token_bucket_refuses_over_the_limit_and_recovers(
    cluster: Cluster, client: TelegramClient
) -> None:
    peer = await client.get_input_entity(CHANNEL)
    # One token a second: the three requests fit in that second even on a loaded machine (at 5/s they did not).
    cluster.network.rate, cluster.network.burst = 1, 3
    for k in range(3):
        await client(history(peer, 200 + k))
    with pytest.raises(errors.FloodWaitError) as caught:
        await client(history(peer))
    assert caught.value.seconds == 1
    await asyncio.sleep(caught.value.seconds)
    await client(history(peer))
    assert cluster.network.flood_waits["messages.getHistory"] == 1
    # Methods outside the history limit are never refused.
    for _ in range(10):
        await client.get_me()


def test_bucket_arithmetic_and_takeout_factor() -> None:
    bucket = TokenBucket(rate=2, burst=2)
    assert bucket.take() == 0 and bucket.take() == 0
    assert bucket.take() == 1  # half a second for a token at 2/s: Telegram rounds up to whole seconds
    slow = TokenBucket(rate=0.1, burst=1)
    slow.take()
    assert slow.take() == 10
    assert slow.take(factor=10) == 1


async def test_takeout_session_wraps_requests(cluster: Cluster, client: TelegramClient, world: World) -> None:
    chat = world.by_username(CHANNEL)
    cluster.confirm_takeout()
    async with client.takeout(channels=True) as takeout:
        ids = [m.id async for m in takeout.iter_messages(CHANNEL, limit=None, wait_time=0, reverse=True)]
    assert ids == [msg_id for msg_id, _ in expected_messages(world, chat)]
    states = list(cluster.state.takeouts.values())
    assert states == ["success"]
    assert cluster.calls["account.finishTakeoutSession"] == 1


async def test_takeout_init_delay_is_reported(cluster: Cluster, client: TelegramClient) -> None:
    cluster.network.add_fault(parse_fault("account.initTakeoutSession=420:TAKEOUT_INIT_DELAY_3600"))
    with pytest.raises(errors.TakeoutInitDelayError) as caught:
        async with client.takeout():
            pass
    assert caught.value.seconds == 3600


async def test_a_second_takeout_invalidates_the_first(cluster: Cluster, client: TelegramClient) -> None:
    cluster.confirm_takeout()
    first = await client(F.account.InitTakeoutSessionRequest(message_channels=True))
    await client(F.account.InitTakeoutSessionRequest(message_channels=True))
    with pytest.raises(errors.TakeoutInvalidError):
        await client(
            F.InvokeWithTakeoutRequest(first.id, F.account.FinishTakeoutSessionRequest(success=True))
        )


async def test_error_on_the_nth_call(cluster: Cluster, client: TelegramClient) -> None:
    peer = await client.get_input_entity(CHANNEL)
    cluster.network.add_fault(parse_fault("messages.getHistory@3=400:CHANNEL_PRIVATE*2"))
    await client(history(peer))
    await client(history(peer))
    for _ in range(2):
        with pytest.raises(errors.ChannelPrivateError):
            await client(history(peer))
    await client(history(peer))


async def test_server_error_is_retried_by_telethon(cluster: Cluster, client: TelegramClient) -> None:
    peer = await client.get_input_entity(CHANNEL)
    cluster.network.add_fault(parse_fault("messages.getHistory=500:INTERNAL_SERVER_ERROR"))
    result = await client(history(peer))
    assert len(result.messages) == 100
    assert cluster.calls["messages.getHistory"] == 2


async def test_dropped_connection_mid_history_loses_nothing(
    cluster: Cluster, client: TelegramClient, world: World
) -> None:
    chat = world.by_username(CHANNEL)
    cluster.network.add_fault(parse_fault("messages.getHistory@2=drop"))
    ids = [m.id async for m in client.iter_messages(CHANNEL, limit=None, wait_time=0, reverse=True)]
    assert ids == [msg_id for msg_id, _ in expected_messages(world, chat)]
    assert cluster.stats()["connections"] >= 2


def test_fault_specs_are_parsed_or_explained() -> None:
    fault = parse_fault("messages.getHistory@4=420:FLOOD_WAIT_5*3")
    assert (fault.method, fault.nth, fault.times, fault.error.message) == (
        "messages.getHistory",
        4,
        3,
        "FLOOD_WAIT_5",
    )
    assert parse_fault("upload.getFile=drop").drop_connection
    with pytest.raises(ValueError, match="expected METHOD"):
        parse_fault("nonsense")
