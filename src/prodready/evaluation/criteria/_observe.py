"""Per-case observations behind one success metric: scores, or business metrics from traces.

Every run yields ``(value, error)``: ``error`` says why the run could not be measured, and
``value`` is ``None`` when the run does not count (a wrong-escalation case without an
expected escalation, a score its scorer marked not applicable) or has no number. An errored
run of a rate gets the unfavourable value, so an error is a failure in the denominator. Runs
of the same case (repeats) are averaged, so the unit of analysis is always the case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from prodready.evaluation import facts
from prodready.evaluation._types import CaseResult, Expected, Score
from prodready.evaluation.criteria import Metric

Run = tuple[float | None, str | None]
RunFn = Callable[[CaseResult, Expected | None], Run]


@dataclass(frozen=True, slots=True)
class Observed:
    """A metric's values, one per case, and what could not be measured."""

    values: dict[str, float]
    """Case id -> the case's value (a rate's 0/1, or its share of passing repeats)."""
    runs: int
    errors: Counter[str]
    """Why runs could not be measured ("case error", "scorer error", "without a trace",
    "without a 'name' score (scores in the run: ...)"), with how many runs each; read it with
    :func:`error_text`."""
    missing: list[str]
    """Cases with no value at all (numbers only: a rate counts errors as failures)."""
    layers: frozenset[str]
    problem: str | None = None
    """Why the metric cannot be computed at all."""
    errored: frozenset[str] = frozenset()
    """Cases with at least one run that could not be measured (whatever value it got)."""

    @property
    def binary(self) -> bool:
        """Whether every case's value is 0 or 1 (a rate without disagreeing repeats)."""
        return all(v in (0.0, 1.0) for v in self.values.values())


def observe(
    metric: Metric, results: Sequence[CaseResult], expected: Mapping[str, Expected] | None
) -> Observed:
    """The metric's per-case values over ``results``."""
    layers = frozenset(s.layer for r in results for s in r.scores if s.name == metric.source)
    if metric.business in ("wrong_escalation", "false_positive_rate") and expected is None:
        problem = "needs the cases (their expected escalation): pass cases= to the gate"
        return Observed({}, len(results), Counter(), [], layers, problem)
    run = _run_fn(metric)
    per_case: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    missing = set()
    errored: set[str] = set()
    for r in results:
        value, error = run(r, expected.get(r.case_id) if expected else None)
        if error is not None:
            errors[error] += 1
            errored.add(r.case_id)
        if value is not None:
            per_case.setdefault(r.case_id, []).append(value)
        elif error is not None:
            missing.add(r.case_id)
    if "no score" in errors:  # say which score, and which the run has instead
        errors[_without_score(metric.source, results)] = errors.pop("no score")
    values = {c: sum(vs) / len(vs) for c, vs in per_case.items()}
    missing_cases = sorted(missing - values.keys())
    return Observed(values, len(results), errors, missing_cases, layers, errored=frozenset(errored))


def error_text(errors: Counter[str]) -> str:
    """Why runs could not be measured, most frequent first: ``18 scorer errors, 1 case error``."""
    return ", ".join(
        f"{n} {kind}{'s' if n != 1 and kind.endswith(' error') else ''}"
        for kind, n in errors.most_common()
    )


def _without_score(name: str, results: Sequence[CaseResult]) -> str:
    names = list(dict.fromkeys(s.name for r in results for s in r.scores))
    found = f"scores in the run: {', '.join(names)}" if names else "the run has no scores"
    return f"without a {name!r} score ({found})"


def _run_fn(metric: Metric) -> RunFn:
    if metric.business is not None:
        return _BUSINESS[metric.business]
    name = metric.source
    if metric.aggregate == "rate":

        def passed(r: CaseResult, _: Expected | None) -> Run:
            error = _score_error(r, name)
            if error is not None:
                return 0.0, error
            score = r.score(name)
            if _not_applicable(score):
                return None, None  # nothing to check on this case: outside the denominator
            return (1.0 if score is not None and score.passed is True else 0.0), None

        return passed

    def value(r: CaseResult, _: Expected | None) -> Run:
        score = r.score(name)
        error = _score_error(r, name)
        if error is None and _not_applicable(score):
            return None, None
        if error is None and (score is None or score.value is None):
            error = "without a value"
        return (None, error) if error is not None or score is None else (score.value, None)

    return value


def _not_applicable(score: Score | None) -> bool:
    """A scorer's "nothing to judge here" (:attr:`Score.not_applicable`)."""
    return score is not None and score.not_applicable


def _score_error(r: CaseResult, name: str) -> str | None:
    score = r.score(name)
    if r.error is not None:
        return "case error"
    if score is None:
        return "no score"
    return "scorer error" if score.error is not None else None


def _trace_error(r: CaseResult) -> str | None:
    if r.error is not None:
        return "case error"
    return "without a trace" if r.trace is None else None


def _deflection(r: CaseResult, _: Expected | None) -> Run:
    error = _trace_error(r)
    if error is not None or r.trace is None:
        return 0.0, error
    return (0.0 if facts.escalated(r.trace) else 1.0), None


def _wrong_escalation(r: CaseResult, expected: Expected | None) -> Run:
    if expected is None or expected.escalation is None:
        return None, None
    error = _trace_error(r)
    if error is not None or r.trace is None:
        return 1.0, error
    return (1.0 if facts.escalated(r.trace) != expected.escalation else 0.0), None


def _false_positive(r: CaseResult, expected: Expected | None) -> Run:
    if expected is None or expected.escalation is not False:
        return None, None
    error = _trace_error(r)
    if error is not None or r.trace is None:
        return 1.0, error
    return (1.0 if facts.escalated(r.trace) else 0.0), None


def _cost(r: CaseResult, _: Expected | None) -> Run:
    """``cost_usd``, else the trace's summed LLM cost. An errored run's cost still counts."""
    error = "case error" if r.error is not None else None
    if r.cost_usd is not None:
        return r.cost_usd, error
    if r.trace is not None:
        return facts.llm_totals(r.trace)[0], error
    return None, error or "without a cost or a trace"


def _latency(r: CaseResult, _: Expected | None) -> Run:
    """``latency_ms``, else the trace's duration. An errored run's latency still counts."""
    error = "case error" if r.error is not None else None
    if r.latency_ms is not None:
        return r.latency_ms, error
    if r.trace is not None:
        return r.trace.summary.duration_ns / 1e6, error
    return None, error or "without a latency or a trace"


_BUSINESS: dict[str, RunFn] = {
    "deflection": _deflection,
    "wrong_escalation": _wrong_escalation,
    "false_positive_rate": _false_positive,
    "cost_per_conversation": _cost,
    "latency_ms": _latency,
}
