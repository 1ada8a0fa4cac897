"""Reports leave not-applicable scores out: a case with nothing to check is no pass, no failure."""

from __future__ import annotations

from prodready.evaluation import Case, CaseResult, Expected, Score
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.gate import evaluate_gate
from prodready.evaluation.reports import html_report
from prodready.evaluation.reports._data import tag_rates
from prodready.evaluation.reports._html import _baseline_rate
from prodready.evaluation.runner import EvalRun, RunTotals

FACTS = Expected(facts=["14 days"])
CASES = [
    Case(id="r1", input="refund?", expected=FACTS, tags=["refunds"]),
    Case(id="r2", input="refund how long?", expected=FACTS, tags=["refunds"]),
    Case(id="e1", input="I will sue", expected=Expected(escalation=True), tags=["escalation"]),
    Case(id="e2", input="lawyer", expected=Expected(escalation=True), tags=["escalation"]),
]


def _score(passed: bool | None) -> Score:
    value = None if passed is None else float(passed)
    return Score(name="required_facts", value=value, passed=passed, layer="check",
                 scorer="required_facts", version="1")  # fmt: skip


def _run(outcomes: dict[str, bool | None], run_id: str = "run-1") -> EvalRun:
    results = [CaseResult(case_id=c, case_hash="h", scores=[_score(ok)])
               for c, ok in outcomes.items()]  # fmt: skip
    return EvalRun(run_id=run_id, status="finished", started_at_ns=0,
                   totals=RunTotals.of(results, wall_seconds=1.0), results=results)  # fmt: skip


RUN = _run({"r1": True, "r2": False, "e1": None, "e2": None})


def test_a_tag_whose_cases_are_all_not_applicable_has_no_pass_rate() -> None:
    rates = {t.tag: t for t in tag_rates(RUN, {c.id: c for c in CASES})}
    assert (rates["refunds"].passed, rates["refunds"].total) == (1, 2)
    escalation = rates["escalation"]
    assert (escalation.total, escalation.not_applicable) == (0, 2)
    assert [t.tag for t in rates.values()] == ["refunds", "escalation"]  # worst first, n/a last


def test_html_tag_chart_says_not_applicable_instead_of_a_pass_rate() -> None:
    page = html_report(RUN, cases=CASES)
    assert "2 not applicable" in page and "2/2 (100%)" not in page


def test_the_baseline_rate_leaves_not_applicable_cases_out_as_the_gate_does() -> None:
    criteria = parse_criteria("metrics:\n  facts: {source: required_facts, target: '>= 0.4'}\n")
    base = _run({"r1": True, "r2": True, "e1": None, "e2": None}, run_id="base")
    (metric,) = evaluate_gate(criteria, RUN.results).metrics
    assert metric.estimate == 0.5 and _baseline_rate(metric, base) == 1.0
