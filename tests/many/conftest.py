"""A world with one chat of each kind the many-chats export chooses from, some archived, some left."""

from __future__ import annotations

import pytest

from sandbox.world import World
from sandbox.world.scenarios import ChatSpec, WorldSpec, build_world


@pytest.fixture
def world() -> World:
    return build_world(
        WorldSpec(
            seed=16,
            contacts=4,
            chats=[
                ChatSpec("saved", messages=40),
                ChatSpec("private", messages=60),
                ChatSpec("private", messages=30, archived=True),
                ChatSpec("group", "Family", messages=70, members=4),
                ChatSpec("supergroup", "Meetup", username="meetup_many", messages=80, members=5),
                ChatSpec("channel", "Digest", username="digest_many", messages=90),
                ChatSpec("channel", "Quiet Channel", username="quiet_many", messages=50, archived=True),
                ChatSpec("forum", "Forum", username="forum_many", messages=120, topics=3, members=5),
                # Left: a public channel stays readable, a private one does not (sandbox.world.access).
                ChatSpec("channel", "Left Public", username="left_public_many", messages=45, left=True),
                ChatSpec("channel", "Left Private", messages=35, left=True),
            ],
        )
    )


# The whole product (real aiogram through the sandbox Bot API, real Telethon through the sandbox DCs)
# as tests/bot drives it, over this directory's world.
from tests.bot.conftest import api, product  # noqa: E402, F401
