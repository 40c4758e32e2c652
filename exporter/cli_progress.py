"""python -m exporter's progress: one line redrawn in place on a terminal, a line every few seconds
in a log (reading messages, then the media stage's files and bytes).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TextIO

from .errors import duration
from .export import Progress
from .media.progress import human_bytes
from .render.html_page import count


class TerminalProgress:
    """One line redrawn in place on a terminal; a line every few seconds elsewhere."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last = 0.0
        self.phase = ""

    def __call__(self, progress: Progress) -> None:
        if progress.phase == "done":
            return
        now = time.monotonic()
        final = progress.phase not in ("fetching", "media")
        if final and progress.phase == self.phase:
            # A step without a count of its own (userpics, rendering) reports again as it goes;
            # its line is already written, and a copy per report read as a loop.
            return
        self.phase = progress.phase
        if not final and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        self.out.write(
            ("\r\x1b[K" if self.tty else "") + describe_progress(progress) + ("" if self.tty else "\n")
        )
        if self.tty and final:
            self.out.write("\n")
        self.out.flush()


def describe_progress(progress: Progress) -> str:
    media = progress.media
    if progress.phase == "media" and media is not None:
        line = (
            f"media: {media.files_done:,}/{count(media.files_total, 'file')}, "
            f"{human_bytes(media.bytes_done)} of {human_bytes(media.bytes_total)}, {human_bytes(media.speed)}/s"
        )
        eta = media.eta()
        return line + (f", ETA {duration(eta)}" if eta is not None else "")
    if progress.phase != "fetching":
        return f"{progress.phase}… ({count(progress.done, 'message')})"
    parts = []
    if progress.total:
        share = min(1.0, progress.done / progress.total)
        bar = "#" * int(share * 20)
        parts.append(f"[{bar:<20}] {progress.done:,}/{progress.total:,}")
    else:
        parts.append(count(progress.done, "message"))
    parts.append(f"{progress.rate:,.0f} msg/s")
    if progress.eta is not None:
        parts.append(f"ETA {progress.eta:,.0f} s")
    if progress.active_topics:
        # Id-range shards of one chat share its name: show it once, with how many run.
        streams = Counter(progress.active_topics)
        shown = ", ".join(name if n == 1 else f"{name} ×{n}" for name, n in list(streams.items())[:3])
        more = len(streams) - 3
        parts.append(f"reading {shown}" + (f" +{count(more, 'topic')}" if more > 0 else ""))
    if progress.limited:
        parts.append("Telegram is the limit")
    if progress.flood_wait:
        parts.append(f"Telegram asked us to wait {duration(progress.flood_wait.seconds)}")
    return "  ".join(parts)
