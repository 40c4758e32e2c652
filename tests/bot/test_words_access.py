"""Words for people the bot will not serve: a short answer instead of silence, never one per message."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot import cooldown, text
from tests.bot.conftest import Product


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """bot.cooldown's clock, moved by the test (the rest of the process keeps the real one)."""
    now = [1_000.0]
    monkeypatch.setattr(cooldown, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def answers(product: Product, user_id: int) -> list[str]:
    return product.bot_texts(user_id)


async def test_a_refused_stranger_hears_again_once_per_period(product: Product, clock: list[float]) -> None:
    stranger = product.stranger
    refusal = text.REFUSAL.format(user_id=stranger.id)
    reminder = text.STILL_PRIVATE.format(user_id=stranger.id)
    for _ in range(3):
        product.say(stranger, "/export @daily_digest_sandbox")
    await product.settled()
    # Right after the refusal, more messages get nothing more.
    assert answers(product, stranger.id) == [refusal]
    clock[0] += cooldown.PERIOD + 1
    for _ in range(5):
        product.say(stranger, "hello?")
    await product.settled()
    assert answers(product, stranger.id) == [refusal, reminder]
    clock[0] += cooldown.PERIOD - 1
    product.say(stranger, "/start")
    await product.settled()
    assert answers(product, stranger.id) == [refusal, reminder]
    clock[0] += 2
    product.say(stranger, "/start")
    await product.settled()
    assert answers(product, stranger.id) == [refusal, reminder, reminder]
    assert not await product.running.app.queue.list_for_user(stranger.id)


async def test_a_members_admin_command_is_answered_once_per_period(
    product: Product, clock: list[float]
) -> None:
    member = product.member
    product.say(member, "/stats")
    product.say(member, "/stats")
    product.say(member, "/allow 7003")
    await product.settled()
    # Updates are handled as concurrent tasks: whichever came through first is the one answered.
    first = answers(product, member.id)
    assert len(first) == 1
    assert first[0] in {text.ADMINS_ONLY_COMMAND.format(command=c) for c in ("stats", "allow")}
    clock[0] += cooldown.PERIOD + 1
    product.say(member, "/allow 7003")
    await product.settled()
    assert answers(product, member.id)[1:] == [text.ADMINS_ONLY_COMMAND.format(command="allow")]
    assert await product.running.app.users.role_of(7003) is None
    # An admin's /stats is the real thing, not the refusal.
    product.say(product.admin, "/stats")
    await product.reply(product.admin.id, lambda m: (m.text or "").startswith("Exports:"))
    assert text.ADMINS_ONLY_COMMAND.format(command="stats") not in answers(product, product.admin.id)
