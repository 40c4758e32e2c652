"""The chat picker tells chats apart: the kind of each (an icon) and, for one title, the @username or id."""

from __future__ import annotations

from bot import text
from sandbox.world import World
from tests.bot.conftest import ADMIN_ID, Product

# The sandbox's kinds of chat (sandbox.world.model.Chat.kind) and the picker's icon for each.
ICONS = {
    "saved": text.KIND_ICONS["saved_messages"],
    "private": text.KIND_ICONS["personal_chat"],
    "group": text.KIND_ICONS["private_group"],
    "supergroup": text.KIND_ICONS["public_supergroup"],
    "forum": text.KIND_ICONS["forum"],
    "channel": text.KIND_ICONS["public_channel"],
}


async def picker_rows(product: Product, picker: object) -> list[tuple[str, str]]:
    """(marked id, label) of every chat the picker offers, from the server side of its buttons."""
    data = picker.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[attr-defined]
    found = await product.running.app.buttons.resolve(product.admin.id, data)
    assert found is not None
    return [(peer_id, label) for peer_id, label in found[0].data["chats"]]


async def test_each_chat_shows_its_kind_and_username(product: Product, world: World) -> None:
    admin = product.admin
    product.say(admin, "/export")
    picker = await product.reply(admin.id, lambda m: (m.text or "").startswith("Which chat?"))
    assert text.PICKER_LEGEND in picker.text
    rows = await picker_rows(product, picker)
    assert len(rows) > 8  # more than one page, all of them labelled
    kinds = set()
    for peer_id, label in rows:
        chat = world.chats[int(peer_id)]
        kinds.add(chat.kind)
        tail = label.rsplit(" · ", 1)[1]
        assert tail.split(" ")[0] == ICONS[chat.kind], (chat.kind, label)
        if chat.username:
            assert tail.endswith(f" @{chat.username}"), label
    # The small world has every kind; the newest 48 dialogs hold all but the oldest private chats.
    assert {"saved", "private", "group", "supergroup", "forum", "channel"} <= kinds
    # What is on the buttons is what the server keeps.
    shown = [b["text"] for row in picker.reply_markup["inline_keyboard"] for b in row]
    assert shown[: len(shown) - 1] == [label for _, label in rows[: len(shown) - 1]]


async def test_chats_of_one_title_are_told_apart_by_id(product: Product, world: World) -> None:
    forum = world.by_username("project_forum_sandbox")
    group = world.by_username("py_meetup_sandbox")
    shared = product.running.app.shared
    # Two chats an admin shared under one title (as two teams' "General" would be).
    await shared.share(forum.peer_id, "General", "public_supergroup", ADMIN_ID)
    await shared.share(group.peer_id, "General", "public_supergroup", ADMIN_ID)
    await shared.share(world.by_username("daily_digest_sandbox").peer_id, "News", "public_channel", ADMIN_ID)
    product.say(product.member, "/export")
    picker = await product.reply(product.member.id, lambda m: (m.text or "").startswith("Which chat?"))
    labels = sorted(b["text"] for row in picker.reply_markup["inline_keyboard"] for b in row)
    assert labels == sorted(
        [
            f"General · 👥 {forum.peer_id}",
            f"General · 👥 {group.peer_id}",
            "News · 📢",
        ]
    )
    # The id on a button is the chat it exports.
    product.press(product.member, picker, f"General · 👥 {group.peer_id}")
    await product.reply(product.member.id, lambda m: (m.text or "").startswith("Export Python Meetup Berlin"))
