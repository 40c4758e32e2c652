"""/export all counts against the cap on waiting exports as one request, counted in the database
with its first job's insert (db.jobs): someone at the cap gets the one sentence, and nothing of the
refused request is left behind (no jobs, no umbrella a restart would look at)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import text
from db.umbrellas import UmbrellaStore
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World
from tests.bot.conftest import ADMIN_ID, MEMBER_ID, STRANGER_ID, Product, product_running


@pytest.fixture
async def capped(cluster: Cluster, api: BotAPIServer, tmp_path: Path) -> AsyncIterator[Product]:
    admin = api.add_user("Ada", user_id=ADMIN_ID, username="ada")
    member = api.add_user("Mika", user_id=MEMBER_ID)
    stranger = api.add_user("Stan", user_id=STRANGER_ID)
    async with product_running(cluster, api, tmp_path / "data", max_waiting_per_user=1) as running:
        yield Product(cluster, api, running, admin, member, stranger)


async def test_a_member_at_the_cap_is_refused_and_nothing_is_left(capped: Product, world: World) -> None:
    product, member = capped, capped.member
    product.cluster.network.latency = 0.5  # slow enough to keep the exports waiting
    app = product.running.app
    for name, kind in (("digest_many", "public_channel"), ("meetup_many", "public_supergroup")):
        chat = world.by_username(name)
        await app.shared.share(chat.peer_id, chat.title, kind, ADMIN_ID)
    umbrellas = UmbrellaStore(app.database)
    screens = []
    for _ in range(2):
        product.say(member, "/export all")
        screens.append(
            await product.reply(
                member.id,
                lambda m: (m.text or "").startswith("Export many chats") and m not in screens,
            )
        )
    product.press(member, screens[0], "▶ Export")
    await product.api.wait_for(
        lambda: (screens[0].text or "").startswith("Export of 2 chats queued"), timeout=30
    )
    assert len(await app.queue.list_for_user(MEMBER_ID)) == 2  # the shared two: one request
    product.press(member, screens[1], "▶ Export")
    refused = text.TOO_MANY_WAITING.format(cap=1)
    await product.api.wait_for(lambda: screens[1].text == refused, timeout=30)
    assert len(await app.queue.list_for_user(MEMBER_ID)) == 2
    assert len(await umbrellas.unfinished()) == 1
