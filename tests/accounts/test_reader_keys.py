"""A person's chat read on the bot's own session and the same id read on an exporting account are two
conversations: each has its own work folder and its own incremental series, so "only new since my
last export" on the account starts from nothing, not after what the own session delivered. Real
aiogram on the sandbox Bot API, real Telethon on the sandbox DCs. The sandbox shows an account that
is in a person's chat the own account's messages (its guess, sandbox/world/accounts.py), so a
shared checkpoint shows as an account export that skips them all.

And the migration that adds the reader to the stored keys, on SQLite and PostgreSQL: every row
written before it keeps its meaning (no needless export again), and a schedule of a user made
before /schedule recorded its reader is tied to the own session, which resolved it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import text
from bot.accounts.pool import READER
from db import CheckpointStore, load_migrations, open_database
from db.schedules import DELIVERED, FAILED, ScheduleStore
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from sandbox.world import Chat, World, build_scenario, expected_messages
from sandbox.world.accounts import add_account
from tests.bot.conftest import ADMIN_ID, Product

from .support import (
    accounts_product,
    archive_ids,
    finished,
    fired,
    made_schedule,
    moved_clock,
    old_news,
)

MIGRATIONS = load_migrations()


@pytest.fixture
def world() -> World:
    """Bea, the second account, is in Old News and in a chat with Zoë."""
    world = build_scenario("small")
    add_account(world, "Bea", [old_news(world), zoe(world)])
    return world


def zoe(world: World) -> Chat:
    person = world.by_username("zoe_2")
    assert isinstance(person, Chat)
    return person


async def export_zoe(product: Product, *, after: int, new_only: bool = False) -> int:
    """/export @zoe_2, "only new" when asked, ▶ Export: the job's id once its status says queued."""
    product.say(product.admin, "/export @zoe_2")
    options = await product.reply(
        ADMIN_ID, lambda m: m.message_id > after and (m.text or "").startswith("Export Zoë")
    )
    if new_only:
        product.press(product.admin, options, "Range:")
        await product.api.wait_for(lambda: "Range: only new since my last export" in (options.text or ""))
    product.press(product.admin, options, "▶ Export")
    await product.reply(ADMIN_ID, lambda m: m.message_id == options.message_id and "queued" in (m.text or ""))
    jobs = await product.running.app.queue.list_for_user(ADMIN_ID)
    return max(job.id for job in jobs)


