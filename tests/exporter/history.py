"""Generated record histories for renderer tests, and a locator over them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from exporter.records import FILE_NOT_INCLUDED, iso_date
from exporter.render.model import Locate, page_of_rank

Record = dict[str, Any]

START = 1_700_000_000
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> [[x]] ^msg-1 # h'


def message(msg_id: int, text: str = "", *, topic_id: int | None = None, **extra: Any) -> Record:
    ts = START + msg_id * 3600
    rec: Record = {
        "id": msg_id,
        "type": "message",
        "date": iso_date(ts),
        "date_unixtime": str(ts),
        "from": f"User {msg_id % 5}",
        "from_id": f"user{msg_id % 5}",
    }
    rec.update(extra)
    rec["text"] = text or f"message {msg_id}"
    rec["text_entities"] = [{"type": "plain", "text": rec["text"]}]
    if topic_id is not None:
        rec["topic_id"] = topic_id
    return rec


def service(msg_id: int, action: str, *, topic_id: int | None = None, **extra: Any) -> Record:
    ts = START + msg_id * 3600
    rec: Record = {
        "id": msg_id,
        "type": "service",
        "date": iso_date(ts),
        "date_unixtime": str(ts),
        "actor": "Ann",
        "actor_id": "user5",
        "action": action,
        **extra,
        "text": "",
        "text_entities": [],
    }
    if topic_id is not None:
        rec["topic_id"] = topic_id
    return rec


def decorate(rec: Record, index: int, ids: list[int]) -> Record:
    """Vary a record by its position: replies near and far, media, polls, reactions, edits."""
    if ids and index % 7 == 3:
        rec["reply_to_message_id"] = ids[-1 - (index * 131) % len(ids)]
    if index % 11 == 5:
        rec.update(photo=FILE_NOT_INCLUDED, photo_file_size=2048, width=800, height=600)
    if index % 13 == 6:
        rec["poll"] = {
            "question": "Which?",
            "closed": False,
            "total_voters": 3,
            "answers": [
                {"text": "A", "voters": 2, "chosen": True},
                {"text": "B", "voters": 1, "chosen": False},
            ],
        }
    if index % 17 == 8:
        rec["reactions"] = [{"type": "emoji", "count": 2, "emoji": "👍"}]
    if index % 19 == 9:
        rec["edited"] = rec["date"]
        rec["edited_unixtime"] = rec["date_unixtime"]
    if index % 23 == 10:
        rec["forwarded_from"] = None
    return rec


def plain_history(count: int) -> list[Record]:
    """A non-forum chat: ids 1..count with varied records and one reply to a message not exported."""
    records: list[Record] = []
    ids: list[int] = []
    for index in range(count):
        msg_id = index + 1
        if index % 97 == 50:
            rec = service(msg_id, "pin_message", message_id=ids[len(ids) // 2])
        else:
            rec = decorate(message(msg_id, EVIL if index == 5 else ""), index, ids)
        records.append(rec)
        ids.append(msg_id)
    records[-1]["reply_to_message_id"] = count + 10_000
    return records


def forum_history(sizes: dict[int, int]) -> tuple[list[Record], list[Record]]:
    """(records in topic order, records in id order) of a forum with ``sizes[topic]`` messages per topic.

    Topic ids other than General (1) are the ids of their creation messages;
    replies cross topics and pages.
    """
    by_topic: dict[int, list[Record]] = {topic: [] for topic in sizes}
    all_ids: list[int] = []
    next_id = max(sizes) + 1
    remaining = dict(sizes)
    index = 0
    while any(remaining.values()):
        for topic in sizes:
            if not remaining[topic]:
                continue
            if topic != 1 and not by_topic[topic]:
                rec = service(topic, "topic_created", title=f"Topic {topic}", topic_id=topic)
                msg_id = topic
            else:
                msg_id = next_id
                next_id += 1
                rec = decorate(message(msg_id, topic_id=topic), index, all_ids)
                if topic != 1 and "reply_to_message_id" not in rec:
                    # A topic message's header points at the topic itself, as from Telegram.
                    rec["reply_to_message_id"] = topic
            by_topic[topic].append(rec)
            all_ids.append(msg_id)
            remaining[topic] -= 1
            index += 1
    topic_ordered = [rec for topic in sizes for rec in sorted(by_topic[topic], key=lambda r: r["id"])]
    return topic_ordered, sorted(topic_ordered, key=lambda r: r["id"])


def locator(records: list[Record]) -> Locate:
    """(topic, page) of every record, ranked within its topic as a store would."""
    rank: dict[int | None, int] = {}
    where: dict[int, tuple[int | None, int]] = {}
    for rec in sorted(records, key=lambda r: r["id"]):
        topic = rec.get("topic_id")
        position = rank.get(topic, 0)
        rank[topic] = position + 1
        where[rec["id"]] = (topic, page_of_rank(position))
    return where.get


def generated(count: int) -> Iterator[Record]:
    """``count`` small records made on the fly, for memory tests; every 50th replies 1,500 back."""
    entities: list[Any] = []
    for msg_id in range(1, count + 1):
        rec = {
            "id": msg_id,
            "type": "message",
            "date": "2023-11-14T22:13:20",
            "date_unixtime": "1700000000",
            "from": "Ann",
            "from_id": "user5",
            "text": "hi",
            "text_entities": entities,
        }
        if msg_id % 50 == 0:
            rec["reply_to_message_id"] = msg_id - 1500
        yield rec


def generated_locate(count: int) -> Locate:
    def locate(msg_id: int) -> tuple[int | None, int] | None:
        return (None, page_of_rank(msg_id - 1)) if 1 <= msg_id <= count else None

    return locate
