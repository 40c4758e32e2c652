"""The terminal exporter as a person first uses it: options where they type them, and the list of chats
to pick from. Real ``python -m exporter`` processes, real Telethon against the sandbox over TCP."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from sandbox.api.messages import dialog_chats
from sandbox.cluster import Cluster
from sandbox.world import World, build_scenario, describe
from tests.exporter.test_cli import run_cli

# The kinds as `chats` words them, from the sandbox's kinds (sandbox/world/model.py).
KINDS = {
    "saved": "saved messages",
    "private": "private chat",
    "bot": "bot",
    "group": "group",
    "supergroup": "supergroup",
    "channel": "channel",
    "forum": "forum",
}
ROW = re.compile(r"^(-?\d+)  +(.+?)  +([\d,]*)  (.+)$")


def rows(out: str) -> dict[int, tuple[str, str, str]]:
    """id → (kind, messages, title and @username) from the printed table."""
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "KIND", "MESSAGES", "TITLE"], lines[0]
    table = {}
    for line in lines[1:]:
        found = ROW.match(line)
        assert found, line
        table[int(found[1])] = (found[2].strip(), found[3], found[4])
    return table


async def test_chats_lists_what_the_account_sees_with_counts_for_the_newest(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    code, out, err = await run_cli("chats", "--session-file", str(session))
    assert code == 0, err
    listed = rows(out)
    truth = {chat["peer_id"]: chat for chat in describe(world)["chats"]}
    dialogs = [chat for _, _, chat in dialog_chats(world)]
    # Every dialog, in Telegram's order (newest first), and nothing the account left.
    assert list(listed) == [chat.peer_id for chat in dialogs]
    for rank, chat in enumerate(dialogs):
        kind, messages, title = listed[chat.peer_id]
        public = "public " if chat.username and chat.kind in ("supergroup", "channel", "forum") else ""
        assert kind == public + KINDS[chat.kind], (chat.kind, kind)
        name = truth[chat.peer_id]["title"]
        assert title == name + (f"  @{chat.username}" if chat.username else "")
        # The newest 20 counted, as Telegram counts them; the rest left blank, and the note says so.
        expected = f"{truth[chat.peer_id]['message_count']:,}" if rank < 20 else ""
        assert messages == expected, (chat.peer_id, messages, expected)
    assert len(dialogs) > 20 and f"{len(dialogs)} chats; message counts for the newest 20" in err
    assert f"--counts {len(dialogs)} counts them all" in err

    code, out, _ = await run_cli("chats", "--counts", "0", "--session-file", str(session))
    assert code == 0 and not any(messages for _, messages, _ in rows(out).values())


async def test_titles_cannot_rewrite_the_terminal(tmp_path: Path) -> None:
    world = build_scenario("hostile")
    async with Cluster(world) as cluster:
        session = cluster.write_session_file(tmp_path / "session.json")
        code, out, err = await run_cli("--session-file", str(session), "chats")
    assert code == 0, err
    overridden = next(chat for chat in world.chats.values() if "\u202e" in (chat.title or ""))
    assert "\u202e" not in out and "\x1b" not in out
    assert rows(out)[overridden.peer_id][2].startswith("?gnp.exe? Channel")


async def test_options_of_every_command_may_follow_it(cluster: Cluster, tmp_path: Path) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    out = tmp_path / "out"
    code, printed, err = await run_cli(
        "export", "@py_meetup_sandbox", "--format", "json", "--session-file", str(session), "--out", str(out)
    )
    assert code == 0, err
    assert "archive:" in printed and list(out.glob("*.zip"))
    # Before the command, as before; the command's own (absent) copy does not overwrite it.
    code, printed, err = await run_cli("--session-file", str(session), "chats", "--counts", "0")
    assert code == 0 and "Python Meetup Berlin" in printed, err


async def test_the_offline_sandbox_asked_for_after_the_command(tmp_path: Path) -> None:
    code, out, err = await run_cli("chats", "--sandbox", "--counts", "0")
    assert code == 0, err
    assert "Python Meetup Berlin  @py_meetup_sandbox" in out
    # A scenario it does not have: one sentence naming the ones it has.
    code, _, err = await run_cli("export", "@x", "--sandbox", "--scenario", "nope")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "unknown scenario 'nope'; valid: small, forum-large" in err


async def test_a_reader_that_stops_early_is_not_a_lost_connection(cluster: Cluster, tmp_path: Path) -> None:
    """`python -m exporter chats | head -3`: the pipe closes under the table (here before the first
    line); no sentence about Telegram's connection, no traceback, the shell's code for it."""
    session = cluster.write_session_file(tmp_path / "session.json")
    reader, writer = os.pipe()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exporter", "chats", "--session-file", str(session),
        stdin=asyncio.subprocess.DEVNULL, stdout=writer, stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    os.close(writer)
    os.close(reader)  # the reader is gone before anything is written
    _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 141, err.decode()
    assert b"Traceback" not in err and b"connection" not in err, err.decode()
