"""/login adds an exporting account by QR code and /accounts lists, pauses and removes it: real aiogram
on the sandbox Bot API, the account's phone scanning the code in the sandbox."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World
from tests.bot.conftest import ADMIN_ID, Product, product_running

from .support import KEY, bea, old_news, sandbox_clients, two_account_world


@pytest.fixture
def world() -> World:
    return two_account_world()


async def test_login_adds_an_account_and_accounts_pauses_and_removes_it(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    async with product_running(
        cluster, api, tmp_path / "data", account_clients=sandbox_clients(cluster), session_key=SecretStr(KEY)
    ) as running:
        product = Product(cluster, api, running, admin, admin, admin)
        pool = running.app.accounts
        assert pool is not None
        product.say(admin, "/accounts")
        await product.reply(admin.id, lambda m: (m.text or "").startswith("No exporting accounts yet"))

        product.say(admin, "/login")
        await product.reply(admin.id, lambda m: m.file is not None and m.file.kind == "photo")
        token = await api.wait_for(lambda: next(iter(cluster.state.login_tokens), None))
        second = bea(world)
        cluster.accept_login_token(token, second.id)
        added = await product.reply(
            admin.id, lambda m: (m.text or "").startswith("Added the exporting account")
        )
        assert added.text == f"Added the exporting account Bea (id {second.id}); it is #1 in /accounts."
        [account] = await pool.store.all()
        assert account.tg_user_id == second.id
        # The session opens as Bea, and is stored only encrypted.
        session = await pool.store.session(account.id)
        row = await running.app.database.fetchone("SELECT session FROM accounts")
        assert row is not None and session["string_session"] not in row[0]
        assert session["string_session"] not in caplog.text
        # Her chats are noted: a job for Old News goes to her first.
        assert await pool.store.readers([f"peer:{old_news(world).peer_id}"]) == {account.id: True}

        product.say(admin, "/accounts")
        listing = await product.reply(admin.id, lambda m: (m.text or "").startswith("Exporting accounts:"))
        assert f"#1 Bea (id {second.id}): ready" in listing.text
        product.press(admin, listing, "⏸ Pause #1")
        await api.wait_for(lambda: "paused" in (listing.text or ""))
        assert (await pool.store.all())[0].paused
        assert await pool.store.lease(account.id, "anyone", 30) is None, "a paused account is not used"
        product.press(admin, listing, "▶ Resume #1")
        await api.wait_for(lambda: "ready" in (listing.text or ""))
        # While a process exports with it, it stays.
        assert await pool.store.lease(account.id, "another-process", 30)
        product.press(admin, listing, "🗑 Remove #1")
        sure = await product.reply(admin.id, lambda m: (m.text or "").startswith("Remove #1 Bea?"))
        product.press(admin, sure, "Yes, remove #1")
        await api.wait_for(lambda: (sure.text or "").startswith("#1 Bea is exporting now, so it stays"))
        assert len(await pool.store.all()) == 1
        await pool.store.release(account.id, "another-process")
        product.press(admin, listing, "🗑 Remove #1")
        sure = await product.reply(
            admin.id,
            lambda m: (m.text or "").startswith("Remove #1 Bea?") and m.message_id != sure.message_id,
        )
        product.press(admin, sure, "Yes, remove #1")
        await api.wait_for(lambda: sure.text == "Removed #1 Bea.")
        assert await pool.store.all() == []


async def test_login_of_an_account_with_a_two_step_password(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    world.password = "correct horse"
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    async with product_running(
        cluster, api, tmp_path / "data", account_clients=sandbox_clients(cluster), session_key=SecretStr(KEY)
    ) as running:
        product = Product(cluster, api, running, admin, admin, admin)
        pool = running.app.accounts
        assert pool is not None
        product.say(admin, "/login")
        token = await api.wait_for(lambda: next(iter(cluster.state.login_tokens), None))
        cluster.accept_login_token(token)  # the world's own account has the password
        await product.reply(
            admin.id, lambda m: (m.text or "").startswith("The account has a two-step password")
        )
        wrong = product.say(admin, "wrong horse")
        await product.reply(admin.id, lambda m: (m.text or "").startswith("That password is wrong"))
        right = product.say(admin, "correct horse")
        added = await product.reply(
            admin.id, lambda m: (m.text or "").startswith("Added the exporting account")
        )
        assert f"(id {world.me.id})" in added.text
        [account] = await pool.store.all()
        assert account.tg_user_id == world.me.id
        # Both password messages were deleted at once.
        assert wrong.deleted and right.deleted
