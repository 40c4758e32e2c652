"""Issue 11, point 10: chats the account cannot read (left, banned, private).

Sources are cited in sandbox/world/access.py. ``describe`` says which chats cannot be exported and
why; the exporter (real Telethon, through the CLI) refuses each with one sentence and no archive,
while a public channel the account left stays readable and exports whole.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from sandbox.cluster import Cluster
from sandbox.world import ChatSpec, World, WorldSpec, build_world, describe, expected_messages
from tests.bot import conftest as bot_fixtures
from tests.bot.conftest import Product
from tests.exporter.test_cli import run_cli

# The bot end-to-end fixtures (real aiogram against the sandbox Bot API), reused, not copied.
api = bot_fixtures.api
product = bot_fixtures.product

CHATS = {
    "Left basic group": ("left", ChatSpec("group", "Left basic group", messages=40, left=True)),
    "Kicked basic group": ("banned", ChatSpec("group", "Kicked basic group", messages=40, banned=True)),
    "Banned supergroup": ("banned", ChatSpec("supergroup", "Banned supergroup", messages=40, banned=True)),
    "Banned channel": (
        "banned",
        ChatSpec("channel", "Banned channel", username="banned_sandbox", messages=40, banned=True),
    ),
    "Left private channel": ("private", ChatSpec("channel", "Left private channel", messages=40, left=True)),
    "Left public channel": (
        None,
        ChatSpec("channel", "Left public channel", username="left_public_sandbox", messages=40, left=True),
    ),
}


@pytest.fixture
def world() -> World:
    specs = [ChatSpec("saved", messages=10), ChatSpec("private", messages=10)]
    return build_world(WorldSpec(chats=specs + [spec for _, spec in CHATS.values()]))


def _by_title(world: World, title: str):
    return next(chat for chat in world.chats.values() if chat.title == title)


def test_describe_says_which_chats_cannot_be_exported_and_why(world: World) -> None:
    entries = {entry["title"]: entry for entry in describe(world)["chats"]}
    for title, (reason, _) in CHATS.items():
        assert entries[title]["exportable"] is (reason is None), title
        assert entries[title]["unreadable_because"] == reason, title


async def test_describe_on_the_command_line_marks_the_small_scenarios_left_channel() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sandbox", "describe", "--scenario", "small", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    unreadable = [c for c in json.loads(out)["chats"] if not c["exportable"]]
    assert [(c["title"], c["unreadable_because"]) for c in unreadable] == [("Old News", "private")]


@pytest.mark.parametrize("title", [title for title, (reason, _) in CHATS.items() if reason])
async def test_an_unreadable_chat_is_refused_in_one_sentence(
    cluster: Cluster, world: World, tmp_path: Path, title: str
) -> None:
    chat = _by_title(world, title)
    target = f"@{chat.username}" if chat.username else str(chat.peer_id)
    session = cluster.write_session_file(tmp_path / "session.json")
    code, _, err = await run_cli(
        "--session-file", str(session), "export", target, "--out", str(tmp_path / "out")
    )
    assert code == 2 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert "join" in err, err  # join it (again), or use its public @username
    assert not list(tmp_path.glob("out/*.zip*"))


async def test_a_public_channel_the_account_left_still_exports_whole(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    chat = _by_title(world, "Left public channel")
    session = cluster.write_session_file(tmp_path / "session.json")
    code, _, err = await run_cli(
        "--session-file", str(session), "export", f"@{chat.username}", "--out", str(tmp_path / "out")
    )
    assert code == 0, err
    [archive] = (tmp_path / "out").glob("*.zip")
    assert archive.exists() and len(list(expected_messages(world, chat))) > 0


async def test_the_bot_refuses_an_unreadable_chat_in_one_sentence(product: Product, world: World) -> None:
    """Through the bot too (real aiogram against the sandbox Bot API, real Telethon)."""
    admin = product.admin
    chat = _by_title(world, "Left private channel")
    product.say(admin, f"/export {chat.peer_id}")
    reply = await product.reply(admin.id, lambda m: "join" in (m.text or ""), timeout=20)
    assert "Traceback" not in reply.text and "\n" not in reply.text.strip(), reply.text
    assert not await product.running.app.queue.list_for_user(admin.id)
