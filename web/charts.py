"""Charts as server-rendered SVG: readable without JavaScript, every text escaped.

Each chart is an inline `<svg role="img">` with a `<title>` (its name, in the page's language)
and a `<title>` on each bar and point, which browsers show on hover: the interactivity that
needs no script. The page puts the same figures in a table beside each chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 46
COLOURS = ("#1f5f8b", "#e09f3e", "#4f8a5b", "#9e2a2b", "#6c5b7b", "#7a9e9f", "#b5838d", "#3d405b")


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from `low` to past `high` for the axis."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value < high + step:
        ticks.append(value)
        if value >= high:
            break
        value += step
    return ticks


def _number(value: float, thousands: str) -> str:
    text = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
    return text.replace(",", "\x00").replace(".", "," if thousands == "." else ".").replace("\x00", thousands)


class _Canvas:
    """A plot area with a y axis from 0 (or the lowest value) to the highest value."""

    def __init__(self, title: str, values: Sequence[float], slots: int, thousands: str, lowest: float = 0):
        self.title = title
        self.ticks = _ticks(min(lowest, *values) if values else 0, max(values, default=1) or 1)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.slots = max(slots, 1)
        self.thousands = thousands
        self.parts: list[str] = []

    @property
    def plot_width(self) -> float:
        return WIDTH - LEFT - RIGHT

    def x(self, slot: float) -> float:
        return LEFT + self.plot_width * (slot + 0.5) / self.slots

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - self.low) / span)

    def axes(self, labels: Sequence[str]) -> None:
        for tick in self.ticks:
            y = self.y(tick)
            self.parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d5dadd"/>'
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                f"{escape(_number(tick, self.thousands))}</text>"
            )
        # A label where it changes (a long axis says each year once), at most about 12 of them.
        starts = [i for i, label in enumerate(labels) if i == 0 or label != labels[i - 1]]
        step = max(1, math.ceil(len(starts) / 12))
        for i in starts[::step]:
            self.parts.append(
                f'<text x="{self.x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{escape(labels[i])}</text>"
            )

    def legend(self, names: Sequence[tuple[str, str]]) -> None:
        x = LEFT
        for name, colour in names:
            self.parts.append(
                f'<rect x="{x}" y="{HEIGHT - 16}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{x + 14}" y="{HEIGHT - 7}">{escape(name)}</text>'
            )
            x += 24 + 7 * len(name)

    def svg(self) -> Markup:
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'class="chart" font-family="sans-serif" font-size="11" fill="#1d2327">'
            f"<title>{escape(self.title)}</title>{''.join(self.parts)}</svg>"
        )


def lines(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    thousands: str,
    empty: str,
) -> Markup:
    """One line per named series over the labelled points; each point says its value on hover."""
    values = [v for _, points in series for v in points]
    canvas = _Canvas(title, values, len(labels), thousands)
    if not values:
        return _empty(title, empty)
    canvas.axes(labels)
    for index, (name, points) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        path = " ".join(f"{canvas.x(i):.1f},{canvas.y(v):.1f}" for i, v in enumerate(points))
        canvas.parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(points):
            canvas.parts.append(
                f'<circle cx="{canvas.x(i):.1f}" cy="{canvas.y(v):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(f'{name}, {labels[i]}: {_number(v, thousands)}')}</title></circle>"
            )
    canvas.legend([(name, COLOURS[i % len(COLOURS)]) for i, (name, _) in enumerate(series)])
    return canvas.svg()


def bars(
    title: str,
    labels: Sequence[str],
    up: Sequence[tuple[str, Sequence[float]]],
    thousands: str,
    empty: str,
    down: Sequence[tuple[str, Sequence[float]]] = (),
    colours: Sequence[str] = COLOURS,
    suffix: str = "",
) -> Markup:
    """Stacked bars per label: the `up` series above the axis, the `down` series below it."""
    tops = [sum(points[i] for _, points in up) for i in range(len(labels))]
    bottoms = [-sum(points[i] for _, points in down) for i in range(len(labels))]
    if not any(tops) and not any(bottoms):
        return _empty(title, empty)
    canvas = _Canvas(title, tops + bottoms, len(labels), thousands, lowest=min(bottoms, default=0))
    canvas.axes(labels)
    width = max(2.0, canvas.plot_width / canvas.slots * 0.7)
    named: list[tuple[str, str]] = []
    for sign, group in ((1, up), (-1, down)):
        base = [0.0] * len(labels)
        for index, (name, points) in enumerate(group):
            colour = colours[(len(named)) % len(colours)]
            named.append((name, colour))
            for i, value in enumerate(points):
                if not value:
                    continue
                start, end = base[i], base[i] + sign * value
                base[i] = end
                y = min(canvas.y(start), canvas.y(end))
                height = abs(canvas.y(start) - canvas.y(end))
                text = f"{name}, {labels[i]}: {_number(value, thousands)}{suffix}"
                canvas.parts.append(
                    f'<rect x="{canvas.x(i) - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
                    f'height="{max(height, 0.5):.1f}" fill="{colour}"><title>{escape(text)}</title></rect>'
                )
            del index
    zero = canvas.y(0)
    canvas.parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#1d2327"/>'
    )
    canvas.legend(named)
    return canvas.svg()


def _empty(title: str, text: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 60" role="img" class="chart" '
        f'font-family="sans-serif" font-size="12"><title>{escape(title)}</title>'
        f'<text x="{WIDTH / 2}" y="34" text-anchor="middle" fill="#5b666e">{escape(text)}</text></svg>'
    )
