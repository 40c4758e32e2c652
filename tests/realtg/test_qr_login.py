"""QR login as Telegram runs it (https://core.telegram.org/api/qr-login), real Telethon and real aiogram.

Tokens expire after ~30 s (``expires``) and must be exported again; an account that
lives on another DC answers the scan with ``auth.loginTokenMigrateTo``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from telethon import errors

from exporter.qr_login import login_by_qr
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World
from tests.bot.conftest import ADMIN_ID, Product, product_running
from tests.conftest import ClientFactory


def newest_token(cluster: Cluster) -> bytes | None:
    return next(reversed(cluster.state.login_tokens), None)


async def test_the_bot_renews_its_qr_code_and_a_scan_of_the_second_logs_in(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.state.login_token_ttl = 2  # Telegram's ~30 s, shortened
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        async with product_running(cluster, api, tmp_path / "data", logged_in=False) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            product.say(admin, "/login")
            qr = await product.reply(admin.id, lambda m: m.file is not None and m.file.kind == "photo")
            first = await api.wait_for(lambda: newest_token(cluster))
            # The picture is replaced in place once the first token has expired.
            await api.wait_for(lambda: len(qr.versions) >= 2, timeout=10)
            second = newest_token(cluster)
            assert second != first and len(api.calls_to("editMessageMedia")) >= 1
            assert qr.versions[0].content["photo"] != qr.versions[1].content["photo"]
            with pytest.raises(Exception, match="AUTH_TOKEN_EXPIRED"):
                cluster.accept_login_token(first)  # a phone scanning the old picture
            cluster.accept_login_token(second)
            await product.reply(admin.id, lambda m: (m.text or "").startswith("Logged in as"), timeout=15)
            assert await running.app.client.is_user_authorized()
            await api.wait_for(lambda: qr.deleted_at is not None)


async def test_the_bot_logs_in_an_account_that_lives_on_another_dc(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    world.account_dc = 4  # the bot's session starts on DC 2
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        async with product_running(cluster, api, tmp_path / "data", logged_in=False) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            product.say(admin, "/login")
            token = await api.wait_for(lambda: newest_token(cluster))
            cluster.accept_login_token(token)
            await product.reply(admin.id, lambda m: (m.text or "").startswith("Logged in as"), timeout=15)
            client = running.app.client
            assert client.session.dc_id == 4 and await client.is_user_authorized()
            assert (await client.get_me()).id == world.me.id
            assert cluster.calls["auth.importLoginToken"] == 1


async def test_the_bot_gives_up_after_two_minutes_with_one_sentence(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.handlers.admin.QR_WAIT", 3)  # two minutes, shortened
    cluster.state.login_token_ttl = 1
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        async with product_running(cluster, api, tmp_path / "data", logged_in=False) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            product.say(admin, "/login")
            qr = await product.reply(admin.id, lambda m: m.file is not None and m.file.kind == "photo")
            reply = await product.reply(admin.id, lambda m: "No QR code was scanned" in (m.text or ""))
            assert reply.text.endswith("send /login again when the phone is at hand.")
            assert len(qr.versions) >= 2
            await api.wait_for(lambda: qr.deleted_at is not None)
            assert not await running.app.client.is_user_authorized()


async def test_the_cli_redraws_the_code_and_a_migrating_account_with_a_password_logs_in(
    cluster: Cluster, world: World, connect: ClientFactory
) -> None:
    world.account_dc = 4
    world.password = "correct horse"
    cluster.state.login_token_ttl = 1
    client = await connect(logged_in=False, receive_updates=True)
    shown: list[tuple[str, dt.datetime]] = []

    async def show(url: str, expires: dt.datetime) -> None:
        shown.append((url, expires))
        if len(shown) == 3:
            cluster.accept_login_token(newest_token(cluster))

    with pytest.raises(errors.SessionPasswordNeededError):
        await login_by_qr(client, show, within=20)
    assert len({url for url, _ in shown}) == 3
    user = await client.sign_in(password="correct horse")
    assert user.id == world.me.id and client.session.dc_id == 4