async def test_an_accounts_conversation_has_its_own_folder_and_series(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    chat = zoe(world)
    truth = list(expected_messages(world, chat))
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        bea = accounts.second
        # The first account is the world's own user: paused, the account preview can only be Bea's.
        await accounts.store.set_paused(accounts.first.id, True)

        own = await finished(product, await export_zoe(product, after=0))
        assert own.state == "done", own.error
        assert own.options[READER] is None
        assert archive_ids(api.documents_in(ADMIN_ID)[-1].path) == truth

        # The own session flood-waited on the lookup: the preview, and so the job, is Bea's.
        cluster.network.add_fault(parse_fault("contacts.resolveUsername=420:FLOOD_WAIT_3600"))
        last_screen = max(m.message_id for m in api.messages_in(ADMIN_ID))
        hers = await finished(product, await export_zoe(product, after=last_screen, new_only=True))
        assert hers.state == "done", hers.error
        assert hers.options[READER] == bea.id
        row = await app.database.fetchone("SELECT account_id FROM jobs WHERE id = ?", (hers.id,))
        assert row is not None and row[0] == bea.id
        documents = api.documents_in(ADMIN_ID)
        # Her conversation's first archive holds all of it: the own session's delivery is not hers.
        assert len(documents) == 2
        assert archive_ids(documents[-1].path) == truth
        assert hers.work_dir is not None and own.work_dir is not None
        assert Path(hers.work_dir).parent != Path(own.work_dir).parent

        checkpoints = CheckpointStore(app.database)
        newest = {None: truth[-1][0]}
        assert await checkpoints.last_exported(ADMIN_ID, chat.peer_id) == newest
        assert await checkpoints.last_exported(ADMIN_ID, chat.peer_id, reader=bea.id) == newest


async def test_a_schedule_made_through_an_account_runs_on_it_and_stops_once_it_is_removed(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    """/schedule resolves as /export's preview does: the own session flood-waited, on Bea, whose
    conversation every run reads; Bea removed, the next run is refused and the schedule paused, told
    once, instead of a job that fails the same way every period."""
    truth = list(expected_messages(world, zoe(world)))
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        bea = accounts.second
        await accounts.store.set_paused(accounts.first.id, True)
        clock = moved_clock(app)
        cluster.network.add_fault(parse_fault("contacts.resolveUsername=420:FLOOD_WAIT_3600"))
        schedule = await made_schedule(product, "/schedule @zoe_2 daily 03:00 format:json")
        assert schedule.options[READER] == bea.id

        ran = await fired(app, clock, schedule.id)
        assert ran.last_result == DELIVERED, ran.last_error
        (job,) = await app.queue.list_for_user(ADMIN_ID)
        row = await app.database.fetchone("SELECT account_id FROM jobs WHERE id = ?", (job.id,))
        assert row is not None and row[0] == bea.id
        assert archive_ids(api.documents_in(ADMIN_ID)[-1].path) == truth

        assert await accounts.store.remove(bea.id)
        refused = await fired(app, clock, schedule.id)
        assert (refused.last_result, refused.last_error) == (FAILED, text.SCHEDULE_READER_REMOVED)
        assert refused.paused
        assert len(await app.queue.list_for_user(ADMIN_ID)) == 1  # no job queued to fail
        await product.reply(ADMIN_ID, lambda m: text.SCHEDULE_READER_REMOVED in (m.text or ""))


async def test_the_migration_keeps_what_was_stored(db_target: Path | str) -> None:
    before = len(MIGRATIONS) - 1
    assert MIGRATIONS[-1].name == "reader_keys"
    old = await open_database(db_target, migrations=MIGRATIONS[:before])
    async with old, old.transaction() as connection:
        await connection.execute(
            "INSERT INTO export_checkpoints (user_id, peer_id, topic_id, max_id, job_id, exported_at) "
            "VALUES (20, 555, NULL, 40, NULL, 1.0), (20, 555, 7, 12, NULL, 1.0)"
        )
        await connection.execute(
            "INSERT INTO exported_files (user_id, peer_id, file_key, path, job_id, exported_at) "
            "VALUES (20, 555, 'doc:1:9', 'files/a.txt', NULL, 1.0)"
        )
        for target in ("555", "-1001234"):
            await connection.execute(
                "INSERT INTO schedules (user_id, chat_id, target, title, rule_kind, anchor_at, "
                "time_zone, options, next_run_at, created_at) "
                "VALUES (20, 20, ?, 't', 'daily', 0, 'UTC', ?, 0, 0)",
                (target, json.dumps({"formats": ["json"], "filter": "from:zoe"})),
            )
    async with await open_database(db_target) as db:
        checkpoints = CheckpointStore(db)
        assert await checkpoints.last_exported(20, 555) == {None: 40, 7: 12}
        assert await checkpoints.exported_files(20, 555) == {"doc:1:9": "files/a.txt"}
        assert await checkpoints.last_exported(20, 555, reader=3) == {}
        assert await checkpoints.exported_files(20, 555, reader=3) == {}
        # A series per reader: the account's moves on its own, the other stays.
        await checkpoints.record_exported(20, 555, {None: 90}, None, reader=3)
        await checkpoints.record_files(20, 555, {"doc:1:9": "files/b.txt"}, None, reader=3)
        assert await checkpoints.last_exported(20, 555, reader=3) == {None: 90}
        assert await checkpoints.last_exported(20, 555) == {None: 40, 7: 12}
        assert await checkpoints.exported_files(20, 555, reader=3) == {"doc:1:9": "files/b.txt"}
        assert await checkpoints.exported_files(20, 555) == {"doc:1:9": "files/a.txt"}
        person, channel = await ScheduleStore(db).list_all()
        assert person.options == {"formats": ["json"], "filter": "from:zoe", READER: None}
        assert channel.options == {"formats": ["json"], "filter": "from:zoe"}
