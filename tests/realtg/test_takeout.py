"""Takeout as Telegram runs it (https://core.telegram.org/api/takeout), through the real Telethon.

A first takeout waits for the user's confirmation; one takeout per account, a newer one
cancels the older; real accounts keep the takeout id in a SQLite session across runs.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from telethon import TelegramClient
from telethon.sessions import SQLiteSession, StringSession
from telethon.tl import functions as F

from exporter.client import SessionFile
from exporter.errors import ExportError
from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.world import World, expected_messages
from tests.bot import conftest as bot_fixtures
from tests.bot.conftest import ADMIN_ID, Product
from tests.conftest import ClientFactory
from tests.exporter.test_export_e2e import target_of

CHANNEL = "daily_digest_sandbox"
GROUP = "py_meetup_sandbox"
# The whole product (real aiogram on the sandbox Bot API), as the bot tests run it.
api = bot_fixtures.api
product = bot_fixtures.product


async def export(client: TelegramClient, username: str, out: Path) -> list[tuple[int, int | None]]:
    resolved = await resolve_target(client, parse_target(f"@{username}"))
    result = await export_chat(client, resolved, ExportOptions(takeout=True), out)
    assert result.complete, result.reason
    with zipfile.ZipFile(result.parts[0].path) as zf:
        return [(m["id"], m.get("topic_id")) for m in json.loads(zf.read("result.json"))["messages"]]


def sqlite_client(cluster: Cluster, path: Path) -> TelegramClient:
    """A client whose session lives in a SQLite file, as a real account's does."""
    payload = SessionFile.from_payload(cluster.session_file_payload(cluster.session_string()))
    if not path.exists():
        stored = SQLiteSession(str(path))
        stored.set_dc(payload.dc_id, payload.host, payload.port)
        stored.auth_key = StringSession(payload.string_session).auth_key
        stored.save()
        stored.close()
    return TelegramClient(
        SQLiteSession(str(path)),
        payload.api_id,
        payload.api_hash,
        flood_sleep_threshold=0,
        receive_updates=False,
    )


async def test_a_first_takeout_waits_for_confirmation(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=r"^Telegram wants the data export confirmed first.*(23 h|1 d)"):
        await export(client, CHANNEL, tmp_path / "first")
    assert cluster.state.takeouts == {}
    cluster.confirm_takeout()  # "Allow" in the service message on the phone
    assert await export(client, CHANNEL, tmp_path / "second") == list(
        expected_messages(world, world.by_username(CHANNEL))
    )


