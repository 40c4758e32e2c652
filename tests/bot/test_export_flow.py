"""End to end: people talk to the real bot through the sandbox Bot API; the user client reads the sandbox DC."""

from __future__ import annotations

from sandbox.world import World, expected_messages
from tests.bot.conftest import Product


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
    assert any(t.startswith("Done: Daily Digest") and "msg/s" in t for t in texts)
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
    product.say(member, "/export")
    picker = await product.reply(member.id, lambda m: (m.text or "").startswith("Which chat?"))
    forum = world.by_username("project_forum_sandbox")
    if not any(forum.title[:20] in b["text"] for row in picker.reply_markup["inline_keyboard"] for b in row):
        product.press(member, picker, "Older")
        picker = await product.reply(member.id, lambda m: "page 2" in (m.text or ""))
    product.press(member, picker, forum.title[:20])
    options = await product.reply(member.id, lambda m: (m.text or "").startswith(f"Export {forum.title}"))
    product.press(member, options, "▶ Export")
    messages = await product.archive(member.id)
    assert ids(messages) == list(expected_messages(world, forum))
