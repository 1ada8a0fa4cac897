"""Business metrics read off real traces: deflection, wrong escalation, false positives, cost."""

from __future__ import annotations

import prodready
from prodready import tracing
from prodready.evaluation import Case, CaseResult, Expected
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.gate import GateReport, evaluate_gate
from prodready.testing import capture

# case id -> (expected escalation, escalated in the run, run error)
PLAN = {
    "ok-answer": (False, False, None),  # deflected, right
    "ok-handoff": (True, True, None),  # escalated as it should
    "needless-handoff": (False, True, None),  # wrong escalation, a false positive
    "missed-handoff": (True, False, None),  # deflected, but wrong
    "crashed": (False, False, "TimeoutError"),  # an error: a failure everywhere
    "unlabelled": (None, False, None),  # deflected; not in the escalation denominators
}

CRITERIA = """\
metrics:
  deflection: {source: business.deflection, target: ">= 0.6"}
  wrong_escalation: {source: business.wrong_escalation, target: "<= 0.05"}
  false_positive_rate: {source: business.false_positive_rate, target: "<= 0.5"}
  cost: {source: business.cost_per_conversation, aggregate: mean, target: "<= 0.01"}
  latency: {source: business.latency_ms, aggregate: p95, target: "<= 2500"}
"""


def traced_results() -> tuple[list[CaseResult], list[Case]]:
    with capture() as cap:
        for case_id, (_, escalates, _) in PLAN.items():
            with prodready.span(case_id, kind="agent"):
                with tracing.llm_call("m") as call:
                    call.usage(input_tokens=10, output_tokens=5, cost=0.004)
                if escalates:
                    with prodready.span("hand off to a human", kind="escalation"):
                        pass
        traces = {s.name: cap.trace(s.trace_id) for s in cap.traces()}
    results = [
        CaseResult(case_id=c, case_hash="h", error=err, latency_ms=1000.0, trace=traces[c])
        for c, (_, _, err) in PLAN.items()
    ]
    cases = [
        Case(id=c, input="q", expected=Expected(escalation=e)) for c, (e, _, _) in PLAN.items()
    ]
    return results, cases


def by_name(report: GateReport) -> dict[str, tuple[float | None, int, bool | None]]:
    return {m.name: (m.estimate, m.n, m.passed) for m in report.metrics}


def test_business_metrics_come_from_the_traces_and_the_expected_escalation() -> None:
    results, cases = traced_results()
    report = evaluate_gate(parse_criteria(CRITERIA), results, cases=cases)
    metrics = by_name(report)
    assert metrics["deflection"] == (3 / 6, 6, False)  # ok-answer, missed-handoff, unlabelled
    assert metrics["wrong_escalation"] == (3 / 5, 5, False)  # needless, missed, crashed
    assert metrics["false_positive_rate"] == (2 / 3, 3, False)  # needless, crashed of 3 "no"
    assert metrics["cost"][:2] == (0.004, 6)  # summed from the traces' llm spans
    assert metrics["latency"] == (1000.0, 6, True)


def test_escalation_metrics_need_the_cases_and_say_so() -> None:
    results, _ = traced_results()
    report = evaluate_gate(parse_criteria(CRITERIA), results)
    (wrong,) = [m for m in report.metrics if m.name == "wrong_escalation"]
    assert wrong.passed is False and wrong.estimate is None
    assert wrong.reason == (
        "wrong_escalation: needs the cases (their expected escalation): pass cases= to the gate"
    )


def test_a_run_without_a_trace_cannot_count_as_deflected() -> None:
    results, cases = traced_results()
    untraced = [r.model_copy(update={"trace": None}) for r in results]
    report = evaluate_gate(parse_criteria(CRITERIA), untraced, cases=cases)
    (deflection,) = [m for m in report.metrics if m.name == "deflection"]
    assert (deflection.estimate, deflection.errors) == (0.0, 6)
    assert "6 errors counted as failures: 5 without a trace, 1 case error" in deflection.reason