async def test_two_takeout_exports_at_once_share_one_takeout(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    cluster.confirm_takeout()
    cluster.network.latency = 0.01  # both exports are reading at the same time
    channel, group = await asyncio.gather(
        export(client, CHANNEL, tmp_path / "a"), export(client, GROUP, tmp_path / "b")
    )
    assert channel == list(expected_messages(world, world.by_username(CHANNEL)))
    assert group == list(expected_messages(world, world.by_username(GROUP)))
    assert list(cluster.state.takeouts.values()) == ["success"]
    assert client.session.takeout_id is None


async def test_an_interrupted_takeout_is_continued_by_the_next_run(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    cluster.confirm_takeout()
    cluster.network.latency = 0.05
    path = tmp_path / "account.session"
    first = sqlite_client(cluster, path)
    await first.connect()
    running = asyncio.create_task(export(first, CHANNEL, tmp_path / "out"))
    await _until(lambda: cluster.calls["messages.getHistory"] >= 2)
    running.cancel()  # the process stops mid-export
    with pytest.raises(asyncio.CancelledError):
        await running
    await first.disconnect()
    first.session.close()
    assert list(cluster.state.takeouts.values()) == ["open"]

    cluster.network.latency = 0
    again = sqlite_client(cluster, path)
    await again.connect()
    try:
        assert again.session.takeout_id is not None  # what Telethon would refuse a new takeout over
        assert await export(again, CHANNEL, tmp_path / "out") == list(
            expected_messages(world, world.by_username(CHANNEL))
        )
    finally:
        await again.disconnect()
    assert list(cluster.state.takeouts.values()) == ["success"]
    assert cluster.calls["account.initTakeoutSession"] == 1


async def test_a_leftover_takeout_cancelled_by_another_app_is_replaced(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    cluster.confirm_takeout()
    client.session.takeout_id = (await client(F.account.InitTakeoutSessionRequest())).id
    await client(F.account.InitTakeoutSessionRequest())  # another app's export cancels ours
    assert await export(client, CHANNEL, tmp_path / "out") == list(
        expected_messages(world, world.by_username(CHANNEL))
    )
    assert sorted(cluster.state.takeouts.values()) == ["replaced", "replaced", "success"]


async def test_a_takeout_cancelled_mid_export_delivers_what_was_read_and_says_why(
    cluster: Cluster, connect: ClientFactory, world: World, tmp_path: Path
) -> None:
    cluster.confirm_takeout()
    cluster.network.latency = 0.05
    client, other_app = await connect(), await connect()
    resolved = await resolve_target(client, parse_target(f"@{CHANNEL}"))
    running = asyncio.create_task(export_chat(client, resolved, ExportOptions(takeout=True), tmp_path))
    await _until(lambda: cluster.calls["messages.getHistory"] >= 2)
    await other_app(F.account.InitTakeoutSessionRequest())  # e.g. Desktop's "Export chat history"
    stopped = await running
    assert not stopped.complete and stopped.parts[0].path.name.endswith(".PARTIAL.zip")
    assert stopped.reason.startswith("Another Telegram data export on this account")
    assert client.session.takeout_id is None

    cluster.network.latency = 0
    again = await export_chat(client, resolved, ExportOptions(takeout=True), tmp_path)
    assert again.complete
    with zipfile.ZipFile(again.parts[0].path) as zf:
        ids = [(m["id"], m.get("topic_id")) for m in json.loads(zf.read("result.json"))["messages"]]
    assert ids == list(expected_messages(world, world.by_username(CHANNEL)))


@pytest.mark.parametrize("kind", ["private", "group", "saved"])
async def test_common_box_chats_are_read_range_by_range_and_stay_exact(
    cluster: Cluster,
    client: TelegramClient,
    world: World,
    tmp_path: Path,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Desktop reads private chats and basic groups inside takeout one split range at a time
    (messages.getSplitRanges + invokeWithMessagesRange); the server answers only that range."""
    monkeypatch.setattr("sandbox.api.account.SPLIT_RANGE_SIZE", 100)  # 13 ranges over the box
    cluster.confirm_takeout()
    chat = next(c for c in world.chats.values() if c.kind == kind and len(c.slots) >= 100)
    resolved = await resolve_target(client, parse_target(target_of(chat)))
    result = await export_chat(client, resolved, ExportOptions(takeout=True), tmp_path)
    assert result.complete, result.reason
    with zipfile.ZipFile(result.parts[0].path) as zf:
        ids = [(m["id"], m.get("topic_id")) for m in json.loads(zf.read("result.json"))["messages"]]
    assert ids == list(expected_messages(world, chat))
    assert cluster.calls["messages.getSplitRanges"] == 1
    assert cluster.calls["invokeWithMessagesRange"] >= 13


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(2_000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the export never got that far")


async def test_two_takeout_exports_at_once_in_the_bot(product: Product, world: World) -> None:
    product.cluster.confirm_takeout()
    product.cluster.network.latency = 0.01
    group = world.by_username(GROUP)
    await product.running.app.shared.share(group.peer_id, group.title, "public_supergroup", ADMIN_ID)
    # Both screens are made ready first and the two exports started together: started one dialog
    # after the other, the first export (a few hundred messages) could end, and close its takeout,
    # before the second asked for one (seen on a machine at load 6).
    screens = []
    for user, target in ((product.admin, CHANNEL), (product.member, GROUP)):
        product.say(user, f"/export @{target}")
        options = await product.reply(user.id, lambda m: (m.text or "").startswith("Export "))
        product.press(user, options, "Takeout: off")
        screens.append((user, await product.reply(user.id, lambda m: "Takeout: on" in (m.text or ""))))
    for user, options in screens:
        product.press(user, options, "▶ Export")
    admin_messages = await product.archive(product.admin.id)
    member_messages = await product.archive(product.member.id)
    assert [m["id"] for m in admin_messages] == [
        i for i, _ in expected_messages(world, world.by_username(CHANNEL))
    ]
    assert [m["id"] for m in member_messages] == [i for i, _ in expected_messages(world, group)]
    assert list(product.cluster.state.takeouts.values()) == ["success"]
