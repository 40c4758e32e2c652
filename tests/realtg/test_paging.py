"""Ranges exact under Telegram's documented paging: min_id/max_id filter a page after it is sliced.

https://core.telegram.org/api/offsets ("Additional filtering"): a request with a low ``max_id`` or
a high ``min_id`` may return nothing, so the exporter must page by ``offset_id``/``add_offset``
alone and stop itself at the bounds, as Telethon's ``_MessagesIter`` does (client/messages.py).
Every combination of --min-id, --max-id, --since, --until and --last is checked against the
ground truth with the real Telethon against the sandbox.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from telethon import TelegramClient

from sandbox.world import World, expected_messages
from tests.exporter.test_export_e2e import exported, run_export

DAY = 86_400

# Each option: ("pos", k) = the id of the k-th exportable message, ("date", k) = its date,
# ("lit", v) = the value itself, ("before", k)/("after", k) = a day before/after the k-th's date.
COMBINATIONS: list[dict[str, tuple[str, int]]] = [
    {},
    {"last": ("lit", 5), "max_id": ("lit", 100)},
    # Restricted messages (144-146, 280 in this chat) take a slot but are never sent: --last counts messages.
    {"last": ("lit", 8), "max_id": ("lit", 150)},
    {"last": ("lit", 10), "max_id": ("lit", 285)},
    {"last": ("lit", 37)},
    {"last": ("lit", 10_000)},
    {"min_id": ("pos", 50), "max_id": ("pos", 120)},
    {"min_id": ("pos", 50), "last": ("lit", 10)},
    {"max_id": ("pos", 120)},
    {"min_id": ("pos", 300)},
    {"since": ("date", 200), "until": ("date", 300)},
    {"since": ("date", 200), "last": ("lit", 7)},
    {"until": ("date", 100), "last": ("lit", 12)},
    {"until": ("date", 300), "max_id": ("pos", 100)},
    {"since": ("date", 100), "max_id": ("pos", 250)},
    {"since": ("date", 250), "max_id": ("pos", 100)},
    {"min_id": ("pos", 120), "until": ("date", 100)},
    {
        "since": ("date", 100),
        "until": ("date", 250),
        "min_id": ("pos", 120),
        "max_id": ("pos", 200),
        "last": ("lit", 20),
    },
    {"until": ("before", 0)},
    {"since": ("after", -1)},
    {"since": ("before", 0), "until": ("after", -1), "last": ("lit", 3)},
]


def _when(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def options_for(spec: dict[str, tuple[str, int]], every: list[int], date_of) -> dict[str, object]:
    options: dict[str, object] = {}
    for key, (kind, value) in spec.items():
        if kind == "lit":
            options[key] = value
        elif kind == "pos":
            options[key] = every[value]
        elif kind == "date":
            options[key] = _when(date_of(every[value]))
        elif kind == "before":
            options[key] = _when(date_of(every[value]) - DAY)
        else:
            options[key] = _when(date_of(every[value]) + DAY)
    return options


def truth(every: list[int], date_of, options: dict[str, object]) -> list[int]:
    """The ids an exact export holds: the bounds first, then the newest ``last`` of what remains."""
    low, high = options.get("min_id", 0), options.get("max_id", 0) or float("inf")
    since, until = options.get("since"), options.get("until")
    kept = [
        i
        for i in every
        if low < i < high
        and (since is None or date_of(i) >= since.timestamp())
        and (until is None or date_of(i) < until.timestamp())
    ]
    last = options.get("last")
    return kept[-last:] if last is not None else kept


@pytest.mark.parametrize("spec", COMBINATIONS, ids=lambda spec: "+".join(spec) or "whole")
async def test_every_range_combination_is_exact_on_a_channel(
    client: TelegramClient, world: World, tmp_path: Path, spec: dict[str, tuple[str, int]]
) -> None:
    chat = world.by_username("daily_digest_sandbox")
    every = [msg_id for msg_id, _ in expected_messages(world, chat)]
    assert len(every) > 300

    def date_of(msg_id: int) -> int:
        return world.date_of(chat, msg_id)

    options = options_for(spec, every, date_of)
    result = await run_export(client, "@daily_digest_sandbox", tmp_path, formats=("json",), **options)
    assert [m["id"] for m in exported(result)] == truth(every, date_of, options)
    assert result.complete


FORUM_COMBINATIONS = [
    {"last": ("lit", 5), "max_id": ("lit", 100)},
    {"since": ("date", 100), "until": ("date", 300), "last": ("lit", 40)},
    {"min_id": ("pos", 200)},
]


@pytest.mark.parametrize("spec", FORUM_COMBINATIONS, ids=lambda spec: "+".join(spec))
async def test_ranges_are_exact_on_a_forum_and_in_chosen_topics(
    client: TelegramClient, world: World, tmp_path: Path, spec: dict[str, tuple[str, int]]
) -> None:
    forum = world.by_username("project_forum_sandbox")
    pairs = list(expected_messages(world, forum))
    every = [msg_id for msg_id, _ in pairs]

    def date_of(msg_id: int) -> int:
        return world.date_of(forum, msg_id)

    options = options_for(spec, every, date_of)
    result = await run_export(client, "@project_forum_sandbox", tmp_path, formats=("json",), **options)
    want = truth(every, date_of, options)
    assert [m["id"] for m in exported(result)] == want

    # Chosen topics read each topic's replies: the same bounds, each topic stopped at them.
    topics = tuple(sorted(forum.topics)[1:3])
    chosen = [i for i, topic in pairs if topic in topics]
    ranged = {k: v for k, v in options.items() if k != "last"}
    result = await run_export(
        client, "@project_forum_sandbox", tmp_path / "topics", formats=("json",), topics=topics, **ranged
    )
    assert [m["id"] for m in exported(result)] == truth(chosen, date_of, ranged)
