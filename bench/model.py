"""What ``python -m bench`` runs (a Scenario: a sandbox, a chat, its contestants) and what one
contestant's run of it measured (a Result: printed, checked against the targets, written to --json)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .media import MediaRun


@dataclass(frozen=True)
class Scenario:
    name: str
    sandbox: str
    target: str
    description: str
    latency_ms: float = 0.0
    rate: float | None = None
    burst: float = 20.0
    # A named flood limit of the sandbox (sandbox.netmodel.LIMIT_PRESETS) instead of rate and burst;
    # rate and burst then repeat the preset's values for the bound.
    limits: str | None = None
    contestants: tuple[str, ...] = ("telethon-default", "sequential", "ours")
    # Slow contestants read a prefix and are scaled: contestant -> max messages.
    prefix: dict[str, int] = field(default_factory=dict)
    # Forum topics ours reads when the whole forum would take too long (scaled the same way).
    ours_topics: tuple[int, ...] | None = None
    # Processes that keep a core busy each while the contestant runs (the machine is not quiet).
    busy_cores: int = 0
    # A media scenario (bench/media.py): its files, network and contestants measure bytes, not messages.
    media: MediaRun | None = None
    # Ours exports only what this filter matches (docs/filters.md).
    filter: str | None = None
    # The contestant's program against the sandbox server (bench.contestant, or bench.media for media).
    program: str | None = None
    # Runs a contestant itself, with no sandbox server of the bench's (bench/accounts.py).
    runner: Callable[[Scenario, str], Awaitable[Result]] | None = None
    # Why the scenario cannot run on this machine, or None: it is skipped with the reason.
    unavailable: Callable[[], str | None] | None = None

    @property
    def exporter_alone(self) -> bool:
        """Its contestants read messages in bench.contestant: its table rows stand against the CPU
        bound of bare Telethon parsing."""
        return self.media is None and self.runner is None and self.program is None


@dataclass
class Result:
    scenario: str
    contestant: str
    messages: int
    wall: float
    cpu: float
    peak_rss_mb: float
    requests: int
    flood_waits: int
    flood_seconds: int = 0
    scaled_from: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Which of the --runs this row is (rows are compared within their run).
    run: int = 0

    @property
    def rate(self) -> float:
        return self.messages / self.wall if self.wall > 0 else 0.0

    @property
    def cpu_us_per_message(self) -> float:
        return 1e6 * self.cpu / self.messages if self.messages else 0.0
