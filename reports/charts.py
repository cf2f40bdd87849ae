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
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from coopledger.projections.figures.compute import EXITS
from coopledger.projections.figures.series import Series
from coopledger.reports.text import Style

COLOURS = ("#1f5f8b", "#e09f3e", "#4f8a5b", "#9e2a2b", "#6c5b7b", "#7a9e9f")
EXIT_COLOURS = {"resigned": "#c8553d", "left": "#8d6a9f", "excluded": "#3d3d3d"}
ADMITTED_COLOUR = "#4f8a5b"
LABELS = {
    "fr": {
        "members": "Sociétaires par catégorie en fin de mois",
        "movements": "Admissions et sorties par mois",
        "category": "catégorie {category}\u00a0: {first} → {last}",
        "admitted": "admissions",
        "resigned": "démissions",
        "left": "départs de plein droit",
        "excluded": "exclusions",
        "axis": "↑ admissions   ↓ sorties",
        "no_members": "aucun sociétaire sur la période",
        "no_movements": "aucune admission ni sortie sur la période",
    },
    "nl": {
        "members": "Vennoten per categorie op het einde van de maand",
        "movements": "Toetredingen en uittredingen per maand",
        "category": "categorie {category}: {first} → {last}",
        "admitted": "toetredingen",
        "resigned": "ontslagen",
        "left": "uittredingen van rechtswege",
        "excluded": "uitsluitingen",
        "axis": "↑ toetredingen   ↓ uittredingen",
        "no_members": "geen vennoten in de periode",
        "no_movements": "geen toetredingen of uittredingen in de periode",
    },
    "en": {
        "members": "Members by category at the end of each month",
        "movements": "Admissions and exits by month",
        "category": "category {category}: {first} → {last}",
        "admitted": "admissions",
        "resigned": "resignations",
        "left": "departures by right",
        "excluded": "exclusions",
        "axis": "↑ admissions   ↓ exits",
        "no_members": "no members in the period",
        "no_movements": "no admissions or exits in the period",
    },
}
# Fixed salt and no date: the same series always gives the same SVG bytes.
RC: dict[str, Any] = {"svg.hashsalt": "coopledger", "svg.fonttype": "none", "font.size": 9}
METADATA = {"svg": {"Date": None, "Creator": None}, "png": {"Software": None}}


def members_chart(series: Series, style: Style, fmt: str = "svg") -> bytes:
    """Members over time, one small panel a category, above the month's admissions and exits.

    Each category has a panel and a y axis of its own, not starting at zero: at 45,000
    members a category of 24 would vanish in a stacked area from zero, and a growth of 10 %
    would look flat. Counts change at dates, so they are drawn as steps, not slopes. All
    panels share one axis: point i is the end of month i (0 the opening position), so month
    i's bar stands between points i-1 and i.
    """
    labels = LABELS[style.lang]
    categories = list(series.members.items())
    with rc_context(RC):  # type: ignore[arg-type]  # matplotlib types the keys as literals
        rows = max(1, len(categories))
        figure = Figure(figsize=(8, 2.6 + 1.25 * rows), layout="constrained")
        axes = figure.subplots(rows + 1, 1, height_ratios=(*[1.0] * rows, 2.2), sharex=True, squeeze=False)
        panels, bottom = [row[0] for row in axes[:-1]], axes[-1][0]
        points = list(range(len(series.days)))
        panels[0].set_title(labels["members"], loc="left", fontweight="bold")
        blank = set()
        if not categories:
            blank.add(_note(panels[0], labels["no_members"]))
        for index, ((category, counts), panel) in enumerate(zip(categories, panels, strict=False)):
            colour = COLOURS[index % len(COLOURS)]
            panel.step(points, counts, where="post", color=colour, linewidth=1.6)
            panel.fill_between(points, counts, min(counts), step="post", color=colour, alpha=0.12)
            name = labels["category"].format(
                category=category, first=style.number(counts[0]), last=style.number(counts[-1])
            )
            panel.text(0.005, 0.97, name, transform=panel.transAxes, va="top", fontsize=8, color=colour)
            low, high = min(counts), max(counts)
            margin = max(1, (high - low) // 8)
            panel.set_ylim(max(0, low - margin), high + margin)
        if not _movements(bottom, series, labels):
            blank.add(_note(bottom, labels["no_movements"]))
        ticks = _ticks(series.months)
        centres = [i + 0.5 for i in range(len(series.months))]
        labelled = [style.month(series.months[i], len(series.months)) for i in ticks]
        bottom.set_xticks([centres[i] for i in ticks], labelled)
        bottom.set_xlim(0, max(1, len(series.months)))
        for panel in (*panels, bottom):
            panel.yaxis.set_major_locator(MaxNLocator(nbins=4 if panel is not bottom else 6, integer=True))
            if panel in blank:
                panel.set_yticks([])
            panel.yaxis.set_major_formatter(FuncFormatter(lambda value, _: style.number(int(abs(value)))))
            panel.spines[["top", "right"]].set_visible(False)
            panel.grid(axis="y", color="#dddddd", linewidth=0.6)
            panel.set_axisbelow(True)
        out = io.BytesIO()
        figure.savefig(out, format=fmt, metadata=METADATA[fmt], dpi=150)
    return out.getvalue()


def _movements(axes: Any, series: Series, labels: dict[str, str]) -> bool:
    """Admissions up, exits down, stacked by kind, with a legend of the kinds that occur;
    False if there was no movement to draw."""
    axes.set_title(labels["movements"], loc="left", fontweight="bold")
    axes.set_ylabel(labels["axis"], fontsize=8)
    centres = [i + 0.5 for i in range(len(series.months))]
    handles = []
    # Only the months with a movement get a bar: one patch per month and kind would take
    # minutes over centuries of months, for bars of no height.
    up = [(c, v) for c, v in zip(centres, series.admitted, strict=True) if v]
    if up:
        axes.bar(*_columns(up, 2), width=0.8, color=ADMITTED_COLOUR)
        handles.append(Patch(color=ADMITTED_COLOUR, label=labels["admitted"]))
    below = [0] * len(series.months)
    for kind in EXITS:
        values = [-v for v in series.exits[kind]]
        down = [(c, v, b) for c, v, b in zip(centres, values, below, strict=True) if v]
        if down:
            x, height, base = _columns(down, 3)
            axes.bar(x, height, width=0.8, bottom=base, color=EXIT_COLOURS[kind])
            handles.append(Patch(color=EXIT_COLOURS[kind], label=labels[kind]))
        below = [b + v for b, v in zip(below, values, strict=True)]
    if not handles:
        return False
    axes.axhline(0, color="#555555", linewidth=0.8)
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=4, frameon=False)
    low, high = min(below), max((v for _, v in up), default=0)
    axes.set_ylim(min(low, -1) * 1.1, max(high, 1) * 1.1)
    return True


def _note(axes: Any, text: str) -> Any:
    """A panel with nothing to draw says so, instead of showing an empty axis."""
    axes.text(0.5, 0.5, text, transform=axes.transAxes, ha="center", va="center", color="#777777")
    return axes


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
