"""Layer 3 behaviour scorers, on real traces recorded through the tracing API."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

import prodready
from prodready import tracing
from prodready.evaluation import Case, CaseResult, Expected, Score
from prodready.evaluation.scorers import (
    cost_budget,
    duplicate_tool_calls,
    escalation,
    expected_tools,
    guardrails_passed,
    latency_budget,
    loops,
    retry_storm,
    token_budget,
    tool_call_budget,
)
from prodready.store import Trace
from prodready.testing import FakeClock, capture

CLOCK = FakeClock()


def record(*steps: Callable[[], None]) -> Trace:
    """Run ``steps`` in order inside a root agent span and return the recorded trace."""
    with capture(clock=CLOCK) as cap:
        with prodready.span("support turn", kind="agent"):
            for step in steps:
                step()
        return cap.trace()


def call(tool: str, args: dict[str, Any] | None = None, outcome: str = "ok", attempt: int = 1,
         ms: float = 10) -> None:  # fmt: skip
    with tracing.tool_call(tool, args or {}, attempt=attempt) as t:
        CLOCK.advance(ms=ms)
        t.outcome(outcome)  # type: ignore[arg-type]


async def score(scorer: Any, trace: Trace | None, **expected: Any) -> Score:
    case = Case(id="c1", input="where is my card?", expected=Expected(**expected))
    result = CaseResult(case_id="c1", case_hash=case.content_hash(), output="", trace=trace)
    out: Score = await scorer(case, result)
    return out


# --- duplicates, budgets, loops, retries ---------------------------------------------------------


async def test_same_call_with_reformatted_arguments_is_a_duplicate() -> None:
    def agent() -> None:
        call("card_status", {"card": "4242", "limit": 10, "request_id": "a"})
        call("card_status", {"limit": "10.0", "card": " 4242 ", "requestId": "b"})

    s = await score(duplicate_tool_calls(), record(agent))
    assert (s.value, s.passed) == (1.0, False)
    assert s.rationale == (
        '1 duplicate tool call(s) (max 0): card_status({"card":"4242","limit":"10"}) repeated 1x'
    )


async def test_a_retry_after_a_timeout_is_not_a_duplicate() -> None:
    def agent() -> None:
        call("card_status", {"card": "4242"}, outcome="timeout")
        call("card_status", {"card": "4242"}, attempt=2)
        call("card_status", {"card": "9999"})

    s = await score(duplicate_tool_calls(), record(agent))
    assert (s.value, s.passed, s.metadata["retries"]) == (0.0, True, 1)


async def test_tool_call_budget_in_all_and_per_tool() -> None:
    trace = record(*(partial(call, "search", {"q": str(i)}) for i in range(3)))
    assert (await score(tool_call_budget(max_calls=3), trace)).passed
    s = await score(tool_call_budget(max_calls=5, per_tool={"search": 2}), trace)
    assert (s.value, s.passed) == (3.0, False)
    assert s.rationale == "over budget: search called 3 times, budget 2"


async def test_a_repeated_call_cycle_is_a_loop() -> None:
    def agent() -> None:
        for _ in range(3):
            call("search")
            call("read_page")

    s = await score(loops(), record(agent))
    assert (s.value, s.passed) == (3.0, False)
    assert s.rationale == "loop: [search, read_page] repeated 3 times in a row from call 1; limit 2"


async def test_loops_can_follow_steps_as_well_as_tools() -> None:
    def plan_and_search() -> None:
        with tracing.step("plan"):
            call("search")

    s = await score(loops(kinds=["step", "tool"]), record(*[plan_and_search] * 3))
    assert (s.value, s.metadata["pattern"]) == (3.0, ["plan", "search"])


async def test_two_rounds_are_not_yet_a_loop() -> None:
    def agent() -> None:
        for tool in ("search", "read_page", "search", "read_page", "answer"):
            call(tool)

    s = await score(loops(min_repeats=3), record(agent))
    assert (s.value, s.passed) == (2.0, True)


async def test_too_many_attempts_of_one_call_is_a_retry_storm() -> None:
    def agent() -> None:
        for attempt in range(1, 5):
            call("card_status", {"card": "1"}, outcome="error", attempt=attempt)

    s = await score(retry_storm(max_attempts=3), record(agent))
    assert (s.value, s.passed) == (4.0, False)
    assert s.rationale == "retry storm: card_status took 4 attempts (max 3)"


async def test_retries_within_budget_pass() -> None:
    def agent() -> None:
        call("card_status", {"card": "1"}, outcome="timeout")
        call("card_status", {"card": "1"})  # the agent retried by itself
        call("balance", {"card": "1"})

    s = await score(retry_storm(max_attempts=3), record(agent))
    assert (s.value, s.passed) == (2.0, True)


async def test_many_retries_in_a_short_window_is_a_retry_storm() -> None:
    def agent() -> None:
        for tool in ("a", "b", "c"):
            call(tool, outcome="error", ms=5)
            call(tool, attempt=2, ms=5)

    trace = record(agent)
    assert (await score(retry_storm(window_ms=1000, max_window_retries=3), trace)).passed
    s = await score(retry_storm(window_ms=1000, max_window_retries=2), trace)
    assert s.passed is False and s.rationale == "retry storm: 3 retries within 1000 ms (max 2)"


# --- latency, cost, tokens -----------------------------------------------------------------------


def llm(cost: float | None = 0.002, tokens: tuple[int, int] = (100, 20), ms: float = 600) -> None:
    with tracing.llm_call("gpt-4o-mini") as c:
        CLOCK.advance(ms=ms)
        c.usage(input_tokens=tokens[0], output_tokens=tokens[1], cost=cost)


async def test_latency_budget_reads_the_root_span() -> None:
    trace = record(lambda: llm(ms=1200))
    assert (await score(latency_budget(max_ms=2000), trace)).passed
    s = await score(latency_budget(max_ms=1000), trace)
    assert (s.value, s.passed) == (1200.0, False)
    assert s.rationale == "took 1200.0 ms, budget 1000 ms (200.0 over)"


async def test_cost_budget_sums_llm_calls() -> None:
    trace = record(partial(llm, cost=0.002), partial(llm, cost=0.003))
    assert (await score(cost_budget(max_usd=0.01), trace)).passed
    s = await score(cost_budget(max_usd=0.004), trace)
    assert s.value == pytest.approx(0.005) and s.passed is False


async def test_cost_budget_errors_when_no_llm_call_recorded_a_cost() -> None:
    s = await score(cost_budget(max_usd=0.01), record(lambda: llm(cost=None)))
    assert s.value is None and s.passed is None
    assert (
        s.error == "ValueError: no cost recorded: none of 1 llm span(s) has prodready.llm.cost_usd"
    )


async def test_token_budget_counts_input_and_output() -> None:
    trace = record(partial(llm, tokens=(1000, 200)), partial(llm, tokens=(500, 100)))
    assert (await score(token_budget(max_tokens=2000), trace)).passed
    s = await score(token_budget(max_tokens=1500), trace)
    assert (s.value, s.passed) == (1800.0, False)


# --- escalation, expected tools, guardrails ------------------------------------------------------


def escalate() -> None:
    with prodready.span("hand off to human", kind="escalation"):
        pass


async def test_escalation_when_expected_passes() -> None:
    s = await score(escalation(), record(escalate), escalation=True)
    assert (s.value, s.passed) == (1.0, True)


async def test_escalating_when_not_expected_is_a_wrong_escalation() -> None:
    s = await score(escalation(), record(escalate), escalation=False)
    assert (s.value, s.passed, s.metadata["error"]) == (0.0, False, "wrong escalation")
    assert s.rationale == (
        "wrong escalation: the run escalated, but the case expects no escalation"
    )


async def test_not_escalating_when_expected_is_a_missed_escalation() -> None:
    s = await score(escalation(), record(lambda: call("faq")), escalation=True)
    assert (s.passed, s.metadata["error"]) == (False, "missed escalation")


async def test_escalation_without_an_expectation_is_not_applicable() -> None:
    s = await score(escalation(), record(escalate))
    assert (s.value, s.passed, s.metadata["applicable"]) == (None, None, False)


async def test_expected_tools_passes_when_all_were_called() -> None:
    trace = record(partial(call, "card_status"), partial(call, "faq"))
    s = await score(expected_tools(), trace, tools=["card_status"])
    assert (s.value, s.passed) == (1.0, True)


async def test_expected_tools_lists_missing_and_unexpected_tools() -> None:
    trace = record(partial(call, "faq"), partial(call, "refund"))
    s = await score(expected_tools(exact=True), trace, tools=["card_status", "faq"])
    assert s.passed is False and s.value == pytest.approx(1 / 3)
    assert s.rationale == "missing: card_status; unexpected: refund"


async def test_expected_no_tools_fails_on_any_call() -> None:
    s = await score(expected_tools(), record(lambda: call("refund")), tools=[])
    assert (s.value, s.passed) == (0.0, False)


def guard(name: str, verdict: str, reason: str | None = None) -> None:
    with tracing.guardrail(name) as g:
        g.verdict(verdict, reason)


async def test_guardrails_that_passed() -> None:
    trace = record(partial(guard, "pii", "pass"), partial(guard, "toxicity", "redact"))
    s = await score(guardrails_passed(), trace)
    assert (s.value, s.passed) == (1.0, True)


async def test_a_blocking_guardrail_fails_naming_it_and_why() -> None:
    trace = record(partial(guard, "pii", "pass"), partial(guard, "injection", "block", "jailbreak"))
    s = await score(guardrails_passed(), trace)
    assert (s.value, s.passed) == (0.0, False)
    assert s.rationale == "guardrail(s) failed: injection: block (jailbreak)"


async def test_behaviour_scorers_without_a_trace_error_clearly() -> None:
    s = await score(duplicate_tool_calls(), None)
    assert (s.value, s.passed) == (None, None)
    assert s.error == "ValueError: no trace: behaviour scorers need the run's trace"
