"""prodready.span and the typed helpers."""

from __future__ import annotations

import json

import pytest

import prodready
from prodready import tracing
from prodready.testing import FakeClock, assert_tree, capture


def test_nested_spans_form_one_trace() -> None:
    with capture() as cap:
        with prodready.span("outer", kind="agent"), prodready.span("inner", kind="tool"):
            pass
    assert_tree(
        cap.trace(),
        """
        outer [agent]
          inner [tool]
    """,
    )


def test_set_accepts_one_pair_or_a_mapping_and_json_encodes_objects() -> None:
    with capture() as cap, prodready.span("s") as s:
        s.set("a", 1).set({"b": "x", "c": {"nested": [1, 2]}, "skip": None})
    attrs = cap.trace().spans[0].attributes
    assert (attrs["a"], attrs["b"], json.loads(attrs["c"])) == (1, "x", {"nested": [1, 2]})
    assert "skip" not in attrs


def test_exception_is_recorded_and_reraised() -> None:
    with capture() as cap, pytest.raises(KeyError), prodready.span("s"):
        raise KeyError("card")
    span = cap.trace().spans[0]
    assert span.status == "error" and span.status_message == "KeyError: 'card'"
    assert span.events[0]["name"] == "exception"


def test_events_carry_attributes() -> None:
    with capture() as cap, prodready.span("s") as s:
        s.event("retry", {"attempt": 2})
    assert cap.trace().spans[0].events == [
        {
            "name": "retry",
            "time_ns": cap.trace().spans[0].events[0]["time_ns"],
            "attributes": {"attempt": 2},
        }
    ]


def test_unknown_kind_gives_a_no_op_span_not_an_error() -> None:
    with capture() as cap:
        with prodready.span("s", kind="nonsense") as s:  # type: ignore[arg-type]
            s.set("a", 1)
        assert not s.is_recording
    assert cap.traces() == []


def test_llm_call_records_genai_attributes_and_usage() -> None:
    with capture() as cap, tracing.llm_call("gpt-4o-mini", provider="openai") as call:
        call.usage(input_tokens=812, output_tokens=64, cost=0.0004, model="gpt-4o-mini-2024")
    span = cap.trace().spans[0]
    assert (span.name, span.kind, span.otel_kind) == ("chat gpt-4o-mini", "llm", "client")
    a = span.attributes
    assert (a["gen_ai.request.model"], a["gen_ai.provider.name"]) == ("gpt-4o-mini", "openai")
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]) == (812, 64)
    assert a["prodready.llm.cost_usd"] == 0.0004


def test_tool_call_records_arguments_attempt_and_outcome() -> None:
    with capture() as cap, tracing.tool_call("card_status", {"card": "4242"}, attempt=2) as t:
        t.outcome("ok", {"status": "active"})
    a = cap.trace().spans[0].attributes
    assert json.loads(a["gen_ai.tool.call.arguments"]) == {"card": "4242"}
    assert (a["prodready.tool.attempt"], a["prodready.tool.outcome"]) == (2, "ok")
    assert json.loads(a["gen_ai.tool.call.result"]) == {"status": "active"}


def test_failed_tool_call_gets_error_outcome() -> None:
    with capture() as cap, pytest.raises(TimeoutError), tracing.tool_call("transfer"):
        raise TimeoutError
    assert cap.trace().spans[0].attributes["prodready.tool.outcome"] == "error"


def test_retrieval_records_document_identity() -> None:
    doc = tracing.RetrievedDocument(id="fees", version="4", content_hash="sha256:ab", score=0.7)
    with capture() as cap, tracing.retrieval("card fees") as r:
        r.documents([doc, {"id": "limits", "score": 0.5}])
    a = cap.trace().spans[0].attributes
    assert a["prodready.retrieval.documents"] == [  # stored as JSON, not as text
        {"id": "fees", "version": "4", "content_hash": "sha256:ab", "score": 0.7},
        {"id": "limits", "score": 0.5},
    ]
    assert a["prodready.retrieval.document_ids"] == ["fees", "limits"]


def test_classification_records_intent_and_confidence() -> None:
    with capture() as cap, tracing.classification() as c:
        c.intent("lost_or_stolen_card", 0.41, alternatives={"card_arrival": 0.38})
    span = cap.trace().spans[0]
    assert span.kind == "classifier"
    assert span.attributes["prodready.intent.name"] == "lost_or_stolen_card"
    assert span.attributes["prodready.intent.confidence"] == 0.41


def test_guardrail_and_step_record_verdict_and_reasoning() -> None:
    with capture() as cap, prodready.span("turn", kind="agent"):
        with tracing.guardrail("pii", stage="output") as g:
            g.verdict("block", "card number in answer")
        with tracing.step("decide", reasoning="confidence below 0.5: escalate"):
            pass
    guard = cap.trace().find(kind="guardrail")[0].attributes
    assert (guard["prodready.guardrail.name"], guard["prodready.guardrail.verdict"]) == (
        "pii",
        "block",
    )
    assert guard["prodready.guardrail.reason"] == "card number in answer"
    step = cap.trace().find(name="decide")[0]
    assert step.attributes["prodready.step.reasoning"] == "confidence below 0.5: escalate"


def test_current_span_annotates_the_active_span() -> None:
    with capture() as cap, prodready.span("outer", kind="classifier"):
        tracing.current_span().intent("card_arrival", 0.9)
    assert cap.trace().spans[0].attributes["prodready.intent.name"] == "card_arrival"


def test_current_span_outside_any_span_is_a_no_op() -> None:
    tracing.current_span().set("a", 1)  # must not raise


def test_async_with_works() -> None:
    import asyncio

    async def main() -> None:
        async with prodready.span("a", kind="agent"), prodready.span("b"):
            await asyncio.sleep(0)

    with capture() as cap:
        asyncio.run(main())
    assert_tree(cap.trace(), "a\n  b")


def test_fake_clock_sets_span_times() -> None:
    clock = FakeClock(start_ns=1_000)
    with capture(clock=clock) as cap, prodready.span("s"):
        clock.advance(ms=250)
    span = cap.trace().spans[0]
    assert (span.start_ns, span.duration_ns) == (1_000, 250_000_000)


def test_captured_output_is_truncated() -> None:
    with capture() as cap, prodready.span("s") as s:
        s.output("x" * (tracing.MAX_CAPTURE_CHARS + 10))
    out = cap.trace().spans[0].attributes["prodready.output"]
    assert out.endswith("…[truncated 10 chars]")


def test_spans_without_configure_do_nothing_and_never_raise() -> None:
    with prodready.span("s") as s:
        s.set("a", 1).event("e").intent("x", 0.1)
    assert tracing.stats().written == 0


def test_non_json_values_are_encoded_without_importing_numpy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, prodready.tracing as t, pydantic\n"
        "class M(pydantic.BaseModel):\n    a: int = 1\n"
        "class O:\n    def __repr__(self): return 'O()'\n"
        "print(t.to_attribute({'m': M(), 's': {2, 1}, 'o': O()}), 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '{"m":{"a":1},"s":[1,2],"o":"O()"} False'


def test_escalation_records_reason_score_and_threshold() -> None:
    with capture() as cap, prodready.span("turn", kind="agent"):
        with tracing.escalation("low intent confidence", score=0.41, threshold=0.5):
            pass
    span = cap.trace().find(kind="escalation")[0]
    assert span.name == "escalate to human"
    assert span.attributes["prodready.escalation.reason"] == "low intent confidence"
    assert span.attributes["prodready.escalation.score"] == 0.41
    assert span.attributes["prodready.escalation.threshold"] == 0.5
