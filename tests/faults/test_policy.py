"""Who may export what (issue 10 items 3, 11, 12): real aiogram polls the sandbox Bot API, real Telethon
reads the sandbox DCs.

Non-admins export only chats an admin shared, checked on the resolved chat when the job is queued;
each user has a cap on waiting exports; admins see and cancel every job; bad input gets one sentence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.text import NOT_SHARED
from sandbox.botapi import BotAPIServer, User
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from sandbox.world import World, expected_messages
from tests.bot.conftest import ADMIN_ID, MEMBER_ID, STRANGER_ID, Product, product_running

CAP = 2


def buttons(message) -> list[str]:
    return [
        button["text"] for row in (message.reply_markup or {}).get("inline_keyboard", []) for button in row
    ]


async def one_answer(product: Product, user: User, text: str, chat: object | None = None) -> str:
    """Send ``text``; the bot answers it with exactly one message, whose text is returned."""
    where = user.id if chat is None else chat.id
    before = len(product.bot_texts(where))
    product.say(user, text, chat=chat)
    await product.api.wait_for(lambda: len(product.bot_texts(where)) > before, timeout=20)
    # A second answer (or an error message) would come from the same handler: wait until it is done.
    await product.settled()
    answers = product.bot_texts(where)[before:]
    assert len(answers) == 1, answers
    return answers[0]


async def share(product: Product, target: str) -> None:
    answer = await one_answer(product, product.admin, f"/share {target}")
    assert answer.startswith("Shared "), answer


async def options_for(product: Product, user: User, target: str):
    """The options screen the bot sends for ``/export target`` (a new one, not an earlier one)."""
    before = len(product.api.messages_in(user.id))
    product.say(user, f"/export {target}")
    return await product.api.wait_for(
        lambda: next(
            (
                m
                for m in product.api.messages_in(user.id)[before:]
                if m.outgoing and (m.text or "").startswith("Export ") and m.reply_markup
            ),
            None,
        ),
        timeout=20,
    )


def private_chats(world: World) -> list:
    return [chat for chat in world.chats.values() if chat.kind == "private"]


async def test_members_see_and_export_only_shared_chats(product: Product, world: World) -> None:
    member = product.member
    assert "No chat is shared" in await one_answer(product, member, "/export")
    await share(product, "t.me/daily_digest_sandbox")
    product.say(member, "/export")
    picker = await product.reply(member.id, lambda m: (m.text or "").startswith("Which chat?"))
    assert buttons(picker) == ["Daily Digest 📰 · 📢"]
    product.press(member, picker, "Daily Digest")
    options = await product.reply(member.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(member, options, "▶ Export")
    channel = world.by_username("daily_digest_sandbox")
    messages = await product.archive(member.id)
    assert [m["id"] for m in messages] == [i for i, _ in expected_messages(world, channel)]


async def test_sharing_twice_and_unsharing_twice_say_so(product: Product, world: World) -> None:
    admin = product.admin
    channel = world.by_username("daily_digest_sandbox")
    await share(product, "@daily_digest_sandbox")
    assert (await one_answer(product, admin, f"/share {channel.peer_id}")).endswith("was already shared.")
    assert "no longer shared" in await one_answer(product, admin, f"/unshare {channel.peer_id}")
    assert "was not shared" in await one_answer(product, admin, "/unshare t.me/daily_digest_sandbox")
    assert "No chat is shared yet" in await one_answer(product, admin, "/shared")


async def test_admins_share_from_a_picker(product: Product, world: World) -> None:
    admin = product.admin
    people = {chat.title for chat in private_chats(world)}
    for kind in ("channel", "private"):
        before = len(product.api.messages_in(admin.id))
        product.say(admin, "/share")
        picked = await product.api.wait_for(
            lambda before=before: next(
                (
                    m
                    for m in product.api.messages_in(admin.id)[before:]
                    if (m.text or "").startswith("Which chat to share?") and m.reply_markup
                ),
                None,
            ),
            timeout=20,
        )
        # A button is the title, then the kind's icon (and the @username or id): bot.handlers.picker.
        titles = [t.rsplit(" · ", 1)[0] for t in buttons(picked)]
        title = "Daily Digest 📰" if kind == "channel" else next(t for t in titles if t in people)
        product.press(admin, picked, title)
        await product.api.wait_for(
            lambda picked=picked: not picked.reply_markup or "Share it?" in picked.text
        )
    # The private chat waits for a confirmation; the channel was shared at once.
    assert picked.text.startswith(title) and "Share it?" in picked.text
    assert [chat.title for chat in await product.running.app.shared.list_shared()] == ["Daily Digest 📰"]


async def test_typed_targets_are_checked_on_the_resolved_chat(product: Product, world: World) -> None:
    member = product.member
    await share(product, "@daily_digest_sandbox")
    channel = world.by_username("daily_digest_sandbox")
    # Shared by username, exported by numeric id: one chat, one decision.
    options = await options_for(product, member, str(channel.peer_id))
    assert options.text.startswith("Export Daily Digest")
    person = private_chats(world)[0]
    for target in ("me", "saved", str(person.peer_id), "@py_meetup_sandbox", "t.me/project_forum_sandbox"):
        assert await one_answer(product, member, f"/export {target}") == NOT_SHARED, target
    assert not await product.running.app.queue.list_for_user(MEMBER_ID)


async def test_a_button_pressed_after_unsharing_queues_nothing(product: Product) -> None:
    member = product.member
    await share(product, "@daily_digest_sandbox")
    options = await options_for(product, member, "@daily_digest_sandbox")
    assert "no longer shared" in await one_answer(product, product.admin, "/unshare @daily_digest_sandbox")
    product.press(member, options, "▶ Export")
    await product.api.wait_for(lambda: options.text == NOT_SHARED, timeout=20)
    assert not await product.running.app.queue.list_for_user(MEMBER_ID)


async def _member_exports_twice(product: Product) -> None:
    """The member has two exports of a shared chat queued or running. Telegram answers every history
    read with a minute's flood wait, so none can finish first however slow the machine (latency alone
    raced under load)."""
    product.cluster.network.add_fault(parse_fault("messages.getHistory=420:FLOOD_WAIT_60*1000"))
    member, queue = product.member, product.running.app.queue
    await share(product, "@daily_digest_sandbox")
    for _ in range(2):
        product.press(member, await options_for(product, member, "@daily_digest_sandbox"), "▶ Export")
    await _until(lambda: _count(queue, 2))


async def test_unsharing_stops_members_waiting_exports_of_that_chat(product: Product) -> None:
    await _member_exports_twice(product)
    queue = product.running.app.queue
    admin_options = await options_for(product, product.admin, "@daily_digest_sandbox")
    product.press(product.admin, admin_options, "▶ Export")
    await _until(lambda: _count(queue, 1, ADMIN_ID))
    answer = await one_answer(product, product.admin, "/unshare @daily_digest_sandbox")
    assert answer.endswith("2 waiting exports of it were cancelled."), answer
    await _until(lambda: _none_left(queue))
    jobs = await queue.list_for_user(MEMBER_ID)
    assert [job.state for job in jobs] == ["cancelled", "cancelled"]
    told = [t for t in product.bot_texts(MEMBER_ID) if t.startswith("An admin stopped sharing Daily Digest")]
    assert all("so this was cancelled: export #" in t for t in told)
    assert len(told) == 2
    # An admin's own export of it goes on.
    assert (await queue.list_for_user(ADMIN_ID))[0].state in ("queued", "running", "done")


async def test_denying_a_member_stops_their_waiting_exports(product: Product) -> None:
    await _member_exports_twice(product)
    queue = product.running.app.queue
    answer = await one_answer(product, product.admin, f"/deny {MEMBER_ID}")
    assert answer == f"User {MEMBER_ID} can no longer export. 2 of their waiting exports were cancelled."
    await _until(lambda: _none_left(queue))
    assert [job.state for job in await queue.list_for_user(MEMBER_ID)] == ["cancelled", "cancelled"]
    assert not product.api.documents_in(MEMBER_ID)


async def _none_left(queue) -> bool:
    return await queue.count_unfinished(MEMBER_ID) == 0


async def test_sharing_a_private_chat_takes_a_confirmation(product: Product, world: World) -> None:
    admin, member = product.admin, product.member
    person = private_chats(world)[0]
    product.say(admin, f"/share {person.peer_id}")
    question = await product.reply(
        admin.id, lambda m: "private chat of the exporting account" in (m.text or "")
    )
    assert await one_answer(product, member, f"/export {person.peer_id}") == NOT_SHARED
    product.press(admin, question, "Share it")
    await product.api.wait_for(lambda: question.text.startswith("Shared "), timeout=20)
    assert (await options_for(product, member, str(person.peer_id))).text.startswith(f"Export {person.title}")
    listed = await one_answer(product, member, "/shared")
    assert person.title in listed and str(person.peer_id) in listed


async def test_a_group_exports_for_members_once_an_admin_shares_it(product: Product, world: World) -> None:
    group = world.by_username("py_meetup_sandbox")
    chat = product.api.add_chat(
        "supergroup", group.title, chat_id=group.peer_id, members=[product.member, product.admin]
    )
    assert await one_answer(product, product.member, "/export", chat=chat) == NOT_SHARED
    assert "Only admins" in await one_answer(product, product.member, "/share", chat=chat)
    assert (await one_answer(product, product.admin, "/share", chat=chat)).startswith("Shared Python Meetup")
    assert "private chat" in await one_answer(product, product.admin, "/status all", chat=chat)
    assert "private chat" in await one_answer(product, product.member, "/shared", chat=chat)
    product.say(product.member, "/export", chat=chat)
    messages = await product.archive(chat.id)
    assert [m["id"] for m in messages] == [i for i, _ in expected_messages(world, group)]


async def test_admins_export_saved_messages(product: Product, world: World) -> None:
    options = await options_for(product, product.admin, "me")
    assert options.text.startswith("Export Saved Messages")
    product.press(product.admin, options, "▶ Export")
    saved = next(chat for chat in world.chats.values() if chat.kind == "saved")
    messages = await product.archive(ADMIN_ID)
    assert [m["id"] for m in messages] == [i for i, _ in expected_messages(world, saved)]


@pytest.mark.parametrize(
    "command",
    [
        "/export -100",
        "/export 99999999999999999999999",
        "/export 18446744073709551616",
        "/export <script>alert(1)</script>",
        "/export ../../etc/passwd",
        "/allow 99999999999999999999999",
        "/deny -5",
        "/cancel 999999999999999999999",
        "/cancel #-3",
        "/cancel ²",
        "/allow ²",
        "/unshare ²",
        "/share 99999999999999999999999",
        "/unshare 99999999999999999999999",
        "/unshare -5",
        "/status all",
        "/export " + "x" * 4088,
        "/export @" + "a" * 4000,
        "/share " + "<b>" * 1300,
        "/unshare " + "9" * 4000,
        "/allow " + "9" * 4089,
    ],
    ids=lambda command: command[:40],
)
async def test_bad_input_gets_one_sentence(product: Product, command: str) -> None:
    answer = await one_answer(product, product.admin, command)
    assert answer and "Traceback" not in answer and "\n" not in answer.strip(), answer


async def test_long_lists_fit_in_one_message(product: Product, world: World) -> None:
    app, admin = product.running.app, product.admin
    product.cluster.network.latency = 0.5  # slow enough to keep the exports waiting
    long_title = "<b>" + "W" * 120 + "</b>"  # Telegram's 128-character chat title, hostile
    for k in range(60):
        await app.shared.share(-1_000_000_000_000 - k, long_title, "private_channel", ADMIN_ID)
    listed = await one_answer(product, product.member, "/shared")
    assert len(listed) <= 4096 and listed.endswith("more.") and long_title in listed
    channel = world.by_username("daily_digest_sandbox")
    for _ in range(40):
        job = await app.queue.submit(admin.id, admin.id, str(channel.peer_id))
        await app.queue.set_peer(job.id, channel.bare_id, long_title)
    everyone = await one_answer(product, admin, "/status all")
    assert len(everyone) <= 4096 and everyone.endswith("/cancel #ID stops any of them.")
    assert "more." in everyone


@pytest.fixture
async def capped(cluster: Cluster, api: BotAPIServer, tmp_path: Path) -> AsyncIterator[Product]:
    admin = api.add_user("Ada", user_id=ADMIN_ID, username="ada")
    member = api.add_user("Mika", user_id=MEMBER_ID)
    stranger = api.add_user("Stan", user_id=STRANGER_ID)
    async with product_running(cluster, api, tmp_path / "data", max_waiting_per_user=CAP) as running:
        yield Product(cluster, api, running, admin, member, stranger)


async def test_waiting_exports_are_capped_and_admins_oversee_them(capped: Product) -> None:
    product, member, admin = capped, capped.member, capped.admin
    product.cluster.network.latency = 0.5  # slow enough to keep the exports waiting
    await share(product, "@daily_digest_sandbox")
    queue = product.running.app.queue
    for n in range(1, CAP + 1):
        product.press(member, await options_for(product, member, "@daily_digest_sandbox"), "▶ Export")
        await _until(lambda n=n: _count(queue, n))
    refused = await options_for(product, member, "@daily_digest_sandbox")
    product.press(member, refused, "▶ Export")
    await product.api.wait_for(lambda: refused.text.startswith(f"You have {CAP} exports waiting"), timeout=20)
    assert await queue.count_unfinished(MEMBER_ID) == CAP
    # Admins are not capped.
    for _ in range(CAP + 1):
        product.press(admin, await options_for(product, admin, "@daily_digest_sandbox"), "▶ Export")
    await _until(lambda: _count(queue, CAP + 1, ADMIN_ID))

    everyone = await one_answer(product, admin, "/status all")
    waiting = [job for job in await queue.list_for_user(MEMBER_ID) if not job.finished]
    assert all(f"#{job.id}" in everyone for job in waiting) and f"(user {MEMBER_ID})" in everyone
    newest = waiting[0]
    assert (await one_answer(product, admin, f"/cancel #{newest.id}")).startswith(f"Cancelling #{newest.id}")
    told = await product.reply(member.id, lambda m: f"cancelled your export #{newest.id}" in (m.text or ""))
    assert f"user {ADMIN_ID}" in told.text
    # A member cannot cancel someone else's export.
    admin_job = (await queue.list_for_user(ADMIN_ID))[0]
    assert (await one_answer(product, member, f"/cancel #{admin_job.id}")).startswith("Nothing to cancel")
    assert "user" not in await one_answer(product, member, "/status all")


async def _count(queue, wanted: int, user_id: int = MEMBER_ID) -> bool:
    return await queue.count_unfinished(user_id) >= wanted


async def _until(check, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("screen", ["picker", "options"])
async def test_forged_choices_on_a_users_own_buttons_change_nothing(product: Product, screen: str) -> None:
    admin = product.admin
    if screen == "picker":
        product.say(admin, "/export")
        message = await product.reply(admin.id, lambda m: (m.text or "").startswith("Which chat?"))
    else:
        message = await options_for(product, admin, "@project_forum_sandbox")
    token = message.reply_markup["inline_keyboard"][0][0]["callback_data"].split(":")[1]
    before = message.text
    queries = []
    for choice in ("p²", "c²", "t²", "c99999999999999999999999", "p-1", "f../../x", ""):
        # A modified client can send any data with a live token of its own.
        data = f"t:{token}:{choice}"
        query = product.api.state.new_callback_query(admin, message, data)
        update = {"id": query.id, "from": admin.to_api(), "message": message.to_api(), "chat_instance": "x"}
        product.api.push_update({"callback_query": update | {"data": data}})
        queries.append(query)
    await product.api.wait_for(lambda: all(query.answer is not None for query in queries), timeout=20)
    assert message.text == before
    assert not await product.running.app.queue.list_for_user(ADMIN_ID)
