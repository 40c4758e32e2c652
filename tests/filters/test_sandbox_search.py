"""The sandbox's messages.search, asked by real Telethon over TCP, against a plain reading of the rules.

The expectation here is written from the words of core.telegram.org/method/messages.search and the
guesses in sandbox/api/search.py, over the world's own TL messages: each condition narrows, the
answer pages like a history over the matches only, and ``count`` is the number of matches.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.netmodel import NetworkModel
from sandbox.world import Chat, World, expected_messages

from .brute import _kind, _sender


def _chat(world: World, kind: str) -> Chat:
    return max((c for c in world.chats.values() if c.kind == kind and c.username), key=lambda c: len(c.slots))


def _unix(m: Any) -> int:
    return m.date if isinstance(m.date, int) else int(m.date.timestamp())


def _prefix_words(query: str, text: str) -> bool:
    have = re.findall(r"\w+", text.casefold())
    return all(any(w.startswith(q) for w in have) for q in re.findall(r"\w+", query.casefold()))


async def _all_pages(client: TelegramClient, peer: Any, **kw: Any) -> tuple[list[int], set[int]]:
    """Every result, paged oldest first as the exporter pages (offset_id = last + 1, add_offset = -limit)."""
    ids: list[int] = []
    counts: set[int] = set()
    cursor = 0
    while True:
        result = await client(
            F.messages.SearchRequest(
                peer=peer,
                q=kw.get("q", ""),
                filter=kw.get("filter", T.InputMessagesFilterEmpty()),
                min_date=kw.get("min_date"),
                max_date=kw.get("max_date"),
                offset_id=cursor + 1,
                add_offset=-7,
                limit=7,
                max_id=0,
                min_id=0,
                hash=0,
                from_id=kw.get("from_id"),
                top_msg_id=kw.get("top_msg_id"),
            )
        )
        counts.add(getattr(result, "count", len(result.messages)))
        fresh = sorted(m.id for m in result.messages if m.id > cursor)
        if not fresh:
            return ids, counts
        ids += fresh
        cursor = fresh[-1]


@pytest.mark.parametrize("kind", ["forum", "channel", "private"])
async def test_search_pages_exactly_the_matches_and_counts_them(
    client: TelegramClient, world: World, kind: str
) -> None:
    chat = _chat(world, kind)
    peer = await client.get_input_entity(f"@{chat.username}")
    messages = {i: world.message(chat, i) for i, _ in expected_messages(world, chat)}
    dates = sorted(_unix(m) for m in messages.values())
    low, high = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    senders = [_sender(world, chat, m) for m in messages.values()]
    sender = max(set(senders), key=senders.count)
    word = next(
        w for m in messages.values() for w in (getattr(m, "message", "") or "").split() if w.isalpha()
    )
    cases: list[tuple[dict[str, Any], Any]] = [
        ({}, lambda m: True),
        ({"min_date": low, "max_date": high}, lambda m: low < _unix(m) < high),
        ({"filter": T.InputMessagesFilterPhotos()}, lambda m: _kind(m) == "photo"),
        ({"filter": T.InputMessagesFilterRoundVoice()}, lambda m: _kind(m) in ("round", "voice")),
        ({"filter": T.InputMessagesFilterMusic()}, lambda m: _kind(m) == "audio"),
        ({"filter": T.InputMessagesFilterDocument()}, lambda m: _kind(m) == "file"),
        (
            {"q": word[:3]},
            lambda m: isinstance(m, T.Message) and _prefix_words(word[:3], m.message or ""),
        ),
    ]
    handles = {u.id: u.username for u in world.users.values()} | {chat.peer_id: chat.username}
    entity = (
        await client.get_input_entity(f"@{handles[sender]}") if handles.get(sender) else T.InputPeerSelf()
    )
    if isinstance(entity, T.InputPeerSelf):
        sender = world.me.id
    cases.append(({"from_id": entity}, lambda m: _sender(world, chat, m) == sender))
    if chat.topics:
        topic = max((t for t in chat.topics.values() if t.id != 1), key=lambda t: len(t.ids))
        cases.append(({"top_msg_id": topic.id}, lambda m: m.id in topic.ids))
    cut = 0
    for kw, keep in cases:
        got, counts = await _all_pages(client, peer, **kw)
        want = [i for i, m in messages.items() if keep(m)]
        assert got == want, kw
        assert counts == {len(want)}, kw
        cut += 0 < len(want) < len(messages)
    # Most conditions must keep some messages and drop others, or the comparison proves little.
    assert cut >= len(cases) // 2


async def test_a_word_inside_another_is_not_found_as_telegram_matches_word_starts(
    client: TelegramClient, world: World
) -> None:
    chat = _chat(world, "channel")
    peer = await client.get_input_entity(f"@{chat.username}")
    texts = {i: world.message(chat, i).message or "" for i, _ in expected_messages(world, chat)}
    inside = [i for i, t in texts.items() if "xport" in t.casefold()]
    assert inside  # "export" is in the sandbox's vocabulary
    got, _ = await _all_pages(client, peer, q="xport")
    assert got == [i for i, t in texts.items() if re.search(r"\bxport", t.casefold())]
    got, _ = await _all_pages(client, peer, q="EXPOR")
    assert got == [i for i, t in texts.items() if re.search(r"\bexpor", t.casefold())] and got


@pytest.mark.parametrize("network", [NetworkModel(rate=0.5, burst=3)])
async def test_searches_share_the_history_flood_limit(client: TelegramClient, world: World) -> None:
    """sandbox.netmodel.HISTORY_METHODS: a search spends the same bucket as getHistory."""
    peer = await client.get_input_entity(f"@{_chat(world, 'channel').username}")
    search = F.messages.SearchRequest(peer, "", T.InputMessagesFilterGeo(), None, None, 0, 0, 10, 0, 0, 0)
    await client(F.messages.GetHistoryRequest(peer, 0, None, 0, 1, 0, 0, 0))
    await client(search)
    await client(search)
    # The burst of 3 is spent by one history page and two searches: the next search waits.
    with pytest.raises(errors.FloodWaitError):
        await client(search)
