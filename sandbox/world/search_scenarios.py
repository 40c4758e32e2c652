"""Scenarios made to measure messages.search: one very large group where each person wrote a little."""

from __future__ import annotations

from .model import Chat, World
from .scenarios import ChatSpec, Scenario, WorldSpec, build_world
from .senders import sender_index


def _huge_group(seed: int) -> World:
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=5,
            chats=[
                ChatSpec(
                    "supergroup",
                    "Huge Group",
                    username="huge_group_sandbox",
                    messages=1_000_000,
                    members=5_000,
                )
            ],
        )
    )
    group = world.by_username("huge_group_sandbox")
    if not isinstance(group, Chat):
        raise TypeError(f"@huge_group_sandbox names {group!r}, not the scenario's group")
    # Telegram searches by sender in an index it keeps (guess): build it now, not in the first search.
    sender_index(world, group)
    return world


SEARCH_SCENARIOS: dict[str, Scenario] = {
    "huge-group": Scenario(
        "a supergroup with 1,000,000 messages by 5,000 members (about 200 each), indexed by sender",
        _huge_group,
    ),
}
