"""Scheduled exports end to end: real aiogram polling the sandbox Bot API, real Telethon reading the
sandbox Telegram over TCP, the timer on a clock the test moves (hours pass without sleeping).

A schedule's series holds every message of the chat once: the first run the whole channel, each
later run exactly the messages that arrived since (checked against the sandbox's own list), a run
with nothing new one short line and no archive, a failed run a sentence with the next run, and the
next run catches up with what the failed one missed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot import text
from bot.handlers.schedules import MOST_SCHEDULES
from bot.jobs.schedules import ScheduleTimer
from db.schedules import DELIVERED, FAILED, NOTHING_NEW, Schedule, ScheduleStore
from exporter.filters import describe, parse
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from sandbox.world import Chat, expected_messages
from tests.bot.conftest import Product

CHANNEL = "daily_digest_sandbox"
FORUM = "project_forum_sandbox"
DAY = 86400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def channel(cluster: Cluster) -> Chat:
    return next(chat for chat in cluster.world.chats.values() if chat.username == CHANNEL)


def truth(cluster: Cluster, chat: Chat) -> list[int]:
    """The ids an export of the channel must hold, from the sandbox's ground truth."""
    return [msg_id for msg_id, _ in expected_messages(cluster.world, chat)]


@pytest.fixture
async def timer(product: Product) -> AsyncIterator[tuple[ScheduleTimer, Clock]]:
    found = product.running.app.schedules
    assert found is not None
    clock = Clock(product.running.app.database.now())
    found.clock = clock
    yield found, clock


async def make_schedule(product: Product, command: str) -> tuple[Schedule, str]:
    """The admin sends ``command``; the schedule made and the bot's answer."""
    product.say(product.admin, command)
    made = await product.reply(product.admin.id, lambda m: (m.text or "").startswith("Scheduled #"))
    return await only_schedule(product), made.text or ""


async def only_schedule(product: Product) -> Schedule:
    (found,) = await ScheduleStore(product.running.app.database).list_for_user(product.admin.id)
    return found


async def settled(product: Product, result: str, runs_before: int) -> Schedule:
    """Wait until the schedule's run after ``runs_before`` ended with ``result``."""
    timer = product.running.app.schedules
    assert timer is not None
    async with asyncio.timeout(60):
        while True:
            timer.wake()
            found = await only_schedule(product)
            if not found.running and found.last_run_at and runs_before < len(await jobs(product)):
                assert found.last_result == result, (found.last_result, found.last_error)
                return found
            await asyncio.sleep(0.1)


async def jobs(product: Product) -> list[int]:
    return [job.id for job in await product.running.app.queue.list_for_user(product.admin.id, limit=100)]


async def fire(product: Product, clock: Clock, at: float) -> int:
    """Move the clock to ``at`` and let the timer look; returns how many jobs there were before."""
    before = len(await jobs(product))
    clock.now = at
    assert product.running.app.schedules is not None
    product.running.app.schedules.wake()
    return before


async def test_a_schedules_runs_deliver_each_message_once(
    product: Product, timer: tuple[ScheduleTimer, Clock]
) -> None:
    _, clock = timer
    admin, chat = product.admin, channel(product.cluster)
    schedule, made = await make_schedule(
        product, f"/schedule @{CHANNEL} daily 03:00 tz:Europe/Berlin format:json"
    )
    assert "daily at 03:00 (Europe/Berlin)" in made and "the whole chat" in made

    # The first run: the whole channel.
    before = await fire(product, clock, schedule.next_run_at + 1)
    first = await product.archive(admin.id, count=1, timeout=60)
    assert [m["id"] for m in first] == truth(product.cluster, chat)
    schedule = await settled(product, DELIVERED, before)
    assert schedule.last_messages == len(first)

    # New messages: the next run carries exactly them.
    added = product.cluster.world.add_messages(chat.peer_id, 3)
    before = await fire(product, clock, schedule.next_run_at + 1)
    second = await product.archive(admin.id, count=2, timeout=60)
    assert [m["id"] for m in second] == added
    schedule = await settled(product, DELIVERED, before)

    # Nothing new, after five days down: one run (not five), one short line, no archive.
    before = await fire(product, clock, schedule.next_run_at + 5 * DAY)
    schedule = await settled(product, NOTHING_NEW, before)
    assert len(await jobs(product)) == before + 1
    assert schedule.next_run_at > clock.now
    nothing = text.NOTHING_NEW.format(title=chat.title)
    assert product.bot_texts(admin.id).count(nothing) == 1
    assert len(product.api.documents_in(admin.id)) == 2

    # Access lost: a sentence with the next run; the run after it catches up.
    missed = product.cluster.world.add_messages(chat.peer_id, 2)
    product.cluster.network.lose_chat_access(after=0)
    before = await fire(product, clock, schedule.next_run_at + 1)
    schedule = await settled(product, FAILED, before)
    assert schedule.last_error is not None and "no access to that chat" in schedule.last_error
    await product.reply(
        admin.id, lambda m: (m.text or "").startswith("Export failed: The exporting account has no access")
    )
    told = await product.reply(admin.id, lambda m: (m.text or "").startswith("This was the scheduled export"))
    assert (told.text or "").endswith("catches up.")
    product.cluster.network.private_after = None
    before = await fire(product, clock, schedule.next_run_at + 1)
    caught_up = await product.archive(admin.id, count=3, timeout=60)
    assert [m["id"] for m in caught_up] == missed
    await settled(product, DELIVERED, before)


