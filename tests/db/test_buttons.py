"""Inline-button sessions (bot.callbacks) in the application database: a button one bot process
sent is pressed through another; only its owner may press it, only within its life, and the data
is short enough for Telegram's 64-byte callback data. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.callbacks import TOKEN_TTL, Buttons
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


async def test_a_press_changes_what_the_next_press_sees(db: Database, other: Database) -> None:
    token = await Buttons(db).open(7, "options", choice={"takeout": False})
    found = await Buttons(other).resolve(7, Buttons.data(token, "takeout"))
    assert found is not None
    found[0].data["choice"]["takeout"] = True
    await Buttons(other).save(token, found[0])
    again = await Buttons(db).resolve(7, Buttons.data(token, "go"))
    assert again is not None and again[0].data["choice"] == {"takeout": True}
    await Buttons(db).close(token)
    assert await Buttons(other).resolve(7, Buttons.data(token, "go")) is None
    await Buttons(other).save(token, found[0])  # a late save does not bring it back
    assert await Buttons(db).resolve(7, Buttons.data(token, "go")) is None


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
