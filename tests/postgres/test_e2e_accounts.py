"""Issue 17's proof end to end on PostgreSQL: ``python -m bot`` and two ``python -m bot.worker``
processes, two exporting accounts stored in the database with a flood limit each (the sandbox keeps
a bucket per account), 20 exports of 5 people, of channels, a supergroup and a forum.

One chat only the second account can read: its export runs on that account. The worker running it
is killed -9 in the middle: the account's lease runs out, the other worker takes the account and
resumes the job from its checkpoint. Every archive is exact against the sandbox's ground truth and
delivered exactly once.
"""

from __future__ import annotations

import asyncio
import json
import time
import zipfile
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telethon.tl import TLRequest

from db import JobState, SqliteJobQueue, open_database
from db.accounts import AccountStore, SessionCipher
from sandbox.botapi import BotAPIServer
from sandbox.botapi.server import User
from sandbox.cluster import Cluster
from sandbox.netmodel import NetworkModel
from sandbox.world import Chat, ChatSpec, World, WorldSpec, build_world, expected_messages
from sandbox.world.accounts import add_account

from .test_e2e_workers import DEADLINE, Deployment, api, deployed, summaries

__all__ = ["api"]  # the sandbox Bot API fixture, as the workers' test has it

KEY = SessionCipher.new_key()
LEASE = 3.0
# Readable by both accounts (public), by username.
PUBLIC = ("scale_news_sandbox", "scale_talk_sandbox", "scale_forum_sandbox", "scale_digest_sandbox")
VAULT = "Scale Vault"
USERS = (424301, 424302, 424303, 424304, 424305)


@pytest.fixture
def world() -> World:
    chats = [
        ChatSpec("channel", "Scale News", username=PUBLIC[0], messages=120),
        ChatSpec("supergroup", "Scale Talk", username=PUBLIC[1], messages=150),
        ChatSpec("forum", "Scale Forum", username=PUBLIC[2], messages=160, topics=3),
        ChatSpec("channel", "Scale Digest", username=PUBLIC[3], messages=90),
        # Private, and the world's own account left it: only Bea, a member of every chat, reads it.
        # 3,000 messages: about 6 s of reading at the flood limit, so the kill between 60 % and the
        # end of reading is not missed by the test's look at the progress (heartbeats every 0.5 s).
        ChatSpec("channel", VAULT, messages=3000, left=True),
    ]
    built = build_world(WorldSpec(seed=17, contacts=5, chats=chats))
    add_account(built, "Bea", [chat for chat in built.chats.values() if chat.kind != "private"])
    return built


@pytest.fixture
def network() -> NetworkModel:
    # guess: a history flood limit of 5 requests a second per account, low enough that the vault's
    # export lasts seconds and the two accounts' buckets both run dry.
    return NetworkModel(latency=0.05, rate=5.0, burst=5.0)


def vault(world: World) -> Chat:
    return next(chat for chat in world.chats.values() if chat.title == VAULT)


class AccountsDeployment(Deployment):
    def env(self, name: str) -> dict[str, str]:
        return {
            **super().env(name),
            "ADMIN_IDS": ",".join(map(str, USERS)),
            "SESSION_KEY": KEY,
            "MAX_JOBS": "2",
        }

    async def start_worker(self, name: str) -> Any:
        fast = ("--heartbeat", "0.5", "--stalled-after", "3", "--recover-every", "1")
        session = self.cluster.write_session_file(self.tmp_path / f"{name}.json")
        lease = ("--account-lease", str(LEASE))
        return await self.start(name, "bot.worker", *fast, *lease, "--session-file", str(session))


@pytest.fixture
async def deployment(
    tmp_path: Path, cluster: Cluster, api: BotAPIServer, postgres_url: str
) -> AsyncIterator[AccountsDeployment]:
    async with deployed(AccountsDeployment(tmp_path, cluster, api, postgres_url)) as running:
        yield running


