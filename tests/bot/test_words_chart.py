"""The /stats chart: idle days are gaps, counts have whole-number ticks, cancelled exports show, and
the two axes share their grid lines."""

from __future__ import annotations

import math
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from matplotlib.figure import Figure

from bot import charts, text
from db.stats import DayStats
from tests.bot.conftest import Product

DAYS = [
    DayStats(date(2026, 11, 1), 0, 0, 0, 0.0),
    DayStats(date(2026, 11, 2), 1, 0, 1000, 10.0),
    DayStats(date(2026, 11, 3), 3, 1, 9500, 35.0, cancelled=2),
    DayStats(date(2026, 11, 4), 0, 0, 0, 0.0, cancelled=1),
    DayStats(date(2026, 11, 5), 5, 2, 50_000, 40.0),
]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Every figure the chart closes, kept for the test to read."""
    figures: list[Figure] = []
    close = charts.plt.close

    def keep(figure: Any) -> None:
        figures.append(figure)
        close(figure)

    monkeypatch.setattr(charts.plt, "close", keep)
    return figures


def test_the_chart_reads_right(drawn: list[Figure]) -> None:
    png = charts.stats_chart(SimpleNamespace(days=DAYS))  # type: ignore[arg-type]
    assert png.startswith(b"\x89PNG")
    speed_axis, exports_axis = drawn[0].axes
    speed = list(speed_axis.lines[0].get_ydata())
    # Idle days have no point (NaN: a gap), busy ones their rate.
    assert math.isnan(speed[0]) and math.isnan(speed[3])
    assert speed[1] == 100 and speed[4] == 1250
    counts = list(exports_axis.get_yticks())
    assert all(t == int(t) for t in counts) and counts[0] == 0
    assert counts[-1] >= 5 + 2 + 0
    # As many speed ticks as count ticks, both from 0: one grid serves both.
    speeds = list(speed_axis.get_yticks())
    assert len(speeds) == len(counts) and speeds[0] == 0 and speeds[-1] >= 1250
    assert speed_axis.get_ylim() == (0, speeds[-1]) and exports_axis.get_ylim() == (0, counts[-1])
    # Cancelled exports are a bar of their own, stacked on the done and failed ones.
    labels = [container.get_label() for container in exports_axis.containers]
    assert labels == [text.CHART_EXPORTS, text.CHART_FAILED, text.CHART_CANCELLED]
    cancelled = exports_axis.containers[2]
    assert [bar.get_height() for bar in cancelled] == [0, 0, 2, 1, 0]
    assert [bar.get_y() for bar in cancelled] == [0, 1, 4, 0, 7]


async def test_stats_sends_the_chart(product: Product) -> None:
    product.say(product.admin, "/stats")
    photo = await product.reply(product.admin.id, lambda m: m.file is not None and m.file.kind == "photo")
    assert photo.caption == text.STATS_CHART_CAPTION
