"""Counters of the media engine, for progress lines, the ETA and the timing summary."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class MediaProgress:
    """Files and bytes; ``*_total`` grow as specs are taken unless the caller announced them
    (MediaDownloader.expect). Bytes resumed from ``.part`` files count as done, not as fetched."""

    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0
    bytes_done: int = 0
    files_downloaded: int = 0
    files_unavailable: int = 0
    files_stalled: int = 0
    bytes_fetched: int = 0
    bytes_resumed: int = 0
    parts_fetched: int = 0
    references_refreshed: int = 0
    migrations: int = 0
    started: float | None = None
    finished: float | None = None
    announced: bool = field(default=False, repr=False)

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def speed(self) -> float:
        """Bytes fetched per second (resumed bytes were not fetched in this run)."""
        seconds = self.seconds
        return self.bytes_fetched / seconds if seconds > 0 else 0.0

    def eta(self) -> float | None:
        """Seconds left at the speed so far; None before the first byte."""
        speed = self.speed
        if speed <= 0:
            return None
        return max(0, self.bytes_total - self.bytes_done) / speed

    def summary(self) -> str:
        """'media: 1.2 GB in 3 min, 6.8 MB/s' (+ files and what went wrong)."""
        line = (
            f"media: {human_bytes(self.bytes_fetched)} in {human_seconds(self.seconds)}, "
            f"{human_bytes(self.speed)}/s; {self.files_downloaded} files"
        )
        if self.bytes_resumed:
            line += f" ({human_bytes(self.bytes_resumed)} resumed from an earlier run)"
        if self.files_unavailable:
            line += f", {self.files_unavailable} unavailable"
        if self.files_stalled:
            line += f", {self.files_stalled} stalled"
        return line


def human_bytes(n: float) -> str:
    """Decimal units, as network speeds and disk sizes are quoted."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def human_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
