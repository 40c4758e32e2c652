"""A person's chat and Saved Messages are the conversation of the session that resolved them for the
user: /export of one runs there (the bot's own session), never on another exporting account, whose
chat with the same id is its own conversation (the sandbox gives Bea, who never wrote to Zoë, an
empty one; Saved Messages is queued as the own user's id, which on Bea is her empty chat with that
user). Real aiogram on the sandbox Bot API, real Telethon on the sandbox DCs; the archive compared
with the sandbox's ground truth."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.accounts.pool import READER, AccountPool
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import Chat, World, expected_messages
from tests.bot.conftest import ADMIN_ID

from .support import accounts_product, archive_ids, finished, two_account_world


@pytest.fixture
def world() -> World:
    return two_account_world()


@pytest.mark.parametrize("typed", ["@zoe_2", "me"])
async def test_a_person_chat_is_the_own_sessions_conversation(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World, typed: str
) -> None:
    person = world.by_username("zoe_2")
    assert isinstance(person, Chat)
    chat = person if typed != "me" else world.chats[world.me.id]
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        # Bea seen reading that id (an earlier export on her, say): routed like a group, she comes first;
        # the first account, the world's own user (the own session's conversation too), paused.
        await accounts.store.note_chat(accounts.second.id, [f"peer:{chat.peer_id}"], readable=True)
        await accounts.store.set_paused(accounts.first.id, True)
        product.say(product.admin, f"/export {typed}")
        options = await product.reply(
            ADMIN_ID, lambda m: (m.text or "").startswith(f"Export {chat.title}") and bool(m.reply_markup)
        )
        product.press(product.admin, options, "▶ Export")
        await product.reply(
            ADMIN_ID, lambda m: m.message_id == options.message_id and "queued" in (m.text or "")
        )
        (queued,) = await app.queue.list_for_user(ADMIN_ID)
        job = await finished(product, queued.id)
        assert job.state == "done", job.error
        documents = api.documents_in(ADMIN_ID)
        assert archive_ids(documents[-1].path) == list(expected_messages(world, chat))
        assert job.options[READER] is None  # the own session resolved it: recorded in the job
        row = await app.database.fetchone("SELECT account_id FROM jobs WHERE id = ?", (job.id,))
        assert row is not None and row[0] is None


async def test_a_job_tied_to_an_account_waits_for_it_and_takes_no_other(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    """A job whose chat is Bea's own conversation (her preview resolved it), resumed while another
    process holds her: it waits, the free first account untouched, and runs on her once she is free."""
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        app = accounts.product.running.app
        pool = app.accounts
        assert isinstance(pool, AccountPool)
        bea = accounts.second
        assert await accounts.store.lease(bea.id, "another-worker", 60) is not None
        # The job as a worker resumes it (not queued: the product's own workers would claim it too).
        job = SimpleNamespace(id=0, target=str(bea.tg_user_id), options={READER: bea.id})
        waited = asyncio.Event()

        async def waiting() -> None:
            waited.set()

        async def work(client: object) -> object:
            return SimpleNamespace(chat=SimpleNamespace(id=bea.tg_user_id))

        running = asyncio.create_task(pool.run(job, work, on_wait=waiting))  # type: ignore[arg-type]
        await asyncio.wait_for(waited.wait(), 10)
        await asyncio.sleep(3 * pool.wait_poll)
        assert not running.done()
        first = await accounts.store.get(accounts.first.id)
        assert first is not None and first.holder is None  # the free account was not taken
        assert await accounts.store.release(bea.id, "another-worker")
        _, used = await asyncio.wait_for(running, 10)
        assert used.id == bea.id
