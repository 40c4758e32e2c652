"""The account pool (bot/accounts/pool.py) on real Telethon and the sandbox: a process whose lease was
taken stops using the account at once, so Telegram never sees it used from two places."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telethon import TelegramClient

from bot.accounts import AccountPool
from db import SqliteJobQueue, open_database
from db.accounts import AccountStore, SessionCipher
from exporter.export import ExportResult
from sandbox.cluster import Cluster

from .support import sandbox_clients


async def test_a_lost_lease_disconnects_the_account_at_once(cluster: Cluster, tmp_path: Path) -> None:
    database = await open_database(tmp_path / "app.sqlite")
    store = AccountStore(database, SessionCipher(SessionCipher.new_key()))
    account = await store.add(
        cluster.world.me.id, "Sandbox", {"string_session": cluster.session_string()}, None
    )
    pool = AccountPool(store, sandbox_clients(cluster), "worker-1", lease_seconds=30, renew_every=0.2)
    pool.start()
    job = await SqliteJobQueue(database, work_root=tmp_path / "work").submit(1, 1, "@daily_digest_sandbox")
    seen: list[bool] = []
    taken = asyncio.Event()

    async def work(client: TelegramClient) -> ExportResult:
        assert (await client.get_me()).id == cluster.world.me.id
        # Another process takes the account (as if this one had stalled past its lease).
        await database.fetchall(
            "UPDATE accounts SET holder = 'worker-2', lease_until = ? WHERE id = ? RETURNING id",
            (database.now() + 30, account.id),
        )
        taken.set()
        for _ in range(50):
            seen.append(client.is_connected())
            if not seen[-1]:
                break
            await asyncio.sleep(0.05)
        raise RuntimeError("stopped")

    try:
        with pytest.raises(RuntimeError, match="stopped"):
            await pool.run(job, work)
        assert taken.is_set() and seen[0] and not seen[-1], "disconnected within a renewal"
        held = await store.get(account.id)
        assert held is not None and held.holder == "worker-2", "the new holder keeps it"
    finally:
        await pool.stop()
        await database.close()
