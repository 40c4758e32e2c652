"""The media engine's clock: its own request statistics, the export's flood waits and media phase."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..timing import MEDIA, PhaseClock

if TYPE_CHECKING:
    from ..wire import WireTiming


class MediaClock(PhaseClock):
    """A PhaseClock for the media scheduler. upload.getFile requests are timed here, so 1 MiB parts
    never enter the export's history request statistics (its p50 stays a page's latency); flood
    waits and pacing count here and in the export's clock, where they are the same flood waits the
    summary reports; each stretch with a file part in flight becomes the export's media phase."""

    def __init__(self, export: PhaseClock) -> None:
        super().__init__()
        self.export = export
        self._parts = 0
        self._parts_since = 0.0

    def request_started(self) -> tuple[float, float]:
        if self._parts == 0:
            self._parts_since = time.perf_counter()
        self._parts += 1
        return super().request_started()

    def request_finished(self, token: tuple[float, float], wire: WireTiming | None = None) -> float:
        own = super().request_finished(token, wire)
        self._part_done()
        return own

    def request_abandoned(self, token: tuple[float, float]) -> None:
        super().request_abandoned(token)
        self._part_done()

    def _part_done(self) -> None:
        self._parts -= 1
        if self._parts == 0:
            self.export.add(MEDIA, time.perf_counter() - self._parts_since)

    def flood_wait_started(self, announced_seconds: int, *, refused: bool = True) -> None:
        super().flood_wait_started(announced_seconds, refused=refused)
        self.export.flood_wait_started(announced_seconds, refused=refused)

    def flood_wait_finished(self) -> None:
        super().flood_wait_finished()
        self.export.flood_wait_finished()

    def pacing_started(self) -> None:
        super().pacing_started()
        self.export.pacing_started()

    def pacing_finished(self) -> None:
        super().pacing_finished()
        self.export.pacing_finished()
