"""A small traced bank-support agent: what `make demo` runs until `northwind` exists.

It answers five real customer queries (from BANKING77, CC BY 4.0, PolyAI) with the steps a
production agent takes — input guardrail, intent classification with confidence, escalation
when unsure, policy retrieval, a core-banking tool call that sometimes fails and is retried,
a grounded answer, output guardrail — and traces each step with prodready. Then it prints one
trace tree and the store's statistics, and says where to look next.

Run: ``make demo`` (or ``.venv/bin/python examples/quickstart.py``).
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass

import prodready
from prodready import tracing
from prodready.store import Store, TraceQuery

RELEASE = "quickstart-agent@0.1.0"

# Five customer messages from the BANKING77 training split (CC BY 4.0, PolyAI).
QUERIES = [
    "I am still waiting on my card?",
    "My card was stolen, what should I do?",
    "What are the fees for a top up?",
    "Why was I charged an extra fee when I paid with my card abroad?",
    "Can I get a virtual card? and is there a fee",
]

POLICIES = {
    "card_arrival": "Cards arrive within 5 working days of ordering. Track yours in the app.",
    "lost_or_stolen_card": "Freeze the card in the app at once; we block it and send a new one.",
    "top_up_by_card_charge": "Top ups by debit card are free; by credit card a 0.5% fee applies.",
    "card_payment_fee_charged": "Payments abroad in another currency carry a 1% exchange fee.",
}

INTENT_KEYWORDS = {
    "card_arrival": ("waiting", "arrive", "delivery", "still"),
    "lost_or_stolen_card": ("stolen", "lost"),
    "top_up_by_card_charge": ("top up", "top-up"),
    "card_payment_fee_charged": ("abroad", "extra fee", "charged"),
}

ESCALATE_BELOW = 0.5


@dataclass(frozen=True)
class Intent:
    label: str
    confidence: float


def classify(text: str) -> Intent:
    """Keyword scores turned into a confidence: enough to show the shape of the span."""
    with tracing.classification() as span:
        lowered = text.lower()
        hits = {k: sum(w in lowered for w in words) for k, words in INTENT_KEYWORDS.items()}
        total = sum(hits.values())
        label = max(hits, key=lambda k: hits[k])
        confidence = hits[label] / total if total else 0.0
        others = {k: v / total for k, v in hits.items() if v and k != label} if total else {}
        span.intent(label if total else "unknown", round(confidence, 2), alternatives=others)
        return Intent(label if total else "unknown", confidence)


def retrieve(intent: Intent, query: str) -> str | None:
    with tracing.retrieval(query) as span:
        text = POLICIES.get(intent.label)
        if text is None:
            span.documents([])
            return None
        digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
        span.documents(
            [
                tracing.RetrievedDocument(
                    id=f"policy/{intent.label}", version="3", content_hash=digest, score=0.82
                )
            ]
        )
        return text


class FlakyCoreBanking:
    """A core-banking API whose first call of each kind times out, like a cold upstream."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def card_status(self, customer: str) -> dict[str, str]:
        self.calls["card_status"] = self.calls.get("card_status", 0) + 1
        if self.calls["card_status"] == 1:
            raise TimeoutError("core banking did not answer in 2 s")
        return {"customer": customer, "card": "shipped", "eta_days": "2"}


def card_status(api: FlakyCoreBanking, customer: str) -> dict[str, str]:
    for attempt in (1, 2, 3):
        with tracing.tool_call("card_status", {"customer": customer}, attempt=attempt) as span:
            try:
                result = api.card_status(customer)
            except TimeoutError as exc:
                span.outcome("timeout").error(exc)
                continue
            span.outcome("ok", result)
            return result
    raise RuntimeError("card_status failed three times")


def guard_input(text: str) -> None:
    with tracing.guardrail("prompt_injection", stage="input") as span:
        bad = re.search(r"ignore (all|previous) instructions", text, re.I)
        span.verdict("block" if bad else "pass", "injection pattern" if bad else None)


def guard_output(text: str) -> str:
    with tracing.guardrail("card_number", stage="output") as span:
        if re.search(r"\b\d{16}\b", text):
            span.verdict("redact", "card number in answer")
            return re.sub(r"\b\d{16}\b", "[card]", text)
        span.verdict("pass")
        return text


@prodready.trace(kind="agent", name="support turn")
def answer(query: str, *, customer: str, api: FlakyCoreBanking) -> str:
    guard_input(query)
    intent = classify(query)
    if intent.confidence < ESCALATE_BELOW:
        with prodready.span("escalate to human", kind="escalation") as span:
            span.set(
                {
                    "prodready.escalation.reason": "low intent confidence",
                    "prodready.intent.confidence": round(intent.confidence, 2),
                }
            )
        return "I've passed your question to a colleague who will reply shortly."
    policy = retrieve(intent, query)
    facts = card_status(api, customer) if intent.label == "card_arrival" else None
    with tracing.llm_call("template", provider="prodready", operation="generate_content") as call:
        text = policy or "Let me find out for you."
        if facts:
            text += f" Your card is {facts['card']}; expect it within {facts['eta_days']} days."
        call.usage(input_tokens=len(query.split()), output_tokens=len(text.split()), cost=0.0)
        call.output(text)
    return guard_output(text)


def main() -> int:
    config = prodready.configure(release=RELEASE)
    api = FlakyCoreBanking()
    print(f"prodready demo: a traced support agent, release {RELEASE}\n")
    trace_ids = []
    for i, query in enumerate(QUERIES):
        who = {"session": f"demo-session-{i // 2}", "user": f"customer-{i}"}
        with prodready.context(**who), prodready.span("conversation", kind="workflow") as conv:
            reply = answer(query, customer=f"customer-{i}", api=api)
        trace_ids.append(conv.trace_id)
        print(f"  customer: {query}\n  agent:    {reply}\n")
    prodready.flush()
    store = config.store
    assert store is not None
    show_one(store, trace_ids[0])
    summarize(store)
    prodready.shutdown()
    return 0


def show_one(store: Store, trace_id: str) -> None:
    from prodready.cli import app

    print("The first conversation's trace (note the retried tool call):\n")
    app(["--store", store.url, "traces", "show", trace_id], standalone_mode=False)


def summarize(store: Store) -> None:
    stats = store.stats(TraceQuery(release=RELEASE))
    print(
        f"\n{stats.trace_count} traces of {RELEASE} in {store.url}: "
        f"error rate {stats.error_rate:.0%}, p95 {stats.p95_ms or 0:.1f} ms, "
        f"{tracing.stats().dropped} spans dropped."
    )
    print(
        "\nLook further:\n"
        "  .venv/bin/prodready traces list                  # every trace, newest first\n"
        "  .venv/bin/prodready traces list --kind escalation\n"
        f"  .venv/bin/prodready traces show {store.list_traces()[0].trace_id[:12]}\n"
        "  .venv/bin/prodready traces stats\n"
        "  .venv/bin/prodready serve                        # OTLP ingest + API on :4318\n"
    )


if __name__ == "__main__":
    sys.exit(main())
