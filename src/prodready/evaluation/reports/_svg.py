"""Small inline-SVG plots for the HTML report: a forest plot, histograms, a bar chart.

Plain strings, no plotting library. Colours come from CSS classes (``pass``, ``fail``,
``report``, ``bar``...) so the page's stylesheet, light or dark, decides them. Every text
is escaped here; callers pass raw strings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal, TypeGuard

from prodready.evaluation._format import fmt

Verdict = Literal["pass", "fail", "report"]

WIDTH = 760
_LABEL_W = 180
_PLOT_X0, _PLOT_X1 = 190, 560
_ROW_H = 50
_DISCRETE = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class ForestRow:
    """One metric: its estimate and interval against its target, on its own axis."""

    label: str
    estimate: float | None
    low: float | None = None
    high: float | None = None
    target: float | None = None
    op: str | None = None
    """The target's comparison (``>=``, ``<=``, ``==``): the failing side is shaded."""
    baseline: float | None = None
    verdict: Verdict
    rate: bool = False
    """A rate: the axis is 0..1 whatever the values."""
    note: str = ""
    """A tooltip (the gate's reason)."""


def domain(row: ForestRow) -> tuple[float, float]:
    """The row's axis: 0..1 for a rate, else the values and target with 8% padding."""
    if row.rate:
        return 0.0, 1.0
    values = [v for v in (row.estimate, row.low, row.high, row.target, row.baseline) if _ok(v)]
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 if hi > lo else (abs(lo) * 0.5 or 1.0)
    low = lo - pad
    return (0.0 if lo >= 0 > low else low), hi + pad


def scale(value: float, lo: float, hi: float, x0: float, x1: float) -> float:
    """``value`` mapped from ``[lo, hi]`` to ``[x0, x1]``, clamped to that range."""
    if hi <= lo:
        return (x0 + x1) / 2
    x = x0 + (value - lo) / (hi - lo) * (x1 - x0)
    return min(max(x, min(x0, x1)), max(x0, x1))


def forest_plot(rows: Sequence[ForestRow], *, title: str = "Metrics against targets") -> str:
    """Each row: a dot at the estimate, a whisker over the 95% interval, a dashed line at the
    target, the failing side shaded, a hollow diamond at the baseline; coloured by verdict."""
    height = _ROW_H * len(rows) + 24
    body = [_forest_header()]
    body += [_forest_row(row, 24 + i * _ROW_H) for i, row in enumerate(rows)]
    return _svg("forest", title, height, body)


def _forest_header() -> str:
    return (
        f'<text class="head" x="4" y="14">metric</text>'
        f'<text class="head" x="{_PLOT_X0}" y="14">estimate, 95% interval, target</text>'
        f'<text class="head" x="{_PLOT_X1 + 12}" y="14">estimate [interval]</text>'
    )


def _forest_row(row: ForestRow, top: float) -> str:
    lo, hi = domain(row)
    y = top + 22

    def x(v: float) -> float:
        return scale(v, lo, hi, _PLOT_X0, _PLOT_X1)

    parts = [f"<title>{escape(row.note or row.label)}</title>"]
    parts.append(f'<rect class="track" x="{_PLOT_X0}" y="{y - 11}" width="{_PLOT_X1 - _PLOT_X0}"')
    parts[-1] += ' height="22"/>'
    if _ok(row.target) and row.op in (">=", "<="):
        a, b = (lo, row.target) if row.op == ">=" else (row.target, hi)
        parts.append(_rect("fail-zone", x(a), y - 11, x(b) - x(a), 22))
    parts.append(_text("label", 4, y + 4, _clip(row.label, 26)))
    parts.append(_text("tick", _PLOT_X0, y + 22, fmt(lo)))
    parts.append(_text("tick end", _PLOT_X1, y + 22, fmt(hi)))
    if _ok(row.target):
        tx = x(row.target)
        parts.append(_line("target", tx, y - 13, tx, y + 13))
        parts.append(_text("tick mid", tx, y - 14, f"{row.op or ''} {fmt(row.target)}".strip()))
    if _ok(row.baseline):
        bx = x(row.baseline)
        points = f"{bx:.1f},{y - 6} {bx + 6:.1f},{y} {bx:.1f},{y + 6} {bx - 6:.1f},{y}"
        parts.append(f'<polygon class="baseline" points="{points}"/>')
    parts += _estimate(row, x, y)
    head = f'<g class="forest-row {row.verdict}" data-metric="{escape(row.label)}">'
    return f"{head}{''.join(parts)}</g>"


def _estimate(row: ForestRow, x: Callable[[float], float], y: float) -> list[str]:
    if not _ok(row.estimate):
        return [_text("value", _PLOT_X1 + 12, y + 4, "no estimate")]
    parts = []
    if _bound(row.low) and _bound(row.high):
        # An infinite bound (too few cases to support it) runs to the axis' edge as an arrow.
        x0, x1 = x(row.low), x(row.high)
        parts += [_line("whisker", x0, y, x1, y)]
        parts += [_whisker_end(x0, y, open_=math.isinf(row.low), left=True)]
        parts += [_whisker_end(x1, y, open_=math.isinf(row.high), left=False)]
        shown = f"{fmt(row.estimate)} [{_bound_text(row.low)}, {_bound_text(row.high)}]"
    else:
        shown = fmt(row.estimate)
    parts.append(f'<circle class="dot" cx="{x(row.estimate):.1f}" cy="{y}" r="5"/>')
    parts.append(_text("value", _PLOT_X1 + 12, y + 4, f"{shown} {row.verdict}"))
    return parts


