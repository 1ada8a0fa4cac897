"""Scores a scorer marks not applicable stay out of the denominator; errors stay in it."""

from __future__ import annotations

from prodready.evaluation import CaseResult, Score
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.gate import evaluate_gate

CRITERIA = parse_criteria(
    "metrics:\n  facts: {source: required_facts, aggregate: rate, target: '>= 0.9', gate: point}\n"
)


def result(
    case: str,
    *,
    passed: bool | None,
    value: float | None,
    error: str | None = None,
    case_error: str | None = None,
) -> CaseResult:
    score = Score(
        name="required_facts",
        value=value,
        passed=passed,
        layer="check",
        scorer="required_facts",
        version="1",
        error=error,
    )
    return CaseResult(case_id=case, case_hash="h", scores=[score], error=case_error)


def test_not_applicable_scores_are_left_out_of_a_rate() -> None:
    results = [result("a", passed=True, value=1.0), result("b", passed=None, value=None)]
    [metric] = evaluate_gate(CRITERIA, results).metrics
    assert (metric.estimate, metric.n, metric.passed) == (1.0, 1, True)


def test_scorer_errors_and_case_errors_still_count_as_failures() -> None:
    results = [
        result("a", passed=True, value=1.0),
        result("b", passed=None, value=None, error="TimeoutError"),
        result("c", passed=True, value=1.0, case_error="agent crashed"),
    ]
    [metric] = evaluate_gate(CRITERIA, results).metrics
    assert (metric.n, metric.passed) == (3, False)
    assert metric.estimate is not None and abs(metric.estimate - 1 / 3) < 1e-9
