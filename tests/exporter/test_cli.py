"""python -m exporter from a terminal: bad targets and settings get one clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from exporter.targets import TargetError, parse_target
from sandbox.cluster import Cluster
from sandbox.world import World


async def run_cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "exporter",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    "target, message",
    [
        ("@no_such_chat_here", "No chat or user is called @no_such_chat_here"),
        ("https://t.me/+AbCdEf123", "Invite links can't be exported directly"),
        ("not a chat!", "is not a chat I understand"),
        ("-1009999999999", "Can't find -1009999999999"),
    ],
)
async def test_bad_targets_exit_2_with_one_line_and_no_archive(
    cluster: Cluster, tmp_path: Path, target: str, message: str
) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    code, _, err = await run_cli(
        "--session-file", str(session), "export", target, "--out", str(tmp_path / "out")
    )
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not list((tmp_path / "out").glob("*.zip")) if (tmp_path / "out").exists() else True


async def test_a_private_chat_the_account_left_is_explained(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    left = next(chat for chat in world.chats.values() if chat.left)
    session = cluster.write_session_file(tmp_path / "session.json")
    code, _, err = await run_cli(
        "--session-file", str(session), "export", str(left.peer_id), "--out", str(tmp_path)
    )
    assert code == 2 and "Traceback" not in err
    assert "join" in err


async def test_complete_export_exits_0_and_prints_the_summary(cluster: Cluster, tmp_path: Path) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    code, out, err = await run_cli(
        "--session-file",
        str(session),
        "export",
        "@py_meetup_sandbox",
        "--out",
        str(tmp_path),
        "--format",
        "md",
        "--verbose",
    )
    assert code == 0, err
    # The plain headline first; --verbose adds the breakdown.
    # "297 messages in 1.3 s (228 a second)", or "… in under a second" without a rate.
    headline = out.splitlines()[0]
    assert re.fullmatch(r"[\d,]+ messages in (under a second|.+ \([\d,]+ a second\))", headline), headline
    assert "archive:" in out
    assert "Telegram requests" in out and "p95" in out
    assert list(tmp_path.glob("*.zip"))


async def test_missing_credentials_are_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TG_API_ID", raising=False)
    code, _, err = await run_cli("export", "@somebody")
    assert code == 2 and "TG_API_ID" in err and "Traceback" not in err


def test_target_forms() -> None:
    assert parse_target("me").is_self
    assert parse_target("@Some_Name").username == "Some_Name"
    assert parse_target("https://t.me/somename/123").message_id == 123
    assert parse_target("t.me/somename/5/123").topic_id == 5
    spec = parse_target("https://t.me/c/1234567/88/99")
    assert (spec.peer_id, spec.topic_id, spec.message_id) == (-1000001234567, 88, 99)  # Telethon's marked id
    assert parse_target("-1001234567").peer_id == -1001234567
    with pytest.raises(TargetError):
        parse_target("")


async def test_login_at_a_terminal_with_code_and_two_step_password(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    world.password = "s3cret"
    session = cluster.write_session_file(tmp_path / "session.json", logged_in=False)
    # getpass reads the controlling terminal when there is one, and falls back to stdin without:
    # a session of its own has none, so the answers below reach it even when pytest runs in a
    # terminal (there the prompt would otherwise wait on the developer's keyboard).
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exporter", "--session-file", str(session), "login",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    answers = f"{world.me.phone}\n{world.login_code}\n{world.password}\n".encode()
    try:
        out, err = await asyncio.wait_for(process.communicate(answers), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "Logged in as" in out.decode()
    code, out2, _ = await run_cli("--session-file", str(session), "login")
    assert code == 0 and "Already logged in" in out2


async def test_the_raw_title_names_the_archive_when_asked(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    title = world.by_username("py_meetup_sandbox").title
    assert " " in title
    for flags, wanted in (((), "_".join(title.split())), (("--raw-title",), title)):
        out = tmp_path / ("raw" if flags else "safe")
        code, _, err = await run_cli(
            "--session-file", str(session), "export", "@py_meetup_sandbox", "--out", str(out),
            "--format", "json", "--media", "none", *flags,
        )  # fmt: skip
        assert code == 0, err
        [archive] = out.glob("*.zip")
        assert re.fullmatch(rf"{re.escape(wanted)}-\d+-\d{{8}}-\d{{6}}\.zip", archive.name), archive.name
