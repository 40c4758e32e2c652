"""The bookkeeping the HTML and Markdown writers share: one section per topic.

Outside forums the whole chat is one section (topic ``None``); in forums each
topic is one, and a message without a topic belongs to General (1).  Records
come grouped by section; a section opens with its first record and closes when
the next one opens, and a topic must not come back once left (``ValueError``).
At the end every topic named in ``topics`` that got no records still gets an
(empty) section, so every link on the index resolves, and forums get the index.

What a section is on disk is the writer's: HTML pages of
:data:`~exporter.render.model.PAGE_SIZE` messages under ``topics/<id>/``, one
Markdown file per topic.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exporter.records import GENERAL_TOPIC_ID
from exporter.render.common import topic_title
from exporter.render.model import ChatInfo, Locate, TopicInfo


class Sections(ABC):
    """Base of a writer whose records fall into sections by topic (see the module docstring).

    A subclass opens a section's files in ``_begin_section``, closes them in
    ``_end_section`` (which does nothing when none is open) and writes the
    forum's index in ``_write_index``; it appends every file it writes to
    ``written``."""

    def __init__(
        self,
        out_dir: Path,
        chat: ChatInfo,
        topics: Sequence[TopicInfo] | None,
        locate: Locate,
        zone: str,
    ) -> None:
        self.out_dir = out_dir
        self.chat = chat
        self.forum = chat.is_forum
        self.topics: dict[int, TopicInfo] = {t.id: t for t in topics or ()}
        self.locate = locate
        # The time zone the records' dates are in (exporter.render.local_time), named where dates are shown.
        self.zone = zone
        self.written: list[Path] = []
        # Messages per section, in the order the sections were opened.
        self.counts: dict[int | None, int] = {}
        # The open section's topic (None outside forums).
        self.topic: int | None = None

    def section_of(self, rec: dict[str, Any]) -> int | None:
        return (rec.get("topic_id") or GENERAL_TOPIC_ID) if self.forum else None

    def is_new_section(self, topic: int | None) -> bool:
        return not self.counts or topic != self.topic

    def enter(self, topic: int | None) -> None:
        """Close the open section and open ``topic``'s."""
        self._end_section()
        if topic in self.counts:
            raise ValueError(f"records of topic {topic} are not contiguous")
        self.counts[topic] = 0
        self.topic = topic
        self._begin_section(topic)

    def finish(self) -> list[Path]:
        self._end_section()
        if self.forum:
            for topic_id in self.topics:
                if topic_id not in self.counts:
                    self.enter(topic_id)
                    self._end_section()
            self._write_index()
        elif not self.counts:
            self.enter(None)
            self._end_section()
        return self.written

    def topic_title(self, topic: int) -> str:
        return topic_title(topic, self.topics.get(topic))

    def index_order(self) -> list[int]:
        """The forum's topics as the index lists them: those named in ``topics``, then any other that had records."""
        return list(self.topics) + [t for t in self.counts if t not in self.topics and t is not None]

    @abstractmethod
    def _begin_section(self, topic: int | None) -> None: ...

    @abstractmethod
    def _end_section(self) -> None: ...

    @abstractmethod
    def _write_index(self) -> None: ...
