"""A person's chat and Saved Messages are the conversation of the session that resolved them for the
user: /export of one runs there (the bot's own session), never on another exporting account, whose
chat with the same id is its own conversation (the sandbox gives Bea, who never wrote to Zoë, an
empty one; Saved Messages is queued as the own user's id, which on Bea is her empty chat with that
user). A schedule of one keeps the session /schedule resolved it on and every job it queues carries
it, so each run reads that conversation too. Real aiogram on the sandbox Bot API, real Telethon on
the sandbox DCs (the schedule timer on a clock the test moves); the archive compared with the
sandbox's ground truth."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.accounts.pool import READER, AccountPool
from db.schedules import DELIVERED
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World, expected_messages
from tests.bot.conftest import ADMIN_ID

from .support import (
    accounts_product,
    archive_ids,
    bea_comes_first,
    finished,
    fired,
    made_schedule,
    moved_clock,
    person_or_saved,
    two_account_world,
)


@pytest.fixture
def world() -> World:
    return two_account_world()


@pytest.mark.parametrize("typed", ["@zoe_2", "me"])
async def test_a_person_chat_is_the_own_sessions_conversation(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World, typed: str
) -> None:
    chat = person_or_saved(world, typed)
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        await bea_comes_first(accounts, chat)
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


@pytest.mark.parametrize("typed", ["@zoe_2", "me"])
async def test_a_scheduled_person_chat_is_the_own_sessions_conversation(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World, typed: str
) -> None:
    chat = person_or_saved(world, typed)
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        clock = moved_clock(app)
        await bea_comes_first(accounts, chat)
        schedule = await made_schedule(product, f"/schedule {typed} daily 03:00 format:json")
        assert schedule.options[READER] is None  # resolved on the own session: kept with the schedule

        ran = await fired(app, clock, schedule.id)
        assert ran.last_result == DELIVERED, ran.last_error
        (queued,) = await app.queue.list_for_user(ADMIN_ID)
        job = await finished(product, queued.id)
        assert job.state == "done", job.error
        assert job.options[READER] is None
        row = await app.database.fetchone("SELECT account_id FROM jobs WHERE id = ?", (job.id,))
        assert row is not None and row[0] is None
        assert archive_ids(api.documents_in(ADMIN_ID)[-1].path) == list(expected_messages(world, chat))
