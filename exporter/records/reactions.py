"""Reactions on a message: counts per reaction, and the recent reactors with their dates."""

from __future__ import annotations

from typing import Any

from telethon.tl import types as tl

from .dates import iso_date, unix_time
from .names import NameBook


def _reaction_key(reaction: Any) -> tuple[str, Any]:
    cls = type(reaction)
    if cls is tl.ReactionEmoji:
        return "emoji", reaction.emoticon
    if cls is tl.ReactionCustomEmoji:
        return "custom_emoji", str(reaction.document_id)
    if cls is tl.ReactionPaid:
        return "paid", None
    return "empty", None


def reaction_list(reactions: Any, names: NameBook) -> list[dict[str, Any]]:
    by_key: dict[tuple[str, Any], dict[str, Any]] = {}
    for result in reactions.results:
        key = _reaction_key(result.reaction)
        if key in by_key:
            continue
        entry: dict[str, Any] = {"type": key[0], "count": result.count}
        if key[0] == "emoji":
            entry["emoji"] = key[1]
        elif key[0] == "custom_emoji":
            entry["document_id"] = key[1]
        by_key[key] = entry
    for recent in reactions.recent_reactions or ():
        key = _reaction_key(recent.reaction)
        found = by_key.get(key)
        if found is None:
            found = by_key[key] = {"type": key[0], "count": 0}
            if key[0] == "emoji":
                found["emoji"] = key[1]
            elif key[0] == "custom_emoji":
                found["document_id"] = key[1]
        name, pid = names.lookup(recent.peer_id)
        found.setdefault("recent", []).append(
            {"from": name, "from_id": pid, "date": iso_date(unix_time(recent.date))}
        )
    return list(by_key.values())
