"""A realistic synthetic trace dataset for the query benchmark (deterministic for a seed).

Support-agent traces over 30 days: an agent root span with an intent classification, often a
retrieval, LLM calls, tool calls (some failing, some retried), sometimes a guardrail or a
planning step, rarely an escalation to a human. Several releases roll out over the month;
sessions group ~3 consecutive traces of one user; every span carries the session and user
(as ``prodready.context`` stamps them), the root also the release and environment.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

DAY_NS = 86_400 * 10**9
DAYS = 30
RELEASES = [f"support-agent@1.{minor}.0" for minor in range(6)]
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4"]
TOOLS = [
    "lookup_card",
    "freeze_card",
    "get_balance",
    "list_transactions",
    "create_ticket",
    "reset_pin",
    "check_transfer",
    "update_address",
]
INTENTS = [
    "card_arrival",
    "lost_or_stolen_card",
    "balance_not_updated",
    "transfer_not_received",
    "pin_blocked",
    "declined_card_payment",
    "exchange_rate",
    "top_up_failed",
    "change_address",
    "refund_not_showing_up",
    "cash_withdrawal_charge",
    "card_not_working",
    "direct_debit_payment_not_recognised",
    "activate_my_card",
    "verify_identity",
    "terminate_account",
    "apple_pay_or_google_pay",
    "country_support",
    "disposable_card_limits",
    "wrong_exchange_rate_for_cash_withdrawal",
]
N_USERS = 20_000
CLIENT_KINDS = {"llm"}


def zipf_choice(rng: random.Random, items: list[str], s: float = 1.1) -> str:
    weights = [1 / (k + 1) ** s for k in range(len(items))]
    return rng.choices(items, weights)[0]


class _TraceBuilder:
    """Builds one trace's spans, sequential children under an agent root."""

    def __init__(self, rng: random.Random, start_ns: int, common: dict[str, Any]) -> None:
        self.rng = rng
        self.trace_id = f"{rng.getrandbits(128):032x}"
        self.root_id = f"{rng.getrandbits(64):016x}"
        self.cursor = start_ns + rng.randint(1, 5) * 1_000_000
        self.common = common
        self.spans: list[dict[str, Any]] = []
        self.unrecovered_error = False

    def child(
        self, name: str, kind: str, median_ms: float, attrs: dict[str, Any], error: bool = False
    ) -> None:
        duration = int(self.rng.lognormvariate(math.log(median_ms), 0.6) * 1_000_000)
        start = self.cursor
        self.cursor += duration + self.rng.randint(1, 3) * 100_000
        self.spans.append(
            {
                "span_id": f"{self.rng.getrandbits(64):016x}",
                "parent": self.root_id,
                "name": name,
                "kind": kind,
                "start": start,
                "end": start + duration,
                "status": "error" if error else "unset",
                "message": "TimeoutError: upstream did not answer in 5s" if error else None,
                "attrs": {"prodready.span.kind": kind, **self.common, **attrs},
                "events": [{"name": "retry", "time_ns": start, "attributes": {"n": 1}}]
                if error
                else [],
            }
        )


