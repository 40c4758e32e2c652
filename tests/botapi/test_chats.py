"""Groups, forum topics, membership and blocked users, through the real aiogram bot."""

from __future__ import annotations

from collections import Counter

import pytest
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, ChatMemberAdministrator, ChatMemberLeft, ChatMemberOwner
from aiogram.types import Message as TgMessage

from sandbox.botapi import BotAPIServer, ChatKind
from tests.botapi.conftest import run_bot
from tests.botapi.test_polling import keyboard


def admin_only() -> Router:
    router = Router()

    @router.message(Command("stats"))
    async def stats(message: TgMessage, bot: Bot) -> None:
        assert message.from_user is not None
        member = await bot.get_chat_member(message.chat.id, message.from_user.id)
        allowed = member.status in ("creator", "administrator")
        await message.reply("42 exports" if allowed else "Admins only.")

    return router


def topic_bot() -> Router:
    router = Router()

    @router.message(Command("ping"))
    async def ping(message: TgMessage) -> None:
        await message.answer("pong", reply_markup=keyboard("again"))

    @router.callback_query(F.data == "again")
    async def again(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, TgMessage)
        await query.message.answer("pong again")

    return router


async def test_admin_check_in_a_supergroup(api: BotAPIServer) -> None:
    owner, admin, member = api.add_user("Olga"), api.add_user("Adam"), api.add_user("Mia")
    group = api.add_chat("supergroup", "Team", owner=owner, admins=[admin], members=[member])
    async with run_bot(api, admin_only()):
        for user in (member, admin, owner):
            api.send_text(user, group, "/stats")
        await api.wait_for_call("sendMessage", count=3)

    replies = {
        m.reply_to.sender.first_name: m.text for m in api.messages_in(group) if m.outgoing and m.reply_to
    }
    assert replies == {"Mia": "Admins only.", "Adam": "42 exports", "Olga": "42 exports"}


async def test_replies_stay_in_their_forum_topic(api: BotAPIServer) -> None:
    owner = api.add_user("Olga")
    forum = api.add_chat(ChatKind.FORUM, "Project", owner=owner)
    exports, chat = api.add_topic(forum, "Exports"), api.add_topic(forum, "Chat")
    async with run_bot(api, topic_bot()):
        api.send_text(owner, forum, "/ping", topic=exports)
        api.send_text(owner, forum, "/ping")  # General
        await api.wait_for_call("sendMessage", count=2)
        pong = next(m for m in api.messages_in(forum, topic=exports) if m.outgoing)
        api.press_button(owner, pong, "again")
        await api.wait_for_call("sendMessage", count=3)

    def bot_texts(topic: object) -> list[str | None]:
        return [m.text for m in api.messages_in(forum, topic=topic) if m.outgoing]  # type: ignore[arg-type]

    assert bot_texts(exports) == ["pong", "pong again"]
    assert bot_texts(1) == ["pong"]
    assert bot_texts(chat) == []
    # What the bot sent on the wire (aiogram adds the topic itself), and what it got back.
    threads = Counter(c.params.get("message_thread_id") for c in api.calls_to("sendMessage"))
    assert threads == {None: 1, str(exports.id): 2}
    in_topic = next(c.response for c in api.calls_to("sendMessage") if c.params.get("message_thread_id"))
    assert in_topic is not None
    assert in_topic["result"]["is_topic_message"] is True
    assert in_topic["result"]["reply_to_message"]["forum_topic_created"]["name"] == "Exports"


async def test_chat_and_member_lookups(api: BotAPIServer, bot: Bot) -> None:
    owner, admin, stranger = api.add_user("Olga"), api.add_user("Adam"), api.add_user("Sam")
    group = api.add_chat("group", "Friends", owner=owner, admins=[admin], bot_status="administrator")

    assert isinstance(await bot.get_chat_member(group.id, owner.id), ChatMemberOwner)
    adam = await bot.get_chat_member(group.id, admin.id)
    assert isinstance(adam, ChatMemberAdministrator) and adam.can_delete_messages
    assert isinstance(await bot.get_chat_member(group.id, stranger.id), ChatMemberLeft)
    assert isinstance(await bot.get_chat_member(group.id, api.bot.id), ChatMemberAdministrator)
    with pytest.raises(TelegramBadRequest, match="Bad Request: user not found"):
        await bot.get_chat_member(group.id, 424242)

    info = await bot.get_chat(group.id)
    assert (info.type, info.title) == ("group", "Friends")
    assert (await bot.get_chat(f"@{api.add_user('Eve', username='eve').username}")).first_name == "Eve"
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.get_chat(-999)


async def test_blocked_user_gets_nothing(api: BotAPIServer, bot: Bot) -> None:
    alice = api.add_user("Alice")
    sent = await bot.send_message(alice.id, "before")
    api.block_bot(alice)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(alice.id, "after")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(alice.id, "typing")
    with pytest.raises(TelegramForbiddenError):
        await bot.edit_message_text("edited", chat_id=alice.id, message_id=sent.message_id)
    api.block_bot(alice, blocked=False)
    await bot.send_message(alice.id, "unblocked")
    assert [m.text for m in api.messages_in(alice.id)] == ["before", "unblocked"]
    assert [c.status for c in api.rejected] == [403, 403, 403]
