"""The timing report in words: a plain headline for everyone, the breakdown for whoever asks.

The headline says how many messages, how long, and the one reason it took that long: the part
of the export that held the largest share of the wall time, each second counted once (the
report's ``accounted`` split, never busy times, which overlap). The breakdown (requests' p50 and
p95, refused requests and waits, every phase's share) is what the bot shows behind "Details",
the CLI behind ``--verbose``, and the manifest keeps as JSON.
"""

from __future__ import annotations

from db.timing_report import DELIVERY, UNACCOUNTED, MediaStats, TimingReport

from .accounting import FLOOD_WAIT, TELEGRAM
from .media.progress import human_bytes
from .render.html_page import count
from .timing import PACING

# What each part of the wall time is, said for people; a phase not named here is shown by its name.
PLAIN_PHASES = {
    TELEGRAM: "waiting for Telegram's answers",
    FLOOD_WAIT: "waiting for Telegram's flood limit",
    PACING: "our own pacing to stay under Telegram's limit",
    "decoding": "decoding Telegram's answers",
    "queued": "answers waiting for our busy process",
    "processing": "converting the messages",
    "storing": "saving them to disk",
    "rendering": "writing the export files",
    "packaging": "packing the archive",
    "media": "downloading the media files",
    DELIVERY: "sending the archive",
    UNACCOUNTED: "no phase (the process was not running, or starting)",
}
# Both are Telegram's limit at work: a wait it asked for, or ours so that it need not ask.
LIMIT = (FLOOD_WAIT, PACING)
# Below this share no single part stands out, and the headline does not pretend one does.
DOMINANT = 0.25


def duration_words(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def reason(report: TimingReport) -> str | None:
    """The one reason the export took as long as it did, or None when nothing stands out."""
    shares = report.shares
    limit = sum(shares.get(name, 0.0) for name in LIMIT)
    parts = {name: share for name, share in shares.items() if name not in (*LIMIT, UNACCOUNTED)}
    busiest, share = max(parts.items(), key=lambda item: item[1], default=("", 0.0))
    if limit >= share and limit >= DOMINANT:
        # Telegram's answers are waiting for Telegram too: the flood limit only decides how often.
        waiting = limit + shares.get(TELEGRAM, 0.0)
        return (
            f"Telegram allowed about {report.messages_per_second:,.0f} messages a second: "
            f"{100 * waiting:.0f} % of the time was waiting for Telegram."
        )
    if share < DOMINANT:
        return None
    return f"Most of the time ({100 * share:.0f} %) went to {PLAIN_PHASES.get(busiest, busiest)}."


def headline(report: TimingReport) -> list[str]:
    """The first lines of every summary: what, how long, why; and what an earlier run had saved."""
    if report.export_wall < 1:
        # A rate over a fraction of a second says nothing a person can use ("0.3 s, 10,075 a second").
        lines = [f"{count(report.messages, 'message')} in under a second"]
    else:
        lines = [
            f"{count(report.messages, 'message')} in {duration_words(report.export_wall)} "
            f"({report.messages_per_second:,.0f} a second)"
        ]
    why = reason(report)
    if why:
        lines.append(why)
    media = report.media
    if media.files or media.unavailable:
        lines.append(media_words(media))
    if report.already_saved:
        # This run's speed counts only what this run read; say where the rest came from.
        lines.append(
            f"{count(report.already_saved, 'message')} {'was' if report.already_saved == 1 else 'were'} already saved by an earlier run; "
            f"this run read {report.fetched:,}."
        )
    return lines


def media_words(media: MediaStats) -> str:
    """The media files in words: "539 files in the archive; 99.5 MB downloaded in 1.4 s (68.9 MB/s)"."""
    first = f"{count(media.files, 'file')} in the archive"
    if media.unavailable:
        # Desktop's sentence stands in the archive where each belongs; the manifest names them.
        first += f", {count(media.unavailable, 'file')} unavailable"
    parts = [first]
    if media.fetched:
        downloaded = f"{human_bytes(media.fetched)} downloaded in {duration_words(media.seconds)}"
        if media.seconds >= 1:
            # A rate over a fraction of a second says nothing (as for the messages).
            downloaded += f" ({human_bytes(media.fetched / media.seconds)}/s)"
        parts.append(downloaded)
    if media.resumed:
        parts.append(f"{human_bytes(media.resumed)} downloaded by an earlier run")
    return "; ".join(parts) + "."


def breakdown(report: TimingReport) -> list[str]:
    """The engineering view: requests, flood waits, the wall time split between the phases, and
    each phase's busy time."""

    def share(seconds: float) -> str:
        return (
            f"{seconds:.2f} s ({100 * seconds / report.wall:.0f} %)"
            if report.wall > 0
            else f"{seconds:.2f} s"
        )

    r, flood = report.requests, report.flood
    wall = f"Wall time {report.wall:.2f} s"
    delivery = report.accounted.get(DELIVERY)
    if delivery is not None:
        wall += f" (the export {report.export_wall:.2f} s, then sending the archive {delivery:.2f} s)"
    lines = [
        f"{wall}; {count(report.fetched, 'message')} read in this run ({report.messages_per_second:,.1f} a second)",
        f"Telegram requests: {r.count:,}, p50 {1000 * r.p50:.0f} ms, p95 {1000 * r.p95:.0f} ms, "
        f"max {1000 * r.max:.0f} ms; {r.total:.2f} s in all, at least one in flight {share(r.in_flight_wall)}",
        f"Waits for Telegram's flood limit: {flood.waits}, {share(flood.waited_wall)}; "
        f"refused requests: {flood.count} (Telegram asked for {flood.announced_seconds} s)",
    ]
    if report.accounted:
        lines.append("Where the wall time went, each second counted once:")
        lines += [
            f"  {name.replace('_', ' ').capitalize()}: {share(seconds)}"
            for name, seconds in report.accounted.items()
        ]
    busy = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report.phases.items())
    # Queued is summed over requests waiting together, so it can exceed the wall time.
    lines.append(f"Busy time, overlapping (queued summed over requests): {busy}")
    return lines
