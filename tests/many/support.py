"""Reading many-chats archives back and holding them against the sandbox's ground truth."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from sandbox.world import World
from sandbox.world.model import Chat
from sandbox.world.truth import expected_export_ids


def chat_of(world: World, bare_id: int) -> Chat:
    """The world's chat a manifest or result.json names by its bare id (saved messages: the account's)."""
    if bare_id == world.me.id:
        return next(chat for chat in world.chats.values() if chat.kind == "saved")
    return next(c for c in world.chats.values() if c.bare_id == bare_id and c.kind != "saved")


def read_zip(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None, set[str]]:
    """(manifest, result.json or None, member names) of one archive."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        result = json.loads(archive.read("result.json")) if "result.json" in names else None
    return manifest, result, names


def assert_exact(world: World, chat_object: dict[str, Any]) -> Chat:
    """Every message of the chat exactly once, in order, as the ground truth has them."""
    chat = chat_of(world, chat_object["id"])
    ids = [message["id"] for message in chat_object["messages"]]
    assert ids == expected_export_ids(world, chat), chat.title
    return chat


def file_paths(value: Any) -> list[str]:
    """Every file path a message names (photo, file, thumbnail, vCard): what a reader opens."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("photo", "file", "thumbnail", "contact_vcard") and isinstance(item, str):
                found.append(item)
            else:
                found += file_paths(item)
    elif isinstance(value, list):
        for item in value:
            found += file_paths(item)
    return found


def read_like_desktop_tools(result: dict[str, Any]) -> dict[tuple[str, int], int]:
    """What tools written for Desktop's full export do with result.json, as their authors wrote them
    (keizerzilla/telegram-chat-parser's TelegramChatParser.process: ``jdata["chats"]["list"]`` and
    ``jdata["left_chats"]["list"]``, each chat's ``messages``, each message's fields indexed directly):
    the message count per (section, chat id). A missing key is a KeyError, as it is for them."""
    counts = {}
    for section in ("chats", "left_chats"):
        if section not in result:
            continue
        assert isinstance(result[section]["about"], str)
        for chat in result[section]["list"]:
            if chat["type"] not in ("saved_messages", "replies"):
                assert isinstance(chat["name"], str)
            rows = 0
            for message in chat["messages"]:
                assert isinstance(message["id"], int) and message["date_unixtime"].isdigit()
                assert message["type"] in ("message", "service") and message["date"]
                if message["type"] == "message":
                    assert message["from_id"] and "from" in message
                    assert isinstance(message["text"], str | list) and isinstance(
                        message["text_entities"], list
                    )
                rows += 1
            counts[(section, chat["id"])] = rows
    return counts
