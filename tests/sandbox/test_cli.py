"""python -m sandbox serve | describe, as a separate process that a plain Telethon script uses."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from telethon import TelegramClient
from telethon.crypto import rsa as telethon_rsa
from telethon.sessions import StringSession
from telethon.tl import functions as F

from exporter.client import SessionFile, SessionFileError


def run_sandbox(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_describe_prints_ground_truth_as_json() -> None:
    result = run_sandbox("describe", "--scenario", "small")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    kinds = {chat["kind"] for chat in summary["chats"]}
    assert kinds == {"saved", "private", "group", "supergroup", "channel", "forum"}
    forum = next(chat for chat in summary["chats"] if chat["kind"] == "forum")
    assert forum["topics"][0]["id"] == 1
    assert sum(t["message_count"] for t in forum["topics"]) == forum["message_count"]


def test_unknown_scenario_is_explained() -> None:
    result = run_sandbox("describe", "--scenario", "nope")
    assert result.returncode == 2
    assert "nope" in result.stderr and "forum-large" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_explained(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_sandbox("serve", "--port", str(port), "--session-file", str(tmp_path / "s.json"))
    assert result.returncode == 2
    assert "already in use" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        ("{not json", "cannot be read"),
        ('{"format": "something else"}', "not a telegram-export-bot session file"),
        ('{"format": "telegram-export-bot/sandbox-session", "api_id": 1}', "damaged"),
    ],
)
def test_corrupt_session_file_is_explained(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "session.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SessionFileError, match=message):
        SessionFile.load(path)


async def test_serve_forum_large_and_a_plain_telethon_script(tmp_path: Path) -> None:
    session_path = tmp_path / "sandbox-session.json"
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "serve",
        "--scenario",
        "forum-large",
        "--session-file",
        str(session_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        ready = await asyncio.wait_for(server.stdout.readline(), 60)
        assert ready.startswith(b"sandbox ready:"), ready
        assert oct(os.stat(session_path).st_mode & 0o777) == "0o600"

        # What any Telethon user would write, given the session file.
        data = json.loads(session_path.read_text())
        telethon_rsa.add_key(data["rsa_public_key"].encode(), old=False)
        TelegramClient._config = None
        client = TelegramClient(StringSession(data["string_session"]), data["api_id"], data["api_hash"])
        async with client:
            forum = await client.get_entity("big_forum_sandbox")
            topics, offset = {}, (None, 0, 0)
            while True:
                page = await client(F.messages.GetForumTopicsRequest(forum, *offset, limit=100))
                new = [t for t in page.topics if t.id not in topics]
                if not new:
                    break
                topics.update((t.id, t) for t in new)
                dates = {m.id: m.date for m in page.messages}
                offset = (dates[new[-1].top_message], new[-1].top_message, new[-1].id)
            assert len(topics) == 150
            busiest = max(topics.values(), key=lambda t: t.top_message)
            ids = [
                m.id async for m in client.iter_messages(forum, reply_to=busiest.id, limit=None, wait_time=0)
            ]
        truth = json.loads(run_sandbox("describe", "--scenario", "forum-large").stdout)
        described = next(c for c in truth["chats"] if c["kind"] == "forum")
        assert 99_000 <= described["message_count"] <= 100_000  # a few are restricted
        expected = next(t["message_count"] for t in described["topics"] if t["id"] == busiest.id)
        assert len(ids) == len(set(ids)) == expected
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 30) == 0
