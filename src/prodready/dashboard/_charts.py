"""Charts drawn on the server as SVG: no chart library, no script, nothing inline.

A chart is computed here (coordinates in a fixed ``viewBox``) and drawn by the ``line_chart``
macro of ``templates/_charts.html`` with SVG attributes and CSS classes only, which the
Content-Security-Policy allows; every label goes through Jinja's escaping like any text.
Series colours are the classes ``s0`` … ``s7``; a point's value shows on hover (``<title>``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

WIDTH: Final = 420
HEIGHT: Final = 170
LEFT: Final = 50
RIGHT: Final = 8
TOP: Final = 8
BOTTOM: Final = 20
PALETTE: Final = 8


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    points: str
    """``x,y x,y ...`` for a polyline; a gap (no value) starts a new polyline."""
    segments: tuple[str, ...]
    dots: tuple[Point, ...]


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass
class LineChart:
    """A chart ready to draw: series in viewBox coordinates, ticks, and what it shows."""

    title: str
    series: list[Series] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    empty: bool = True
    link: str | None = None


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times 10^k at or above ``value`` (the y axis' top)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exp
        if top >= value * 0.999999:
            return float(top)
    return float(10 ** (exp + 1))


def time_label(ns: int, span_ns: int) -> str:
    moment = datetime.fromtimestamp(ns / 1e9, UTC)
    if span_ns <= 2 * 86_400 * 10**9:
        return moment.strftime("%H:%M")
    return moment.strftime("%m-%d")


def line_chart(
    title: str,
    xs: Sequence[int],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    x_range: tuple[int, int],
    fmt: Callable[[float], str],
    y_max: float | None = None,
    link: str | None = None,
) -> LineChart:
    """Lay out ``series`` (label, one value per ``xs``; ``None`` is a gap) over time."""
    chart = LineChart(title, link=link)
    lo, hi = x_range
    span = max(hi - lo, 1)
    values = [v for _, ys in series for v in ys if v is not None]
    chart.empty = not values
    top = nice_max(max(values) if values else 0.0) if y_max is None else y_max
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(ns: int) -> float:
        return round(LEFT + (ns - lo) / span * plot_w, 1)

    def y_of(v: float) -> float:
        return round(TOP + plot_h - min(v / top, 1.0) * plot_h, 1)

    for i, (label, ys) in enumerate(series):
        segments: list[list[str]] = [[]]
        dots = []
        for x, v in zip(xs, ys, strict=True):
            if v is None:
                if segments[-1]:
                    segments.append([])
                continue
            px, py = x_of(x), y_of(v)
            segments[-1].append(f"{px},{py}")
            dots.append(Point(px, py, f"{label} · {time_label(x, span)} · {fmt(v)}"))
        kept = tuple(" ".join(s) for s in segments if s)
        chart.series.append(Series(label, f"s{i % PALETTE}", " ".join(kept), kept, tuple(dots)))
    chart.y_ticks = [Tick(y_of(top * f), fmt(top * f)) for f in (0.0, 0.5, 1.0)]
    chart.x_ticks = [
        Tick(x_of(int(lo + span * f)), time_label(int(lo + span * f), span))
        for f in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    return chart


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    title: str
    css: str = ""


@dataclass
class Histogram:
    """Vertical bars over labelled bins (score distributions)."""

    title: str
    bars: list[Bar]
    labels: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT


def histogram(
    title: str, bins: Sequence[tuple[str, float]], *, css: Sequence[str] | None = None
) -> Histogram:
    """One bar per ``(label, count)``, scaled to the largest."""
    top = max((c for _, c in bins), default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(bins), 1)
    bars, labels = [], []
    for i, (label, count) in enumerate(bins):
        h = count / top * plot_h
        x = LEFT + i * step
        cls = css[i] if css else ""
        bars.append(Bar(round(x + 1, 1), round(TOP + plot_h - h, 1), round(step - 2, 1),
                        round(h, 1), f"{label}: {count:g}", cls))  # fmt: skip
        labels.append(Tick(round(x + step / 2, 1), label))
    return Histogram(title, bars, labels)
