"""The summary a person reads first: what, how long in words, then how to open the archive."""

from __future__ import annotations

import re

from bot import text
from tests.bot.conftest import Product


async def test_a_small_export_says_under_a_second_and_how_to_open_it(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(admin, options, "▶ Export")
    await product.archive(admin.id)
    summary = await product.reply(admin.id, lambda m: (m.text or "").startswith("Done: Daily Digest"))
    lines = summary.text.splitlines()
    # The sandbox answers at once: 400 messages take well under a second, and no rate is claimed.
    assert re.fullmatch(r"[\d,]+ messages in under a second", lines[1]), lines
    assert "a second)" not in summary.text and " s (" not in summary.text
    assert text.OPEN_HTML in lines
