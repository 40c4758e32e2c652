"""Every second of an export given to exactly one phase.

Phases overlap (pages are stored while requests are in flight), so busy times
never add up to the wall time.  This splits the wall time instead: at each
moment the time goes to the first phase in ``PRIORITY`` that is active then.
Our own work comes first (the process was doing it, whatever was in flight),
then the waits we chose (a flood wait Telegram asked for, our own pacing),
then Telegram (a request's bytes were out and its answer not yet back), then
answers that had arrived and waited on our side.  What is left is time no
phase claims; it is reported as ``unaccounted``, never spread over the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from db.timing_report import UNACCOUNTED

# Names are keys of the report's JSON (``accounted``), so they are identifiers.
TELEGRAM = "telegram"
FLOOD_WAIT = "flood_wait"


def exclusive_seconds(
    intervals: Mapping[str, Iterable[tuple[float, float]]],
    priority: tuple[str, ...],
    start: float,
    end: float,
) -> dict[str, float]:
    """Seconds of [start, end] each phase had to itself, by ``priority``; plus UNACCOUNTED."""
    rank = {name: index for index, name in enumerate(priority)}
    events: list[tuple[float, int, int]] = []
    for name, spans in intervals.items():
        for begin, finish in spans:
            begin, finish = max(begin, start), min(finish, end)
            if finish > begin:
                events.append((begin, 1, rank[name]))
                events.append((finish, -1, rank[name]))
    events.sort()
    active = [0] * len(priority)
    owned = [0.0] * len(priority)
    unaccounted = 0.0
    now = start
    for moment, change, index in events:
        if moment > now:
            owner = next((i for i, count in enumerate(active) if count), None)
            if owner is None:
                unaccounted += moment - now
            else:
                owned[owner] += moment - now
            now = moment
        active[index] += change
    unaccounted += max(0.0, end - now)
    result = {name: owned[index] for index, name in enumerate(priority)}
    result[UNACCOUNTED] = unaccounted
    return result
