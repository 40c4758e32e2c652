"""Harness: the sandbox Bot API server and the real aiogram Dispatcher polling it, in the test's loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import ErrorEvent, TelegramObject
from aiogram.utils.backoff import BackoffConfig

from sandbox.botapi import BotAPIServer

# aiogram's default backoff after a failed getUpdates starts at 1 s; tests that break
# polling on purpose would spend most of their time asleep.
FAST_BACKOFF = BackoffConfig(min_delay=0.05, max_delay=0.2, factor=1.5, jitter=0.0)

ApiFactory = Callable[..., Awaitable[BotAPIServer]]


class InFlight(BaseMiddleware):
    """Counts running handlers: aiogram runs them as detached tasks that stop_polling ignores."""

    def __init__(self) -> None:
        self.running = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.running += 1
        self.idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.running -= 1
            if self.running == 0:
                self.idle.set()


@dataclass
class RunningBot:
    bot: Bot
    dp: Dispatcher
    polling: asyncio.Task[None]
    inflight: InFlight
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture
async def make_api(tmp_path: Path) -> AsyncIterator[ApiFactory]:
    """make_api(**BotAPIServer options) -> a started server, stopped after the test."""
    servers: list[BotAPIServer] = []

    async def factory(**options: Any) -> BotAPIServer:
        server = BotAPIServer(tmp_path / f"botapi-{len(servers)}", **options)
        servers.append(server)
        await server.start()
        return server

    yield factory
    for server in servers:
        await server.stop()


@pytest.fixture
async def api(make_api: ApiFactory) -> BotAPIServer:
    return await make_api()


class LoopbackSession(AiohttpSession):
    """aiogram's own session, without the 250 ms that ``close()`` sleeps to let TLS connections
    wind down: the sandbox speaks plain HTTP on loopback, and the pause would be half the suite's
    time.  Every request still goes through aiogram's code unchanged."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(api: BotAPIServer, *, is_local: bool = False) -> Bot:
    return Bot(
        api.token, session=LoopbackSession(api=TelegramAPIServer.from_base(api.url, is_local=is_local))
    )


@pytest.fixture
async def bot(api: BotAPIServer) -> AsyncIterator[Bot]:
    """A bot for direct API calls, without a dispatcher."""
    client = make_bot(api)
    yield client
    await client.session.close()


@asynccontextmanager
async def run_bot(
    api: BotAPIServer,
    *routers: Router,
    is_local: bool = False,
    expect_errors: bool = False,
    polling_timeout: int = 10,
) -> AsyncIterator[RunningBot]:
    """Poll ``api`` with a real Dispatcher until the block ends.

    A handler exception is recorded, makes every pending ``api.wait_for…`` fail at
    once, and fails the test at the end unless ``expect_errors`` (then the test
    inspects ``RunningBot.errors``): in polling mode aiogram would only log it.
    """
    bot = make_bot(api, is_local=is_local)
    dp = Dispatcher()
    dp.include_routers(*routers)
    inflight = InFlight()
    dp.update.outer_middleware(inflight)
    errors: list[BaseException] = []

    @dp.errors()
    async def record(event: ErrorEvent) -> bool:
        errors.append(event.exception)
        if not expect_errors:
            api.fail_waits(AssertionError(f"a handler raised {event.exception!r}"))
        return True

    polling = asyncio.create_task(
        dp.start_polling(
            bot, handle_signals=False, polling_timeout=polling_timeout, backoff_config=FAST_BACKOFF
        )
    )
    running = RunningBot(bot, dp, polling, inflight, errors)
    try:
        parked = asyncio.ensure_future(api.wait_for(lambda: api.poll_parked))
        await asyncio.wait({polling, parked}, return_when=asyncio.FIRST_COMPLETED)
        if polling.done():  # start-up failed: show why
            parked.cancel()
            polling.result()
        await parked
        yield running
    finally:
        if not polling.done():
            await asyncio.wait_for(inflight.idle.wait(), 10)
            await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
    if errors and not expect_errors:
        raise AssertionError(f"handlers raised: {errors!r}")
