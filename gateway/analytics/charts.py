"""SVG charts drawn on the server, for the console and the `pishkhan report` file alike: no
JavaScript, no CDN, no inline style (the console's CSP allows none), only presentation attributes.

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` saying what it shows; the pages
put the same numbers in a table beside it, so the figures can be read without seeing the chart.
Time runs left to right in every language (as the calendars' day labels read); labels are written
in the page's digits through `digits`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

PALETTE = ("#1f5fa8", "#b3441e", "#2e7d32", "#6a3d9a", "#8a6d00", "#00796b", "#ad1457", "#455a64")
"""Line and bar colours, each dark enough against white for text and thin lines (WCAG 3:1 or more)."""
INK, GRID, FONT = "#222", "#d0d0d0", "system-ui, sans-serif"
MAX_BARS = 15
"""Bars a bar chart shows at most (the rest are in the table)."""
WIDTH = 400.0
"""The drawing's own width: text of 12 to 14 units stays readable (about 10 px) scaled down to a 360 px phone's card."""
TEXT, SMALL = 14, 12
EM_WIDTH = 0.6
"""A character's width in ems at most, near enough for the labels' Latin and Persian text: how many
characters a label may keep to end inside the drawing (22 at 14 units ran past its left edge)."""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _head(title: str, description: str, width: float, height: float, key: str) -> str:
    return (f'<svg class="chart" role="img" viewBox="0 0 {_n(width)} {_n(height)}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" direction="ltr" font-family="{FONT}" aria-labelledby="{key}-t {key}-d">'
            f'<title id="{key}-t">{_e(title)}</title><desc id="{key}-d">{_e(description)}</desc>')


@dataclass(frozen=True)
class Bar:
    """One bar: what it is, how long (0..`of`), and the words printed after it."""

    label: str
    value: float
    note: str


def bar_chart(key: str, title: str, bars: Sequence[Bar], *, of: float | None = None, width: float = WIDTH) -> str:
    """Horizontal bars, longest first as given; `of` is the full length (default the longest bar)."""
    shown = list(bars[:MAX_BARS])
    row, label_width, note_width = 26, width * 0.42, 90.0
    height = row * max(len(shown), 1) + 12
    full = of if of else max((b.value for b in shown), default=0) or 1
    room = width - label_width - note_width - 16
    parts = [_head(title, "; ".join(f"{b.label}: {b.note}" for b in shown), width, height, key)]
    for index, bar in enumerate(shown):
        y = 6 + index * row
        length = max(room * min(bar.value / full, 1.0), 0.0)
        parts.append(f'<text x="{_n(label_width - 6)}" y="{_n(y + 15)}" font-size="{TEXT}" text-anchor="end" fill="{INK}">'
                     f'{_e(_shorten(bar.label, int((label_width - 6) / (TEXT * EM_WIDTH))))}</text>'
                     f'<rect x="{_n(label_width)}" y="{_n(y + 3)}" width="{_n(length)}" height="{row - 8}" fill="{PALETTE[1]}"/>'
                     f'<text x="{_n(label_width + length + 6)}" y="{_n(y + 15)}" font-size="{TEXT}" fill="{INK}">{_e(bar.note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(key: str, title: str, days: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
               digits: Callable[[str], str] = str, day_label: Callable[[str], str] = lambda day: day[5:], top: float | None = None,
               percent: bool = False, width: float = WIDTH) -> str:
    """One line per series over `days` (ISO; a gap where a day has no value), a legend under it;
    `day_label` writes a day under the axis (default month-day), `top`: the value at the top of the
    axis (default the largest), `percent`: values 0..1 shown as %."""
    left, right, top_pad, plot_height = 44.0, 8.0, 10.0, 140.0
    names = list(series)
    legend_rows = (len(names) + 2) // 3
    height = top_pad + plot_height + 28 + 18 * legend_rows
    values = [v for line in series.values() for v in line if v is not None]
    high = top if top is not None else max(values, default=0.0) or 1.0
    span = width - left - right
    step = span / max(len(days) - 1, 1)

    def x(index: int) -> float:
        return left + index * step

    def y(value: float) -> float:
        return top_pad + plot_height * (1 - min(value / high, 1.0))

    def label(value: float) -> str:
        return digits(f"{value * 100:.0f}%" if percent else (f"{value:.0f}" if high >= 10 else f"{value:.1f}"))

    described = "; ".join(f"{name}: " + ", ".join(f"{day} {label(v)}" for day, v in zip(days, line, strict=True) if v is not None)
                          for name, line in series.items())
    parts = [_head(title, described or title, width, height, key)]
    for share in (0.0, 0.5, 1.0):
        gy = y(high * share)
        parts.append(f'<line x1="{_n(left)}" y1="{_n(gy)}" x2="{_n(width - right)}" y2="{_n(gy)}" stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{_n(left - 6)}" y="{_n(gy + 4)}" font-size="{SMALL}" text-anchor="end" fill="{INK}">{_e(label(high * share))}</text>')
    ticks = sorted({0, len(days) - 1, (len(days) - 1) // 2}) if days else []
    for index in ticks:  # the first day's label starts at the axis, the last one's ends at the edge
        anchor = "start" if index == 0 else "end" if index == len(days) - 1 else "middle"
        parts.append(f'<text x="{_n(x(index))}" y="{_n(top_pad + plot_height + 16)}" font-size="{SMALL}" text-anchor="{anchor}" fill="{INK}">'
                     f'{_e(day_label(days[index]))}</text>')
    for number, (name, line) in enumerate(series.items()):
        colour = PALETTE[number % len(PALETTE)]
        for run in _runs(line):
            if len(run) == 1:
                index, value = run[0]
                parts.append(f'<circle cx="{_n(x(index))}" cy="{_n(y(value))}" r="3" fill="{colour}"/>')
            else:
                points = " ".join(f"{_n(x(i))},{_n(y(v))}" for i, v in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        lx, ly = left + (number % 3) * (span / 3), top_pad + plot_height + 34 + 18 * (number // 3)
        parts.append(f'<rect x="{_n(lx)}" y="{_n(ly - 9)}" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{_n(lx + 16)}" y="{_n(ly - 4)}" font-size="{SMALL}" fill="{INK}">{_e(_shorten(name, 18))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _runs(line: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The stretches of consecutive days that have a value."""
    runs: list[list[tuple[int, float]]] = [[]]
    for index, value in enumerate(line):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((index, value))
    return [run for run in runs if run]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