async def test_the_list_pauses_resumes_runs_now_and_deletes(
    product: Product, timer: tuple[ScheduleTimer, Clock]
) -> None:
    _, clock = timer
    admin = product.admin
    # A mistake in the filter is said where it is; nothing is scheduled.
    product.say(admin, f"/schedule @{CHANNEL} every 6h has:photo (")
    await product.reply(admin.id, lambda m: (m.text or "").startswith("The filter ends too early"))
    schedule, made = await make_schedule(product, f"/schedule @{CHANNEL} every 6h format:json has:photo")
    assert made.endswith(text.OPTIONS_FILTER.format(words=describe(parse("has:photo"))))
    product.say(admin, "/schedules")
    listing = await product.reply(admin.id, lambda m: (m.text or "").startswith(text.SCHEDULES_TITLE))
    assert "every 6 h" in (listing.text or "") and "not run yet" in (listing.text or "")
    for row in listing.reply_markup["inline_keyboard"]:
        assert all(len(button["callback_data"].encode()) <= 64 for button in row)

    product.press(admin, listing, "⏸ Pause")
    await product.api.wait_for(lambda: "paused" in (listing.text or ""))
    before = await fire(product, clock, schedule.next_run_at + DAY)
    await asyncio.sleep(0.5)
    assert len(await jobs(product)) == before  # paused: the due time passed and nothing ran

    product.press(admin, listing, "▶ Resume")
    await product.api.wait_for(lambda: "paused" not in (listing.text or ""))
    assert (await only_schedule(product)).next_run_at > clock.now  # resumed from now on

    # Run now: the first run of a filtered schedule, then its one line once nothing new matches.
    product.press(admin, listing, "⏩ Run")
    first = await product.archive(admin.id, count=1, timeout=60)
    assert first and all("photo" in m for m in first)
    await settled(product, DELIVERED, before)
    before = len(await jobs(product))
    product.press(admin, listing, "⏩ Run")
    await settled(product, NOTHING_NEW, before)

    product.press(admin, listing, "🗑 Delete")
    await product.api.wait_for(lambda: listing.text == text.SCHEDULES_NONE)
    assert await ScheduleStore(product.running.app.database).list_for_user(admin.id) == []


async def test_someone_elses_schedule_cannot_be_touched(product: Product) -> None:
    schedule, _ = await make_schedule(product, f"/schedule @{CHANNEL} weekly mon 08:00")
    product.say(product.member, "/schedules")
    theirs = await product.reply(product.member.id, lambda m: m.text == text.SCHEDULES_NONE)
    # Callback data comes back from the client as it sends it: a forged one names the admin's schedule.
    forged = f"sch:d:{schedule.id}"
    query = product.api.state.new_callback_query(product.member, theirs, forged)
    product.api.push_update(
        {
            "callback_query": {
                "id": query.id,
                "from": product.member.to_api(),
                "message": theirs.to_api(),
                "chat_instance": "forged",
                "data": forged,
            }
        }
    )
    answer = await product.api.wait_for(
        lambda: next(
            (
                c
                for c in product.api.calls_to("answerCallbackQuery")
                if c.params.get("callback_query_id") == query.id
            ),
            None,
        )
    )
    assert answer.params.get("text") == text.SCHEDULE_GONE
    assert await only_schedule(product) == schedule


async def test_a_run_stopped_by_a_long_flood_wait_sends_no_partial_archive_and_the_next_continues_it(
    product: Product, timer: tuple[ScheduleTimer, Clock]
) -> None:
    _, clock = timer
    admin, chat = product.admin, channel(product.cluster)
    schedule, _ = await make_schedule(product, f"/schedule @{CHANNEL} every 6h format:json")
    # Longer than an export waits unattended (ExportOptions.longest_flood_wait, 1 s here): it stops early.
    exports = product.running.app.exports
    exports.defaults = replace(exports.defaults, longest_flood_wait=1.0)
    product.cluster.network.add_fault(parse_fault("messages.getHistory@2=420:FLOOD_WAIT_3"))
    before = await fire(product, clock, schedule.next_run_at + 1)
    schedule = await settled(product, FAILED, before)
    assert schedule.last_error is not None and "Telegram asked us to wait 3 s" in schedule.last_error
    await product.reply(
        admin.id, lambda m: (m.text or "").startswith("Export failed: Telegram asked us to wait 3 s (until ")
    )
    await product.reply(admin.id, lambda m: (m.text or "").startswith("This was the scheduled export"))
    assert product.api.documents_in(admin.id) == []  # no partial archive in the series
    # Telethon refuses the method until the wait is over (it remembers it), as Telegram would.
    await asyncio.sleep(3)
    before = await fire(product, clock, schedule.next_run_at + 1)
    whole = await product.archive(admin.id, count=1, timeout=60)
    assert [m["id"] for m in whole] == truth(product.cluster, chat)
    await settled(product, DELIVERED, before)


