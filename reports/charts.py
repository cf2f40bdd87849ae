"""Charts of the report, drawn with matplotlib: members over time by category, and the movements.

matplotlib rather than pygal: its wheels draw PNG as well as SVG with no
system library (pygal needs cairo for PNG), and its SVG is static, with no
script or random ids, so it prints cleanly and the same data gives the
same bytes. It is imported only when a chart is drawn, so the figures
commands do not pay for it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from projections.figures import EXITS, Series
from reports.text import Style

COLOURS = ("#1f5f8b", "#e09f3e", "#4f8a5b", "#9e2a2b", "#6c5b7b", "#7a9e9f")
EXIT_COLOURS = {"resigned": "#c8553d", "left": "#8d6a9f", "excluded": "#3d3d3d"}
ADMITTED_COLOUR = "#4f8a5b"
LABELS = {
    "fr": {
        "members": "Sociétaires par catégorie",
        "movements": "Admissions et sorties par mois",
        "category": "catégorie {category} ({count})",
        "admitted": "admissions",
        "resigned": "démissions",
        "left": "départs de plein droit",
        "excluded": "exclusions",
    },
    "nl": {
        "members": "Vennoten per categorie",
        "movements": "Toetredingen en uittredingen per maand",
        "category": "categorie {category} ({count})",
        "admitted": "toetredingen",
        "resigned": "ontslagen",
        "left": "uittredingen van rechtswege",
        "excluded": "uitsluitingen",
    },
    "en": {
        "members": "Members by category",
        "movements": "Admissions and exits by month",
        "category": "category {category} ({count})",
        "admitted": "admissions",
        "resigned": "resignations",
        "left": "departures by right",
        "excluded": "exclusions",
    },
}
# Fixed salt and no date: the same series always gives the same SVG bytes.
RC: dict[str, Any] = {"svg.hashsalt": "coopledger", "svg.fonttype": "none", "font.size": 9}
METADATA = {"svg": {"Date": None, "Creator": None}, "png": {"Software": None}}


def members_chart(series: Series, style: Style, fmt: str = "svg") -> bytes:
    """Members over time by category (stacked), above the month's admissions and exits.

    Both panels share one axis: point i is the end of month i (0 the
    opening position), so month i's bar stands between points i-1 and i.
    """
    labels = LABELS[style.lang]
    with rc_context(RC):  # type: ignore[arg-type]  # matplotlib types the keys as literals
        figure = Figure(figsize=(8, 5.6), layout="constrained")
        top, bottom = figure.subplots(2, 1, height_ratios=(3, 2), sharex=True)
        points = range(len(series.days))
        names = [
            labels["category"].format(category=category, count=style.number(counts[-1]))
            for category, counts in series.members.items()
        ]
        if names:
            top.stackplot(points, *series.members.values(), labels=names, colors=COLOURS * 4, alpha=0.9)
            top.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=3, frameon=False, fontsize=8)
        top.set_title(labels["members"], loc="left", fontweight="bold")
        top.set_ylim(bottom=0)
        centres = [i + 0.5 for i in range(len(series.months))]
        # Only the months with a movement get a bar: one patch per month and kind would take
        # minutes over centuries of months, for bars of no height.
        up = [(c, v) for c, v in zip(centres, series.admitted, strict=True) if v]
        bottom.bar(*_columns(up, 2), width=0.8, color=ADMITTED_COLOUR, label=labels["admitted"])
        below = [0] * len(series.months)
        for kind in EXITS:
            values = [-v for v in series.exits[kind]]
            down = [(c, v, b) for c, v, b in zip(centres, values, below, strict=True) if v]
            x, height, base = _columns(down, 3)
            bottom.bar(x, height, width=0.8, bottom=base, color=EXIT_COLOURS[kind], label=labels[kind])
            below = [b + v for b, v in zip(below, values, strict=True)]
        bottom.axhline(0, color="#555555", linewidth=0.8)
        bottom.set_title(labels["movements"], loc="left", fontweight="bold")
        bottom.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=4, frameon=False, fontsize=8)
        ticks = _ticks(series.months)
        labelled = [style.month(series.months[i], len(series.months)) for i in ticks]
        bottom.set_xticks([centres[i] for i in ticks], labelled)
        bottom.set_xlim(0, max(1, len(series.months)))
        for axes in (top, bottom):
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
            axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: style.number(int(abs(value)))))
            axes.spines[["top", "right"]].set_visible(False)
            axes.grid(axis="y", color="#dddddd", linewidth=0.6)
            axes.set_axisbelow(True)
        out = io.BytesIO()
        figure.savefig(out, format=fmt, metadata=METADATA[fmt], dpi=150)
    return out.getvalue()


def _columns(rows: list[Any], width: int) -> list[list[Any]]:
    """Rows of (x, height, ...) as columns, `width` empty columns if there are none."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _ticks(months: tuple[dt.date, ...]) -> list[int]:
    """Which months get a label: each of up to a year, every few up to three years, else Januaries."""
    if len(months) <= 36:
        return list(range(0, len(months), 1 if len(months) <= 12 else 3))
    januaries = [i for i, month in enumerate(months) if month.month == 1]
    return januaries[:: max(1, -(-len(januaries) // 12))]


def inline_svg(svg: bytes) -> str:
    """The chart's <svg> element alone, to embed in an HTML page."""
    text = svg.decode()
    return text[re.search(r"<svg[\s>]", text).start() :]  # type: ignore[union-attr]
