"""The /stats chart: exports per day (done, failed, cancelled, stacked) and messages per second.

Counts are whole numbers, so their axis ticks are too. A day without a finished export has no speed:
its point is left out (a gap in the line), never drawn as 0 msg/s. The speed axis gets as many ticks
as the counts axis, both from 0, so one set of grid lines reads on both.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from db import Stats

from . import text


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^n at least ``raw``: tick labels a person reads at a glance."""
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)


def stats_chart(stats: Stats) -> bytes:
    days = [d.day.strftime("%m-%d") for d in stats.days]
    done = [d.exports for d in stats.days]
    failed = [d.failed for d in stats.days]
    cancelled = [d.cancelled for d in stats.days]
    # NaN is a gap in a matplotlib line: a day with no export measured no speed.
    speed = [d.messages_per_second if d.exports and d.wall > 0 else math.nan for d in stats.days]
    figure, speed_axis = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        exports_axis = speed_axis.twinx()
        exports_axis.bar(days, done, color="#c9def5", label=text.CHART_EXPORTS)
        exports_axis.bar(days, failed, bottom=done, color="#f2a7a7", label=text.CHART_FAILED)
        on_top = [a + b for a, b in zip(done, failed, strict=True)]
        exports_axis.bar(days, cancelled, bottom=on_top, color="#d9d9d9", label=text.CHART_CANCELLED)
        exports_axis.set_ylabel(text.CHART_EXPORTS_AXIS)
        highest = max((a + b for a, b in zip(on_top, cancelled, strict=True)), default=0)
        # Whole numbers only, at most 5 steps, and room above the highest bar.
        counts = MaxNLocator(nbins=5, integer=True, min_n_ticks=2).tick_values(0, max(1, highest))
        counts = [t for t in counts if t >= 0]
        exports_axis.set_yticks(counts)
        exports_axis.set_ylim(0, counts[-1])
        steps = len(counts) - 1
        fastest = max((s for s in speed if not math.isnan(s)), default=0.0)
        step = _nice_step(fastest / steps)
        speed_axis.set_yticks([step * i for i in range(steps + 1)])
        speed_axis.set_ylim(0, step * steps)
        speed_axis.plot(days, speed, color="#1f6fb2", marker="o", label=text.CHART_SPEED)
        speed_axis.set_ylabel(text.CHART_SPEED_AXIS)
        speed_axis.grid(axis="y", color="#eeeeee")
        speed_axis.set_zorder(exports_axis.get_zorder() + 1)
        speed_axis.patch.set_visible(False)
        speed_axis.tick_params(axis="x", labelrotation=45)
        speed_axis.set_title(text.CHART_TITLE)
        handles = speed_axis.get_legend_handles_labels()[0] + exports_axis.get_legend_handles_labels()[0]
        speed_axis.legend(handles=handles, loc="upper left")
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)
