"""Two bot processes in webhook mode side by side on one PostgreSQL database, and a worker.

Telegram posts each update to one of them (a load balancer's choice): what one process learns, the
other knows, because it is in the database. The updates are posted here as Telegram posts them
(core.telegram.org/bots/api#setwebhook: a JSON Update, the secret in X-Telegram-Bot-Api-Secret-Token);
the bots answer through the sandbox Bot API with real aiogram.
"""

from __future__ import annotations

import asyncio
import json
import socket
import zipfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram.client.telegram import TelegramAPIServer
from pydantic import SecretStr

from bot import text
from bot.app import RunningBot, running_bot
from bot.worker import running_worker
from db import JobState
from exporter.client import SessionFile, build_client
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World, expected_messages
from tests.bot.conftest import ADMIN_ID, MEMBER_ID, settings_for
from tests.botapi.conftest import LoopbackSession

SECRET = "webhook_secret-1"
HOOK = "https://bot.example/telegram"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[BotAPIServer]:
    server = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    await server.start()
    yield server
    await server.stop()


def client_of(cluster: Cluster) -> Any:
    return build_client(SessionFile.from_payload(cluster.session_file_payload(cluster.session_string())))


@asynccontextmanager
async def front_end(
    cluster: Cluster, api: BotAPIServer, data: Path, url: str, port: int
) -> AsyncIterator[RunningBot]:
    client = client_of(cluster)
    settings = settings_for(
        api,
        data,
        database_url=SecretStr(url),
        webhook_url=HOOK,
        webhook_secret=SecretStr(SECRET),
        webhook_listen=f"127.0.0.1:{port}",
    )
    session = LoopbackSession(api=TelegramAPIServer.from_base(api.url))
    try:
        async with running_bot(settings, client, session=session) as running:
            yield running
    finally:
        await client.disconnect()


async def post(port: int, update: dict[str, Any], secret: str = SECRET) -> int:
    async with aiohttp.ClientSession() as http:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with http.post(f"http://127.0.0.1:{port}/telegram", json=update, headers=headers) as answer:
            return answer.status


async def test_two_webhook_front_ends_share_the_database_and_a_worker_delivers(
    cluster: Cluster, api: BotAPIServer, world: World, postgres_url: str, tmp_path: Path
) -> None:
    api.add_user("Ada", user_id=ADMIN_ID, username="ada")
    member = api.add_user("Mika", user_id=MEMBER_ID)
    group = world.by_username("py_meetup_sandbox")
    chat = api.add_chat("supergroup", group.title, chat_id=group.peer_id, members=[member])
    ports = [free_port(), free_port()]
    data = tmp_path / "shared-data"
    async with AsyncExitStack() as stack:
        fronts = [
            await stack.enter_async_context(front_end(cluster, api, data, postgres_url, port))
            for port in ports
        ]
        worker_client = client_of(cluster)
        stack.push_async_callback(worker_client.disconnect)
        worker_settings = settings_for(api, data, database_url=SecretStr(postgres_url))
        session = LoopbackSession(api=TelegramAPIServer.from_base(api.url))
        await stack.enter_async_context(
            running_worker(worker_settings, worker_client, session=session, heartbeat_interval=0.5)
        )
        await api.wait_for(lambda: len(api.calls_to("setWebhook")) >= 2, timeout=20)
        assert {call.params.get("url") for call in api.calls_to("setWebhook")} == {HOOK}

        # An admin shares the group through one process; the other process sees it in the database.
        await fronts[0].app.shared.share(group.peer_id, group.title, "public_supergroup", ADMIN_ID)
        api.send_text(member, chat.id, "/export")
        export = api.updates.pending[-1]
        assert await post(ports[0], export, secret="forged") == 401, "an update without the secret is refused"
        assert await post(ports[1], export) == 200

        documents = await api.wait_for(lambda: api.documents_in(chat.id), timeout=60)
        queue = fronts[0].app.queue
        for _ in range(100):
            if [job.state for job in await queue.list_for_user(MEMBER_ID)] == [JobState.DONE]:
                break
            await asyncio.sleep(0.1)
        with zipfile.ZipFile(documents[0].path) as archive:
            messages = json.loads(archive.read("result.json"))["messages"]
        assert [(m["id"], m.get("topic_id")) for m in messages] == list(expected_messages(world, group))

        # The export the second process queued (and the worker ran), listed by the first one.
        api.send_text(member, member.id, "/history")
        assert await post(ports[0], api.updates.pending[-1]) == 200
        listing = await api.wait_for(
            lambda: next(
                (m for m in api.messages_in(member.id) if m.outgoing and group.title in (m.text or "")), None
            ),
            timeout=20,
        )
        assert listing is not None
        assert len(api.documents_in(chat.id)) == 1, "delivered once"


async def test_a_button_sent_through_one_front_end_is_pressed_through_the_other(
    cluster: Cluster, api: BotAPIServer, world: World, postgres_url: str, tmp_path: Path
) -> None:
    """What a set of buttons means is in the database: the options screen one process drew is
    changed through the other, and the first one queues the export as changed there."""
    admin = api.add_user("Ada", user_id=ADMIN_ID, username="ada")
    group = world.by_username("py_meetup_sandbox")
    ports = [free_port(), free_port()]
    async with AsyncExitStack() as stack:
        fronts = [
            await stack.enter_async_context(front_end(cluster, api, tmp_path / "data", postgres_url, port))
            for port in ports
        ]
        await api.wait_for(lambda: len(api.calls_to("setWebhook")) >= 2, timeout=20)

        async def tap(port: int, screen: Any, label: str) -> dict[str, str]:
            data = next(
                button["callback_data"]
                for row in screen.reply_markup["inline_keyboard"]
                for button in row
                if button["text"].startswith(label)
            )
            query = api.press_button(admin, screen, data)
            assert await post(port, api.updates.pending[-1]) == 200
            answer = await api.wait_for(lambda: query.answer, timeout=20)
            assert answer.get("text") != text.STALE_BUTTON, f"{label!r} refused through port {port}"
            return answer

        api.send_text(admin, admin.id, f"/export @{group.username}")
        assert await post(ports[0], api.updates.pending[-1]) == 200
        screen = await api.wait_for(
            lambda: next(
                (m for m in api.messages_in(admin.id) if m.outgoing and (m.text or "").startswith("Export ")),
                None,
            ),
            timeout=30,
        )
        assert "Formats: JSON, HTML\n" in (screen.text or "")
        await tap(ports[1], screen, "▫️ MD")
        await api.wait_for(lambda: "Formats: JSON, HTML, MD\n" in (screen.text or ""), timeout=20)
        await tap(ports[0], screen, text.EXPORT_BUTTON)
        await api.wait_for(lambda: (screen.text or "").startswith("Export of "), timeout=30)
        jobs = await fronts[1].app.queue.list_for_user(ADMIN_ID)
        assert [job.options["formats"] for job in jobs] == [["json", "html", "md"]]
