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
