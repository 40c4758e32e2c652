"""/export's chat picker lists the chats the exporting accounts read, not only the bot's own
session's: the dialogs /login wrote down, each chat once. Real aiogram on the sandbox Bot API, the
second account logged in by scanning the QR code in the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.handlers.picker import PAGE_SIZE
from sandbox.botapi import BotAPIServer
from sandbox.botapi.server import Message
from sandbox.cluster import Cluster
from sandbox.world import World, build_scenario
from sandbox.world.accounts import add_account
from tests.bot.conftest import ADMIN_ID, Product, product_running
from tests.bot.test_words_picker import picker_rows

from .support import KEY, bea, old_news, sandbox_clients


@pytest.fixture
def world() -> World:
    """The small world; Bea reads Old News (the world's own account left it) and a channel both read."""
    built = build_scenario("small")
    add_account(built, "Bea", [old_news(built), built.by_username("daily_digest_sandbox")])
    return built


async def test_the_picker_lists_the_accounts_chats_once(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    async with product_running(
        cluster, api, tmp_path / "data", account_clients=sandbox_clients(cluster), session_key=SecretStr(KEY)
    ) as running:
        product = Product(cluster, api, running, admin, admin, admin)
        vault, digest = old_news(world), world.by_username("daily_digest_sandbox")
        assert digest is not None

        async def offered() -> list[str]:
            product.say(admin, "/export")
            picker = await product.reply(
                admin.id, lambda m: (m.text or "").startswith("Which chat?") and m not in shown
            )
            shown.append(picker)
            return [peer_id for peer_id, _ in await picker_rows(product, picker)]

        shown: list[Message] = []
        own = await offered()
        assert str(vault.peer_id) not in own and str(digest.peer_id) in own

        product.say(admin, "/login")
        await product.reply(admin.id, lambda m: m.file is not None and m.file.kind == "photo")
        token = await api.wait_for(lambda: next(iter(cluster.state.login_tokens), None))
        cluster.accept_login_token(token, bea(world).id)
        await product.reply(admin.id, lambda m: (m.text or "").startswith("Added the exporting account"))

        both = await offered()
        # The bot's own chats first, as before; then Old News, which only Bea reads; Daily Digest,
        # which both read, once; not Bea's Saved Messages.
        assert both[: len(own)] == own
        assert both[len(own) :] == [str(vault.peer_id)]
        assert len(set(both)) == len(both)
        assert str(bea(world).id) not in both

        # Picking it (its page turned to) shows its options, looked up on Bea's account.
        picker = shown[-1]
        for page in range(1, 1 + (len(both) - 1) // PAGE_SIZE):
            turn = next(data for data in picker.button_data() if data.endswith(f":p{page}"))
            api.press_button(admin, picker, turn)
            back = f":p{page - 1}"
            await api.wait_for(lambda back=back: any(data.endswith(back) for data in picker.button_data()))
        product.press(admin, picker, vault.title)
        await api.wait_for(lambda: (picker.text or "").startswith(f"Export {vault.title}"))
