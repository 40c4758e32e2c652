"""python -m sandbox serve with --session-file given several times: one session each, with keys of
their own, so the bot and its workers can each connect as Telegram requires (one key, one place)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from telethon.sessions import StringSession

from exporter.client import SessionFile, build_client


async def test_each_session_file_is_a_key_of_its_own_and_all_work_at_once(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.json" for name in ("bot", "worker-a", "worker-b")]
    flags = [arg for path in paths for arg in ("--session-file", str(path))]
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "serve", "--scenario", "small", *flags,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    try:
        ready = await asyncio.wait_for(server.stdout.readline(), 60)
        assert ready.startswith(b"sandbox ready:"), ready
        keys = {StringSession(json.loads(p.read_text())["string_session"]).auth_key.key for p in paths}
        assert len(keys) == 3
        # In one process here; the sandbox's rule is per process, which the startup test covers.
        clients = [build_client(SessionFile.load(path)) for path in paths]
        for client in clients:
            await client.connect()
        names = [(await client.get_me()).id for client in clients]
        assert len(set(names)) == 1, "the same account, three sessions"
        for client in clients:
            await client.disconnect()
    finally:
        server.send_signal(signal.SIGTERM)
        await asyncio.wait_for(server.wait(), 30)
