"""Exports with --filter against brute force over the sandbox's ground truth: exactly the matching messages.

Each term alone, then random combinations, through the real engine (real Telethon against the sandbox
over TCP); the expected ids come from tests/filters/brute.py, which reads the world's TL messages and
never exporter.records. A few runs go through the real CLI process, manifest and all.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter.errors import ExportError
from exporter.export import export_chat
from exporter.filters import parse
from exporter.filters.syntax import Text
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.world import Chat, World, expected_messages
from tests.exporter.test_cli import run_cli

from .brute import Brute, _file_name, _sender

ZONE = "Asia/Kolkata"  # +05:30: a day boundary that is not UTC's


def _chat(world: World, kind: str) -> Chat:
    return max((c for c in world.chats.values() if c.kind == kind and c.username), key=lambda c: len(c.slots))


def _atoms(world: World, chat: Chat) -> list[str]:
    """One query per term, with values this chat actually holds (so most match something)."""
    messages = [world.message(chat, i) for i, _ in expected_messages(world, chat)]
    senders = Counter(_sender(world, chat, m) for m in messages)
    # The commonest sender with a username: a user, or the channel itself (a channel's posts are its own).
    handles = {u.id: u.username for u in world.users.values() if u.username} | {chat.peer_id: chat.username}
    sender = next(s for s, _ in senders.most_common() if handles.get(s))
    words = Counter(w for m in messages for w in (getattr(m, "message", "") or "").split() if w.isalpha())
    word = next(w for w, n in words.most_common() if len(w) > 3)
    dates = sorted(m.date if isinstance(m.date, int) else int(m.date.timestamp()) for m in messages)
    middle = dt.datetime.fromtimestamp(dates[len(dates) // 2], dt.UTC)
    ids = [m.id for m in messages]
    emoji = next(
        (r.reaction.emoticon for m in messages if getattr(m, "reactions", None) for r in m.reactions.results),
        "👍",
    )
    ext = next((n.rsplit(".", 1)[1] for m in messages if "." in (n := _file_name(m))), "pdf")
    atoms = [
        f"from:@{handles[sender]}",
        f"from:{sender}",
        "from:me",
        "has:photo",
        "has:video,gif,voice,round,audio",
        # Each kind Telegram has a filter for, asked as that filter (exporter.filters.pushdown).
        "has:video",
        "has:photo,video",
        "has:gif",
        "has:voice",
        "has:round",
        "has:round,voice",
        "has:audio",
        "has:geo",
        "has:contact",
        "has:file",
        "has:sticker",
        "has:link",
        "has:poll,geo,contact",
        "has:media",
        f"after:{middle:%Y-%m-%d}",
        f"before:{middle:%Y-%m}",
        f"on:{middle:%Y-%m-%d}",
        f"on:{middle:%Y}",
        "last:3650d",
        f"id:{ids[len(ids) // 4]}..{ids[len(ids) // 2]}",
        "pinned",
        "mentions:me",
        f"reaction:{emoji}",
        "fwd",
        "edited",
        "size>100KB",
        f"ext:{ext},zip",
        "views>1000",
        word,
        f'"{word.upper()}"',
    ]
    if chat.topics:
        # The busiest topic but General, whose title is the same in every forum.
        topic = max((t for t in chat.topics.values() if t.id != 1), key=lambda t: len(t.ids))
        atoms += [f"topic:{topic.id}", f'topic:"{topic.title}"']
    return atoms


def _combinations(atoms: list[str], count: int, seed: int) -> list[str]:
    pick = random.Random(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(pick.randint(2, 4)):
            atom = pick.choice(atoms)
            parts.append(pick.choice(["", "-", "not "]) + atom if pick.random() < 0.3 else atom)
        glue = pick.choice([" ", " | ", " or "])
        query = glue.join(parts)
        if pick.random() < 0.5:
            query = f"({query}) {pick.choice(['|', ''])} {pick.choice(atoms)}"
        out.append(query)
    return out


async def _export(
    client: TelegramClient, chat: Chat, query: str, out: Path, *, push_down: bool = True
) -> tuple[list[int], dict]:
    resolved = await resolve_target(client, parse_target(f"@{chat.username}"))
    options = ExportOptions(formats=("json",), media=(), time_zone=ZONE, filter=query, push_down=push_down)
    result = await export_chat(client, resolved, options, out)
    assert result.complete, result.reason
    with zipfile.ZipFile(result.parts[0].path) as zf:
        messages = json.loads(zf.read("result.json"))["messages"]
        manifest = json.loads(zf.read("manifest.json"))
    return [m["id"] for m in messages], manifest


def _brute(world: World, chat: Chat, query: str, *, pushed: bool = True) -> list[int]:
    users = {f"@{u.username.lower()}": u.id for u in world.users.values() if u.username}
    users |= {f"@{c.username.lower()}": c.peer_id for c in world.chats.values() if c.username}
    return Brute(world, chat, ZONE, time.time(), users).ids(parse(query), pushed=pushed)


# Terms Telegram's messages.search can narrow by (exporter.filters.pushdown): asked of it when alone.
PUSHED_KEYS = ("from:", "after:", "before:", "on:", "last:", "topic:")
PUSHED_TERMS = {
    "has:photo",
    "has:video",
    "has:photo,video",
    "has:gif",
    "has:voice",
    "has:round",
    "has:round,voice",
    "has:audio",
    "has:file",
    "has:link",
    "has:geo",
    "has:contact",
    "pinned",
    "mentions:me",
}


def _pushed(query: str) -> bool:
    return query.startswith(PUSHED_KEYS) or query in PUSHED_TERMS or isinstance(parse(query), Text)


@pytest.mark.parametrize("kind", ["forum", "channel", "private"])
async def test_each_term_and_random_combinations_keep_exactly_the_matching_messages(
    client: TelegramClient, world: World, tmp_path: Path, kind: str
) -> None:
    chat = _chat(world, kind)
    atoms = _atoms(world, chat)
    matched = pushed = 0
    for n, query in enumerate(atoms + _combinations(atoms, 12, seed=len(atoms))):
        got, manifest = await _export(client, chat, query, tmp_path / str(n))
        want = _brute(world, chat, query)
        assert got == want, f"{query!r}: {len(got)} exported, {len(want)} match"
        assert manifest["options"]["filter"] == query and manifest["complete"] is True
        assert manifest["messages"]["written"] == len(want)
        searched = manifest["filter"]
        if query in atoms and _pushed(query):
            assert searched["asked_of_telegram"] is not None, query
        if searched["asked_of_telegram"] is not None:
            pushed += 1
            # Complete: every answer Telegram counted was read, and the local re-check kept a subset.
            assert searched["read"] == searched["telegram_count"] >= len(want), query
        matched += bool(want) and len(want) < len(list(expected_messages(world, chat)))
        if query in atoms:
            # The same term read in full and decided on our side alone (words: containment only).
            got, manifest = await _export(client, chat, query, tmp_path / f"full{n}", push_down=False)
            assert manifest["filter"]["asked_of_telegram"] is None
            assert got == _brute(world, chat, query, pushed=False), f"{query!r} read in full"
    # Most queries must cut the chat somewhere in between, or the comparison proves little.
    assert matched >= len(atoms) // 2
    assert pushed >= len(atoms) // 3


async def test_a_name_the_chat_lacks_is_one_sentence(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = _chat(world, "forum")
    for query, words in (
        ('topic:"No such topic here"', "no topic of this chat is called that"),
        ("from:@nobody_is_called_this", "nobody on Telegram is called @nobody_is_called_this"),
    ):
        with pytest.raises(ExportError, match=words):
            await _export(client, chat, query, tmp_path)


async def test_cli_filter_exports_the_matching_messages_and_records_the_filter(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    chat = _chat(world, "forum")
    session = cluster.write_session_file(tmp_path / "session.json")
    query = "has:media | (edited -fwd)"
    code, _, err = await run_cli(
        "--session-file",
        str(session),
        "export",
        f"@{chat.username}",
        "--out",
        str(tmp_path),
        "--format",
        "json",
        "--media",
        "none",
        "--timezone",
        ZONE,
        "--filter",
        query,
    )
    assert code == 0, err
    assert "filter: any media or (edited · not forwarded)" in err
    (archive,) = tmp_path.glob("*.zip")
    with zipfile.ZipFile(archive) as zf:
        ids = [m["id"] for m in json.loads(zf.read("result.json"))["messages"]]
        manifest = json.loads(zf.read("manifest.json"))
    assert ids == _brute(world, chat, query) and ids
    assert manifest["options"]["filter"] == query and manifest["complete"] is True


async def test_cli_syntax_error_is_one_sentence_with_a_caret_and_exit_2(
    cluster: Cluster, tmp_path: Path
) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    code, _, err = await run_cli(
        "--session-file",
        str(session),
        "export",
        "@py_meetup_sandbox",
        "--out",
        str(tmp_path),
        "--filter",
        "from:@alice (has:photo",
    )
    assert code == 2 and "Traceback" not in err
    assert err.splitlines() == [
        "error: --filter: expected “)” at column 23.",
        "  from:@alice (has:photo",
        "                        ^",
    ]
    assert not list(tmp_path.glob("*.zip"))
