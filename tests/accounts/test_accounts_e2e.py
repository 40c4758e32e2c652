"""Two exporting accounts end to end: real aiogram on the sandbox Bot API, real Telethon on the sandbox
DCs, each account with its own flood limit and its own chats."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot import text
from db import Database
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World, expected_messages
from tests.bot.conftest import ADMIN_ID, MEMBER_ID

from .support import accounts_product, archive_ids, finished, old_news, two_account_world


@pytest.fixture
def world() -> World:
    return two_account_world()


async def account_of(database: Database, job_id: int) -> int | None:
    row = await database.fetchone("SELECT account_id FROM jobs WHERE id = ?", (job_id,))
    assert row is not None
    return row[0]


async def test_exports_of_several_users_run_on_both_accounts_and_are_exact(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    # Slow enough that each export is still reading when the next one is asked for.
    cluster.network.latency = 0.3
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        forum = world.by_username("project_forum_sandbox")
        await app.shared.share(forum.peer_id, forum.title, "public_supergroup", ADMIN_ID)
        wanted = [
            (product.admin, world.by_username("daily_digest_sandbox")),
            (product.admin, world.by_username("py_meetup_sandbox")),
            (product.member, forum),
        ]
        # The first through the bot's buttons; the others queued while it reads (as a schedule or a
        # second front-end would), so the three overlap for certain.
        user, chat = wanted[0]
        product.say(user, f"/export @{chat.username}")
        options = await product.reply(
            user.id, lambda m: (m.text or "").startswith(f"Export {chat.title}") and bool(m.reply_markup)
        )
        product.press(user, options, "▶ Export")
        async with asyncio.timeout(20):
            # Polling the database: the test has no event to wait on.
            while not (jobs := await app.queue.list_for_user(user.id)):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            while await account_of(app.database, jobs[0].id) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        for user, chat in wanted[1:]:
            jobs.append(await app.queue.submit(user.id, user.id, f"@{chat.username}"))
        assert app.pool is not None
        app.pool.wake()
        on, claimed = {}, []
        for job in jobs:
            done = await finished(product, job.id)
            assert done.state == "done", done.error
            on[job.id] = await account_of(app.database, job.id)
            claimed.append(done)
        claimed.sort(key=lambda job: job.started_at or 0)
        # The first export takes the first account; the next one claimed (the member's: users take
        # turns), while the first still reads, the other (an account runs one export at a time); the
        # last waits for whichever is free first.
        assert [on[claimed[0].id], on[claimed[1].id]] == [accounts.first.id, accounts.second.id]
        assert (claimed[0].user_id, claimed[1].user_id) == (ADMIN_ID, MEMBER_ID)
        assert (claimed[1].started_at or 0) < (claimed[0].finished_at or 0)
        for user, chat in wanted:
            documents = [
                d
                for d in api.documents_in(user.id)
                if d.file_name.startswith(chat.title[:10].replace(" ", "_"))
            ]
            assert len(documents) == 1, [d.file_name for d in api.documents_in(user.id)]
            assert archive_ids(documents[0].path) == list(expected_messages(world, chat))
        summaries = [
            t
            for chat_id in (ADMIN_ID, MEMBER_ID)
            for t in product.bot_texts(chat_id)
            if t.startswith("Done:")
        ]
        assert len(summaries) == 3
        names = {"Sandbox": accounts.first.id, "Bea": accounts.second.id}
        for job in jobs:
            stored = await app.queue.get(job.id)
            assert stored is not None and stored.delivery is not None
            record = stored.delivery
            ran_on = next(name for name, number in names.items() if number == on[job.id])
            assert record["summary"].endswith(f"Read by the exporting account {ran_on}.")
        # /stats: each account's exports of the week, its rate, its flood waits.
        product.say(product.admin, "/stats")
        stats = await product.reply(ADMIN_ID, lambda m: "Exporting accounts, last 7 days:" in (m.text or ""))
        # Each line says what it counts: the finished exports' waits, the accounts' refused requests.
        assert "Waits for Telegram's flood limit in finished exports: " in stats.text
        assert "refused requests are every answer of Telegram's flood limit to the account" in stats.text
        counts = {number: list(on.values()).count(number) for number in names.values()}
        for name, number in names.items():
            line = next(
                line for line in stats.text.splitlines() if line.strip().startswith(f"{name} (#{number})")
            )
            exports = "1 export" if counts[number] == 1 else f"{counts[number]} exports"
            assert f": {exports}, " in line and " msg/s, refused requests 0 (Telegram asked for 0 s)" in line


async def test_a_chat_only_the_second_account_reads_runs_on_it(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    chat = old_news(world)
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        # Through the bot: the preview too is read by an account that can (the bot's own session
        # cannot see the chat).
        product.say(product.admin, f"/export {chat.peer_id}")
        options = await product.reply(
            ADMIN_ID, lambda m: (m.text or "").startswith("Export Old News") and bool(m.reply_markup)
        )
        product.press(product.admin, options, "▶ Export")
        async with asyncio.timeout(20):
            while not (jobs := await app.queue.list_for_user(ADMIN_ID)):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        job = await finished(product, jobs[0].id)
        assert job.state == "done", job.error
        assert await account_of(app.database, job.id) == accounts.second.id
        documents = api.documents_in(ADMIN_ID)
        assert archive_ids(documents[-1].path) == list(expected_messages(world, chat))
        # The first account was tried and refused; the second is known to read it: the next job of
        # this chat goes to the second at once, without asking the first again.
        readers = await accounts.store.readers([f"peer:{chat.peer_id}"])
        assert readers == {accounts.first.id: False, accounts.second.id: True}
        history_before = cluster.calls["messages.getDialogs"]
        again = await app.queue.submit(ADMIN_ID, ADMIN_ID, str(chat.peer_id))
        assert app.pool is not None
        app.pool.wake()
        again = await finished(product, again.id)
        assert again.state == "done" and await account_of(app.database, again.id) == accounts.second.id
        assert cluster.calls["messages.getDialogs"] - history_before == 1, "only the second looked it up"


async def test_a_dead_processes_lease_expires_and_is_taken_over(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    chat = old_news(world)
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        # Another process took the second account and died: its lease runs 2 s more, never renewed.
        assert await accounts.store.lease(accounts.second.id, "dead-host:4242:0", 2.0)
        started = time.monotonic()
        job = await app.queue.submit(ADMIN_ID, ADMIN_ID, str(chat.peer_id))
        assert app.pool is not None
        app.pool.wake()
        await asyncio.sleep(1.0)
        running = await app.queue.get(job.id)
        assert running is not None and running.state == "running"
        assert not api.documents_in(ADMIN_ID), "the job waits: only the second account reads the chat"
        waiting = f"{chat.peer_id}: waiting for an exporting account that can read it (all are busy)."
        assert any(v.text == waiting for m in api.messages_in(ADMIN_ID) for v in m.versions)
        job = await finished(product, job.id)
        assert job.state == "done", job.error
        assert time.monotonic() - started >= 1.5, "taken before the dead holder's lease ran out"
        assert await account_of(app.database, job.id) == accounts.second.id
        assert archive_ids(api.documents_in(ADMIN_ID)[-1].path) == list(expected_messages(world, chat))
        held = await accounts.store.get(accounts.second.id)
        assert held is not None and held.holder is None, "given back once the job ended"


async def test_a_chat_no_account_can_read_fails_with_one_sentence(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    async with accounts_product(cluster, api, tmp_path / "data") as accounts:
        product, app = accounts.product, accounts.product.running.app
        # A channel neither account is in (nor anyone: the id is nobody's).
        job = await app.queue.submit(ADMIN_ID, ADMIN_ID, "-1009999999999")
        assert app.pool is not None
        app.pool.wake()
        job = await finished(product, job.id)
        assert job.state == "failed"
        # One sentence for the person, not the single account's reason nested in parentheses.
        assert job.error == text.NO_ACCOUNT_READS
        readers = await accounts.store.readers(["peer:-1009999999999"])
        assert readers == {accounts.first.id: False, accounts.second.id: False}
        assert any(text.NO_ACCOUNT_READS in said for said in product.bot_texts(ADMIN_ID))


async def test_without_the_bots_own_session_the_preview_uses_an_account(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    # The bot's own session (TG_SESSION_PATH) was never logged in: the accounts do everything.
    async with accounts_product(cluster, api, tmp_path / "data", logged_in=False) as accounts:
        product, app = accounts.product, accounts.product.running.app
        assert not await app.client.is_user_authorized()
        product.say(product.admin, "/export @daily_digest_sandbox")
        options = await product.reply(
            ADMIN_ID, lambda m: (m.text or "").startswith("Export Daily Digest") and bool(m.reply_markup)
        )
        product.press(product.admin, options, "▶ Export")
        channel = world.by_username("daily_digest_sandbox")
        documents = await api.wait_for(lambda: api.documents_in(ADMIN_ID), timeout=40)
        assert archive_ids(documents[-1].path) == list(expected_messages(world, channel))
        product.say(product.admin, "/export @no_such_chat_anywhere")
        await product.reply(
            ADMIN_ID,
            lambda m: (
                (m.text or "") == "No chat or user is called @no_such_chat_anywhere: check the spelling."
            ),
        )
