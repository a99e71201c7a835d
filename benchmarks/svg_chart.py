"""A small log-log line chart as SVG text, in pure Python (no plotting library).

``make bench`` uses it to draw how resolution and evaluation cost grow with the
catalog and the promotion count (``docs/img/scaling.svg``) from the measured
figures. Times are in seconds; the y axis is labelled in ns, µs, ms and s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Panel", "Series", "format_count", "format_seconds", "render"]

WIDTH, HEIGHT = 960, 460
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 70, 130
GAP = 80
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
MARKERS = ("circle", "square", "diamond", "triangle", "circle")


@dataclass(frozen=True)
class Series:
    """One line: a label and its points, ``(x, seconds)``, x ascending."""

    label: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Panel:
    """One plot: a title, what x counts, and its lines."""

    title: str
    x_label: str
    series: tuple[Series, ...]


def format_seconds(seconds: float) -> str:
    """``0.0000019`` as ``1.9 µs``: three significant figures at most, in a fitting unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            text = f"{value:.3g}" if value < 1000 else f"{value:.0f}"
            return f"{text} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def format_count(value: float) -> str:
    """``30000`` as ``30k``, ``1000000`` as ``1M``."""
    for suffix, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def _decades(values: Sequence[float]) -> tuple[int, int]:
    low = math.floor(math.log10(min(values)))
    high = math.ceil(math.log10(max(values)))
    return low, max(high, low + 1)


def _marker(kind: str, x: float, y: float, colour: str, tip: str) -> str:
    title = f"<title>{escape(tip)}</title>"
    if kind == "square":
        return (
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">'
            f"{title}</rect>"
        )
    if kind == "diamond":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon points="{points}" fill="{colour}">{title}</polygon>'
    if kind == "triangle":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return f'<polygon points="{points}" fill="{colour}">{title}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{title}</circle>'


def _panel(panel: Panel, left: float, width: float) -> list[str]:
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    xs = sorted({x for series in panel.series for x, _ in series.points})
    x_low, x_high = math.log10(xs[0]), math.log10(xs[-1])
    x_span = (x_high - x_low) or 1.0
    y_low, y_high = _decades([s for series in panel.series for _, s in series.points])

    def px(x: float) -> float:
        return left + 20 + (math.log10(x) - x_low) / x_span * (width - 40)

    def py(seconds: float) -> float:
        return bottom - (math.log10(seconds) - y_low) / (y_high - y_low) * (bottom - top)

    out = [
        f'<text x="{left + width / 2:.1f}" y="{top - 14}" text-anchor="middle" '
        f'font-size="15" font-weight="bold">{escape(panel.title)}</text>',
        f'<rect x="{left}" y="{top}" width="{width}" height="{bottom - top}" '
        'fill="none" stroke="#888"/>',
    ]
    for decade in range(y_low, y_high + 1):
        y = py(10.0**decade)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="#e3e3e3"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(format_seconds(10.0**decade))}</text>"
        )
    for x in xs:
        out.append(
            f'<line x1="{px(x):.1f}" y1="{top}" x2="{px(x):.1f}" y2="{bottom}" stroke="#f0f0f0"/>'
        )
        out.append(
            f'<text x="{px(x):.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11">'
            f"{escape(format_count(x))}</text>"
        )
    out.append(
        f'<text x="{left + width / 2:.1f}" y="{bottom + 34}" text-anchor="middle" '
        f'font-size="12">{escape(panel.x_label)}</text>'
    )
    for number, series in enumerate(panel.series):
        colour = COLOURS[number % len(COLOURS)]
        marker = MARKERS[number % len(MARKERS)]
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{px(x):.1f},{py(s):.1f}"
            for i, (x, s) in enumerate(series.points)
        )
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, seconds in series.points:
            tip = f"{series.label}: {format_seconds(seconds)} at {format_count(x)}"
            out.append(_marker(marker, px(x), py(seconds), colour, tip))
        legend_y = bottom + 56 + 18 * number
        out.append(_marker(marker, left + 12, legend_y - 4, colour, series.label))
        out.append(
            f'<text x="{left + 24}" y="{legend_y}" font-size="12">{escape(series.label)}</text>'
        )
    return out


def render(panels: Sequence[Panel], *, title: str, note: str = "") -> str:
    """An SVG document with the panels side by side, each on logarithmic axes.

    Args:
        panels: The plots, left to right; each needs at least one point.
        title: The chart's heading.
        note: A line under the heading (the machine, the date).
    """
    legend_rows = max(len(panel.series) for panel in panels)
    height = HEIGHT + max(0, legend_rows - 3) * 18
    width = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT - GAP * (len(panels) - 1)) / len(panels)
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" '
        'role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="17" font-weight="bold">'
        f"{escape(title)}</text>",
    ]
    if note:
        body.append(
            f'<text x="{WIDTH / 2}" y="40" text-anchor="middle" font-size="11" fill="#555">'
            f"{escape(note)}</text>"
        )
    for number, panel in enumerate(panels):
        left = MARGIN_LEFT + number * (width + GAP)
        body.extend(_panel(panel, left, width))
    body.append("</svg>")
    return "\n".join(body) + "\n"