def count_vault_reads(cluster: Cluster, channel_id: int) -> Counter[str]:
    """The sandbox's history requests for the vault, counted as they arrive."""
    reads: Counter[str] = Counter()
    dispatch = cluster.dispatch

    async def counting(ctx: Any, request: TLRequest) -> object:
        peer = getattr(request, "peer", None)
        if type(request).__name__ == "GetHistoryRequest" and getattr(peer, "channel_id", None) == channel_id:
            reads["history"] += 1
        return await dispatch(ctx, request)

    # Each fake DC calls the cluster through the function it was given.
    for dc in cluster.dcs.values():
        dc.dispatch = counting
    return reads


async def taken_over(store: AccountStore, account_id: int, holder: str) -> float:
    """When ``holder`` is first seen holding the account."""
    while True:
        account = await store.get(account_id)
        if account is not None and holder in (account.holder or ""):
            return time.time()
        await asyncio.sleep(0.05)


async def ask_export(api: BotAPIServer, user: User, target: str, title: str) -> None:
    api.send_text(user, user.id, f"/export {target}")
    try:
        options = await api.wait_for(
            lambda: next(
                (
                    m
                    for m in api.messages_in(user.id)
                    if m.outgoing and (m.text or "").startswith(f"Export {title}") and m.reply_markup
                ),
                None,
            ),
            timeout=30,
        )
    except TimeoutError:
        pytest.fail(f"no options for {target}: {[m.text for m in api.messages_in(user.id)]}")
    assert options.reply_markup is not None
    button = next(
        b for row in options.reply_markup["inline_keyboard"] for b in row if b["text"].startswith("▶")
    )
    api.press_button(user, options, button["callback_data"])


