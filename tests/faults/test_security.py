"""Secrets stay secret: the bot token and api_hash never reach a log line."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import GetMe
from aiohttp import ConnectionTimeoutError
from telethon import TelegramClient

from bot.text import SOMETHING_WENT_WRONG
from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World
from tests.bot.conftest import (
    ADMIN_ID,
    HANDLER_FAILURES,
    DeliberateFailure,
    Product,
    product_running,
)
from tests.bot.test_jobs_and_admin import start_export
from tests.exporter.test_cli import run_cli


class LineCapture(logging.Handler):
    """Every record as a handler added after start-up would print it, traceback and stack included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def debug_log() -> Iterator[LineCapture]:
    root = logging.getLogger()
    capture, level = LineCapture(), root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(level)


def leaks(lines: list[str], *secrets: str) -> list[str]:
    return [line for line in lines if any(secret in line for secret in secrets)]


async def test_the_bot_token_and_api_hash_never_reach_the_log(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, debug_log: LineCapture
) -> None:
    token = api.token
    api_hash = cluster.session_file_payload(cluster.session_string())["api_hash"]
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    cluster.network.latency = 0.1  # a few seconds of exporting to break things in
    async with product_running(cluster, api, tmp_path / "data") as running:
        product = Product(cluster, api, running, admin, admin, admin)
        api.inject("getUpdates", 502, "Bad Gateway", times=3)
        progress = {"match": lambda params: "Exporting" in params.get("text", "")}
        api.inject("editMessageText", 500, "Internal Server Error", times=2, **progress)
        await start_export(product, admin, "@daily_digest_sandbox")
        # Real time on purpose: the blips are spread over the export as it runs.
        for _ in range(6):
            api.drop_connections()
            await asyncio.sleep(0.3)
        await _finished(product)
        # A failed task nobody awaited, as the status editor's were: asyncio logs it when collected.
        # aiohttp's connect timeout names the URL, token included, in the chained traceback.
        orphan = asyncio.get_running_loop().create_task(_time_out_connecting(f"{api.url}/bot{token}/getMe"))
        await asyncio.sleep(0)
        del orphan
        gc.collect()
        logging.getLogger("aiogram.event").debug("calling %s", f"{api.url}/bot{token}/getMe", stack_info=True)
    assert any("Task exception was never retrieved" in line for line in debug_log.lines)
    assert any("Traceback" in line for line in debug_log.lines)
    assert len(debug_log.lines) > 100  # Telethon, aiogram and the exporter did log at DEBUG
    assert leaks(debug_log.lines, token, token.split(":", 1)[1], api_hash) == []


async def _time_out_connecting(url: str) -> None:
    """What aiogram raises when aiohttp cannot connect in time (aiogram/client/session/aiohttp.py)."""
    try:
        raise ConnectionTimeoutError(f"Connection timeout to host {url}")
    except ConnectionTimeoutError as exc:
        raise TelegramNetworkError(method=GetMe(), message="Request timeout error") from exc


async def _finished(product: Product, timeout: float = 40) -> None:
    app, deadline = product.running.app, asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        jobs = await app.queue.list_for_user(product.admin.id)
        if jobs and jobs[0].finished:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the export did not finish")


async def test_login_logout_and_stats_refuse_groups_and_topics(product: Product) -> None:
    api, admin = product.api, product.admin
    group = api.add_chat("group", "Team", owner=admin, members=[product.member])
    forum = api.add_chat("forum", "Team forum", owner=admin, members=[product.member])
    topic = api.add_topic(forum, "Ops")
    for chat, where in ((group.id, None), (forum.id, topic)):
        for command in ("/login", "/logout", "/stats"):
            product.say(admin, command, chat, topic=where)
            name = command.lstrip("/")
            refusal = await product.reply(chat, lambda m, name=name: f"Send /{name} to me" in (m.text or ""))
            assert refusal.text == f"Send /{name} to me in a private chat."
            if where is not None:
                assert refusal.thread_id == topic.id
        await product.settled()  # the bot is done with every command: nothing else will come
        texts = product.bot_texts(chat)
        assert len(texts) == 3, texts  # one refusal each, no QR code, no account, no stats
        assert not any(m.file for m in api.messages_in(chat) if m.outgoing)
    assert not product.cluster.state.login_tokens
    assert await product.running.app.client.is_user_authorized()  # /logout did nothing


