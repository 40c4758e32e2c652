"""End to end on PostgreSQL: ``python -m bot`` (the front-end) and two ``python -m bot.worker``
processes, real aiogram against the sandbox Bot API, real Telethon against the sandbox Telegram.

People export chats; the workers run and deliver them: every archive exact against the sandbox's
ground truth and delivered exactly once. A worker killed -9 in the middle of an export: the other
worker resumes that job and delivers it, once. A worker whose own Telegram session is ended under
an export (406 AUTH_KEY_DUPLICATED: its session file used from another place at once) stops taking
exports with one clear line; the person hears the real cause and the admin's fix, not the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

import pytest
from telethon import errors
from telethon.sessions import StringSession

from db import JobState, SqliteJobQueue, open_database
from exporter.client import SessionFile, build_client
from sandbox.botapi import BotAPIServer
from sandbox.botapi.server import User
from sandbox.cluster import SANDBOX_API_HASH, SANDBOX_API_ID, Cluster
from sandbox.netmodel import NetworkModel
from sandbox.world import World, expected_messages
from tests.test_startup import SETTINGS, telethon_session

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 120.0
# Every Telegram request takes this long: an export lasts long enough to be killed in its middle.
LATENCY = 0.25
# (user id, chat) of the exports that run side by side.
EXPORTS = [
    (424201, "daily_digest_sandbox"),
    (424202, "py_meetup_sandbox"),
    (424203, "project_forum_sandbox"),
    (424204, "daily_digest_sandbox"),
    (424205, "py_meetup_sandbox"),
]
VICTIM = (424206, "project_forum_sandbox")


@pytest.fixture
def network() -> NetworkModel:
    return NetworkModel(latency=LATENCY)


class Deployment:
    """The bot and its workers as separate processes sharing PostgreSQL and DATA_DIR."""

    def __init__(self, tmp_path: Path, cluster: Cluster, api: BotAPIServer, url: str) -> None:
        self.tmp_path, self.cluster, self.api, self.url = tmp_path, cluster, api, url
        self.processes: dict[str, asyncio.subprocess.Process] = {}

    def env(self, name: str) -> dict[str, str]:
        key = StringSession(self.cluster.session_string()).auth_key.key
        home = self.cluster.home
        session = telethon_session(self.tmp_path / f"{name}.session", home.host, home.port, key)
        clean = {k: v for k, v in os.environ.items() if k not in SETTINGS and not k.startswith("TG_")}
        return {
            **clean,
            # This tree's code, whatever the installed copy points at.
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": self.api.token,
            "BOT_API_URL": self.api.url,
            "TG_API_ID": str(SANDBOX_API_ID),
            "TG_API_HASH": SANDBOX_API_HASH,
            "TG_SESSION_PATH": str(session),
            "DATA_DIR": str(self.tmp_path / "shared-data"),
            "DATABASE_URL": self.url,
            "ADMIN_IDS": ",".join(str(user) for user, _ in [*EXPORTS, VICTIM]),
            "PROGRESS_INTERVAL": "0.2",
            "MAX_JOBS": "2",
        }

    async def start(self, name: str, *args: str) -> asyncio.subprocess.Process:
        log = (self.tmp_path / f"{name}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", *args, cwd=self.tmp_path, env=self.env(name), stdout=log, stderr=log
        )
        self.processes[name] = process
        return process

    async def start_worker(self, name: str) -> asyncio.subprocess.Process:
        fast = ("--heartbeat", "0.5", "--stalled-after", "3", "--recover-every", "1")
        # The sandbox's session file: its DCs' own server key, for the media downloads on other DCs.
        session = self.cluster.write_session_file(self.tmp_path / f"{name}.json")
        return await self.start(name, "bot.worker", *fast, "--session-file", str(session))

    async def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"== {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp_path.glob("*.log")
        )


D = TypeVar("D", bound=Deployment)


@contextlib.asynccontextmanager
async def deployed(running: D) -> AsyncIterator[D]:
    """The deployment for one test; every process it started is killed after."""
    try:
        yield running
    finally:
        for name in list(running.processes):
            await running.kill(name)


@pytest.fixture
async def deployment(
    tmp_path: Path, cluster: Cluster, api: BotAPIServer, postgres_url: str
) -> AsyncIterator[Deployment]:
    async with deployed(Deployment(tmp_path, cluster, api, postgres_url)) as running:
        yield running


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[BotAPIServer]:
    server = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    await server.start()
    yield server
    await server.stop()


async def ask_export(api: BotAPIServer, user: User, chat: str) -> None:
    api.send_text(user, user.id, f"/export @{chat}")
    options = await api.wait_for(
        lambda: next(
            (m for m in api.messages_in(user.id) if m.outgoing and (m.text or "").startswith("Export ")), None
        ),
        timeout=DEADLINE,
    )
    button = next(
        b for row in options.reply_markup["inline_keyboard"] for b in row if b["text"].startswith("▶")
    )
    api.press_button(user, options, button["callback_data"])


def archive_ids(api: BotAPIServer, user_id: int) -> list[tuple[int, int | None]]:
    documents = api.documents_in(user_id)
    assert len(documents) == 1, f"user {user_id} got {len(documents)} archives"
    with zipfile.ZipFile(documents[0].path) as archive:
        messages = json.loads(archive.read("result.json"))["messages"]
    return [(m["id"], m.get("topic_id")) for m in messages]


def summaries(api: BotAPIServer, user_id: int) -> int:
    return sum(1 for m in api.messages_in(user_id) if m.outgoing and (m.text or "").startswith("Done:"))


async def test_two_workers_deliver_every_export_once_and_resume_a_killed_workers_export(
    deployment: Deployment, api: BotAPIServer, world: World, postgres_url: str
) -> None:
    await deployment.start("bot", "bot")
    workers = {name: await deployment.start_worker(name) for name in ("worker-a", "worker-b")}
    await api.wait_for(lambda: api.calls_to("getUpdates"), timeout=DEADLINE)
    users = {user_id: api.add_user(f"Person {user_id}", user_id=user_id) for user_id, _ in [*EXPORTS, VICTIM]}
    database = await open_database(postgres_url)
    queue = SqliteJobQueue(database, work_root=deployment.tmp_path)
    try:
        await asyncio.gather(*(ask_export(api, users[user_id], chat) for user_id, chat in EXPORTS))
        await ask_export(api, users[VICTIM[0]], VICTIM[1])

        async def victim_reading() -> int | None:
            jobs = await queue.list_for_user(VICTIM[0])
            running = [job for job in jobs if job.state is JobState.RUNNING and job.progress]
            return running[0].id if running else None

        victim_job = None
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while victim_job is None:
            assert asyncio.get_running_loop().time() < deadline, deployment.logs()
            victim_job = await victim_reading()
            await asyncio.sleep(0.05)
        record = await queue.get(victim_job)
        assert record is not None and record.worker is not None
        doomed = next(name for name, process in workers.items() if record.worker.endswith(f":{process.pid}"))
        await deployment.kill(doomed)

        def delivered() -> bool:
            return all(summaries(api, user_id) >= 1 and api.documents_in(user_id) for user_id in users)

        try:
            await api.wait_for(delivered, timeout=DEADLINE)
        except TimeoutError:
            pytest.fail(f"not every export was delivered\n{deployment.logs()}")
        await asyncio.sleep(2)  # a second delivery, if any, would come now
        for user_id, chat in [*EXPORTS, VICTIM]:
            peer = world.by_username(chat)
            assert archive_ids(api, user_id) == list(expected_messages(world, peer)), chat  # type: ignore[arg-type]
            assert summaries(api, user_id) == 1, f"user {user_id} got {summaries(api, user_id)} summaries"
        # One status message for the killed worker's export: the resumed run edits the frozen one.
        statuses = [
            m
            for m in api.messages_in(VICTIM[0])
            if m.outgoing and any((v.text or "").startswith("Exporting") for v in m.versions)
        ]
        assert len(statuses) == 1, [m.text for m in statuses]
        assert any((v.text or "").startswith("Continuing the export") for v in statuses[0].versions)
        resumed = await queue.get(victim_job)
        assert resumed is not None and resumed.state is JobState.DONE
        assert resumed.attempts == 2, "the killed worker's job ran a second time, on the other worker"
        survivor = next(name for name in workers if name != doomed)
        assert resumed.worker is not None and resumed.worker.endswith(f":{workers[survivor].pid}")
        every = [job for user_id in users for job in await queue.list_for_user(user_id)]
        assert [job.state for job in every] == [JobState.DONE] * len(users)
        ran_on = {job.worker for job in every}
        assert len(ran_on) == 2, f"both workers ran exports: {ran_on}"
    finally:
        await database.close()


# An admin (ADMIN_IDS) whose export runs on a worker whose session Telegram ends under it.
SESSION_USER, SESSION_CHAT = VICTIM


async def test_a_worker_whose_session_telegram_ended_stops_and_its_export_names_the_cause(
    deployment: Deployment, api: BotAPIServer, postgres_url: str
) -> None:
    deployment.cluster.network.latency = 1.0  # an export long enough to end its session in the middle
    await deployment.start("bot", "bot")
    worker = await deployment.start_worker("worker-a")
    await api.wait_for(lambda: api.calls_to("getUpdates"), timeout=DEADLINE)
    person = api.add_user("Person", user_id=SESSION_USER)
    database = await open_database(postgres_url)
    queue = SqliteJobQueue(database, work_root=deployment.tmp_path)
    try:
        await ask_export(api, person, SESSION_CHAT)
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while not [job for job in await queue.list_for_user(SESSION_USER) if job.progress]:
            assert asyncio.get_running_loop().time() < deadline, deployment.logs()
            assert not summaries(api, SESSION_USER), "the export ended before its session did"
            await asyncio.sleep(0.05)
        # The worker's session file, used from another place (127.0.0.2) while the worker reads with it.
        payload = json.loads((deployment.tmp_path / "worker-a.json").read_text(encoding="utf-8"))
        there = build_client(SessionFile.from_payload(payload), local_addr=("127.0.0.2", 0))
        try:
            await there.connect()
        except errors.AuthKeyDuplicatedError:
            pass
        finally:
            await there.disconnect()
        deployment.cluster.network.latency = LATENCY
        assert await asyncio.wait_for(worker.wait(), 60) == 2, deployment.logs()
        deployment.processes.pop("worker-a")
        log = (deployment.tmp_path / "worker-a.log").read_text(errors="replace")
        assert log.count("Telegram ended this process's own session (AUTH_KEY_DUPLICATED") == 1, log
        assert "error: Telegram ended the user client's session" in log, log
        assert "check the network" not in log
        told = await api.wait_for(
            lambda: [
                m
                for m in api.messages_in(SESSION_USER)
                if "Telegram ended the bot's session" in (m.text or "")
            ],
            timeout=DEADLINE,
        )
        assert told and "log it in again (python -m exporter login)" in (told[0].text or "")
        (job,) = await queue.list_for_user(SESSION_USER)
        assert job.state is JobState.FAILED and "Telegram ended the bot's session" in (job.error or "")
    finally:
        await database.close()
