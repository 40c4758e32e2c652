"""The topic chooser pages through every topic of a big forum (150 here, 24 a page)."""

from __future__ import annotations

import pytest

from bot.handlers.export import TOPICS_PER_PAGE
from sandbox.world import World, build_scenario
from tests.bot.conftest import Product


@pytest.fixture
def world() -> World:
    return build_scenario("forum-large")


def topic_buttons(message: object) -> list[str]:
    rows = message.reply_markup["inline_keyboard"]  # type: ignore[attr-defined]
    return [b["text"][2:].strip() for row in rows for b in row if b["text"][:1] in ("✅", "▫")]


async def test_every_topic_can_be_chosen(product: Product, world: World) -> None:
    admin = product.admin
    forum = world.by_username("big_forum_sandbox")
    titles = [topic.title[:28] for topic in sorted(forum.topics.values(), key=lambda t: t.id, reverse=True)]
    product.say(admin, "/export @big_forum_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Big Forum"))
    assert f"Topics: all {len(forum.topics)}" in options.text
    product.press(admin, options, "Choose topics")
    screen = await product.api.wait_for(lambda: "page 1 of" in (options.text or "") and options)
    seen: list[str] = []
    pages = -(-len(forum.topics) // TOPICS_PER_PAGE)
    for page in range(1, pages + 1):
        assert f"(page {page} of {pages})" in screen.text
        seen += topic_buttons(screen)
        if page < pages:
            product.press(admin, screen, "More topics")
            await product.api.wait_for(lambda p=page: f"page {p + 1} of" in (options.text or ""))
    # Every topic once, in the order the forum lists them (newest activity first, as Telegram does).
    assert len(seen) == len(forum.topics) == 150
    assert sorted(seen) == sorted(titles)
    # The last topic of the last page is left out, and the choice is that topic.
    last = seen[-1]
    product.press(admin, screen, f"✅ {last}")
    await product.api.wait_for(lambda: "149 of 150 chosen" in (options.text or ""))
    product.press(admin, options, "◀ Previous")
    await product.api.wait_for(lambda: f"page {pages - 1} of" in (options.text or ""))
    product.press(admin, options, "Done")
    await product.api.wait_for(lambda: "Topics: 149" in (options.text or ""))
    pressed = options.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[attr-defined]
    found = await product.running.app.buttons.resolve(admin.id, pressed)
    assert found is not None and found[0].kind == "options"
    session = found[0]
    left_out = {topic_id for topic_id, title in session.data["topics"] if title[:28] == last}
    assert left_out and not left_out & set(session.data["choice"]["topics"])
    assert len(session.data["choice"]["topics"]) == 149
