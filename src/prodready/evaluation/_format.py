"""How the gate and the reports write numbers and targets: one place, so they agree."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prodready.evaluation.gate import MetricResult


def fmt(x: float | None) -> str:
    """A number for people: three decimals for small values, fewer for large, no trailing 0s."""
    if x is None:
        return "-"
    if math.isinf(x) or math.isnan(x):
        return str(x)
    digits = 0 if abs(x) >= 1000 else (1 if abs(x) >= 100 else 3)
    text = f"{x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def target_text(m: MetricResult) -> str:
    """The metric's target as written, or the non-inferiority margin against the baseline."""
    if m.mode == "non_inferior":
        sign = "-" if m.direction == "higher" else "+"
        return f"baseline {sign}{fmt(m.margin)}"
    return str(m.target) if m.target is not None else "-"
