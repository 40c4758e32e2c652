"""The timing report's shape, defined once.

The exporter builds a ``TimingReport`` and writes ``to_dict()`` into the manifest and the job
record; the bot reads it back with ``from_dict``; ``db.stats`` queries the stored JSON through
``report_path``, which checks every key against these classes, so a renamed field fails at
import instead of reading zeros. It lives in ``db`` because ``db`` may import neither the
exporter nor the bot, and both may import ``db``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any, get_type_hints


@dataclass
class RequestStats:
    """Requests to Telegram, each timed on its own (never our work while it was in flight)."""

    count: int = 0
    total: float = 0.0
    # Wall time with at least one request in flight (requests overlap, so this is not ``total``).
    in_flight_wall: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    max: float = 0.0


@dataclass
class FloodStats:
    """FLOOD_WAIT answers. The summary and /stats name them as here: "refused requests" (``count``:
    several in flight at once are refused together) and "waits" (``waits``: times the export stood
    still for them; refusals that overlap are one wait)."""

    count: int = 0
    announced_seconds: int = 0
    waited_wall: float = 0.0
    waits: int = 0


@dataclass
class TimingReport:
    """What an export cost, phase by phase; the bot, /stats and the manifest read this."""

    wall: float
    # Messages in the export: this run's and those an earlier, interrupted run had saved.
    messages: int
    requests: RequestStats = field(default_factory=RequestStats)
    flood: FloodStats = field(default_factory=FloodStats)
    # Busy seconds per phase, in the order the data flows; phases overlap.
    phases: dict[str, float] = field(default_factory=dict)
    # Of ``messages``, those an earlier run of the same export had already saved.
    already_saved: int = 0

    @property
    def fetched(self) -> int:
        """Messages read from Telegram in this run: the only ones this run's time paid for."""
        return max(0, self.messages - self.already_saved)

    @property
    def messages_per_second(self) -> float:
        return self.fetched / self.wall if self.wall > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fetched"] = self.fetched
        data["messages_per_second"] = round(self.messages_per_second, 1)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TimingReport:
        """Reads reports written by older versions too: a missing key takes its default, a derived or
        unknown one is ignored."""
        return _load(cls, data)


def _load(kind: type, data: dict[str, Any]) -> Any:
    hints = get_type_hints(kind)
    values: dict[str, Any] = {}
    for item in dataclasses.fields(kind):
        if item.name not in data:
            continue
        value = data[item.name]
        nested = hints[item.name]
        if dataclasses.is_dataclass(nested) and isinstance(value, dict):
            value = _load(nested, value)  # type: ignore[arg-type]
        elif isinstance(value, dict):
            value = dict(value)
        values[item.name] = value
    return kind(**values)


def report_path(*keys: str) -> str:
    """The SQLite JSON path of a report field, e.g. ``report_path("flood", "waits")`` → ``$.flood.waits``.
    Raises ``KeyError`` for a key the report does not have; ``phases`` is the one open mapping."""
    kind: Any = TimingReport
    for key in keys:
        if kind is None:
            raise KeyError(f"{key!r}: {'.'.join(keys)} goes below a value")
        hints = get_type_hints(kind)
        derived = key in ("fetched", "messages_per_second") and kind is TimingReport
        if key not in hints and not derived:
            raise KeyError(f"the timing report has no field {'.'.join(keys)!r}")
        nested = hints.get(key)
        kind = nested if dataclasses.is_dataclass(nested) else None
    return "$." + ".".join(keys)
