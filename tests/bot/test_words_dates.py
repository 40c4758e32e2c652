"""/export @chat FROM..TO exports those UTC days, the end day included; a wrong range is explained."""

from __future__ import annotations

import datetime as dt

from bot import text
from sandbox.world import World, expected_messages
from tests.bot.conftest import Product


def day_of(world: World, chat: object, msg_id: int) -> dt.date:
    return dt.datetime.fromtimestamp(world.date_of(chat, msg_id), dt.UTC).date()  # type: ignore[arg-type]


async def test_a_typed_date_range_exports_those_days(product: Product, world: World) -> None:
    admin = product.admin
    channel = world.by_username("daily_digest_sandbox")
    every = [msg_id for msg_id, _ in expected_messages(world, channel)]
    first = day_of(world, channel, every[len(every) // 3])
    last = day_of(world, channel, every[2 * len(every) // 3])
    assert first < last
    wanted = [i for i in every if first <= day_of(world, channel, i) <= last]
    # Messages on both sides stay out, and some fall on the last day (its whole day is in).
    assert every[0] not in wanted and every[-1] not in wanted
    assert any(day_of(world, channel, i) == last for i in wanted)
    product.say(admin, f"/export @daily_digest_sandbox {first}..{last}")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    assert f"Range: {first} to {last}" in options.text
    product.press(admin, options, "▶ Export")
    messages = await product.archive(admin.id)
    assert [m["id"] for m in messages] == wanted


async def test_open_ended_and_wrong_ranges(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export @daily_digest_sandbox 2024-05-01..")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    assert "Range: from 2024-05-01 on" in options.text
    # A tap on the range goes back to the usual cycle.
    product.press(admin, options, "Range:")
    await product.api.wait_for(lambda: "Range: everything" in (options.text or ""))
    product.say(admin, "/export @daily_digest_sandbox 2024-03-31..2024-01-01")
    await product.reply(admin.id, lambda m: (m.text or "") == text.DATE_RANGE_BACKWARDS.format(
        typed="2024-03-31..2024-01-01"))  # fmt: skip
    product.say(admin, "/export @daily_digest_sandbox 2024-02-30..2024-03-01")
    await product.reply(
        admin.id, lambda m: (m.text or "").startswith("2024-02-30..2024-03-01 is not a date range")
    )
    await product.settled()
    assert not await product.running.app.queue.list_for_user(admin.id)


async def test_custom_dates_from_the_options_screen(product: Product, world: World) -> None:
    """The "Custom dates…" button asks, a wrong answer is explained and asked again, a command meanwhile is a
    command, and the right one brings the options screen back with those days, which export."""
    admin = product.admin
    channel = world.by_username("daily_digest_sandbox")
    every = [msg_id for msg_id, _ in expected_messages(world, channel)]
    first = day_of(world, channel, every[len(every) // 4])
    last = day_of(world, channel, every[len(every) // 2])
    wanted = [i for i in every if first <= day_of(world, channel, i) <= last]
    assert every[0] not in wanted and every[-1] not in wanted
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(admin, options, text.RANGE_CUSTOM_BUTTON)
    await product.api.wait_for(lambda: (options.text or "").startswith("Which days of Daily Digest"))
    product.say(admin, "last spring")
    await product.reply(admin.id, lambda m: (m.text or "") == (
        f"{text.BAD_DATE_RANGE.format(typed='last spring')} {text.CUSTOM_RANGE_AGAIN}"))  # fmt: skip
    product.say(admin, f"{last}..{first}")
    await product.reply(admin.id, lambda m: (m.text or "").startswith(
        text.DATE_RANGE_BACKWARDS.format(typed=f"{last}..{first}")))  # fmt: skip
    # A command while the bot waits is the command, not a range.
    product.say(admin, "/status")
    await product.settled()
    assert not any("is not a date range" in t and "/status" in t for t in product.bot_texts(admin.id))
    product.say(admin, f"{first} .. {last}")
    again = await product.reply(
        admin.id, lambda m: m is not options and (m.text or "").startswith("Export Daily Digest")
    )
    assert f"Range: {first} to {last}" in again.text
    assert options.text == text.CUSTOM_RANGE_SET.format(range=f"{first} to {last}")
    # The wait is over: dates typed now are nobody's range, and get no screen.
    before = len(product.bot_texts(admin.id))
    product.say(admin, "2024-01-01..2024-01-02")
    await product.settled()
    assert len(product.bot_texts(admin.id)) == before
    product.press(admin, again, "▶ Export")
    messages = await product.archive(admin.id)
    assert [m["id"] for m in messages] == wanted


async def test_back_from_custom_dates_keeps_the_range(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(admin, options, text.RANGE_CUSTOM_BUTTON)
    await product.api.wait_for(lambda: (options.text or "").startswith("Which days"))
    product.press(admin, options, text.BACK)
    await product.api.wait_for(lambda: (options.text or "").startswith("Export Daily Digest"))
    assert "Range: everything" in options.text
    # Back ended the waiting: typed dates now get no answer.
    before = len(product.bot_texts(admin.id))
    product.say(admin, "2024-01-01..2024-01-02")
    await product.settled()
    assert len(product.bot_texts(admin.id)) == before
