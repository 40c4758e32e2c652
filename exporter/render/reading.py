"""The store's records as the writers take them: with the media stage's values, per topic, and
where each message's page is."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

from db.store import StoreReader

from ..media.capture import EMOJI_PREFIX
from .local_time import LocalTime
from .model import Locate, TopicInfo


def locator(reader: StoreReader, page_starts: dict[int | None, list[int]]) -> Locate:
    """Message id → (topic, page) for reply links across pages and topics.

    Keeps only the first id of every page (a thousandth of the chat), so it
    stays small for any chat; each lookup is one primary-key query."""

    def locate(msg_id: int) -> tuple[int | None, int] | None:
        stored, topic_id = reader.topic_of(msg_id)
        starts = page_starts.get(topic_id)
        if not stored or not starts:
            return None
        return topic_id, bisect_right(starts, msg_id)

    return locate


def topic_ordered(reader: StoreReader, topics: list[TopicInfo], local: LocalTime) -> Iterator[dict[str, Any]]:
    for topic in topics:
        records = resolved(reader.topic_records(topic.id), reader.topic_media_values(topic.id))
        yield from map(local.localize, records)


def resolved(
    records: Iterator[dict[str, Any]], values: Iterator[tuple[int, str, str]]
) -> Iterator[dict[str, Any]]:
    """The records with the media stage's values in their file fields: ``photo``, ``file``,
    ``thumbnail``, ``contact_vcard`` and custom emoji's ``document_id`` (in the text and the
    reactions, as Desktop writes them). Both come in ascending message id, so one pass merges them."""
    value = next(values, None)
    for record in records:
        msg_id = record["id"]
        while value is not None and value[0] < msg_id:
            value = next(values, None)
        emoji: dict[str, str] = {}
        while value is not None and value[0] == msg_id:
            role = value[1]
            if role.startswith(EMOJI_PREFIX):
                emoji[role[len(EMOJI_PREFIX) :]] = value[2]
            else:
                record[role] = value[2]
            value = next(values, None)
        if emoji:
            _emoji_paths(record, emoji)
        yield record


def _emoji_paths(record: dict[str, Any], paths: dict[str, str]) -> None:
    text = record.get("text")
    parts = [
        *record.get("text_entities", ()),
        *(text if isinstance(text, list) else ()),
        *record.get("reactions", ()),
    ]
    for part in parts:
        if isinstance(part, dict) and part.get("type") == "custom_emoji":
            part["document_id"] = paths.get(part["document_id"], part["document_id"])