def _bound(v: float | None) -> TypeGuard[float]:
    """A bound to draw: finite, or infinite where the cases cannot support one."""
    return v is not None and not math.isnan(v)


def _bound_text(v: float) -> str:
    return ("-∞" if v < 0 else "∞") if math.isinf(v) else fmt(v)


def _whisker_end(at: float, y: float, *, open_: bool, left: bool) -> str:
    """A bar at a finite bound; an arrowhead at the edge for an unbounded side."""
    if not open_:
        return _line("whisker", at, y - 5, at, y + 5)
    tip = -6 if left else 6
    points = f"{at - tip:.1f},{y - 5} {at:.1f},{y} {at - tip:.1f},{y + 5}"
    return f'<polyline class="whisker unbounded" points="{points}"/>'


def bins(values: Sequence[float]) -> list[tuple[float, float, int]]:
    """Histogram bins ``(low, high, count)``. Whole numbers spanning at most 20 get one bin
    per number (``low == high``); other values in [0, 1] ten bins of width 0.1; anything
    else between 5 and 20 equal bins over its range. Non-finite values are left out."""
    finite = [float(v) for v in values if math.isfinite(v)]
    if not finite:
        return []
    lo, hi = min(finite), max(finite)
    if all(v.is_integer() for v in finite) and hi - lo <= _DISCRETE:
        seen = Counter(finite)
        return [(v, v, seen[v]) for v in (lo + i for i in range(int(hi - lo) + 1))]
    if lo >= 0 and hi <= 1:
        lo, hi, k = 0.0, 1.0, 10
    elif lo == hi:
        return [(lo, hi, len(finite))]
    else:
        k = min(20, max(5, math.ceil(math.sqrt(len(finite)))))
    width = (hi - lo) / k
    counts = [0] * k
    for v in finite:
        counts[min(int((v - lo) / width), k - 1)] += 1
    return [(lo + i * width, lo + (i + 1) * width, n) for i, n in enumerate(counts)]


def histogram(values: Sequence[float], *, title: str, width: int = 340) -> str:
    """A histogram of ``values`` with the range on the x axis and the tallest count on y."""
    height, left, bottom, top = 150, 34, 22, 10
    found = bins(values)
    peak = max((n for *_, n in found), default=0)
    x0, x1, y1 = left, width - 8, height - bottom
    parts = [_line("axis", x0, y1, x1, y1), _line("axis", x0, top, x0, y1)]
    parts.append(_text("tick end", x0 - 4, top + 8, str(peak)))
    parts.append(_text("tick end", x0 - 4, y1, "0"))
    step = (x1 - x0) / max(len(found), 1)
    labelled = len(found) <= 12
    for i, (lo, hi, n) in enumerate(found):
        h = (y1 - top) * n / peak if peak else 0
        where = fmt(lo) if lo == hi else f"{fmt(lo)} to {fmt(hi)}"
        tip = f"<title>{escape(where)}: {n}</title>"
        parts.append(_rect("bar", x0 + i * step + 1, y1 - h, max(step - 2, 1), h, tip))
        if lo == hi and labelled:
            parts.append(_text("tick mid", x0 + (i + 0.5) * step, y1 + 15, fmt(lo)))
    if found and not (found[0][0] == found[0][1] and labelled):
        parts.append(_text("tick", x0, y1 + 15, fmt(found[0][0])))
        parts.append(_text("tick end", x1, y1 + 15, fmt(found[-1][1])))
    if not found:
        parts.append(_text("tick mid", (x0 + x1) / 2, (top + y1) / 2, "no values"))
    return _svg("histogram", title, height, parts, width=width)


def bar_chart(rows: Sequence[tuple[str, float, str]], *, title: str) -> str:
    """Horizontal bars: ``(label, fraction in [0, 1], annotation)`` per row."""
    height = 24 * len(rows) + 8
    full = _PLOT_X1 - _PLOT_X0
    body = []
    for i, (label, fraction, note) in enumerate(rows):
        y = 4 + i * 24
        bar = full * min(max(fraction, 0.0), 1.0)
        parts = [
            f"<title>{escape(label)}: {escape(note)}</title>",
            _rect("track", _PLOT_X0, y, full, 16),
            _rect("bar", _PLOT_X0, y, bar, 16),
            _text("label", 4, y + 12, _clip(label, 26)),
            _text("value", _PLOT_X1 + 12, y + 12, note),
        ]
        body.append(f'<g class="bar-row">{"".join(parts)}</g>')
    return _svg("bars", title, height, body)


def _svg(kind: str, title: str, height: float, body: list[str], *, width: int = WIDTH) -> str:
    return (
        f'<svg class="plot {kind}" viewBox="0 0 {width} {height:.0f}" width="{width}" '
        f'height="{height:.0f}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _rect(cls: str, x: float, y: float, w: float, h: float, inner: str = "") -> str:
    head = f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}"'
    return f"{head}>{inner}</rect>" if inner else f"{head}/>"


def _line(cls: str, x0: float, y0: float, x1: float, y1: float) -> str:
    return f'<line class="{cls}" x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}"/>'


def _text(cls: str, x: float, y: float, text: str) -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}">{escape(text)}</text>'


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ok(v: float | None) -> TypeGuard[float]:
    return v is not None and math.isfinite(v)
