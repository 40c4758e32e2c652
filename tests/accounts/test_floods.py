"""Flood waits remembered per account and method (bot/accounts/floods.py): real Telethon on the sandbox,
the waits in the application database, honoured by a client that opens the account later."""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions as F

from bot.accounts.floods import FloodMemory, method_name
from db import open_database
from db.accounts import AccountStore, SessionCipher
from exporter.client import SessionFile, build_client
from sandbox.cluster import Cluster
from sandbox.mtproto.tl import RpcError
from sandbox.netmodel import Fault
from tests.db.support import FakeClock


def test_method_names_are_telegrams() -> None:
    assert method_name(F.messages.GetHistoryRequest(None, 0, None, 0, 0, 0, 0, 0)) == "messages.getHistory"
    assert method_name(F.upload.GetFileRequest(None, 0, 0)) == "upload.getFile"


async def test_a_flood_wait_is_kept_and_a_later_client_of_the_account_honours_it(
    cluster: Cluster, tmp_path: Path
) -> None:
    clock = FakeClock()
    database = await open_database(tmp_path / "app.sqlite", clock=clock)
    store = AccountStore(database, SessionCipher(SessionCipher.new_key()))
    account = await store.add(
        cluster.world.me.id, "Sandbox", {"string_session": cluster.session_string()}, None
    )
    channel = cluster.world.by_username("daily_digest_sandbox")
    cluster.network.add_fault(Fault("messages.getHistory", error=RpcError(420, "FLOOD_WAIT_40")))

    async def client_of_the_account() -> tuple[TelegramClient, FloodMemory]:
        session = await store.session(account.id)
        client = build_client(
            SessionFile.from_payload(cluster.session_file_payload(session["string_session"]))
        )
        memory = FloodMemory(store, account.id, await store.flood_waits(account.id), clock=clock)
        memory.install(client)
        await client.connect()
        return client, memory

    first, _ = await client_of_the_account()
    try:
        with pytest.raises(errors.FloodWaitError) as refused:
            await first.get_messages(channel.username, limit=10)
        assert refused.value.seconds == 40
    finally:
        await first.disconnect()
    assert await store.flood_waits(account.id) == {"messages.getHistory": clock.now + 40}

    # Another process takes the account over 15 s later: it does not ask Telegram before the wait is out.
    clock.advance(15)
    asked = cluster.calls["messages.getHistory"]
    second, memory = await client_of_the_account()
    try:
        with pytest.raises(errors.FloodWaitError) as honoured:
            await second.get_messages(channel.username, limit=10)
        assert honoured.value.seconds == 25 and memory.honoured == 1
        assert cluster.calls["messages.getHistory"] == asked, "the request never left this machine"
        # Other methods are not held back: the wait is Telegram's for getHistory alone.
        me = await second.get_me()
        assert me.id == cluster.world.me.id
        clock.advance(26)
        messages = await second.get_messages(channel.username, limit=10)
        assert len(messages) == 10 and cluster.calls["messages.getHistory"] == asked + 1
    finally:
        await second.disconnect()
        await database.close()
