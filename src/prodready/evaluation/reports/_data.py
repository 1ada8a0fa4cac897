"""What every report format reads off a run: failing cases, tags, numbers, trace links."""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prodready.evaluation._format import fmt
from prodready.evaluation.runs._models import EvalRun
from prodready.evaluation._types import Case, CaseResult, DatasetVersion, Score
from prodready.evaluation.gate import GateReport, MetricResult

UNTAGGED = "(untagged)"
_SCRIPT_SCHEMES = frozenset({"javascript", "vbscript", "data"})


@dataclass(frozen=True, slots=True)
class Failure:
    """One result that did not pass: its error and the scores that failed or errored."""

    result: CaseResult
    case: Case | None
    scores: tuple[Score, ...]
    gating: int
    """How many of ``scores`` feed a metric the gate failed (such cases are shown first)."""

    @property
    def label(self) -> str:
        """The case id, with the repeat when a case ran more than once."""
        r = self.result
        return f"{r.case_id} (repeat {r.repeat})" if r.repeat else r.case_id

    @property
    def shown(self) -> tuple[Score, ...]:
        """The scores worth showing: an errored case's scorer errors only echo its error."""
        if self.result.error is None:
            return self.scores
        return tuple(s for s in self.scores if s.error is None)


def failed_scores(result: CaseResult) -> tuple[Score, ...]:
    """Scores that failed or could not score."""
    return tuple(s for s in result.scores if s.passed is False or s.error is not None)


def passed(result: CaseResult) -> bool:
    """A result passes when it ran and no score failed or errored."""
    return result.error is None and not failed_scores(result)


def not_applicable(result: CaseResult) -> bool:
    """A result that ran and whose every score had nothing to check: no pass, no failure."""
    scores = result.scores
    return result.error is None and bool(scores) and all(s.not_applicable for s in scores)


def case_index(cases: Sequence[Case] | DatasetVersion | None) -> dict[str, Case] | None:
    """Case id -> case, or ``None`` when no cases were given."""
    if cases is None:
        return None
    items = cases.cases if isinstance(cases, DatasetVersion) else cases
    return {c.id: c for c in items}


def failures(
    run: EvalRun, gate: GateReport | None, cases: dict[str, Case] | None = None
) -> list[Failure]:
    """Every result that did not pass: those hitting a failed metric first, then those with
    the most failing scores, otherwise in dataset order."""
    failing_sources = {m.source for m in gate.metrics if m.passed is False} if gate else set()
    out = []
    for r in run.results:
        if passed(r):
            continue
        bad = failed_scores(r)
        gating = sum(s.name in failing_sources for s in bad)
        out.append(Failure(r, cases.get(r.case_id) if cases else None, bad, gating))
    return sorted(out, key=lambda f: (-f.gating, -len(f.scores) - (f.result.error is not None)))


def score_names(run: EvalRun) -> list[str]:
    """Score names in order of first appearance."""
    return list(dict.fromkeys(s.name for r in run.results for s in r.scores))


@dataclass(frozen=True, slots=True)
class TagRate:
    tag: str
    passed: int
    total: int
    """Runs with something to check (the pass rate's denominator)."""
    not_applicable: int = 0
    """Runs whose every score was not applicable: outside ``total``."""

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def note(self) -> str:
        """``3/5 (60%)``, with how many runs were not applicable."""
        na = f"{self.not_applicable} not applicable"
        if not self.total:
            return na
        counts = f"{self.passed}/{self.total} ({self.rate:.0%})"
        return f"{counts}, {na}" if self.not_applicable else counts


def tag_rates(run: EvalRun, cases: dict[str, Case]) -> list[TagRate]:
    """Pass rate of the runs of each tag's cases, worst first (ties by tag name); tags with
    nothing to check last."""
    counts: dict[str, list[int]] = {}
    for r in run.results:
        case = cases.get(r.case_id)
        for tag in case.tags if case is not None and case.tags else [UNTAGGED]:
            c = counts.setdefault(tag, [0, 0, 0])
            if not_applicable(r):
                c[2] += 1
                continue
            c[0] += passed(r)
            c[1] += 1
    rates = [TagRate(t, p, n, na) for t, (p, n, na) in counts.items()]
    return sorted(rates, key=lambda t: (not t.total, t.rate, t.tag))


def trace_link(template: str | None, trace_id: str | None) -> str | None:
    """``template`` with ``{trace_id}`` filled in (URL-quoted), if both are given."""
    if template is None or not trace_id:
        return None
    link = template.format(trace_id=urllib.parse.quote(trace_id, safe=""))
    scheme = urllib.parse.urlsplit(link).scheme.lower()
    return None if scheme in _SCRIPT_SCHEMES else link


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def as_text(value: Any) -> str:
    """A value as readable text: strings as they are, anything else as JSON. Characters
    XML cannot carry (control characters, lone surrogates) are dropped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return _CONTROL.sub("", text)


def excerpt(value: Any, limit: int = 160) -> str:
    """``as_text(value)`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(as_text(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def interval_text(m: MetricResult) -> str:
    return f"[{fmt(m.interval.low)}, {fmt(m.interval.high)}]" if m.interval else "-"


def verdict_text(m: MetricResult) -> str:
    return {True: "pass", False: "FAIL", None: "report"}[m.passed]


def gate_verdict(gate: GateReport) -> str:
    """``passed`` or ``failed (k of n gating metrics)``."""
    failed = sum(m.passed is False for m in gate.metrics)
    gating = sum(m.passed is not None for m in gate.metrics)
    return "passed" if gate.passed else f"failed ({failed} of {gating} gating metrics)"


def when(ns: int | None) -> str:
    """A nanosecond timestamp as ``YYYY-MM-DD HH:MM:SS UTC``."""
    if ns is None:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(ns: int) -> str:
    """A nanosecond timestamp in ISO 8601 (seconds), as JUnit's ``timestamp`` wants it."""
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q`` quantile (linear interpolation), or ``None`` for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def cost_text(usd: float) -> str:
    return f"${usd:.4f}" if usd < 1 else f"${usd:,.2f}"


def score_status(s: Score) -> str:
    """``failed (value 0.2)``, ``scorer error: ...`` or ``passed``."""
    if s.error is not None:
        return f"scorer error: {as_text(s.error)}"
    value = f" (value {fmt(s.value)})" if s.value is not None else ""
    return f"{'failed' if s.passed is False else 'passed'}{value}"
