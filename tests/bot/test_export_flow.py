"""End to end: people talk to the real bot through the sandbox Bot API; the user client reads the sandbox DC."""

from __future__ import annotations

from sandbox.world import World, expected_messages
from tests.bot.conftest import ADMIN_ID, Product


def ids(messages: list[dict]) -> list[tuple[int, int | None]]:
    return [(m["id"], m.get("topic_id")) for m in messages]


async def test_export_by_link_with_one_tap(product: Product, world: World) -> None:
    admin = product.admin
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(admin, options, "▶ Export")
    messages = await product.archive(admin.id)
    channel = world.by_username("daily_digest_sandbox")
    assert ids(messages) == list(expected_messages(world, channel))
    texts = product.bot_texts(admin.id)
    assert any(t.startswith("Done: Daily Digest") and "a second" in t for t in texts)
    # The status message was edited with progress, and ended with the result.
    status = next(
        m
        for m in product.api.messages_in(admin.id)
        if m.outgoing and any("queued" in (v.text or "") for v in m.versions)
    )
    assert any("Exporting Daily Digest" in (v.text or "") for v in status.versions)
    assert "Sending" in status.text


async def test_export_from_the_picker(product: Product, world: World) -> None:
    member = product.member
    forum = world.by_username("project_forum_sandbox")
    # Members pick among the chats an admin shared (tests/faults/test_policy.py).
    await product.running.app.shared.share(forum.peer_id, forum.title, "public_supergroup", ADMIN_ID)
    product.say(member, "/export")
    picker = await product.reply(member.id, lambda m: (m.text or "").startswith("Which chat?"))
    if not any(forum.title[:20] in b["text"] for row in picker.reply_markup["inline_keyboard"] for b in row):
        product.press(member, picker, "Older")
        picker = await product.reply(member.id, lambda m: "page 2" in (m.text or ""))
    product.press(member, picker, forum.title[:20])
    options = await product.reply(member.id, lambda m: (m.text or "").startswith(f"Export {forum.title}"))
    product.press(member, options, "▶ Export")
    messages = await product.archive(member.id)
    assert ids(messages) == list(expected_messages(world, forum))


async def test_export_in_a_group_exports_that_group(product: Product, world: World) -> None:
    group = world.by_username("py_meetup_sandbox")
    await product.running.app.shared.share(group.peer_id, group.title, "public_supergroup", ADMIN_ID)
    chat = product.api.add_chat("supergroup", group.title, chat_id=group.peer_id, members=[product.member])
    product.say(product.member, "/export", chat=chat.id)
    messages = await product.archive(chat.id)
    assert ids(messages) == list(expected_messages(world, group))


async def test_export_in_a_forum_topic_replies_in_that_topic(product: Product, world: World) -> None:
    forum = world.by_username("project_forum_sandbox")
    await product.running.app.shared.share(forum.peer_id, forum.title, "public_supergroup", ADMIN_ID)
    chat = product.api.add_chat("forum", forum.title, chat_id=forum.peer_id, members=[product.member])
    topic = product.api.add_topic(chat, "Exports")
    product.say(product.member, "/export", chat=chat.id, topic=topic)
    messages = await product.archive(chat.id)
    assert ids(messages) == list(expected_messages(world, forum))
    in_topic = [m for m in product.api.messages_in(chat.id, topic=topic) if m.outgoing]
    assert {m.file.kind for m in in_topic if m.file} == {"document"}
    assert any("Done:" in (m.text or "") for m in in_topic)
    assert not [m for m in product.api.messages_in(chat.id) if m.outgoing and m.thread_id != topic.id]


async def test_group_the_account_cannot_read_is_explained(product: Product) -> None:
    chat = product.api.add_chat("supergroup", "Elsewhere", chat_id=-1009999999999, members=[product.member])
    product.say(product.member, "/export", chat=chat.id)
    reply = await product.reply(chat.id, lambda m: "not a member" in (m.text or ""))
    assert "Add that account" in reply.text
    assert not await product.running.app.queue.list_for_user(product.member.id)


async def test_strangers_get_one_refusal_and_nothing_runs(product: Product) -> None:
    stranger = product.stranger
    product.say(stranger, "/export @daily_digest_sandbox")
    refusal = await product.reply(stranger.id, lambda m: "Sorry" in (m.text or ""))
    assert str(stranger.id) in refusal.text
    product.say(stranger, "/export @daily_digest_sandbox")
    product.say(stranger, "/stats")
    await product.settled()
    assert len([m for m in product.api.messages_in(stranger.id) if m.outgoing]) == 1
    assert not await product.running.app.queue.list_for_user(stranger.id)


async def test_admin_commands_are_for_admins_only(product: Product) -> None:
    product.say(product.member, "/stats")
    product.say(product.member, "/allow 7003")
    product.say(product.member, "/help")
    help_text = await product.reply(product.member.id, lambda m: "/export" in (m.text or ""))
    assert "/stats" not in help_text.text
    await product.settled()
    # /help, and one short answer for both admin commands (tests/bot/test_words_access.py).
    texts = product.bot_texts(product.member.id)
    assert len(texts) == 2 and "/stats is for the bot's admins; /help lists what you can do." in texts
    assert await product.running.app.users.role_of(7003) is None


async def test_forged_and_foreign_buttons_do_nothing(product: Product, world: World) -> None:
    admin, member = product.admin, product.member
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    go = next(
        b["callback_data"]
        for row in options.reply_markup["inline_keyboard"]
        for b in row
        if b["text"].startswith("▶")
    )
    # Another user presses the admin's button (as if the data were copied), and a forged one.
    foreign = product.api.state.new_callback_query(member, options, go)
    product.api.push_update({"callback_query": {"id": foreign.id, "from": member.to_api(), "message": options.to_api(),
                                                "chat_instance": "x", "data": go}})  # fmt: skip
    forged = product.api.state.new_callback_query(admin, options, "t:AAAAAAAAAAAA:go")
    product.api.push_update({"callback_query": {"id": forged.id, "from": admin.to_api(), "message": options.to_api(),
                                                "chat_instance": "x", "data": "t:AAAAAAAAAAAA:go"}})  # fmt: skip
    await product.api.wait_for(lambda: foreign.answer is not None and forged.answer is not None)
    assert "not yours" in foreign.answer["text"] and "not yours" in forged.answer["text"]
    assert not await product.running.app.queue.list_for_user(admin.id)
    assert not await product.running.app.queue.list_for_user(member.id)
