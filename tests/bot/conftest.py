"""The whole product in one loop: sandbox Telegram (MTProto) + sandbox Bot API + the real bot polling it."""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import ErrorEvent, Update
from pydantic import SecretStr

from bot.accounts import AccountClients
from bot.app import RunningBot, running_bot
from bot.settings import BotSettings
from exporter.client import SessionFile, build_client
from sandbox.botapi import BotAPIServer, Message, User
from sandbox.cluster import Cluster
from tests.botapi.conftest import FAST_BACKOFF, LoopbackSession

ADMIN_ID = 7001
MEMBER_ID = 7002
STRANGER_ID = 7003
# Where the fixture keeps every exception a handler raised (dispatcher workflow data).
HANDLER_FAILURES = "handler_failures"
# Where the fixture keeps the update ids the dispatcher is done with, and an event set on each.
HANDLED = "handled_updates"


class DeliberateFailure(Exception):
    """A test makes a handler raise this on purpose: recorded, but not a failure of the test."""


@dataclass
class Product:
    cluster: Cluster
    api: BotAPIServer
    running: RunningBot
    admin: User
    member: User
    stranger: User
    # update_id of every message the tests' users sent.
    sent: list[int] = field(default_factory=list)

    def say(self, user: User, text: str, chat: object | None = None, **kw: Any) -> Message:
        message = self.api.send_text(user, user.id if chat is None else chat, text, **kw)
        # send_text queued the update just now (no await in between): it is the newest one.
        self.sent.append(self.api.updates.pending[-1]["update_id"])
        return message

    async def settled(self, timeout: float = 20) -> None:
        """Wait until the bot is done with every message sent so far: the Bot API saw a getUpdates
        whose offset confirms them, and the dispatcher finished each (a message that gets no answer,
        as a stranger's second one, leaves nothing else to wait for)."""
        if not self.sent:
            return
        newest = max(self.sent)

        def confirmed() -> bool:
            return any(int(call.params.get("offset", 0)) > newest for call in self.api.calls_to("getUpdates"))

        await self.api.wait_for(confirmed, timeout=timeout)
        # update_id of every update the dispatcher has finished with (handled, ignored or failed).
        handled, changed = self.running.dispatcher[HANDLED]
        async with asyncio.timeout(timeout):
            while not handled.issuperset(self.sent):
                changed.clear()
                await changed.wait()

    async def reply(self, chat: int, predicate: Callable[[Message], bool], timeout: float = 20) -> Message:
        """The first message from the bot in ``chat`` that matches."""
        return await self.api.wait_for(
            lambda: next((m for m in self.api.messages_in(chat) if m.outgoing and predicate(m)), None),
            timeout=timeout,
        )

    def bot_texts(self, chat: int) -> list[str]:
        return [m.text or m.caption or "" for m in self.api.messages_in(chat) if m.outgoing]

    def press(self, user: User, message: Message, label: str) -> None:
        """Tap the button whose text starts with ``label``."""
        for row in (message.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"].startswith(label):
                    self.api.press_button(user, message, button["callback_data"])
                    return
        raise AssertionError(f"no button {label!r} in {message.reply_markup}")

    async def archive(self, chat: int, count: int = 1, timeout: float = 60) -> list[dict]:
        """Wait for ``count`` documents in ``chat``; the messages of the newest archive's result.json."""
        documents = await self.api.wait_for(
            lambda: (docs := self.api.documents_in(chat)) and len(docs) >= count and docs, timeout=timeout
        )
        with zipfile.ZipFile(documents[-1].path) as zf:
            return json.loads(zf.read("result.json"))["messages"]


def settings_for(api: BotAPIServer, data_dir: Path, **overrides: Any) -> BotSettings:
    values: dict[str, Any] = {
        "bot_token": SecretStr(api.token),
        "admin_ids": [ADMIN_ID],
        "allowed_user_ids": [MEMBER_ID],
        "data_dir": data_dir,
        "progress_interval": 0.2,
    }
    values.update(overrides)
    return BotSettings(_env_file=None, **values)


@asynccontextmanager
async def product_running(
    cluster: Cluster,
    api: BotAPIServer,
    data_dir: Path,
    *,
    logged_in: bool = True,
    account_clients: AccountClients | None = None,
    **overrides: Any,
) -> AsyncIterator[RunningBot]:
    string = cluster.session_string() if logged_in else cluster.logged_out_session_string()
    client = build_client(
        SessionFile.from_payload(cluster.session_file_payload(string)), receive_updates=True
    )
    session = LoopbackSession(api=TelegramAPIServer.from_base(api.url))
    try:
        async with running_bot(
            settings_for(api, data_dir, **overrides),
            client,
            session=session,
            backoff=FAST_BACKOFF,
            account_clients=account_clients,
        ) as running:
            failures: list[BaseException] = []
            running.dispatcher[HANDLER_FAILURES] = failures

            # The dispatcher's own error observer runs before the routers' (the product's errors router).
            @running.dispatcher.errors()
            async def fail_fast(event: ErrorEvent) -> object:
                # The product answers the user and logs: make the test fail now, too.
                failures.append(event.exception)
                if not isinstance(event.exception, DeliberateFailure):
                    api.fail_waits(AssertionError(f"a handler raised {event.exception!r}"))
                return UNHANDLED  # on to the product's errors router

            handled: set[int] = set()
            handled_changed = asyncio.Event()

            # Around the whole update: the access check (a message middleware) and the handlers run inside.
            @running.dispatcher.update.outer_middleware()
            async def note_handled(
                handler: Callable[[Update, dict[str, Any]], Awaitable[Any]],
                update: Update,
                data: dict[str, Any],
            ) -> Any:
                try:
                    return await handler(update, data)
                finally:
                    handled.add(update.update_id)
                    handled_changed.set()

            running.dispatcher[HANDLED] = (handled, handled_changed)
            await api.wait_for(lambda: api.poll_parked, timeout=10)
            yield running
            unexpected = [f for f in failures if not isinstance(f, DeliberateFailure)]
            assert not unexpected, unexpected
    finally:
        await client.disconnect()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[BotAPIServer]:
    server = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def product(cluster: Cluster, api: BotAPIServer, tmp_path: Path) -> AsyncIterator[Product]:
    admin = api.add_user("Ada", user_id=ADMIN_ID, username="ada")
    member = api.add_user("Mika", user_id=MEMBER_ID)
    stranger = api.add_user("Stan", user_id=STRANGER_ID)
    async with product_running(cluster, api, tmp_path / "data") as running:
        yield Product(cluster, api, running, admin, member, stranger)
