"""While a big export runs: the status message says in words how it reads and why it waits, and
/status gives the share done and the reading left."""

from __future__ import annotations

import asyncio
import re

import pytest

from sandbox.netmodel import NetworkModel, parse_fault
from sandbox.world import World, build_scenario
from tests.bot.conftest import Product


@pytest.fixture
def world() -> World:
    return build_scenario("channel-large")


@pytest.fixture
def network() -> NetworkModel:
    # 100,000 messages at 100 a request and 30 ms each: long enough to ask /status along the way.
    model = NetworkModel(latency=0.03)
    model.add_fault(parse_fault("messages.getHistory@40=420:FLOOD_WAIT_2"))
    return model


async def test_progress_and_status_in_words(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export @large_channel_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Large Channel"))
    product.press(admin, options, "▶ Export")

    def said(pattern: str) -> str | None:
        return next((v.text for v in options.versions if v.text and re.search(pattern, v.text)), None)

    # The status message is the options message, edited (bot.handlers.export).
    parts = await product.api.wait_for(
        lambda: said(r"Reading: Large Channel \(\d+ parts at once\)"), timeout=60
    )
    assert "×" not in parts
    flood = await product.api.wait_for(lambda: said(r"Waiting 2 s: Telegram limits"), timeout=60)
    assert "the export continues after it" in flood
    # /status: the share done and, once the rate has settled, the reading left (as the status says).
    # The pool stores a running job's progress with its heartbeat: wait for one that has the ETA.
    queue = product.running.app.queue
    async with asyncio.timeout(60):
        # The progress is a database row the pool's heartbeat writes: no event to wait on.
        while not any((job.progress or {}).get("eta") for job in await queue.list_for_user(admin.id)):  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    product.say(admin, "/status")
    await product.settled()
    answer = product.bot_texts(admin.id)[-1]
    assert re.fullmatch(
        r"#\d+ Large Channel: running, [\d,]+ of [\d,]+ messages \(\d+%\), "
        r"about (\d+ min )?\d+ s of reading left",
        answer,
    ), answer
    product.say(admin, "/cancel")
    await product.reply(admin.id, lambda m: (m.text or "").startswith("Cancelling"))
