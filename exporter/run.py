"""One export while it runs: the state its steps share, and the progress a listener sees."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db.store import ExportStore

from .dedupe import SeenFilter
from .eta import LimitedSince, RateWindow, remaining_seconds, steady_rate
from .filters import Predicate
from .filters.pushdown import Search
from .media.progress import MediaProgress
from .records import NameBook
from .render.model import ChatInfo, TopicInfo
from .scheduler import FloodWait
from .timing import PhaseClock
from .topics import Snapshot


@dataclass(frozen=True)
class Progress:
    phase: str
    done: int
    total: int | None
    elapsed: float
    active_topics: tuple[str, ...] = ()
    flood_wait: FloodWait | None = None
    # Set once Telegram refused a request for flooding: from then on Telegram is the limit.
    limited: LimitedSince | None = None
    # Where this run's recent rate is measured from; None until fetching has settled (eta.py).
    measured_since: LimitedSince | None = None
    # Of ``done``, the messages an earlier run of this export had saved.
    already_saved: int = 0
    # While the media stage downloads (phase "media"): files and bytes done of the total.
    media: MediaProgress | None = None

    @property
    def rate(self) -> float:
        for since in (self.limited, self.measured_since, LimitedSince(0.0, self.already_saved)):
            rate = steady_rate(self.done, self.elapsed, since)
            if rate > 0:
                return rate
        return 0.0

    @property
    def eta(self) -> float | None:
        if self.limited is None and self.measured_since is None:
            return None  # never from the first second's rate
        return remaining_seconds(self.done, self.total, self.rate)


ProgressListener = Callable[[Progress], None]


@dataclass
class ExportRun:
    """Mutable state of one export while it plans and fetches."""

    chat: ChatInfo
    store: ExportStore
    clock: PhaseClock
    listener: ProgressListener | None
    seen: SeenFilter | None = None
    names: NameBook = field(default_factory=NameBook)
    total: int | None = None
    done: int = 0
    active: dict[str, str] = field(default_factory=dict)
    topics: list[TopicInfo] = field(default_factory=list)
    # Forums: Telegram's count per topic (from getReplies), to check the topic assignment against.
    topic_counts: dict[int, int] = field(default_factory=dict)
    # A whole forum's counts are asked once reading is done (exporter/topics.py), by ``counting``.
    counts_after_reading: bool = False
    counting: asyncio.Task[None] | None = None
    # Incremental forums: per topic, the highest id already delivered.
    after: dict[int | None, int] = field(default_factory=dict)
    flood: FloodWait | None = None
    flood_until: float = 0.0
    limited: LimitedSince | None = None
    # Messages an earlier run of this export had saved, and this run's fetching rate (eta.py).
    already_saved: int = 0
    rates: RateWindow | None = None
    # Everything up to the newest message seen when the export started; newer ones are left out.
    snapshot: Snapshot = field(default_factory=lambda: Snapshot(0))
    # Where the export writes: a new plan checks there is room for it.
    work_dir: Path = Path()
    out_dir: Path = Path()
    # The media engine's counters once the media stage downloads.
    media: MediaProgress | None = None
    # An export with a filter keeps only the messages this says yes to (exporter.filters).
    keep: Predicate | None = None
    # What of the filter Telegram is asked (messages.search) instead of reading the whole history;
    # the count of matches it promised for the plan (None: unknown, or not all of it is read), and
    # how many of its answers were read so far (the store's "search_read" survives a resumption).
    search: Search | None = None
    search_count: int | None = None
    search_read: int = 0
    # With --comments: posts note their comment sections, and what the manifest says of the
    # comments once they are planned (exporter.comments).
    with_comments: bool = False
    comments: dict[str, Any] | None = None
    # Called once the plan is known, with the messages it expects (None: unknown): what should
    # start before reading (the export's rendering helper, exporter.render.forum_split).
    planned: Callable[[int | None], None] | None = None
    # Set once ``done`` reaches the count: what waits for most of the reading (exporter/media/warmup.py).
    read_mark: tuple[int, asyncio.Event] | None = None

    def count_read(self, stored: int) -> None:
        self.done += stored
        if self.read_mark is not None and self.done >= self.read_mark[0]:
            self.read_mark[1].set()

    def emit(self, phase: str = "fetching") -> None:
        if self.listener is None:
            return
        flood = self.flood if time.monotonic() < self.flood_until else None
        active = tuple(self.active.values())
        elapsed, since = self.clock.wall, None
        if self.rates is not None:
            self.rates.add(elapsed, self.done)
            since = self.rates.measured_since(elapsed)
        self.listener(
            Progress(
                phase,
                self.done,
                self.total,
                elapsed,
                active,
                flood,
                self.limited,
                since,
                self.already_saved,
                self.media,
            )
        )

    def on_flood_wait(self, wait: FloodWait) -> None:
        if self.limited is None:
            self.limited = LimitedSince(self.clock.wall, self.done)
        self.flood = wait
        self.flood_until = time.monotonic() + wait.seconds
        self.emit()
