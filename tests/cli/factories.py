"""Build realistic support-agent traces for CLI tests."""

from __future__ import annotations

from typing import Any

from prodready.store import SpanRecord

MS = 1_000_000
MIN = 60_000 * MS

# T1 and T2 share a 10-character prefix, so "abcdef" is ambiguous and "abcdef0123" is not.
T1 = "abcdef0123456789abcdef0123456789"
T2 = "abcdef01ff00112233445566778899aa"
T3 = "0123456789abcdef0123456789abcdef"


def support_trace(
    trace_id: str,
    start_ns: int,
    *,
    release: str = "v1.2.0",
    session: str = "sess-1",
    user: str = "user-1",
    env: str = "prod",
    tool_fails_first: bool = True,
    guardrail: bool = True,
    escalate: bool = False,
) -> list[SpanRecord]:
    """agent -> classifier, retriever, guardrail, tool (maybe 2 attempts, first failing), llm.

    With ``escalate`` the agent hands over to a human instead of answering and fails.
    """
    ids = iter(f"{trace_id[:8]}{i:08x}" for i in range(1, 100))
    root = next(ids)
    spans: list[SpanRecord] = []
    t = start_ns

    def child(name: str, kind: str, ms: int, **kw: Any) -> SpanRecord:
        nonlocal t
        record = SpanRecord(
            trace_id=trace_id,
            span_id=next(ids),
            parent_span_id=root,
            name=name,
            kind=kind,
            start_ns=t,
            end_ns=t + ms * MS,
            **kw,
        )
        t += ms * MS + MS
        spans.append(record)
        return record

    child(
        "classify-intent",
        "classifier",
        40,
        status="ok",
        attributes={"prodready.intent.name": "refund", "prodready.intent.confidence": 0.92},
    )
    child(
        "search-kb",
        "retriever",
        120,
        status="ok",
        attributes={
            "prodready.retrieval.query": "refund policy for damaged items",
            "prodready.retrieval.document_ids": ["kb-12", "kb-7", "kb-31"],
            "app.cache_hit": False,
        },
    )
    if guardrail:
        child(
            "pii-filter",
            "guardrail",
            5,
            status="ok",
            attributes={
                "prodready.guardrail.name": "pii",
                "prodready.guardrail.verdict": "pass",
                "prodready.guardrail.reason": "no personal data found",
            },
        )
    attempts = (
        [("error", "timeout"), ("ok", "success")] if tool_fails_first else [("ok", "success")]
    )
    for attempt, (status, outcome) in enumerate(attempts, start=1):
        child(
            "lookup_order",
            "tool",
            300 if status == "error" else 180,
            status=status,
            status_message="TimeoutError: orders API did not answer in 300ms"
            if status == "error"
            else None,
            attributes={
                "gen_ai.tool.name": "lookup_order",
                "gen_ai.tool.call.arguments": '{"order_id": "A-1042"}',
                "prodready.tool.outcome": outcome,
                "prodready.tool.attempt": attempt,
            },
            events=[{"name": "exception", "time_ns": t, "attributes": {}}]
            if status == "error"
            else [],
        )
    if escalate:
        child(
            "handoff",
            "escalation",
            15,
            status="ok",
            attributes={
                "prodready.escalation.reason": "refund above agent limit",
                "prodready.escalation.queue": "billing",
            },
        )
    child(
        "chat gpt-4o",
        "llm",
        900,
        status="ok",
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1234,
            "gen_ai.usage.output_tokens": 256,
            "prodready.llm.cost_usd": 0.0123,
        },
    )
    spans.insert(
        0,
        SpanRecord(
            trace_id=trace_id,
            span_id=root,
            parent_span_id=None,
            name="support-agent",
            kind="agent",
            start_ns=start_ns,
            end_ns=t,
            status="error" if escalate else "ok",
            status_message="escalated to a human" if escalate else None,
            attributes={
                "gen_ai.agent.name": "support",
                "session.id": session,
                "user.id": user,
                "prodready.release": release,
                "deployment.environment.name": env,
            },
            resource={"service.name": "support-api"},
        ),
    )
    return spans
