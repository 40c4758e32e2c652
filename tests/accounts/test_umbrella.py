"""/export all with exporting accounts: each group and channel of the list runs on a free account
that reads it, as a single export does; a person's chat and Saved Messages stay on the bot's own
session, whose dialog list they came from (another account's chat with that person is another
conversation). Real aiogram on the sandbox Bot API, real Telethon on the sandbox DCs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World
from sandbox.world.accounts import add_account
from tests.many.conftest import world as many_world
from tests.many.support import assert_exact

from .support import accounts_product


@pytest.fixture
def world() -> World:
    """tests/many's world; Bea reads "Left Private", which the world's own account left (private:
    no access), and "Digest"."""
    built: World = many_world.__wrapped__()  # type: ignore[attr-defined]
    add_account(built, "Bea", [c for c in built.chats.values() if c.title in ("Left Private", "Digest")])
    return built


async def test_each_chat_of_the_list_runs_on_an_account_that_reads_it(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        admin = product.admin
        product.say(admin, "/export all")
        screen = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export many chats"))
        product.press(admin, screen, "Left chats: out")
        await product.reply(
            admin.id, lambda m: m.message_id == screen.message_id and "Left chats: in" in str(m.reply_markup)
        )
        product.press(admin, screen, "▶ Export")
        summary = await product.reply(admin.id, lambda m: (m.text or "").startswith("Done: "), timeout=120)
        lines = summary.text.splitlines()[1:]
        assert len(lines) == len(world.chats) and all(line.startswith("✅ ") for line in lines), lines
        exported = []
        for document in api.documents_in(admin.id):
            with zipfile.ZipFile(document.path) as archive:
                exported.append(assert_exact(world, json.loads(archive.read("result.json"))).title)
        assert sorted(exported) == sorted(chat.title for chat in world.chats.values())
        rows = await app.database.fetchall(
            "SELECT target, account_id FROM jobs WHERE user_id = ?", (admin.id,)
        )
        on = {int(target): account for target, account in rows}
        names = {accounts.first.id: "Sandbox", accounts.second.id: "Bea"}
        said = {line.split(":", 1)[0].removeprefix("✅ "): line for line in lines}
        for chat in world.chats.values():
            if chat.peer_id > 0:  # a person's chat, Saved Messages: the bot's own session's
                assert on[chat.peer_id] is None, chat.title
            # The summary names the account that read each chat (the job's), the own session none.
            account = on[chat.peer_id]
            assert said[chat.title].endswith(f" (read by {names[account]})" if account else " messages")
        # Left Private only Bea reads; Left Public, left by the world's account and not Bea's, only
        # the own session (whose list named it) resolves: refused by both accounts, it ran there.
        left_private = next(chat for chat in world.chats.values() if chat.title == "Left Private")
        left_public = next(chat for chat in world.chats.values() if chat.title == "Left Public")
        assert on[left_private.peer_id] == accounts.second.id and on[left_public.peer_id] is None
        assert (
            sum(account is not None for account in on.values()) == 6
        )  # five groups and channels, and Left Private