# Its own deadlines (the kill within 60 s, a 30 s lease, every delivery within DEADLINE) report a
# failure with the processes' logs; the suite's 120 s would cut them short. 40 s alone; once over 120 s
# in a full local run on two xdist workers (the seventh session), where it failed with no log.
@pytest.mark.timeout(300)
async def test_twenty_exports_on_two_accounts_and_a_killed_workers_account_taken_over(
    deployment: AccountsDeployment, api: BotAPIServer, cluster: Cluster, world: World, postgres_url: str
) -> None:
    secret = vault(world)
    database = await open_database(postgres_url)
    store = AccountStore(database, SessionCipher(KEY))
    sandbox_account = await store.add(
        world.me.id, "Sandbox", {"string_session": cluster.session_string()}, None
    )
    bea_id = next(iter(world.accounts))
    bea = await store.add(bea_id, "Bea", {"string_session": cluster.session_string(bea_id)}, None)
    reads = count_vault_reads(cluster, -secret.peer_id - 1_000_000_000_000)
    queue = SqliteJobQueue(database, work_root=deployment.tmp_path)
    try:
        await deployment.start("bot", "bot")
        await api.wait_for(lambda: api.calls_to("getUpdates"), timeout=DEADLINE)
        users = {user_id: api.add_user(f"Person {user_id}", user_id=user_id) for user_id in USERS}
        # The first person's first export is the vault's; everyone's others are the public chats.
        wanted: dict[int, list[Chat]] = {
            user_id: [world.by_username(PUBLIC[(i + k) % 4]) for k in range(4)]  # type: ignore[misc]
            for i, user_id in enumerate(USERS)
        }
        wanted[USERS[0]][0] = secret
        assert sum(map(len, wanted.values())) == 20

        # Its preview is made by a free account (the bot's own session cannot see the chat,
        # bot/accounts/pool.py: look_up).
        await ask_export(api, users[USERS[0]], str(secret.peer_id), secret.title)

        # One after another: previews asked all at once would drain the flood limits (the bot then
        # says to come back later, which is right but not what this test is about).
        for k in range(4):
            for user_id in USERS:
                chat = wanted[user_id][k]
                if chat is not secret:
                    await ask_export(api, users[user_id], f"@{chat.username}", chat.title)
        # Started once all 20 are queued: the previews (on the bot's own session, the first account's
        # flood limit too) do not race the exports for that limit.
        workers = {name: await deployment.start_worker(name) for name in ("worker-a", "worker-b")}

        total = len(list(expected_messages(world, secret)))
        victim = None
        deadline = time.monotonic() + 60
        # Killed once more than half the vault is read, so a fresh start would read more again.
        while victim is None:
            seen = await queue.list_for_user(USERS[0])
            assert time.monotonic() < deadline, f"{seen}\n{deployment.logs()}"
            for job in seen:
                done = (job.progress or {}).get("done") or 0
                if job.target == str(secret.peer_id) and job.state is JobState.RUNNING and done > total * 0.6:
                    victim = job
            await asyncio.sleep(0.02)
        assert victim.worker is not None
        doomed = next(name for name, process in workers.items() if victim.worker.endswith(f":{process.pid}"))
        survivor = next(name for name in workers if name != doomed)
        read_before = reads["history"]
        await deployment.kill(doomed)
        # The lease as the dead worker left it, read after its death (it renews no more). Read before
        # the kill, a renewal could still follow; and a worker whose export had read everything gives
        # the account back while its job still delivers, so another job took the free account at
        # once: seen as a takeover 2.5 s "early" (docs/accounts.md).
        held = await store.get(bea.id)
        assert held is not None and held.holder is not None and f":{workers[doomed].pid}:" in held.holder, (
            f"the killed worker no longer held the account: its export had read the vault\n{deployment.logs()}"
        )
        takeover = asyncio.create_task(taken_over(store, bea.id, f":{workers[survivor].pid}:"))

        def delivered() -> bool:
            return all(len(api.documents_in(user_id)) >= len(wanted[user_id]) for user_id in USERS)

        try:
            await api.wait_for(delivered, timeout=DEADLINE)
        except TimeoutError:
            pytest.fail(f"not every export was delivered\n{deployment.logs()}")
        await asyncio.sleep(2)  # a second delivery, if any, would come now
        for user_id in USERS:
            documents = api.documents_in(user_id)
            assert len(documents) == len(wanted[user_id]), f"user {user_id} got {len(documents)} archives"
            assert summaries(api, user_id) == len(wanted[user_id])
            got = sorted(json.dumps(archive_ids_of(document.path)) for document in documents)
            expected = sorted(json.dumps(list(expected_messages(world, chat))) for chat in wanted[user_id])
            assert got == expected, f"user {user_id}"

        resumed = await queue.get(victim.id)
        assert resumed is not None and resumed.state is JobState.DONE and resumed.attempts == 2
        assert resumed.worker is not None and resumed.worker.endswith(f":{workers[survivor].pid}")
        # The vault's job ran on Bea both times: the survivor waited for the dead worker's lease.
        on = await database.fetchone("SELECT account_id FROM jobs WHERE id = ?", (victim.id,))
        assert on is not None and on[0] == bea.id
        # Not before the dead worker's lease ran out (the database's clock is this machine's).
        assert held.lease_until is not None and await takeover >= held.lease_until - 0.1
        # From its checkpoint: what was left, not the whole vault again.
        assert reads["history"] - read_before < read_before, (read_before, reads["history"])
        every = [job for user_id in USERS for job in await queue.list_for_user(user_id)]
        assert len(every) == 20 and {job.state for job in every} == {JobState.DONE}
        rows = await database.fetchall("SELECT account_id FROM jobs", ())
        assert {row[0] for row in rows} == {sandbox_account.id, bea.id}, "both accounts exported"
        released = [await store.get(account.id) for account in (sandbox_account, bea)]
        assert all(account is not None and account.holder is None for account in released)
    finally:
        await database.close()


def archive_ids_of(path: Path) -> list[tuple[int, int | None]]:
    with zipfile.ZipFile(path) as archive:
        messages = json.loads(archive.read("result.json"))["messages"]
    return [(m["id"], m.get("topic_id")) for m in messages]
