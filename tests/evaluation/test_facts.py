"""Facts read off span trees."""

from __future__ import annotations

import prodready
from prodready import tracing
from prodready.evaluation import facts
from prodready.testing import capture


def test_tool_calls_escalation_totals_and_documents_come_from_the_trace() -> None:
    with capture() as cap:
        with prodready.span("turn", kind="agent"):
            with tracing.tool_call("card_status", {"card": "1"}, attempt=1) as t:
                t.outcome("timeout")
            with tracing.tool_call("card_status", {"card": "1"}, attempt=2) as t:
                t.outcome("ok")
            with tracing.retrieval("q") as r:
                r.documents([{"id": "fees", "version": "2"}])
            with tracing.llm_call("m") as c:
                c.usage(input_tokens=10, output_tokens=3, cost=0.002)
            with prodready.span("handoff", kind="escalation"):
                pass
    trace = cap.trace()
    calls = facts.tool_calls(trace)
    assert [(c.name, c.arguments, c.attempt, c.outcome) for c in calls] == [
        ("card_status", {"card": "1"}, 1, "timeout"),
        ("card_status", {"card": "1"}, 2, "ok"),
    ]
    assert facts.escalated(trace)
    assert facts.llm_totals(trace) == (0.002, 10, 3)
    assert facts.retrieved_documents(trace) == [{"id": "fees", "version": "2"}]
