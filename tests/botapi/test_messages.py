"""sendMessage, edits, deletes, callbacks, commands, webhooks and the HTTP surface, with Telegram's errors."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)

from sandbox.botapi import BotAPIServer
from tests.botapi.conftest import ApiFactory
from tests.botapi.test_polling import keyboard

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


async def test_text_limits_count_visible_characters(api: BotAPIServer, bot: Bot) -> None:
    alice = api.add_user("Alice")
    await bot.send_message(alice.id, "x" * 4096)
    # Markup does not count, and the limit is in code points: 4096 emoji are 8192 UTF-16 units.
    await bot.send_message(alice.id, f"<b>{'y' * 4096}</b>", parse_mode="HTML")
    await bot.send_message(alice.id, "🏟" * 4096)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="Bad Request: text must be non-empty"):
        await bot.send_message(alice.id, " \n ")
    with pytest.raises(TelegramBadRequest, match="Bad Request: text must be non-empty"):
        await bot.send_message(alice.id, "<b></b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.send_message(alice.id, "Done!", parse_mode="MarkdownV2")
    assert caught.value.message == (
        "Bad Request: can't parse entities: Character '!' is reserved and must be escaped with the preceding '\\'"
    )
    sent = await bot.send_message(alice.id, "*Done*\\!", parse_mode="MarkdownV2")
    assert sent.text == "Done!" and sent.entities is not None and sent.entities[0].type == "bold"
    assert len(api.messages_in(alice.id)) == 4


async def test_replies(api: BotAPIServer, bot: Bot) -> None:
    alice = api.add_user("Alice")
    question = api.send_text(alice, alice.id, "/export")
    answer = await bot.send_message(
        alice.id, "On it", reply_parameters=ReplyParameters(message_id=question.message_id)
    )
    assert answer.reply_to_message is not None and answer.reply_to_message.text == "/export"
    legacy = await bot.send_message(alice.id, "Still on it", reply_to_message_id=question.message_id)
    assert legacy.reply_to_message is not None
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to be replied not found"):
        await bot.send_message(alice.id, "?", reply_parameters=ReplyParameters(message_id=999))
    lenient = ReplyParameters(message_id=999, allow_sending_without_reply=True)
    assert (await bot.send_message(alice.id, "anyway", reply_parameters=lenient)).reply_to_message is None
    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(alice.id, "?", message_thread_id=5)


async def test_inline_keyboards_and_callback_answers(api: BotAPIServer, bot: Bot) -> None:
    alice = api.add_user("Alice")
    longest = "d" * 64
    sent = await bot.send_message(alice.id, "pick", reply_markup=keyboard(longest))
    assert sent.reply_markup is not None
    for data in ("d" * 65, "é" * 33):  # 64 bytes, not characters
        with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
            await bot.send_message(alice.id, "pick", reply_markup=keyboard(data))
    text_only = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="no action")]])
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed in the inline keyboard"):
        await bot.send_message(alice.id, "pick", reply_markup=text_only)

    query = api.press_button(alice, api.messages_in(alice.id)[0], longest)
    with pytest.raises(ValueError, match="no button"):
        api.press_button(alice, api.messages_in(alice.id)[0], "missing")
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    with pytest.raises(TelegramBadRequest, match=too_old):
        await bot.answer_callback_query("12345")
    assert await bot.answer_callback_query(query.id, text="ok", show_alert=True)
    assert query.answer == {"callback_query_id": query.id, "text": "ok", "show_alert": "true"}
    with pytest.raises(TelegramBadRequest, match=too_old):
        await bot.answer_callback_query(query.id)


async def test_edits_keep_history_and_refuse_no_ops(api: BotAPIServer, bot: Bot) -> None:
    alice = api.add_user("Alice")
    sent = await bot.send_message(alice.id, "Working…", reply_markup=keyboard("cancel"))
    for percent in (50, 100):
        await bot.edit_message_text(
            f"Working… {percent}%",
            chat_id=alice.id,
            message_id=sent.message_id,
            reply_markup=keyboard("cancel"),
        )
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.edit_message_text(
            "Working… 100%", chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("cancel")
        )
    assert caught.value.message == NOT_MODIFIED
    # Same text without the keyboard is a change: the keyboard goes.
    done = await bot.edit_message_text("Working… 100%", chat_id=alice.id, message_id=sent.message_id)
    assert not isinstance(done, bool) and done.reply_markup is None
    await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("x")
    )

    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("?", chat_id=alice.id, message_id=999)
    theirs = api.send_text(alice, alice.id, "hi bot")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message can't be edited"):
        await bot.edit_message_text("?", chat_id=alice.id, message_id=theirs.message_id)

    message = api.messages_in(alice.id)[0]
    assert [v.text for v in message.versions] == [
        "Working…",
        "Working… 50%",
        "Working… 100%",
        "Working… 100%",
        "Working… 100%",
    ]
    assert message.button_data() == ["x"] and message.edit_date is not None


async def test_delete_message(api: BotAPIServer, bot: Bot) -> None:
    alice, bob = api.add_user("Alice"), api.add_user("Bob")
    sent = await bot.send_message(alice.id, "oops")
    assert await bot.delete_message(alice.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)
    group = api.add_chat("supergroup", "Team", members=[bob])
    bobs = api.send_text(bob, group, "hello")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message can't be deleted"):
        await bot.delete_message(group.id, bobs.message_id)
    message = api.messages_in(alice.id)[0]
    assert message.deleted and message.text == "oops"  # kept for assertions, gone for the bot


async def test_commands_per_scope(api: BotAPIServer, bot: Bot) -> None:
    commands = [BotCommand(command="export", description="Export a chat")]
    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands(
        [BotCommand(command="stats", description="Stats")], BotCommandScopeAllGroupChats()
    )
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [("export", "Export a chat")]
    assert [c.command for c in await bot.get_my_commands(BotCommandScopeAllGroupChats())] == ["stats"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="Bad Request: BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Export-All", description="x")])


async def test_chat_actions_and_webhooks(api: BotAPIServer, bot: Bot) -> None:
    alice = api.add_user("Alice")
    assert await bot.send_chat_action(alice.id, "upload_document")
    with pytest.raises(TelegramBadRequest, match="Bad Request: wrong parameter action in request"):
        await bot.send_chat_action(alice.id, "dancing")
    assert api.state.chat_actions == [(alice.id, "upload_document", None)]

    assert await bot.set_webhook("https://example.invalid/hook")
    assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    api.send_text(alice, alice.id, "queued")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []


async def test_listens_on_loopback_at_a_chosen_port(make_api: ApiFactory) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = await make_api(port=port)
    assert api.url == f"http://127.0.0.1:{port}"


async def test_http_surface(api: BotAPIServer) -> None:
    alice = api.add_user("Alice")
    base = f"{api.url}/bot{api.token}"
    async with aiohttp.ClientSession() as http:
        # Method names are case-insensitive; GET with a query string and JSON bodies work too.
        async with http.get(
            f"{base}/SENDMESSAGE", params={"chat_id": alice.id, "text": "via GET"}
        ) as response:
            assert response.status == 200 and (await response.json())["result"]["text"] == "via GET"
        async with http.post(
            f"{base}/sendMessage", json={"chat_id": alice.id, "text": "via JSON"}
        ) as response:
            assert (await response.json())["result"]["chat"]["id"] == alice.id
        async with http.post(f"{base}/exportChatHistory") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{api.url}/bot1:wrong/getMe") as response:
            assert response.status == 401 and (await response.json())["description"] == "Unauthorized"
    assert [(c.method, c.status) for c in api.calls] == [
        ("SENDMESSAGE", 200),
        ("sendMessage", 200),
        ("exportChatHistory", 404),
        ("getMe", 401),
    ]
