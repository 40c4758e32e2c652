"""Inline-button sessions (bot.callbacks) in the application database: a button one bot process
sent is pressed through another; only its owner may press it, only within its life, and the data
is short enough for Telegram's 64-byte callback data. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.callbacks import TOKEN_TTL, Buttons, ButtonSession
from db import Database

from .support import FakeClock


async def test_a_button_is_short_and_bound_to_its_owner(db: Database, other: Database) -> None:
    token = await Buttons(db).open(1, "options", target="@x", topics=[(5, "News")])
    data = Buttons.data(token, "go")
    assert len(data.encode()) <= 64
    with pytest.raises(ValueError):
        Buttons.data(token, "x" * 64)
    pressed = Buttons(other)  # the other process
    found = await pressed.resolve(1, data)
    assert found is not None
    session, choice = found
    assert (session.owner, session.kind, choice) == (1, "options", "go")
    assert session.data == {"target": "@x", "topics": [[5, "News"]]}
    assert await pressed.resolve(2, data) is None  # someone else's button
    assert await pressed.resolve(1, "t:forged:go") is None
    assert await pressed.resolve(1, "garbage") is None


def toggle(name: str) -> Callable[[ButtonSession], Awaitable[str]]:
    async def press(session: ButtonSession) -> str:
        session.data["choice"][name] = not session.data["choice"][name]
        return name

    return press


async def test_a_press_changes_what_the_next_press_sees(db: Database, other: Database) -> None:
    token = await Buttons(db).open(7, "options", choice={"takeout": False})
    found = await Buttons(other).resolve(7, Buttons.data(token, "takeout"))
    assert found is not None
    kept = await Buttons(other).update(token, found[0], toggle("takeout"))
    assert kept is not None and kept[1] == "takeout"
    again = await Buttons(db).resolve(7, Buttons.data(token, "go"))
    assert again is not None and again[0].data["choice"] == {"takeout": True}
    await Buttons(db).close(token)
    assert await Buttons(other).resolve(7, Buttons.data(token, "go")) is None
    # A late press does not bring it back.
    assert await Buttons(other).update(token, again[0], toggle("takeout")) is None
    assert await Buttons(db).resolve(7, Buttons.data(token, "go")) is None


async def test_two_presses_read_at_once_are_both_kept(db: Database, other: Database) -> None:
    """Two bot processes handle a press each on one screen: both read it before either writes.
    The second write finds the version moved, reads again and applies its press to the first's."""
    token = await Buttons(db).open(7, "options", choice={"takeout": False, "comments": False})
    first = await Buttons(db).resolve(7, Buttons.data(token, "takeout"))
    second = await Buttons(other).resolve(7, Buttons.data(token, "comments"))
    assert first is not None and second is not None
    assert await Buttons(db).update(token, first[0], toggle("takeout")) is not None
    presses = 0

    async def comments(session: ButtonSession) -> None:
        nonlocal presses
        presses += 1
        await toggle("comments")(session)

    kept = await Buttons(other).update(token, second[0], comments)
    assert kept is not None and presses == 2  # applied again to what the first press kept
    final = await Buttons(db).resolve(7, Buttons.data(token, "go"))
    assert final is not None and final[0].data["choice"] == {"takeout": True, "comments": True}


async def test_presses_racing_on_one_screen_all_count(db: Database, other: Database) -> None:
    """Twenty taps of one toggle through two processes at once: an even number leaves it as it was."""
    token = await Buttons(db).open(7, "options", choice={"takeout": False}, taps=0)

    async def tap(buttons: Buttons) -> None:
        found = await buttons.resolve(7, Buttons.data(token, "takeout"))
        assert found is not None

        async def press(session: ButtonSession) -> None:
            session.data["taps"] += 1
            session.data["choice"]["takeout"] = not session.data["choice"]["takeout"]

        assert await buttons.update(token, found[0], press) is not None

    await asyncio.gather(*(tap(Buttons(db if i % 2 else other)) for i in range(20)))
    final = await Buttons(db).resolve(7, Buttons.data(token, "go"))
    assert final is not None and final[0].data == {"choice": {"takeout": False}, "taps": 20}


async def test_a_button_expires_and_is_deleted(db: Database, clock: FakeClock) -> None:
    buttons = Buttons(db)
    old = await buttons.open(1, "resend", job_id=3)
    clock.advance(TOKEN_TTL - 1)
    assert await buttons.resolve(1, Buttons.data(old, "go")) is not None
    clock.advance(2)
    assert await buttons.resolve(1, Buttons.data(old, "go")) is None
    new = await buttons.open(1, "resend", job_id=4)
    rows = await db.fetchall("SELECT token FROM button_sessions")
    assert [row[0] for row in rows] == [new]  # the expired one went as the new one came