async def test_the_two_step_password_is_taken_only_in_the_private_chat(
    cluster: Cluster, api: BotAPIServer, world: World, tmp_path: Path
) -> None:
    world.password = "correct horse"
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    group = api.add_chat("supergroup", "Team", owner=admin)
    async with product_running(cluster, api, tmp_path / "data", logged_in=False) as running:
        product = Product(cluster, api, running, admin, admin, admin)
        product.say(admin, "/login")
        token = await api.wait_for(lambda: next(iter(cluster.state.login_tokens), None))
        cluster.accept_login_token(token)
        await product.reply(admin.id, lambda m: "two-step password" in (m.text or ""), timeout=15)
        in_group = product.say(admin, "correct horse", group)
        await product.settled()
        assert in_group.deleted_at is None and not product.bot_texts(group.id)
        assert not await running.app.client.is_user_authorized()
        secret = product.say(admin, "correct horse")
        await product.reply(admin.id, lambda m: (m.text or "").startswith("Logged in as"), timeout=15)
        assert secret.deleted_at is not None


class ModeWatch:
    """Walks folders while an export runs and after it.

    ``reachable``: what another local user could open at some moment (open itself, and every
    folder above it open too); ``open_to_others``: what is not 0600/0700 at the last scan."""

    def __init__(self, *roots: Path) -> None:
        self.roots = roots
        self.seen: set[Path] = set()
        self.reachable: dict[Path, str] = {}
        self.open_to_others: dict[Path, str] = {}

    def scan(self) -> None:
        self.open_to_others = {}
        for root in self.roots:
            for path in [root, *root.rglob("*")]:
                try:
                    modes = [
                        stat.S_IMODE(p.lstat().st_mode)
                        for p in (path, *path.parents)
                        if p.is_relative_to(root)
                    ]
                except FileNotFoundError:  # deleted while we walked
                    continue
                self.seen.add(path)
                if modes[0] & 0o077:
                    self.open_to_others[path] = oct(modes[0])
                    if all(mode & 0o011 for mode in modes[1:]):
                        self.reachable[path] = oct(modes[0])

    async def watch(self) -> None:
        while True:
            self.scan()
            await asyncio.sleep(0.02)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)  # a typical server's: new files 0644, folders 0755
    yield
    os.umask(previous)


async def test_bot_files_and_folders_are_owner_only(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, umask_022: None
) -> None:
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    data = tmp_path / "data"
    watch = ModeWatch(tmp_path / "data")
    cluster.network.latency = 0.05
    async with product_running(cluster, api, data, keep_archives=True) as running:
        watcher = asyncio.create_task(watch.watch())
        product = Product(cluster, api, running, admin, admin, admin)
        await start_export(product, admin, "@daily_digest_sandbox")
        await product.archive(admin.id, timeout=40)
        watcher.cancel()
    watch.scan()
    names = {path.name for path in watch.seen}
    assert {"app.sqlite", "app.sqlite-wal", "archives"} <= names
    assert any(name.endswith(".zip") for name in names) and any(p.suffix == ".html" for p in watch.seen)
    assert watch.reachable == {} and watch.open_to_others == {}


