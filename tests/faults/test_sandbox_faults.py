"""python -m sandbox serve --control: faults change while the sandbox serves, and the CLI copes.

The sandbox and the exporter each run as their own process, talking MTProto over TCP, as a user
would run them; the test rewrites the control file in the middle of an export.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.netmodel import NetworkModel

CHAT = "@py_meetup_sandbox"
CHAT_MESSAGES = 297


@dataclass
class Served:
    session: Path
    control: Path
    stderr: asyncio.StreamReader


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    control = tmp_path / "control.json"
    # The export pauses on this flood wait after its first page, long enough to change faults under it.
    control.write_text(json.dumps({"faults": ["messages.getHistory@3=420:FLOOD_WAIT_3"]}))
    session = tmp_path / "session.json"
    server = await asyncio.create_subprocess_exec(
        *(
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--session-file",
            str(session),
            "--control",
            str(control),
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert server.stdout is not None and server.stderr is not None
    try:
        ready = await asyncio.wait_for(server.stdout.readline(), 60)
        assert ready.startswith(b"sandbox ready"), ready
        assert b"applied" in await asyncio.wait_for(server.stderr.readline(), 10)
        yield Served(session, control, server.stderr)
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 30) == 0


async def export_while(served: Served, out: Path, control: dict) -> tuple[int, str]:
    """Run the CLI; once its first page is stored, write ``control`` and wait until it is applied."""
    cli = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "exporter", "--session-file", str(served.session)),
        *("export", CHAT, "--out", str(out), "--format", "json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert cli.stderr is not None and cli.stdout is not None
    first = await asyncio.wait_for(cli.stderr.readline(), 60)
    assert f"/{CHAT_MESSAGES}".encode() in first, first
    served.control.write_text(json.dumps(control))
    assert b"applied" in await asyncio.wait_for(served.stderr.readline(), 10)
    err = first + await asyncio.wait_for(cli.stderr.read(), 60)
    await cli.wait()
    assert cli.returncode is not None
    return cli.returncode, err.decode()


def written(out: Path) -> int:
    [archive] = out.glob("*.PARTIAL.zip")
    with zipfile.ZipFile(archive) as opened:
        return json.loads(opened.read("manifest.json"))["messages"]["written"]


async def test_losing_chat_access_mid_export_ends_in_a_sentence_and_the_partial_archive(
    served: Served, tmp_path: Path
) -> None:
    code, err = await export_while(served, tmp_path / "out", {"lose_chat_access": {"after": 0}})
    assert code == 1 and "Traceback" not in err
    assert "no access to that chat any more" in err.strip().splitlines()[-1]
    assert 0 < written(tmp_path / "out") < CHAT_MESSAGES


async def test_a_session_revoked_mid_export_says_log_in_again(served: Served, tmp_path: Path) -> None:
    code, err = await export_while(
        served, tmp_path / "out", {"revoke_session": {"after": 0, "error": "SESSION_REVOKED"}}
    )
    assert code == 1 and "Traceback" not in err
    assert "log in again" in err.strip().splitlines()[-1]
    assert 0 < written(tmp_path / "out") < CHAT_MESSAGES


def test_a_bad_control_is_refused_whole() -> None:
    network = NetworkModel()
    with pytest.raises(ValueError, match="not a 401 error"):
        network.apply({"faults": ["messages.getHistory=500:X"], "revoke_session": {"error": "FLOOD"}})
    assert network.faults == [] and network.revoke_after is None
    with pytest.raises(ValueError, match="unknown control keys: typo"):
        network.apply({"typo": 1})
