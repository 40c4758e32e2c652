"""The /stats chart: exports and messages per second, day by day, as a PNG."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt

from db import Stats

from . import text


def stats_chart(stats: Stats) -> bytes:
    days = [d.day.strftime("%m-%d") for d in stats.days]
    figure, speed_axis = plt.subplots(figsize=(8, 4), dpi=100)
    try:
        exports_axis = speed_axis.twinx()
        exports_axis.bar(days, [d.exports for d in stats.days], color="#c9def5", label=text.CHART_EXPORTS)
        exports_axis.bar(days, [d.failed for d in stats.days], color="#f2a7a7", label=text.CHART_FAILED)
        exports_axis.set_ylabel(text.CHART_EXPORTS_AXIS)
        speed = [d.messages_per_second for d in stats.days]
        speed_axis.plot(days, speed, color="#1f6fb2", marker="o", label=text.CHART_SPEED)
        speed_axis.set_ylabel(text.CHART_SPEED_AXIS)
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
