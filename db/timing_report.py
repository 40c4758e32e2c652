"""The timing report's shape, defined once.

The exporter builds a ``TimingReport`` and writes ``to_dict()`` into the manifest and the job
record; the bot reads it back with ``from_dict``; ``db.stats`` queries the stored JSON through
``report_path``, which checks every key against these classes, so a renamed field fails at
import instead of reading zeros. It lives in ``db`` because ``db`` may import neither the
exporter nor the bot, and both may import ``db``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# Sending the archive: the bot's last phase, after the export (the exporter never delivers).
DELIVERY = "delivery"
# The part of the wall time no phase claims (the process not scheduled, start-up).
UNACCOUNTED = "unaccounted"


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
    # What stamped the answers' arrival, the least precise any request had (exporter/wire.py,
    # docs/benchmarks.md): "kernel" (the kernel's receive timestamps), "read" (when our event loop
    # read them), "call" (no wire stamps: the whole call, Telethon's parsing included); "" for none.
    arrival_clock: str = ""


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
class MediaStats:
    """The media stage's files: those written into the archive (``files``, ``bytes``), the bytes
    fetched from Telegram in this run over the ``seconds`` the downloads took, the bytes an earlier
    run had fetched (``resumed``), and the chosen files Telegram would not give (``unavailable``,
    of which ``stalled`` made no progress)."""

    files: int = 0
    bytes: int = 0
    fetched: int = 0
    resumed: int = 0
    seconds: float = 0.0
    unavailable: int = 0
    stalled: int = 0


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
    # The wall time split: the seconds each phase had to itself (exporter/accounting.py), in the
    # order the data flows, then UNACCOUNTED; they add up to ``wall``. Empty in reports older than it.
    accounted: dict[str, float] = field(default_factory=dict)
    media: MediaStats = field(default_factory=MediaStats)

    @property
    def fetched(self) -> int:
        """Messages read from Telegram in this run: the only ones this run's time paid for."""
        return max(0, self.messages - self.already_saved)

    @property
    def export_wall(self) -> float:
        """The export's own time: the wall time before the bot started sending the archive."""
        return max(0.0, self.wall - self.accounted.get(DELIVERY, 0.0))

    @property
    def messages_per_second(self) -> float:
        """This run's reading speed: what it fetched over the export's time (an upload that is
        slow to one chat says nothing about how fast Telegram was read)."""
        return self.fetched / self.export_wall if self.export_wall > 0 else 0.0

    @property
    def shares(self) -> dict[str, float]:
        """Each phase's share of the wall time, counted once (``accounted`` over ``wall``)."""
        if self.wall <= 0:
            return {}
        return {name: seconds / self.wall for name, seconds in self.accounted.items()}

    def with_delivery(self, seconds: float) -> TimingReport:
        """The report once the archive was sent: delivery follows the export, nothing overlaps it,
        so its busy time is its own share of the (now longer) wall time."""
        accounted = {k: v for k, v in self.accounted.items() if k != UNACCOUNTED}
        accounted[DELIVERY] = accounted.get(DELIVERY, 0.0) + seconds
        accounted[UNACCOUNTED] = self.accounted.get(UNACCOUNTED, 0.0)
        phases = {**self.phases, DELIVERY: self.phases.get(DELIVERY, 0.0) + seconds}
        return replace(self, wall=self.wall + seconds, phases=phases, accounted=accounted)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in DERIVED:
            data[name] = getattr(self, name)
        data["messages_per_second"] = round(self.messages_per_second, 1)
        data["shares"] = {name: round(share, 4) for name, share in self.shares.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TimingReport:
        """Reads reports written by older versions too: a missing key takes its default, a derived or
        unknown one is ignored."""
        return _load(cls, data)


# Written by ``to_dict`` for readers of the JSON (the manifest, /stats' queries); never read back.
DERIVED = ("fetched", "export_wall", "messages_per_second", "shares")


Loaded = TypeVar("Loaded", bound="DataclassInstance")


def _load(kind: type[Loaded], data: dict[str, Any]) -> Loaded:
    hints = get_type_hints(kind)
    values: dict[str, Any] = {}
    for item in dataclasses.fields(kind):
        if item.name not in data:
            continue
        value = data[item.name]
        nested = hints[item.name]
        # A hint is a class here, never an instance: the isinstance check tells mypy so.
        if isinstance(nested, type) and dataclasses.is_dataclass(nested) and isinstance(value, dict):
            value = _load(nested, value)
        elif isinstance(value, dict):
            value = dict(value)
        values[item.name] = value
    return kind(**values)


def report_path(*keys: str) -> str:
    """The SQLite JSON path of a report field, e.g. ``report_path("flood", "waits")`` → ``$.flood.waits``.
    Raises ``KeyError`` for a key the report does not have. The mappings (``phases``, ``accounted``)
    are open: their paths end at the mapping, read with ``json_each``."""
    kind: Any = TimingReport
    for key in keys:
        if kind is None:
            raise KeyError(f"{key!r}: {'.'.join(keys)} goes below a value")
        hints = get_type_hints(kind)
        derived = key in DERIVED and kind is TimingReport
        if key not in hints and not derived:
            raise KeyError(f"the timing report has no field {'.'.join(keys)!r}")
        nested = hints.get(key)
        kind = nested if dataclasses.is_dataclass(nested) else None
    return "$." + ".".join(keys)
