"""A deterministic, seedable synthetic Telegram account for the offline sandbox."""

from .ids import ArrayIds, IdSet, PeriodicIds
from .model import Blob, Chat, Topic, UserInfo, World
from .scenarios import (
    SCENARIOS,
    ChatSpec,
    Scenario,
    UnknownScenario,
    WorldSpec,
    build_scenario,
    build_world,
)
from .truth import MIGRATED_ID_SHIFT, describe, expected_export_ids, expected_messages, expected_sender

__all__ = [
    "MIGRATED_ID_SHIFT",
    "SCENARIOS",
    "ArrayIds",
    "Blob",
    "Chat",
    "ChatSpec",
    "IdSet",
    "PeriodicIds",
    "Scenario",
    "Topic",
    "UnknownScenario",
    "UserInfo",
    "World",
    "WorldSpec",
    "build_scenario",
    "build_world",
    "describe",
    "expected_export_ids",
    "expected_messages",
    "expected_sender",
]
