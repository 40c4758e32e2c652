"""429s: injected ones, Telegram-style flood control, and what aiogram does with them."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Router
from aiogram.exceptions import TelegramRetryAfter
from aiogram.filters import Command
from aiogram.types import BufferedInputFile
from aiogram.types import Message as TgMessage

from sandbox.botapi import BotAPIServer, RateLimits, Window
from tests.botapi.conftest import ApiFactory, make_bot, run_bot


def exporter() -> Router:
    router = Router()

    @router.message(Command("export"))
    async def export(message: TgMessage, bot: Bot) -> None:
        status = await message.answer("Working…")
        for percent in (25, 50, 75, 100):
            await status.edit_text(f"Working… {percent}%")
        await bot.send_chat_action(message.chat.id, "upload_document")
        await message.answer_document(BufferedInputFile(b"id,text\n1,hi\n", "export.csv"))

    return router


async def test_injected_429_on_an_edit_and_early_retries(api: BotAPIServer, bot: Bot) -> None:
    alice, bob = api.add_user("Alice"), api.add_user("Bob")
    sent = await bot.send_message(alice.id, "Working…")
    fault = api.inject("editMessageText", 429, "Too Many Requests: retry after 2", retry_after=2)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.edit_message_text("Working… 50%", chat_id=alice.id, message_id=sent.message_id)
    assert (caught.value.retry_after, fault.fired) == (2, 1)
    # Retrying at once is refused again, for every message method in that chat, and not counted as done.
    with pytest.raises(TelegramRetryAfter) as early:
        await bot.edit_message_text("Working… 50%", chat_id=alice.id, message_id=sent.message_id)
    assert early.value.retry_after in (1, 2)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(alice.id, "meanwhile")
    await bot.send_message(bob.id, "other chats are fine")

    assert [(c.method, c.status) for c in api.rejected] == [
        ("editMessageText", 429),
        ("editMessageText", 429),
        ("sendMessage", 429),
    ]
    assert api.rejected[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 2",
        "parameters": {"retry_after": 2},
    }
    assert api.messages_in(alice.id)[0].edits == []


async def test_injected_429_on_an_upload(api: BotAPIServer, bot: Bot) -> None:
    alice = api.add_user("Alice")
    api.inject("sendDocument", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_document(alice.id, BufferedInputFile(b"x" * 1000, "export.csv"))
    assert caught.value.retry_after == 7
    assert api.documents_in(alice.id) == []
    assert list(api.files.incoming.iterdir()) == []


async def test_aiogram_does_not_retry_a_429_inside_a_handler(api: BotAPIServer) -> None:
    alice = api.add_user("Alice")
    api.inject(
        "editMessageText",
        429,
        "Too Many Requests: retry after 1",
        retry_after=1,
        match=lambda params: params["text"].endswith("50%"),
    )
    async with run_bot(api, exporter(), expect_errors=True) as running:
        api.send_text(alice, alice.id, "/export")
        await api.wait_for(lambda: running.errors)
    (error,) = running.errors
    assert isinstance(error, TelegramRetryAfter) and error.retry_after == 1
    # The handler died at the 429: no further edit, no document, "Working… 25%" forever.
    after_start = [(c.method, c.status) for c in api.calls if c.method not in ("getUpdates", "getMe")]
    assert after_start == [("sendMessage", 200), ("editMessageText", 200), ("editMessageText", 429)]
    assert api.messages_in(alice.id)[-1].text == "Working… 25%"


async def test_private_chat_rate_limit_counts_edits(make_api: ApiFactory) -> None:
    api = await make_api(rate_limits=RateLimits())
    alice, bob = api.add_user("Alice"), api.add_user("Bob")
    bot = make_bot(api)
    try:
        status = await bot.send_message(alice.id, "Working…")
        await bot.edit_message_text("Working… 50%", chat_id=alice.id, message_id=status.message_id)
        await bot.send_message(alice.id, "third in 3 s")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.edit_message_text("Working… 100%", chat_id=alice.id, message_id=status.message_id)
        assert caught.value.retry_after == 3
        with pytest.raises(TelegramRetryAfter) as again:
            await bot.send_message(alice.id, "still too early")
        assert again.value.retry_after in (2, 3)
        await bot.send_message(bob.id, "a different chat has its own budget")
    finally:
        await bot.session.close()
    assert [c.status for c in api.rejected] == [429, 429]


async def test_group_rate_limit(make_api: ApiFactory) -> None:
    api = await make_api(rate_limits=RateLimits())
    group = api.add_chat("supergroup", "Team")
    bot = make_bot(api)
    try:
        for n in range(20):
            await bot.send_message(group.id, f"message {n}")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(group.id, "the 21st within a minute")
        assert 59 <= caught.value.retry_after <= 60
    finally:
        await bot.session.close()


async def test_limits_free_up_after_retry_after_and_overall_limit(make_api: ApiFactory) -> None:
    limits = RateLimits(private_chat=(Window(0.5, 1),), overall=(Window(1.0, 3),))
    api = await make_api(rate_limits=limits)
    users = [api.add_user(f"User {n}") for n in range(4)]
    bot = make_bot(api)
    try:
        await bot.send_message(users[0].id, "one")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(users[0].id, "two")
        assert caught.value.retry_after == 1  # whole seconds, at least one
        await asyncio.sleep(caught.value.retry_after + 0.05)  # honour it, as a well-behaved bot would
        await bot.send_message(users[0].id, "two, later")

        await bot.send_message(users[1].id, "hi")
        await bot.send_message(users[2].id, "hi")
        with pytest.raises(TelegramRetryAfter):  # the bot's 30/s (here 3/s) over all chats
            await bot.send_message(users[3].id, "hi")
    finally:
        await bot.session.close()
