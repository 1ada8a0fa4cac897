"""Every built-in check and behaviour scorer rebuilds from its stored spec and scores alike."""

from __future__ import annotations

import pytest

import prodready
from prodready import tracing
from prodready.evaluation import (
    BoundScorer,
    Case,
    CaseResult,
    Expected,
    ScorerSpec,
    rebuild_scorer,
    registered_scorers,
)
from prodready.evaluation import scorers as s
from prodready.evaluation.scorers import behaviour, checks
from prodready.testing import capture
from tests.evaluation.test_checks import mentions_refund

SCORERS: list[BoundScorer] = [
    s.regex_match(r"refund \d+", flags="i", field="answer"),
    s.json_schema({"type": "object", "required": ["answer"]}),
    s.contains("refund", any_of=["€25", "25 EUR"], name="mentions_refund"),  # type: ignore[call-arg]
    s.not_contains(any_of=["guarantee"]),
    s.required_facts(["€25"]),
    s.length(max_chars=200, min_words=2),
    s.no_pii(kinds=["card", "iban"]),
    s.python_check(mentions_refund, threshold=None),
    s.duplicate_tool_calls(max=1, ignore_keys=["trace_id"]),
    s.tool_call_budget(max_calls=5, per_tool={"card_status": 2}),
    s.loops(min_repeats=2, max_period=3, kinds=["tool", "step"]),
    s.retry_storm(max_attempts=2, window_ms=500.0),
    s.latency_budget(max_ms=1000),
    s.cost_budget(max_usd=0.01),
    s.token_budget(max_tokens=500),
    s.escalation(),
    s.expected_tools(exact=True),
    s.guardrails_passed(fail_verdicts=["block"]),
]


@pytest.fixture(scope="module")
def result() -> CaseResult:
    with capture() as cap:
        with prodready.span("turn", kind="agent"):
            with tracing.tool_call("card_status", {"card": "1"}) as t:
                t.outcome("ok")
            with tracing.llm_call("m") as c:
                c.usage(input_tokens=10, output_tokens=5, cost=0.001)
        trace = cap.trace()
    output = {"answer": "Refund 25 EUR"}
    return CaseResult(case_id="c1", case_hash="h", output=output, trace=trace)


def test_every_builtin_check_and_behaviour_scorer_is_covered() -> None:
    mine = {n for n in registered_scorers() if hasattr(checks, n) or hasattr(behaviour, n)}
    assert mine == {x.spec.scorer for x in SCORERS}
    assert len(mine) == 18


@pytest.mark.parametrize("scorer", SCORERS, ids=lambda x: x.spec.scorer)
async def test_stored_spec_rebuilds_the_same_scorer(
    scorer: BoundScorer, result: CaseResult
) -> None:
    stored = ScorerSpec.model_validate_json(scorer.spec.model_dump_json())
    again = rebuild_scorer(stored)
    assert again.spec.model_dump(mode="json") == scorer.spec.model_dump(mode="json")
    case = Case(id="c1", input="q", expected=Expected(escalation=False, tools=["card_status"]))
    assert await again(case, result) == await scorer(case, result)
