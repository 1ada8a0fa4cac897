"""docs/criteria.md stays true: its file parses, its errors and its worked example are real."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

import prodready
from prodready.evaluation import Case, CaseResult, Expected, Layer, Score
from prodready.evaluation.criteria import CriteriaError, parse_criteria
from prodready.evaluation.gate import evaluate_gate
from prodready.store import TraceQuery
from prodready.testing import capture

DOC = (Path(__file__).parents[2] / "docs" / "criteria.md").read_text()
BLOCKS = [(m[1], m[2]) for m in re.finditer(r"^```(\w*)\n(.*?)^```$", DOC, re.M | re.S)]
YAML, BROKEN = [text for lang, text in BLOCKS if lang == "yaml"]
JUDGE_LINE, ERRORS, OUTPUT = [text for lang, text in BLOCKS if lang == ""]


def score(name: str, ok: bool, layer: Layer, value: float | None = None) -> Score:
    v = float(ok) if value is None else value
    return Score(name=name, value=v, passed=ok, layer=layer, scorer=name, version="1")


def worked_example() -> tuple[list[CaseResult], list[Case], list[CaseResult]]:
    """200 cases: 60 need a human, 4 wrong escalation calls, case-199 times out."""
    wrong = {3, 70, 71, 150}
    with capture() as cap:
        for i in range(200):
            with prodready.span(f"case-{i}", kind="agent"):
                if (i < 60) != (i in wrong):
                    with prodready.span("hand off", kind="escalation"):
                        pass
        traces = {s.name: cap.trace(s.trace_id) for s in cap.traces(TraceQuery(limit=1000))}
    rng = random.Random(4)
    results, cases, prod = [], [], []
    for i in range(200):
        cid, ok = f"case-{i}", (i * 37) % 100 >= 12
        cases.append(Case(id=cid, input="...", expected=Expected(escalation=i < 60)))
        scores = [
            score("correctness", ok, "judge"),
            score("duplicate_tool_calls", True, "behaviour", 0.0),
        ]
        results.append(
            CaseResult(
                case_id=cid,
                case_hash="h",
                latency_ms=rng.lognormvariate(7.0, 0.45),
                cost_usd=0.004,
                error="TimeoutError" if i == 199 else None,
                trace=traces[cid],
                scores=scores,
            )
        )
        base_ok = (i * 37) % 100 >= 10 if i % 50 else ok
        prod.append(
            CaseResult(case_id=cid, case_hash="h", scores=[score("correctness", base_ok, "judge")])
        )
    return results, cases, prod


def test_the_documented_file_is_valid() -> None:
    assert len(parse_criteria(YAML).metrics) == 7


def test_the_documented_errors_are_the_real_ones() -> None:
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(BROKEN, source="criteria.yaml")
    assert str(caught.value) == ERRORS.strip()


def test_the_worked_example_prints_what_the_page_shows() -> None:
    results, cases, prod = worked_example()
    calibration = {"correctness": 0.72}
    report = evaluate_gate(
        parse_criteria(YAML), results, cases=cases, baseline=prod, judge_calibration=calibration
    )
    assert report.render_text() == OUTPUT.strip()
    assert report.exit_code == 1


def test_the_documented_judge_refusal_is_the_real_one() -> None:
    results = [
        CaseResult(case_id=f"c{i}", case_hash="h", scores=[score("correctness", i > 0, "judge")])
        for i in range(20)
    ]
    criteria = parse_criteria("metrics:\n  correctness: {source: correctness, target: '>= 0.85'}")
    report = evaluate_gate(criteria, results, judge_calibration={"correctness": 0.41})
    assert report.metrics[0].reason == JUDGE_LINE.strip()
