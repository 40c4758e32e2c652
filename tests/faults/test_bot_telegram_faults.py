"""The bot meets Telegram's faults through the real exporter: each ends in a sentence in the chat
(and the PARTIAL archive of what was read), never silence or "unhandled errors in a TaskGroup"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.handlers import size_warning
from sandbox.netmodel import parse_fault
from sandbox.world.model import Chat
from sandbox.world.truth import expected_messages
from tests.bot.conftest import Product

CHANNEL = "@daily_digest_sandbox"


async def start_export(product: Product) -> None:
    admin = product.admin
    product.say(admin, f"/export {CHANNEL}")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(admin, options, "▶ Export")


async def test_a_flood_wait_on_the_username_lookup_is_answered(product: Product) -> None:
    product.cluster.network.add_fault(parse_fault("contacts.resolveUsername=420:FLOOD_WAIT_3600"))
    product.say(product.admin, f"/export {CHANNEL}")
    reply = await product.reply(product.admin.id, lambda m: "1 h 0 min" in (m.text or ""))
    assert "Traceback" not in reply.text


def after_the_estimate(
    product: Product, monkeypatch: pytest.MonkeyPatch, fault: Callable[[], object]
) -> list[int]:
    """Run ``fault`` once the size warning's estimate is done. "▶ Export" first reads the newest
    history pages for it (bot/handlers/size_warning.py), so a fault counted from before would hit
    the estimate or the export's first pages; counted from here, it counts the export's own calls.
    The list gets the history reads before and after the estimate."""
    estimate, reads = size_warning.check, []

    async def then_fault(*args: Any, **kwargs: Any) -> Any:
        reads.append(product.cluster.calls["messages.getHistory"])
        warning = await estimate(*args, **kwargs)
        reads.append(product.cluster.calls["messages.getHistory"])
        fault()
        return warning

    monkeypatch.setattr(size_warning, "check", then_fault)
    return reads


def message_count(product: Product) -> int:
    world = product.cluster.world
    channel = world.by_username(CHANNEL.removeprefix("@"))
    assert isinstance(channel, Chat)
    return sum(1 for _ in expected_messages(world, channel))


async def test_persistent_5xx_mid_export_delivers_the_partial_archive_with_a_sentence(
    product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The export asks where the history ends (exporter/plan.py) and reads two pages; every later
    # page fails.
    fault = parse_fault("messages.getHistory@4=500:INTERNAL_SERVER_ERROR*1000")
    reads = after_the_estimate(product, monkeypatch, lambda: product.cluster.network.add_fault(fault))
    await start_export(product)
    messages = await product.archive(product.admin.id)
    before, after = reads
    assert after > before  # the estimate read history before the export
    assert 0 < len(messages) < message_count(product)  # what was read before the fault
    texts = product.bot_texts(product.admin.id)
    assert any("servers kept failing" in t for t in texts), texts
    assert not any("TaskGroup" in t or "Traceback" in t for t in texts)


async def test_a_session_revoked_mid_export_says_log_in_again(
    product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The export resolves the channel, asks where its history ends (exporter/plan.py) and reads
    # one page; every later call is refused.
    network = product.cluster.network
    after_the_estimate(product, monkeypatch, lambda: network.revoke_session(after=3, error="SESSION_REVOKED"))
    await start_export(product)
    messages = await product.archive(product.admin.id)
    assert 0 < len(messages) < message_count(product)
    texts = product.bot_texts(product.admin.id)
    assert any("log in again" in t for t in texts), texts
