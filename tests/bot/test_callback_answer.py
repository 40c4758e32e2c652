""" "▶ Export" is answered before the target lookup and the size estimate (up to 15 s): Telegram
refuses an answer that comes late ("query is too old") and the button spins until then."""

from __future__ import annotations

from typing import Any

import pytest

from bot.handlers import size_warning
from tests.bot.conftest import Product

CHANNEL = "@daily_digest_sandbox"


async def test_export_button_is_answered_before_the_estimate(
    product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    estimate, answered = size_warning.check, []

    async def check(*args: Any, **kwargs: Any) -> Any:
        queries = product.api.state.callback_queries.values()
        answered.append([query.answer is not None for query in queries])
        return await estimate(*args, **kwargs)

    monkeypatch.setattr(size_warning, "check", check)
    admin = product.admin
    product.say(admin, f"/export {CHANNEL}")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(admin, options, "▶ Export")
    await product.archive(admin.id)
    assert answered == [[True]]