def build_trace(rng: random.Random, start_ns: int, context: dict[str, Any]) -> list[Any]:
    """One trace as ``SpanRecord``s; ``context`` has session.id, user.id, release, env."""
    from prodready.store import SpanRecord

    common = {"session.id": context["session"], "user.id": context["user"]}
    b = _TraceBuilder(rng, start_ns, common)
    intent = zipf_choice(rng, INTENTS)
    question = f"Question about {intent.replace('_', ' ')} #{rng.randint(1, 10**6)}"
    b.child(
        "classify intent",
        "classifier",
        8,
        {
            "prodready.intent.name": intent,
            "prodready.intent.confidence": round(rng.uniform(0.4, 0.99), 3),
        },
    )
    if rng.random() < 0.7:
        docs = [f"kb-{rng.randint(1, 5000)}" for _ in range(3)]
        b.child(
            "retrieve",
            "retriever",
            40,
            {"prodready.retrieval.query": question[:60], "prodready.retrieval.document_ids": docs},
        )
    if rng.random() < 0.5:
        b.child("plan", "step", 5, {"prodready.step.reasoning": "look up the account first"})
    _llm(b, rng)
    _tools(b, rng)
    if rng.random() < 0.4:
        verdict = "block" if rng.random() < 0.03 else "pass"
        b.child(
            "guardrail pii",
            "guardrail",
            3,
            {"prodready.guardrail.name": "pii", "prodready.guardrail.verdict": verdict},
        )
    if rng.random() < 0.01:
        b.child("escalate to human", "escalation", 20, {"prodready.escalation.reason": "angry"})
    llm_error = rng.random() < 0.01
    _llm(b, rng, error=llm_error)
    root_error = llm_error or (b.unrecovered_error and rng.random() < 0.5)
    end = b.cursor + rng.randint(1, 5) * 1_000_000
    root_attrs = {
        "prodready.span.kind": "agent",
        **common,
        "prodready.release": context["release"],
        "deployment.environment.name": context["environment"],
        "prodready.input": question,
        "prodready.output": f"Here is what I found about {intent.replace('_', ' ')}.",
    }
    records = [
        SpanRecord(
            trace_id=b.trace_id,
            span_id=b.root_id,
            parent_span_id=None,
            name="support_agent.answer",
            kind="agent",
            start_ns=start_ns,
            end_ns=end,
            status="error" if root_error else "unset",
            status_message="the agent could not answer" if root_error else None,
            attributes=root_attrs,
            resource=RESOURCE,
            scope="prodready",
        )
    ]
    for s in b.spans:
        records.append(
            SpanRecord(
                trace_id=b.trace_id,
                span_id=s["span_id"],
                parent_span_id=s["parent"],
                name=s["name"],
                kind=s["kind"],
                start_ns=s["start"],
                end_ns=s["end"],
                status=s["status"],
                status_message=s["message"],
                attributes=s["attrs"],
                events=s["events"],
                resource=RESOURCE,
                scope="prodready",
                otel_kind="client" if s["kind"] in CLIENT_KINDS else "internal",
            )
        )
    return records


RESOURCE = {"service.name": "support-agent", "telemetry.sdk.language": "python"}


def _llm(b: _TraceBuilder, rng: random.Random, error: bool = False) -> None:
    model = rng.choices(MODELS, [6, 3, 1])[0]
    tokens_in, tokens_out = rng.randint(200, 3000), rng.randint(20, 600)
    b.child(
        f"chat {model}",
        "llm",
        900,
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
            "prodready.llm.cost_usd": round((tokens_in * 0.15 + tokens_out * 0.6) / 1e6, 6),
        },
        error=error,
    )


def _tools(b: _TraceBuilder, rng: random.Random) -> None:
    for _ in range(rng.choices([0, 1, 2, 3], [25, 45, 20, 10])[0]):
        tool = zipf_choice(rng, TOOLS, 0.8)
        for attempt in (1, 2):
            failed = rng.random() < (0.07 if attempt == 1 else 0.3)
            b.child(
                f"execute_tool {tool}",
                "tool",
                120,
                {
                    "gen_ai.tool.name": tool,
                    "prodready.tool.attempt": attempt,
                    "prodready.tool.outcome": "error" if failed else "ok",
                    "gen_ai.tool.call.arguments": f'{{"account": "acc-{rng.randint(1, 99999)}"}}',
                },
                error=failed,
            )
            if not failed:
                break
            if attempt == 1 and rng.random() < 0.3:
                b.unrecovered_error = True
                break
            if attempt == 2:
                b.unrecovered_error = True


def _release_for(rng: random.Random, day: float) -> str:
    """Releases ship every 5 days; the previous one keeps ~20% of traffic for a week."""
    newest = min(int(day // 5), len(RELEASES) - 1)
    if newest > 0 and rng.random() < 0.2:
        return RELEASES[newest - 1]
    return RELEASES[newest]


def generate(n_spans: int, end_ns: int, seed: int = 7) -> Iterator[list[Any]]:
    """Yield traces (lists of ``SpanRecord``) in time order until ``n_spans`` are made."""
    rng = random.Random(seed)
    start_ns = end_ns - DAYS * DAY_NS
    mean_spans = 6.8
    n_traces_est = int(n_spans / mean_spans)
    gap = DAYS * DAY_NS / n_traces_est
    t = float(start_ns)
    made = 0
    session = 0
    user = "u-00001"
    while made < n_spans:
        t += rng.expovariate(1 / gap)
        if session == 0 or rng.random() < 1 / 3:
            session += 1
            # 20% of sessions come from 100 heavy users, the rest from everyone.
            heavy = rng.random() < 0.2
            user = f"u-{rng.randint(1, 100 if heavy else N_USERS):05d}"
        day = (t - start_ns) / DAY_NS
        context = {
            "session": f"s-{session:07d}",
            "user": user,
            "release": _release_for(rng, day),
            "environment": rng.choices(["production", "ci", "dev"], [90, 5, 5])[0],
        }
        trace = build_trace(rng, min(int(t), end_ns - DAY_NS // 24), context)
        made += len(trace)
        yield trace
