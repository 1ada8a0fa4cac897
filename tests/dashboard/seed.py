# ruff: noqa: E501  (span payloads read best one attribute per line, however long)
"""A realistic store for the dashboard's tests and screenshots: a bank support agent's traces
over the last day (two releases, two environments, intents, tools with retries, model calls
with transcripts, retrieved documents, guardrail verdicts, escalations, sessions), and one
trace whose every text is a script or HTML payload (``HOSTILE``), which must stay inert.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any, Final, Literal

from prodready.store import SpanRecord, Store

MS: Final = 1_000_000
S: Final = 1_000 * MS

PAYLOAD: Final = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
"""What an attacker who can send OTLP puts in every text field."""
HOSTILE_TRACE: Final = "ba5eba11" * 4
HOSTILE_SESSION: Final = 'sess-<b onmouseover="window.__pwned=3">x</b>'

INTENTS: Final = ("card_arrival", "lost_or_stolen_card", "transfer_not_received_by_recipient",
                  "top_up_failed", "exchange_rate")  # fmt: skip
TOOLS: Final = {
    "card_arrival": "card_status",
    "lost_or_stolen_card": "block_card",
    "transfer_not_received_by_recipient": "transfer_status",
    "top_up_failed": "top_up_status",
    "exchange_rate": "fx_rate",
}


def trace_id(i: int) -> str:
    return f"{i:08x}" + "d0" * 12


def support_trace(
    i: int,
    start_ns: int,
    *,
    intent: str,
    release: str,
    env: str,
    session: str,
    retry: bool = False,
    fail: bool = False,
    escalate: bool = False,
    question: str = "My card still has not arrived, where is it?",
) -> list[SpanRecord]:
    """agent → guardrail → classifier → retriever → tool (maybe retried) → llm | escalation."""
    tid = trace_id(i)
    ids = iter(f"{i:08x}{n:08x}" for n in range(1, 64))
    root = next(ids)
    spans: list[SpanRecord] = []
    t = start_ns + 2 * MS

    def child(name: str, kind: str, ms: float, **kw: Any) -> None:
        nonlocal t
        end = t + int(ms * MS)
        spans.append(
            SpanRecord(
                trace_id=tid,
                span_id=next(ids),
                parent_span_id=root,
                name=name,
                kind=kind,
                start_ns=t,
                end_ns=end,
                **kw,
            )
        )
        t = end + MS

    tool = TOOLS[intent]
    child("input-guardrail", "guardrail", 4, status="ok", attributes={
        "prodready.guardrail.name": "pii_redaction", "prodready.guardrail.verdict": "pass",
        "prodready.guardrail.reason": "no card number or IBAN in the message"})  # fmt: skip
    child("classify-intent", "classifier", 25, status="ok", attributes={
        "prodready.intent.name": intent, "prodready.intent.confidence": 0.91})  # fmt: skip
    docs = [
        {"id": f"policy/{intent}", "version": "v3", "content_hash": "sha256:" + "ab" * 32, "score": 0.82},
        {"id": "policy/fees", "version": "v7", "content_hash": "sha256:" + "cd" * 32, "score": 0.41},
    ]  # fmt: skip
    child("retrieve-policy", "retriever", 60, status="ok", attributes={
        "prodready.retrieval.query": question,
        "prodready.retrieval.documents": json.dumps(docs)})  # fmt: skip
    if escalate:
        child("handoff-to-human", "escalation", 8, status="ok", attributes={
            "prodready.escalation.reason": "low intent confidence", "prodready.intent.name": intent})  # fmt: skip
    else:
        attempts: list[str] = ["error", "ok"] if retry else ["ok"]
        if fail:
            attempts = ["error", "error", "error"]
        for n, outcome in enumerate(attempts, start=1):
            status = "error" if outcome == "error" else "ok"
            child(tool, "tool", 300 if status == "error" else 90, status=status,
                  status_message="TimeoutError: core banking did not answer in 300 ms" if status == "error" else None,
                  attributes={"gen_ai.tool.name": tool, "gen_ai.tool.call.arguments": '{"customer_id": "C-1042"}',
                              "gen_ai.tool.call.result": '{"status": "shipped", "eta_days": 2}' if status == "ok" else "",
                              "prodready.tool.outcome": "success" if status == "ok" else "timeout",
                              "prodready.tool.attempt": n},
                  events=[{"name": "exception", "time_ns": t + 300 * MS, "attributes": {
                      "exception.type": "TimeoutError", "exception.message": "core banking did not answer in 300 ms"}}]
                  if status == "error" else [])  # fmt: skip
        answer = "Your card was shipped and should arrive within 2 business days."
        child("chat gpt-4o-mini", "llm", 700, status="ok", attributes={
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 900 + i % 300, "gen_ai.usage.output_tokens": 120 + i % 50,
            "prodready.llm.cost_usd": round(0.00015 * (900 + i % 300) / 1000 + 0.0006 * (120 + i % 50) / 1000, 8),
            "gen_ai.input.messages": json.dumps([
                {"role": "system", "parts": [{"type": "text", "content": "You are Northwind Bank's support agent."}]},
                {"role": "user", "parts": [{"type": "text", "content": question}]}]),
            "gen_ai.output.messages": json.dumps([
                {"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}]),
        })  # fmt: skip
    root_status: Literal["ok", "error"] = "error" if fail else "ok"
    spans.insert(0, SpanRecord(
        trace_id=tid, span_id=root, parent_span_id=None, name="support-agent", kind="agent",
        start_ns=start_ns, end_ns=t, status=root_status,
        status_message="tool failed after 3 attempts" if fail else None,
        attributes={"gen_ai.agent.name": "northwind", "session.id": session, "user.id": f"u-{i % 7}",
                    "prodready.release": release, "deployment.environment.name": env,
                    "prodready.input": question,
                    "prodready.output": "" if fail else "Your card should arrive within 2 business days."},
        resource={"service.name": "northwind-agent"}))  # fmt: skip
    return spans


def hostile_trace(start_ns: int) -> list[SpanRecord]:
    """Every text a span carries is an HTML/script payload."""
    root = "ba5eba11ba5eba11"
    child = "c0ffeec0ffeec0ff"
    llm_messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": PAYLOAD}]}])
    return [
        SpanRecord(
            trace_id=HOSTILE_TRACE, span_id=root, parent_span_id=None, name=f"agent {PAYLOAD}",
            kind="agent", start_ns=start_ns, end_ns=start_ns + 50 * MS,
            status="error", status_message=PAYLOAD,
            attributes={PAYLOAD: PAYLOAD, "session.id": HOSTILE_SESSION, "prodready.release": PAYLOAD,
                        "prodready.input": PAYLOAD, "prodready.output": PAYLOAD,
                        "prodready.intent.name": PAYLOAD},
            events=[{"name": PAYLOAD, "time_ns": start_ns + MS, "attributes": {PAYLOAD: PAYLOAD}},
                    {"name": "exception", "time_ns": start_ns + 2 * MS, "attributes": {
                        "exception.type": PAYLOAD, "exception.message": PAYLOAD, "exception.stacktrace": PAYLOAD}}],
            resource={"service.name": PAYLOAD}),
        SpanRecord(
            trace_id=HOSTILE_TRACE, span_id=child, parent_span_id=root, name=f"llm {PAYLOAD}",
            kind="llm", start_ns=start_ns + 5 * MS, end_ns=start_ns + 40 * MS,
            status="ok",
            attributes={"gen_ai.input.messages": llm_messages, "gen_ai.output.messages": llm_messages,
                        "gen_ai.request.model": PAYLOAD, "gen_ai.tool.name": PAYLOAD,
                        "prodready.guardrail.verdict": PAYLOAD, "prodready.guardrail.reason": PAYLOAD,
                        "prodready.retrieval.documents": json.dumps([{"id": PAYLOAD, "version": PAYLOAD}])}),
    ]  # fmt: skip


def seed_traces(
    store: Store, *, n: int = 120, now_ns: int | None = None, seed: int = 7
) -> list[str]:
    """``n`` support traces over the last 23 hours plus the hostile one; their ids."""
    rng = random.Random(seed)
    now = time.time_ns() if now_ns is None else now_ns
    records: list[SpanRecord] = []
    ids = []
    for i in range(1, n + 1):
        start = now - int(23 * 3600 * S * (n - i) / n) - 5 * S
        release = "v1.4.0" if i < n * 0.6 else "v1.5.0"
        intent = INTENTS[i % len(INTENTS)]
        records += support_trace(
            i, start, intent=intent, release=release,
            env="production" if i % 4 else "staging",
            session=f"sess-{i // 3:04d}",
            retry=rng.random() < 0.2, fail=rng.random() < (0.04 if release == "v1.4.0" else 0.15),
            escalate=rng.random() < 0.1,
        )  # fmt: skip
        ids.append(trace_id(i))
    records += hostile_trace(now - 30 * S)
    ids.append(HOSTILE_TRACE)
    store.write_spans(records)
    return ids


def seed_monitoring(store: Store, ids: list[str], *, seed: int = 11) -> None:
    """End users' feedback (CSAT drops with release v1.5.0), online scores of every trace,
    and an alert rule on CSAT, checked once (so it fires)."""
    from prodready.evaluation import Score
    from prodready.evaluation.runs import record_trace_scores
    from prodready.monitoring import AlertEvaluator, AlertRule, record_feedback
    from prodready.monitoring._rules import save_rule

    rng = random.Random(seed)
    for tid in ids[:-1]:
        trace = store.get_trace(tid)
        assert trace is not None
        newer = trace.summary.release == "v1.5.0"
        if rng.random() < 0.5:
            csat = rng.choice([1, 2, 3, 3, 4] if newer else [3, 4, 4, 5, 5])
            record_feedback(store, trace_id=tid, csat=csat, thumb="up" if csat >= 4 else "down",
                            comment="the fee you quoted is out of date" if csat <= 2 else None)  # fmt: skip
        grounded = rng.random() < (0.78 if newer else 0.93)
        score = Score(name="grounded", value=1.0 if grounded else 0.0, passed=grounded,
                      layer="online", scorer="facts_present", version="1")  # fmt: skip
        record_trace_scores(store, [(tid, score)], created_at_ns=trace.summary.end_ns + 2 * S)
    hostile = Score(name=PAYLOAD, value=0.0, passed=False, layer="online", scorer=PAYLOAD,
                    version="1", rationale=PAYLOAD, error=None)  # fmt: skip
    record_trace_scores(store, [(ids[-1], hostile)])
    save_rule(store, AlertRule(name="csat-drop", metric="feedback:csat", op="<", threshold=3.5,
                               window="1d", min_count=5, group_by=["release"], severity="critical",
                               description="CSAT under 3.5 for a release"))  # fmt: skip
    AlertEvaluator(store).check()


def seed_all(store: Store) -> dict[str, str]:
    """Everything the pages show; the page of each screenshot, by name."""
    ids = seed_traces(store)
    seed_monitoring(store, ids)
    from tests.dashboard.seed_eval import seed_eval_all

    pages = seed_eval_all(store)
    traces = [t for t in (store.get_trace(i) for i in reversed(ids[:-1])) if t is not None]
    retried = next(t for t in traces if t.summary.status == "ok" and t.summary.error_count)
    llm = next(s for s in retried.spans if s.kind == "llm")
    return {
        "overview": "/ui/overview",
        "traces": "/ui/traces",
        "trace": f"/ui/traces/{retried.summary.trace_id}?span={llm.span_id}",
        "session": "/ui/sessions/sess-0010",
    } | pages
