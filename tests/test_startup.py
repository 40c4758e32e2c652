"""Start-up mistakes, made as a person makes them: the real ``python -m bot`` / ``python -m exporter`` /
``python -m sandbox`` processes, started in a folder of their own with settings in the environment.

Each mistake ends the process with exit code 2 and one sentence on stderr, never a traceback, and
never a process that stays up doing nothing (each run has a deadline; one that passes it is killed
with its process group and the test fails as a hang). The Bot API and Telegram a test talks to are
the sandbox's, or a loopback port where nothing listens: never the internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telethon.crypto import AuthKey
from telethon.sessions import SQLiteSession, StringSession

from sandbox.botapi import BotAPIServer
from sandbox.cluster import SANDBOX_API_HASH, SANDBOX_API_ID, Cluster
from sandbox.world import SCENARIOS

# Python, aiogram and Telethon take 5 s of CPU to import on a busy 2-core machine: generous, but a
# process that hangs (the old empty-token case waited for ever) still fails here.
DEADLINE = 90
SETTINGS = ("BOT_TOKEN", "ADMIN_IDS", "ALLOWED_USER_IDS", "BOT_API_URL", "DATA_DIR")
TOKEN = "123456:AAbbCCdd-ee_FF"
API = {"TG_API_ID": "12345", "TG_API_HASH": "0123456789abcdef0123456789abcdef"}


@dataclass
class Ended:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.err.strip().splitlines()


async def start(*args: str, cwd: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """``python -m ARGS`` in ``cwd`` with only ``env`` as settings, no terminal, a session of its own.
    Without a session of the test's, one that points at a closed loopback port: a new session would
    go to Telegram's own address."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS and not k.startswith("TG_")}
    if "TG_SESSION_PATH" not in env:
        nowhere = telethon_session(cwd / "nowhere.session", "127.0.0.1", closed_port())
        env = {**env, "TG_SESSION_PATH": str(nowhere)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", *args,
        cwd=cwd, env={**clean, **env},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip


async def finish(process: asyncio.subprocess.Process, deadline: float = DEADLINE) -> Ended:
    """Its exit and output; past the deadline it is killed with its process group: a hang."""
    try:
        out, err = await asyncio.wait_for(process.communicate(), deadline)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        pytest.fail(f"{process.pid} hung: still running after {deadline} s")
    assert process.returncode is not None
    return Ended(process.returncode, out.decode(), err.decode())


async def run(*args: str, cwd: Path, env: dict[str, str]) -> Ended:
    return await finish(await start(*args, cwd=cwd, env=env))


@contextlib.contextmanager
def stopped_in_the_end(process: asyncio.subprocess.Process) -> Iterator[None]:
    """A test that fails half-way leaves no bot behind: its process group is killed."""
    try:
        yield
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def one_sentence(ended: Ended, *words: str) -> str:
    """Exit 2, stderr one line (a log line may precede it when ``allowed``), the words in it."""
    assert ended.code == 2, ended.err
    assert "Traceback" not in ended.err, ended.err
    assert len(ended.lines) == 1, ended.err
    line = ended.lines[0]
    assert line.startswith("error: "), line
    for word in words:
        assert word in line, line
    return line


def closed_port() -> int:
    """A loopback port where nothing listens (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def telethon_session(path: Path, host: str, port: int, auth_key: bytes | None = None) -> Path:
    """A Telethon session file as `python -m exporter login` leaves it, pointing at ``host:port``."""
    session = SQLiteSession(str(path))
    session.set_dc(2, host, port)
    if auth_key is not None:
        session.auth_key = AuthKey(auth_key)
    session.save()
    session.close()
    return path


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(tmp_path / "botapi") as server:
        yield server


async def test_every_missing_setting_is_named_at_once(tmp_path: Path) -> None:
    line = one_sentence(await run("bot", cwd=tmp_path, env={}), "BOT_TOKEN", "TG_API_ID", "TG_API_HASH")
    # The usual reason: no .env where the bot was started.
    assert f"there is no .env in {tmp_path}" in line and "copy .env.example" in line


async def test_a_token_that_is_empty_or_malformed_is_named_and_never_printed(tmp_path: Path) -> None:
    empty = await run("bot", cwd=tmp_path, env={"BOT_TOKEN": "", **API})
    one_sentence(empty, "BOT_TOKEN is not set")
    # As .env.example leaves it, read from the .env file: empty is "not set" too.
    (tmp_path / ".env").write_text("BOT_TOKEN=\nTG_API_ID=\nTG_API_HASH=\nADMIN_IDS=\n")
    line = one_sentence(
        await run("bot", cwd=tmp_path, env={}), "BOT_TOKEN is not set", "TG_API_ID is not set"
    )
    assert f"read from the environment and {tmp_path / '.env'}" in line
    for token, hint in (("not-a-token", ""), ('"123456:AAsecret"', "remove the quotes")):
        line = one_sentence(
            await run("bot", cwd=tmp_path, env={"BOT_TOKEN": token, **API}), "BOT_TOKEN is not"
        )
        assert hint in line and "AAsecret" not in line and "not-a-token" not in line


async def test_an_api_id_that_is_not_a_number(tmp_path: Path) -> None:
    env = {"BOT_TOKEN": TOKEN, "TG_API_ID": "abc"}
    line = one_sentence(await run("bot", cwd=tmp_path, env=env), "TG_API_ID must be a whole number")
    assert "TG_API_HASH is not set" in line  # named together, not one per start
    one_sentence(
        await run("exporter", "export", "@somechannel", cwd=tmp_path, env=env),
        "TG_API_ID must be a whole number",
    )


async def test_a_token_telegram_refuses(tmp_path: Path, api: BotAPIServer) -> None:
    env = {"BOT_TOKEN": "5500000001:AAwrong", "BOT_API_URL": api.url, "ADMIN_IDS": "1", **API}
    one_sentence(await run("bot", cwd=tmp_path, env=env), "refused BOT_TOKEN", "@BotFather")
    assert api.calls_to("getMe")  # asked, and answered 401


async def test_a_bot_api_that_cannot_be_reached(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    env = {"BOT_TOKEN": TOKEN, "BOT_API_URL": url, "ADMIN_IDS": "1", **API}
    one_sentence(await run("bot", cwd=tmp_path, env=env), f"The Bot API at {url} could not be reached")


async def test_telegram_that_cannot_be_reached_by_the_bot_and_the_cli(
    tmp_path: Path, api: BotAPIServer
) -> None:
    port = closed_port()
    commands = [["bot"], ["exporter", "export", "@somechannel"], ["exporter", "chats"], ["exporter", "login"]]

    async def unreachable(command: list[str]) -> Ended:
        # Each in a folder with a session file of its own: the four run at once.
        cwd = tmp_path / command[-1].lstrip("@")
        cwd.mkdir()
        session = telethon_session(cwd / "user.session", "127.0.0.1", port)
        env = {
            "BOT_TOKEN": api.token,
            "BOT_API_URL": api.url,
            "ADMIN_IDS": "1",
            "TG_SESSION_PATH": str(session),
            **API,
        }
        return await run(*command, cwd=cwd, env=env)

    reached = f"Telegram could not be reached at 127.0.0.1:{port} (ConnectionRefusedError"
    for ended in await asyncio.gather(*map(unreachable, commands)):
        one_sentence(ended, reached)


async def test_something_else_answering_where_telegram_should(tmp_path: Path) -> None:
    """A proxy or captive portal answers and hangs up (seen on this machine: 95 bytes, then EOF)."""

    async def not_telegram(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(64)
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(not_telegram, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    session = telethon_session(tmp_path / "user.session", "127.0.0.1", port)
    async with server:
        ended = await run("exporter", "chats", cwd=tmp_path, env={"TG_SESSION_PATH": str(session), **API})
    one_sentence(ended, f"Telegram could not be reached at 127.0.0.1:{port}", "that is not Telegram")


async def test_no_admin_is_a_warning_that_says_how_to_find_your_id(tmp_path: Path) -> None:
    env = {"BOT_TOKEN": TOKEN, "BOT_API_URL": f"http://127.0.0.1:{closed_port()}", **API}
    ended = await run("bot", cwd=tmp_path, env=env)
    assert ended.code == 2 and "Traceback" not in ended.err
    warning, error = ended.lines
    assert "WARNING" in warning and "ADMIN_IDS is empty" in warning
    assert "send /start to the bot" in warning and "answers with your user id" in warning
    assert error.startswith("error: The Bot API at")


async def test_the_real_bot_starts_tells_a_stranger_its_id_and_stops_on_sigterm(
    tmp_path: Path, cluster: Cluster, api: BotAPIServer
) -> None:
    """The whole start of ``python -m bot`` against the sandbox (Telethon's own session file holding
    a key the sandbox knows), ADMIN_IDS empty: the warning, then /start answered with the id."""
    key = StringSession(cluster.session_string()).auth_key.key
    session = telethon_session(tmp_path / "user.session", cluster.home.host, cluster.home.port, key)
    env = {
        "BOT_TOKEN": api.token,
        "BOT_API_URL": api.url,
        "TG_API_ID": str(SANDBOX_API_ID),
        "TG_API_HASH": SANDBOX_API_HASH,
        "TG_SESSION_PATH": str(session),
        "DATA_DIR": str(tmp_path / "data"),
        "ALLOWED_USER_IDS": "424243",
    }
    bot = await start("bot", cwd=tmp_path, env=env)
    with stopped_in_the_end(bot):
        ended = asyncio.create_task(finish(bot))
        owner, member = api.add_user("Owner", user_id=424242), api.add_user("Member", user_id=424243)
        await api.wait_for(lambda: api.calls_to("getUpdates") or ended.done(), timeout=DEADLINE)
        assert not ended.done(), ended.result().err
        answers = {}
        for user in (owner, member):
            api.send_text(user, user.id, "/start")
            answers[user.id] = await api.wait_for(
                lambda user=user: next((m.text for m in api.messages_in(user.id) if m.outgoing), None),
                timeout=30,
            )
        # Not an admin or allowed yet: the refusal carries the id to put in ADMIN_IDS.
        assert "424242" in answers[owner.id], answers[owner.id]
        # Allowed: the help, and the id too.
        assert "/export" in answers[member.id], answers[member.id]
        assert answers[member.id].endswith("Your Telegram user id: 424243"), answers[member.id]
        bot.send_signal(signal.SIGTERM)
        stopped = await ended
    assert stopped.code == 0, stopped.err
    assert "ADMIN_IDS is empty" in stopped.err and "Traceback" not in stopped.err


async def test_an_unknown_sandbox_scenario(tmp_path: Path) -> None:
    ended = await run(
        "sandbox", "serve", "--scenario", "nope", "--session-file", "s.json", cwd=tmp_path, env={}
    )
    assert ended.code == 2 and "Traceback" not in ended.err
    assert ended.lines == [f"sandbox: unknown scenario 'nope'; valid: {', '.join(SCENARIOS)}"]
    assert not (tmp_path / "s.json").exists()


def test_the_sandbox_describe_into_a_reader_that_stops_early(tmp_path: Path) -> None:
    """`python -m sandbox describe | head`: the reader leaves before the first byte is written."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "describe"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    process.stdout.close()
    _, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0 and err == b"", err.decode()
