"""The timing report in words: a plain headline for everyone, the breakdown for whoever asks.

The headline says how many messages, how long, and the one reason it took that long: the part
of the export that held the largest share of the wall time. The breakdown (requests' p50 and
p95, refused requests and waits, every phase's share) is what the bot shows behind "Details",
the CLI behind ``--verbose``, and the manifest keeps as JSON.
"""

from __future__ import annotations

from db.timing_report import TimingReport

# What each phase is, said for people; a phase not named here is shown by its own name.
PLAIN_PHASES = {
    "processing": "converting the messages",
    "storing": "saving them to disk",
    "rendering": "writing the export files",
    "packaging": "packing the archive",
    "decoding": "decoding Telegram's answers",
    "pacing": "our own pacing to stay under Telegram's limit",
    "delivery": "sending the archive",
}
# Summed over requests in flight together (exporter/timing.py), so it overlaps itself and is no
# share of the wall time: never a headline reason, and the breakdown shows it in seconds only.
PER_REQUEST = frozenset({"queued"})
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
    if report.wall <= 0:
        return None
    waited = report.flood.waited_wall / report.wall
    shares = {"reading from Telegram": report.requests.in_flight_wall / report.wall}
    shares |= {
        PLAIN_PHASES.get(name, name): seconds / report.wall
        for name, seconds in report.phases.items()
        if name not in PER_REQUEST
    }
    busiest, share = max(shares.items(), key=lambda item: item[1])
    if waited >= share and waited >= DOMINANT:
        return (
            f"Telegram allowed about {report.messages_per_second:,.0f} messages a second: "
            f"{100 * waited:.0f} % of the time was waiting for Telegram."
        )
    if share < DOMINANT:
        return None
    return f"Most of the time ({100 * share:.0f} %) went to {busiest}."


def headline(report: TimingReport) -> list[str]:
    """The first lines of every summary: what, how long, why; and what an earlier run had saved."""
    lines = [
        f"{report.messages:,} messages in {duration_words(report.wall)} "
        f"({report.messages_per_second:,.0f} a second)"
    ]
    why = reason(report)
    if why:
        lines.append(why)
    if report.already_saved:
        # This run's speed counts only what this run read; say where the rest came from.
        lines.append(
            f"{report.already_saved:,} messages were already saved by an earlier run; "
            f"this run read {report.fetched:,}."
        )
    return lines


def breakdown(report: TimingReport) -> list[str]:
    """The engineering view: requests, flood waits and each phase as a share of the wall time."""

    def share(seconds: float) -> str:
        return (
            f"{seconds:.2f} s ({100 * seconds / report.wall:.0f} %)"
            if report.wall > 0
            else f"{seconds:.2f} s"
        )

    r, flood = report.requests, report.flood
    lines = [
        f"Wall time {report.wall:.2f} s; {report.fetched:,} messages read in this run "
        f"({report.messages_per_second:,.1f} a second)",
        f"Telegram requests: {r.count:,}, in flight {share(r.in_flight_wall)}, {r.total:.2f} s in all, "
        f"p50 {1000 * r.p50:.0f} ms, p95 {1000 * r.p95:.0f} ms, max {1000 * r.max:.0f} ms",
    ]
    if flood.count:
        lines.append(
            f"Waits for Telegram's flood limit: {flood.waits}, {share(flood.waited_wall)}; "
            f"refused requests: {flood.count} (Telegram asked for {flood.announced_seconds} s)"
        )
    else:
        lines.append("Waits for Telegram's flood limit: 0; refused requests: 0")
    lines += [
        f"{name.capitalize()}: "
        + (f"{seconds:.2f} s summed over requests" if name in PER_REQUEST else share(seconds))
        for name, seconds in report.phases.items()
    ]
    lines.append("Phases overlap, so the shares need not add up to 100 %.")
    return lines
