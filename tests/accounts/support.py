"""Two exporting accounts in one sandbox world, stored in the bot's database before it starts."""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.accounts import AccountClients
from bot.context import App
from db import Job, open_database
from db.accounts import Account, AccountStore, SessionCipher
from db.schedules import Schedule, ScheduleStore
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import Chat, UserInfo, World, build_scenario
from sandbox.world.accounts import add_account
from tests.bot.conftest import ADMIN_ID, MEMBER_ID, STRANGER_ID, Product, product_running
from tests.db.support import FakeClock

KEY = SessionCipher.new_key()


def two_account_world() -> World:
    """The small world, and a second account, Bea, who is still in "Old News", which the first left."""
    world = build_scenario("small")
    add_account(world, "Bea", [old_news(world)])
    return world


def old_news(world: World) -> Chat:
    return next(chat for chat in world.chats.values() if chat.title == "Old News")


def bea(world: World) -> UserInfo:
    return world.users[next(iter(world.accounts))]


def sandbox_clients(cluster: Cluster) -> AccountClients:
    return AccountClients(None, None, sandbox=cluster.session_file_payload(""))


async def store_accounts(cluster: Cluster, data_dir: Path, key: str = KEY) -> tuple[Account, Account]:
    """Both accounts in the database, as /login leaves them: (the world's own, Bea)."""
    database = await open_database(data_dir / "app.sqlite")
    try:
        store = AccountStore(database, SessionCipher(key))
        world = cluster.world
        first = await store.add(world.me.id, "Sandbox", {"string_session": cluster.session_string()}, None)
        second_user = bea(world)
        second = await store.add(
            second_user.id, "Bea", {"string_session": cluster.session_string(second_user.id)}, None
        )
    finally:
        await database.close()
    return first, second


@dataclass
class Accounts:
    product: Product
    first: Account
    second: Account

    @property
    def store(self) -> AccountStore:
        pool = self.product.running.app.accounts
        assert pool is not None
        return pool.store


@asynccontextmanager
async def accounts_product(
    cluster: Cluster, api: BotAPIServer, data_dir: Path, **overrides: Any
) -> AsyncIterator[Accounts]:
    first, second = await store_accounts(cluster, data_dir)
    admin = api.add_user("Ada", user_id=ADMIN_ID, username="ada")
    member = api.add_user("Mika", user_id=MEMBER_ID)
    stranger = api.add_user("Stan", user_id=STRANGER_ID)
    settings: dict[str, Any] = {"session_key": SecretStr(KEY), "max_jobs": 2, "max_jobs_per_user": 2}
    async with product_running(
        cluster, api, data_dir, account_clients=sandbox_clients(cluster), **(settings | overrides)
    ) as running:
        yield Accounts(Product(cluster, api, running, admin, member, stranger), first, second)


def person_or_saved(world: World, typed: str) -> Chat:
    """The chat ``typed`` names: "me" the own Saved Messages, "@zoe_2" a person."""
    if typed == "me":
        return world.chats[world.me.id]
    person = world.by_username(typed.removeprefix("@"))
    assert isinstance(person, Chat)
    return person


async def bea_comes_first(accounts: Accounts, chat: Chat) -> None:
    """Bea seen reading ``chat``'s id (an earlier export on her, say): routed like a group, she comes
    first; the first account, the world's own user (the own session's conversation too), paused."""
    await accounts.store.note_chat(accounts.second.id, [f"peer:{chat.peer_id}"], readable=True)
    await accounts.store.set_paused(accounts.first.id, True)


def archive_ids(path: str) -> list[tuple[int, int | None]]:
    with zipfile.ZipFile(path) as zf:
        messages = json.loads(zf.read("result.json"))["messages"]
    return [(m["id"], m.get("topic_id")) for m in messages]


async def finished(product: Product, job_id: int, timeout: float = 40) -> Job:
    queue = product.running.app.queue
    async with asyncio.timeout(timeout):
        while True:
            job = await queue.get(job_id)
            assert job is not None
            if job.state in ("done", "failed", "cancelled"):
                return job
            await asyncio.sleep(0.05)


def moved_clock(app: App) -> FakeClock:
    """The schedule timer's clock, moved by the test (hours pass without sleeping)."""
    timer = app.schedules
    assert timer is not None
    clock = timer.clock = FakeClock(app.database.now())
    return clock


async def made_schedule(product: Product, command: str) -> Schedule:
    """The admin's ``command`` (a /schedule); the one schedule it made."""
    product.say(product.admin, command)
    await product.reply(ADMIN_ID, lambda m: (m.text or "").startswith("Scheduled #"))
    (schedule,) = await ScheduleStore(product.running.app.database).list_for_user(ADMIN_ID)
    return schedule


async def fired(app: App, clock: FakeClock, schedule_id: int) -> Schedule:
    """Move the clock past the schedule's next run and let the timer look until the run is settled
    (its job ended, or it was refused): the schedule then."""
    store, timer = ScheduleStore(app.database), app.schedules
    assert timer is not None
    before = await store.get(schedule_id)
    assert before is not None
    clock.now = before.next_run_at + 1
    async with asyncio.timeout(40):
        while True:
            timer.wake()
            now = await store.get(schedule_id)
            assert now is not None
            if not now.running and now.last_run_at != before.last_run_at:
                return now
            await asyncio.sleep(0.05)