async def test_cli_files_and_folders_are_owner_only(
    cluster: Cluster, client: TelegramClient, tmp_path: Path, umask_022: None
) -> None:
    out = tmp_path / "out"
    watch = ModeWatch(out)
    watcher = asyncio.create_task(watch.watch())
    target = await resolve_target(client, parse_target("@daily_digest_sandbox"))
    options = ExportOptions(formats=("json", "html", "md"))
    result = await export_chat(client, target, options, out, keep_work_dir=True)
    watcher.cancel()
    watch.scan()
    assert result.complete and any(p.suffix == ".md" for p in watch.seen)
    assert any(p.name == "messages.sqlite" for p in watch.seen)
    assert watch.reachable == {} and watch.open_to_others == {}
    # The command line too, whatever umask it is started with (it sets its own).
    session, cli_out, data = tmp_path / "session.json", tmp_path / "cli-out", tmp_path / "cli-data"
    cluster.write_session_file(session)
    command = ["--session-file", str(session), "export", "@daily_digest_sandbox", "--out", str(cli_out)]
    command += ["--incremental", "--data-dir", str(data)]
    code, _, err = await run_cli(*command)
    assert code == 0, err
    watch = ModeWatch(cli_out, data)
    watch.scan()
    assert any(p.suffix == ".zip" for p in watch.seen) and any(p.name == "app.sqlite" for p in watch.seen)
    assert watch.reachable == {} and watch.open_to_others == {}


class DeliberateNetworkError(TelegramNetworkError, DeliberateFailure):
    pass


async def test_a_handler_that_raises_gets_the_user_one_sentence(
    product: Product, monkeypatch: pytest.MonkeyPatch, debug_log: LineCapture
) -> None:
    api, member, app = product.api, product.member, product.running.app
    failures = [DeliberateFailure("the database went away")]

    async def broken(*args: object, **kwargs: object) -> None:
        raise failures.pop(0)

    monkeypatch.setattr(app.queue, "list_for_user", broken)
    product.say(member, "/status")
    reply = await product.reply(member.id, lambda m: "went wrong" in (m.text or ""))
    assert reply.text == SOMETHING_WENT_WRONG
    # A Telegram network error has its own sentence, in the forum topic where it happened.
    failures.append(DeliberateNetworkError(method=GetMe(), message="ServerDisconnectedError"))
    monkeypatch.setattr(app.users, "role_of", broken)  # the access check, before any handler
    forum = api.add_chat("forum", "Team forum", owner=product.admin, members=[member])
    topic = api.add_topic(forum, "Ops")
    product.say(member, "/help", forum, topic=topic)
    reply = await product.reply(forum.id, lambda m: "reach Telegram" in (m.text or ""))
    assert reply.text == "I could not reach Telegram just now: send that again in a minute."
    assert reply.thread_id == topic.id
    # The test fixture saw both first; each is logged once, with its traceback, and nothing else.
    noticed = product.running.dispatcher[HANDLER_FAILURES]
    assert [type(f) for f in noticed] == [DeliberateFailure, DeliberateNetworkError]
    logged = [line for line in debug_log.lines if "DeliberateFailure: the database went away" in line]
    assert len(logged) == 1 and "Traceback" in logged[0]
    assert not any("Cause exception while process update" in line for line in debug_log.lines)
    await product.settled()
    assert len(product.bot_texts(member.id)) == 1 and len(product.bot_texts(forum.id)) == 1


async def test_a_persons_exports_are_listed_and_resent_only_in_private(product: Product) -> None:
    api, admin = product.api, product.admin
    await start_export(product, admin, "@daily_digest_sandbox")
    await product.archive(admin.id)
    group = api.add_chat("supergroup", "Team", owner=admin, members=[product.member])
    for command in ("/history", "/status", "/cancel"):
        product.say(admin, command, group)
        name = command.lstrip("/")
        await product.reply(group.id, lambda m, name=name: f"Send /{name} to me" in (m.text or ""))
    await product.settled()
    assert len(product.bot_texts(group.id)) == 3  # no titles, no "Send again" buttons
    assert not any(m.reply_markup for m in api.messages_in(group.id) if m.outgoing)