async def test_a_forums_runs_start_after_each_topics_last_delivered_message(
    product: Product, timer: tuple[ScheduleTimer, Clock]
) -> None:
    _, clock = timer
    admin = product.admin
    forum = next(chat for chat in product.cluster.world.chats.values() if chat.username == FORUM)
    schedule, _ = await make_schedule(product, f"/schedule @{FORUM} daily 06:00 format:json")
    before = await fire(product, clock, schedule.next_run_at + 1)
    first = await product.archive(admin.id, count=1, timeout=60)
    assert sorted(m["id"] for m in first) == truth(product.cluster, forum)
    schedule = await settled(product, DELIVERED, before)
    assert set(schedule.last_ids) == {topic.id for topic in forum.topics.values() if topic.ids}

    # New messages in two topics (one of them General): the next run holds exactly them, in their topics.
    quiet, busy = sorted(forum.topics)[:2]
    added = {
        quiet: product.cluster.world.add_messages(forum.peer_id, 2, quiet),
        busy: product.cluster.world.add_messages(forum.peer_id, 3, busy),
    }
    before = await fire(product, clock, schedule.next_run_at + 1)
    second = await product.archive(admin.id, count=2, timeout=60)
    assert {topic: sorted(m["id"] for m in second if m["topic_id"] == topic) for topic in added} == added
    assert len(second) == 5
    await settled(product, DELIVERED, before)


async def test_a_run_the_owner_may_no_longer_export_says_so_and_exports_nothing(
    product: Product, timer: tuple[ScheduleTimer, Clock]
) -> None:
    _, clock = timer
    admin, member, chat = product.admin, product.member, channel(product.cluster)
    product.say(admin, f"/share @{CHANNEL}")
    await product.reply(admin.id, lambda m: (m.text or "").startswith("Shared "))
    product.say(member, f"/schedule @{CHANNEL} every 6h")
    await product.reply(member.id, lambda m: (m.text or "").startswith("Scheduled #"))
    (schedule,) = await ScheduleStore(product.running.app.database).list_for_user(member.id)
    product.say(admin, f"/unshare {chat.peer_id}")
    await product.reply(admin.id, lambda m: "no longer shared" in (m.text or ""))
    clock.now = schedule.next_run_at + 1
    assert product.running.app.schedules is not None
    product.running.app.schedules.wake()
    told = await product.reply(member.id, lambda m: (m.text or "").startswith("The scheduled export of"))
    assert f"did not run: {text.SCHEDULE_NOT_SHARED}" in (told.text or "")
    assert await product.running.app.queue.list_for_user(member.id) == []
    (after,) = await ScheduleStore(product.running.app.database).list_for_user(member.id)
    assert after.last_result == FAILED and after.paused and not after.running
    assert (told.text or "").endswith("It is paused until you resume it in /schedules (or delete it there).")


async def test_someone_not_an_admin_has_at_most_ten_schedules(product: Product) -> None:
    admin, member = product.admin, product.member
    product.say(admin, f"/share @{CHANNEL}")
    await product.reply(admin.id, lambda m: (m.text or "").startswith("Shared "))
    # Eleven at once (the bot handles updates concurrently): ten are made, one is refused.
    for hour in range(MOST_SCHEDULES + 1):
        product.say(member, f"/schedule @{CHANNEL} daily {hour:02d}:00")
    await product.settled(timeout=90)  # eleven chats resolved through Telethon, on a loaded machine
    answers = [t for t in product.bot_texts(member.id) if t.startswith("Scheduled #")]
    assert len(answers) == MOST_SCHEDULES
    assert product.bot_texts(member.id).count(text.SCHEDULES_TOO_MANY.format(most=MOST_SCHEDULES)) == 1
    store = ScheduleStore(product.running.app.database)
    assert len(await store.list_for_user(member.id)) == MOST_SCHEDULES
    # Admins spend their own account's budget: no cap.
    for hour in range(MOST_SCHEDULES + 1):
        product.say(admin, f"/schedule @{CHANNEL} daily {hour:02d}:30")
    await product.settled(timeout=90)
    assert len(await store.list_for_user(admin.id)) == MOST_SCHEDULES + 1
