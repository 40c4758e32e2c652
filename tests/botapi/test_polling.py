"""The real aiogram polling loop against the sandbox: flows, offsets, allowed_updates, 409, blips, shutdown."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.types import Message as TgMessage

from sandbox.botapi import BotAPIServer, User
from tests.botapi.conftest import ApiFactory, make_bot, run_bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=d, callback_data=d) for d in data]]
    )


def greeter() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: TgMessage) -> None:
        await message.answer("Hello!", reply_markup=keyboard("about"))

    @router.callback_query(F.data == "about")
    async def about(query: CallbackQuery) -> None:
        await query.answer("Sandbox bot")
        assert isinstance(query.message, TgMessage)
        await query.message.edit_text("About this bot")

    return router


def edited_message(user: User, text: str) -> dict[str, object]:
    return {
        "edited_message": {
            "message_id": 99,
            "date": 1,
            "edit_date": 2,
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.to_api(),
            "text": text,
        }
    }


async def test_command_and_button_in_a_private_chat(api: BotAPIServer) -> None:
    alice = api.add_user("Alice")
    async with run_bot(api, greeter()):
        api.send_text(alice, alice.id, "/start")
        await api.wait_for_call("sendMessage")
        greeting = api.messages_in(alice.id)[-1]
        assert greeting.outgoing and greeting.button_data() == ["about"]

        query = api.press_button(alice, greeting, "about")
        await api.wait_for_call("editMessageText")
        await api.wait_for_call("answerCallbackQuery")

    assert query.answer is not None and query.answer["text"] == "Sandbox bot"
    # An edit without reply_markup removes the keyboard, as on Telegram.
    assert [(v.text, v.reply_markup is None) for v in greeting.versions] == [
        ("Hello!", False),
        ("About this bot", True),
    ]
    assert [c.method for c in api.calls if c.method != "getUpdates"] == [
        "getMe",
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    ]


async def test_polling_confirms_by_offset_and_asks_for_handled_types(api: BotAPIServer) -> None:
    alice = api.add_user("Alice")
    # Created before the bot says what it wants, so Telegram keeps it: it is delivered.
    early = api.push_update(edited_message(alice, "before polling"))
    assert early is not None
    async with run_bot(api, greeter()):
        first_poll = api.calls_to("getUpdates")[0]
        assert sorted(json.loads(first_poll.params["allowed_updates"])) == ["callback_query", "message"]
        await api.wait_for(lambda: not api.updates.pending)

        # Created after: no handler asked for edited messages, so Telegram never stores it.
        assert api.push_update(edited_message(alice, "after")) is None
        assert api.updates.dropped[-1]["edited_message"]["text"] == "after"

        api.send_text(alice, alice.id, "/start")
        await api.wait_for_call("sendMessage")
        delivered = [
            u["update_id"]
            for c in api.calls_to("getUpdates")
            if c.ok and c.response
            for u in c.response["result"]
        ]
        assert delivered[0] == early
        # aiogram confirms what it got with offset = last update_id + 1 on its next poll.
        next_offset = str(delivered[-1] + 1)
        await api.wait_for(
            lambda: any(c.params.get("offset") == next_offset for c in api.calls_to("getUpdates"))
        )


def pushed(api: BotAPIServer, update: dict[str, object]) -> int:
    update_id = api.push_update(update)
    assert update_id is not None
    return update_id


async def test_get_updates_offsets_limits_and_wakeup(api: BotAPIServer, bot: Bot) -> None:
    alice = api.add_user("Alice")
    ids = [pushed(api, edited_message(alice, str(n))) for n in range(3)]

    assert [u.update_id for u in await bot.get_updates()] == ids
    # A negative offset keeps only the newest -offset updates and forgets the rest.
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[-1:]
    assert [u["update_id"] for u in api.updates.pending] == ids[-1:]
    assert await bot.get_updates(offset=ids[-1] + 1) == []
    assert api.updates.pending == []

    newer = [pushed(api, edited_message(alice, "x")) for _ in range(2)]
    # The same offset again within 0.5 s: the server hands out one update only.
    assert [u.update_id for u in await bot.get_updates(offset=ids[-1] + 1)] == newer[:1]

    # A parked long poll answers as soon as an update arrives.
    poll = asyncio.create_task(bot.get_updates(offset=newer[-1] + 1, timeout=30))
    await api.wait_for(lambda: api.poll_parked)
    started = time.monotonic()
    api.send_text(alice, alice.id, "wake up")
    updates = await poll
    assert time.monotonic() - started < 0.5
    assert updates[0].message is not None and updates[0].message.text == "wake up"


async def test_a_second_poller_gets_409(make_api: ApiFactory) -> None:
    api = await make_api(conflict_delay=0.2)
    async with run_bot(api, greeter()):
        intruder = make_bot(api)
        try:
            # The intruder's poll ends the dispatcher's; the dispatcher polls again and ends the intruder's.
            with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
                await intruder.get_updates(timeout=10)
        finally:
            await intruder.session.close()
        conflicts = [c for c in api.calls_to("getUpdates") if c.status == 409]
        assert len(conflicts) == 2
        await api.wait_for(lambda: api.poll_parked)  # the dispatcher carries on


async def test_polling_recovers_from_dropped_connections(api: BotAPIServer) -> None:
    alice = api.add_user("Alice")
    async with run_bot(api, greeter()):
        assert api.drop_connections() >= 1
        await api.wait_for(lambda: any(c.aborted for c in api.calls_to("getUpdates")))
        api.send_text(alice, alice.id, "/start")
        await api.wait_for_call("sendMessage")
        await api.wait_for(lambda: api.poll_parked)
    assert len(api.calls_to("sendMessage")) == 1


async def test_shutdown_does_not_wait_for_a_parked_poll(make_api: ApiFactory) -> None:
    api = await make_api()
    raw = make_bot(api)
    try:
        poll = asyncio.create_task(raw.get_updates(timeout=50))
        await api.wait_for(lambda: api.poll_parked)
        started = time.monotonic()
        await api.stop()
        assert time.monotonic() - started < 0.5
        assert await asyncio.wait_for(poll, 1) == []  # answered, empty, not cut off
    finally:
        await raw.session.close()


async def test_a_failing_handler_fails_the_test_at_once(api: BotAPIServer) -> None:
    router = Router()

    @router.message(Command("boom"))
    async def boom(message: TgMessage) -> None:
        raise RuntimeError("handler bug")

    alice = api.add_user("Alice")
    started = time.monotonic()
    with pytest.raises(AssertionError, match="handlers raised"):
        async with run_bot(api, router):
            api.send_text(alice, alice.id, "/boom")
            # aiogram would only log the error; the harness turns the wait into a failure.
            with pytest.raises(AssertionError, match="a handler raised RuntimeError"):
                await api.wait_for_call("sendMessage", timeout=10)
    assert time.monotonic() - started < 5
