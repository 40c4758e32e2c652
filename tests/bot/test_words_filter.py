"""/export @chat <filter>: the filter read back in words before anything starts, the archive holding
exactly what it matches, and a mistake said in one sentence (real aiogram, sandbox Bot API)."""

from __future__ import annotations

import time

from bot import text
from exporter.filters import parse
from sandbox.world import World
from tests.bot.conftest import Product
from tests.filters.brute import Brute

FORUM = "project_forum_sandbox"


async def test_a_typed_filter_is_shown_in_words_and_exports_exactly_its_messages(
    product: Product, world: World
) -> None:
    admin = product.admin
    product.say(admin, f'/export @{FORUM} from:@zoe_2 has:photo,video after:2024-01-01 -"giveaway"')
    shown = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Project"))
    assert "Only: from @zoe_2 · photos or videos · since 1 Jan 2024 · without “giveaway”" in shown.text
    query = 'from:@zoe_2 after:2024-01-01 -"the"'
    product.say(admin, f"/export @{FORUM} {query}")
    options = await product.reply(
        admin.id, lambda m: m is not shown and (m.text or "").startswith("Export Project")
    )
    assert "Only: from @zoe_2 · since 1 Jan 2024 · without “the”" in options.text
    product.press(admin, options, "▶ Export")
    messages = await product.archive(admin.id)
    forum = world.by_username(FORUM)
    users = {f"@{u.username.lower()}": u.id for u in world.users.values() if u.username}
    # The person's zone is UTC until /settings says otherwise.
    wanted = Brute(world, forum, "UTC", time.time(), users).ids(parse(query))  # type: ignore[arg-type]
    assert [m["id"] for m in messages] == wanted and 10 < len(wanted) < len(forum.slots) // 10


async def test_a_mistake_in_the_filter_says_where_and_what_was_expected(product: Product) -> None:
    admin = product.admin
    product.say(admin, f"/export @{FORUM} form:@zoe_2 pinned")
    said = await product.reply(admin.id, lambda m: (m.text or "").startswith("The filter"))
    assert said.text.startswith(
        "The filter has a mistake at character 1 (“form:@zoe_2 pinned”): expected a known"
    )
    assert said.text.endswith("size>, views>) or a word (write form\\: to search for it).")
    product.say(admin, f"/export @{FORUM} from:@zoe_2 (has:photo | has:video")
    said = await product.reply(admin.id, lambda m: m is not said and (m.text or "").startswith("The filter"))
    assert said.text == text.FILTER_MISTAKE_AT_END.format(expected="“)”")
    product.say(admin, f"/export @{FORUM} has:photo,vidoe")
    said = await product.reply(
        admin.id, lambda m: (m.text or "").startswith("The filter has a mistake at character 11")
    )
    assert "(“vidoe”): expected a kind of content (photo, video," in said.text
    await product.settled()
    assert not any("Traceback" in t for t in product.bot_texts(admin.id))
    assert not await product.running.app.queue.list_for_user(admin.id)


async def test_in_a_group_the_filter_follows_export_and_is_said_before_the_job_starts(
    product: Product, world: World
) -> None:
    group = world.by_username("py_meetup_sandbox")
    await product.running.app.shared.share(group.peer_id, group.title, "public_supergroup", product.admin.id)
    chat = product.api.add_chat("supergroup", group.title, chat_id=group.peer_id, members=[product.member])
    product.say(product.member, "/export from:@zoe_2 (has:photo", chat=chat.id)
    await product.reply(
        chat.id, lambda m: (m.text or "") == text.FILTER_MISTAKE_AT_END.format(expected="“)”")
    )
    query = 'from:@zoe_2 -"the"'
    product.say(product.member, f"/export {query}", chat=chat.id)
    messages = await product.archive(chat.id)
    users = {f"@{u.username.lower()}": u.id for u in world.users.values() if u.username}
    wanted = Brute(world, group, "UTC", time.time(), users).ids(parse(query))  # type: ignore[arg-type]
    assert [m["id"] for m in messages] == wanted and 5 < len(wanted) < 30
    # The status message said the filter in words first (it is edited into progress later).
    status = [m for m in product.api.messages_in(chat.id) if m.outgoing and m.versions]
    said = [v.content.get("text") or "" for m in status for v in m.versions]
    assert any(s.endswith("\nOnly: from @zoe_2 · without “the”") for s in said)
