"""A deterministic, seedable synthetic Telegram account for the offline sandbox."""

from .files import FileFaults, FileSet
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
from .truth import (
    MIGRATED_ID_SHIFT,
    FileTruth,
    describe,
    expected_export_ids,
    expected_file,
    expected_files,
    expected_messages,
    expected_sender,
    file_sha256,
    message_files,
)

__all__ = [
    "MIGRATED_ID_SHIFT",
    "SCENARIOS",
    "ArrayIds",
    "Blob",
    "Chat",
    "ChatSpec",
    "FileFaults",
    "FileSet",
    "FileTruth",
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
    "expected_file",
    "expected_files",
    "expected_messages",
    "expected_sender",
    "file_sha256",
    "message_files",
]
