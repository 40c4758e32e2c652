"""The bot meets Telegram's faults through the real exporter: each ends in a sentence in the chat
(and the PARTIAL archive of what was read), never silence or "unhandled errors in a TaskGroup"."""

from __future__ import annotations

from sandbox.netmodel import parse_fault
from tests.bot.conftest import Product

CHANNEL = "@daily_digest_sandbox"


async def start_export(product: Product) -> None:
    admin = product.admin
    product.say(admin, f"/export {CHANNEL}")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    product.press(admin, options, "▶ Export")


async def test_a_flood_wait_on_the_username_lookup_is_answered(product: Product) -> None:
    product.cluster.network.add_fault(parse_fault("contacts.resolveUsername=420:FLOOD_WAIT_3600"))
    product.say(product.admin, f"/export {CHANNEL}")
    reply = await product.reply(product.admin.id, lambda m: "1 h 0 min" in (m.text or ""))
    assert "Traceback" not in reply.text


async def test_persistent_5xx_mid_export_delivers_the_partial_archive_with_a_sentence(
    product: Product,
) -> None:
    product.cluster.network.add_fault(parse_fault("messages.getHistory@4=500:INTERNAL_SERVER_ERROR*1000"))
    await start_export(product)
    messages = await product.archive(product.admin.id)
    assert messages
    texts = product.bot_texts(product.admin.id)
    assert any("servers kept failing" in t for t in texts), texts
    assert not any("TaskGroup" in t or "Traceback" in t for t in texts)


async def test_a_session_revoked_mid_export_says_log_in_again(product: Product) -> None:
    product.cluster.network.revoke_session(after=4, error="SESSION_REVOKED")
    await start_export(product)
    await product.archive(product.admin.id)
    texts = product.bot_texts(product.admin.id)
    assert any("log in again" in t for t in texts), texts
