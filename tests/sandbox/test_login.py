"""Logging the user client in: phone code, two-step password (SRP), QR code."""

from __future__ import annotations

import asyncio

import pytest
from telethon import TelegramClient, errors

from sandbox.cluster import Cluster
from sandbox.world import World
from tests.conftest import ClientFactory


async def test_code_login(connect: ClientFactory, world: World) -> None:
    client = await connect(logged_in=False)
    assert not await client.is_user_authorized()
    await client.send_code_request(world.me.phone)
    with pytest.raises(errors.PhoneCodeInvalidError):
        await client.sign_in(world.me.phone, "00000")
    user = await client.sign_in(world.me.phone, world.login_code)
    assert user.id == world.me.id
    assert await client.is_user_authorized()


async def test_two_step_password(connect: ClientFactory, world: World) -> None:
    world.password = "correct horse battery staple"
    client = await connect(logged_in=False)
    await client.send_code_request(world.me.phone)
    with pytest.raises(errors.SessionPasswordNeededError):
        await client.sign_in(world.me.phone, world.login_code)
    assert not await client.is_user_authorized()
    with pytest.raises(errors.PasswordHashInvalidError):
        await client.sign_in(password="wrong")
    user = await client.sign_in(password=world.password)
    assert user.id == world.me.id
    assert await client.is_user_authorized()


async def _listening(client: TelegramClient) -> None:
    """QRLogin.wait listens for updateLoginToken with an event handler, added when the task first
    runs: the scan must come after that, or the login never completes."""
    for _ in range(1_000):
        if client.list_event_handlers():
            return
        await asyncio.sleep(0)
    raise AssertionError("QRLogin.wait never started listening")


async def _qr_login(cluster: Cluster, client: TelegramClient) -> asyncio.Task:
    qr = await client.qr_login()
    assert qr.url.startswith("tg://login?token=")
    waiting = asyncio.create_task(qr.wait(timeout=10))
    await _listening(client)
    cluster.accept_login_token(qr.token)  # the phone scans the code
    return waiting


async def test_qr_login(cluster: Cluster, connect: ClientFactory, world: World) -> None:
    client = await connect(logged_in=False, receive_updates=True)
    user = await (await _qr_login(cluster, client))
    assert user.id == world.me.id
    assert (await client.get_me()).id == world.me.id


async def test_qr_login_with_two_step_password(
    cluster: Cluster, connect: ClientFactory, world: World
) -> None:
    world.password = "hunter2"
    client = await connect(logged_in=False, receive_updates=True)
    with pytest.raises(errors.SessionPasswordNeededError):
        await (await _qr_login(cluster, client))
    user = await client.sign_in(password="hunter2")
    assert user.id == world.me.id


async def test_qr_token_accepted_by_another_logged_in_client(
    cluster: Cluster, connect: ClientFactory, world: World
) -> None:
    from telethon.tl import functions as F

    phone = await connect()
    client = await connect(logged_in=False, receive_updates=True)
    qr = await client.qr_login()
    waiting = asyncio.create_task(qr.wait(timeout=10))
    await _listening(client)
    await phone(F.auth.AcceptLoginTokenRequest(qr.token))
    assert (await waiting).id == world.me.id


async def test_logout(client: TelegramClient) -> None:
    assert await client.is_user_authorized()
    assert await client.log_out()
