"""The bot's export screen offers a channel's comments, and the archive it sends holds them: the
real bot (aiogram) against the sandbox Bot API, exporting through real Telethon over TCP."""

from __future__ import annotations

import pytest

from bot import text
from sandbox.world import World, build_scenario
from tests.bot.conftest import Product
from tests.comments.test_export_comments import channel_truth


@pytest.fixture
def world() -> World:
    return build_scenario("discussion")


async def test_comments_chosen_on_the_export_screen_arrive_under_their_posts(
    product: Product, world: World
) -> None:
    admin = product.admin
    product.say(admin, "/export @tech_notes_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Tech Notes"))
    assert text.OPTIONS_COMMENTS_OFF in (options.text or "")
    product.press(admin, options, text.COMMENTS_OFF_BUTTON)
    await product.api.wait_for(lambda: text.COMMENTS_ON_BUTTON in str(options.reply_markup))
    assert text.OPTIONS_COMMENTS_ON in (options.text or "")
    product.press(admin, options, text.EXPORT_BUTTON)
    messages = await product.archive(admin.id)
    got = {m["id"]: [c["id"] for c in m["comments"]["messages"]] for m in messages if "comments" in m}
    assert got == channel_truth(world)
    said = await product.reply(admin.id, lambda m: (m.text or "").startswith("Done: Tech Notes"))
    assert "789 comments under 92 posts, each kept under its post." in (said.text or "")


@pytest.mark.parametrize("chat", ["@tech_notes_chat_sandbox", "@quiet_notes_sandbox"])
async def test_chats_without_comments_are_not_offered_them(product: Product, chat: str) -> None:
    admin = product.admin
    product.say(admin, f"/export {chat}")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export "))
    assert "Comments" not in (options.text or "") and "Comments" not in str(options.reply_markup)
