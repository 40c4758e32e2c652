"""A forum export is a snapshot: per topic, how many messages it holds up to the snapshot.

The export reads every message below ``high`` (one past the newest message seen when it started)
and nothing newer, so every topic is exact as of that moment and whatever arrives later is left out,
all of it.  Telegram's ``count`` for a topic (``messages.getReplies``) includes the newer messages,
so it cannot be compared with what was written as it is.  One answer of getReplies holds both the
count and the newest messages, consistent with each other: the messages at or above ``high`` in it
are the newer ones, and the rest of the count is the snapshot's.  When more than a page arrived, the
next request skips (``add_offset``) the newer messages already counted; its answer is again
consistent in itself, since anything that arrives in between only lengthens the newer run that the
skip lands in.

A whole forum is read by id ranges, not topic by topic, so nothing while reading needs the counts:
they are asked once reading is done (exporter/fetch.py), while the files are fetched and the pages
rendered.  Under a flood limit they then cost no reading time: the 20 counts of the bench's forum
took 2 s of a 10-requests-a-second export's reading, and the 2.5 s of work after it sends no
request at all.  Chosen topics are read topic by topic, and their counts are the progress's total,
so they are asked while planning.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from telethon.tl import types as T

from .streams import PAGE_LIMIT, Send, Stream

# Each step skips a page of newer messages; far more than a forum gets while an export plans.
MAX_COUNT_STEPS = 50


@dataclass
class Snapshot:
    """What the export covers: every message up to ``max_id``; per topic, the newer ones left out."""

    max_id: int
    newer_left_out: dict[int, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The manifest's ``snapshot``: the per-topic counts go in each topic's entry."""
        return {"max_id": self.max_id}

    def to_plan(self) -> dict[str, Any]:
        return {"max_id": self.max_id, "newer_left_out": self.newer_left_out}

    @classmethod
    def from_plan(cls, plan: dict[str, Any] | None) -> Snapshot:
        if plan is None:  # a plan stored before snapshots were recorded
            return cls(0)
        return cls(plan["max_id"], {int(k): v for k, v in plan["newer_left_out"].items()})


async def topic_count_below(send: Send, peer: Any, topic_id: int, high: int) -> tuple[int | None, int]:
    """(messages below ``high``, newer messages) of one topic, each pair from one answer.

    More than ``MAX_COUNT_STEPS`` pages of newer messages leave the count below ``high`` unknown
    (None) and the newer ones counted as far as they were skipped: a guess would either call a
    complete topic short or hide a short one."""
    skip = 0
    below: int | None = 0
    newer = 0
    for _ in range(MAX_COUNT_STEPS):
        result = await send(Stream(peer, topic_id=topic_id).request(0, add_offset=skip, limit=PAGE_LIMIT))
        ids = [m.id for m in result.messages if not isinstance(m, T.MessageEmpty)]
        count = getattr(result, "count", None)
        if count is None:  # messages.messages: the answer holds every message there is
            count = skip + len(ids)
        newer = skip + sum(1 for msg_id in ids if msg_id >= high)
        below = max(0, count - newer)
        # New messages are never hidden, so a full page of them means the run goes on past it.
        if len(result.messages) < PAGE_LIMIT or any(msg_id < high for msg_id in ids):
            break
        skip += len(result.messages)
    else:
        below = None
    return below, newer


async def snapshot_counts(
    send: Send, peer: Any, topic_ids: list[int], high: int
) -> tuple[dict[int, int], dict[int, int]]:
    """Per topic, Telegram's count as of the snapshot and the newer messages it also counts (a topic
    with more newer messages than the steps skip has no count as of the snapshot)."""
    pairs = await asyncio.gather(*(topic_count_below(send, peer, t, high) for t in topic_ids))
    below = {t: pair[0] for t, pair in zip(topic_ids, pairs, strict=True) if pair[0] is not None}
    newer = {t: pair[1] for t, pair in zip(topic_ids, pairs, strict=True)}
    return below, newer
