"""A small traced support agent: what ``suite.py`` beside it evaluates.

It classifies the question, hands legal threats to a human, looks the card up with a tool
and answers from a fixed policy: just enough behaviour for checks (facts), behaviour
scorers (escalation, repeated tool calls) and the gate to have something to measure.
"""

from __future__ import annotations

import prodready
from prodready import tracing

POLICY = {
    "card_arrival": "A new card arrives within 5 working days of the order.",
    "lost_card": "Freeze the card in the app now; a replacement arrives within 5 working days.",
    "top_up_fee": "A top up by debit card is free; by credit card it costs 0.5%.",
}


def classify(question: str) -> tuple[str, float]:
    """The question's intent and a confidence, by keyword (a real agent asks a model)."""
    text = question.lower()
    if "sue" in text or "lawyer" in text:
        return "legal_threat", 0.9
    if "stolen" in text or "lost" in text:
        return "lost_card", 0.9
    if "top up" in text or "top-up" in text:
        return "top_up_fee", 0.85
    return "card_arrival", 0.6


@prodready.trace(kind="agent")
def answer(question: str) -> str:
    """Answer one customer question, traced as an agent span with its steps inside."""
    with tracing.classification() as c:
        intent, confidence = classify(question)
        c.intent(intent, confidence)
    if intent == "legal_threat":
        with prodready.span("hand over to a colleague", kind="escalation"):
            return "I have passed this to a colleague, who will contact you today."
    if intent in ("card_arrival", "lost_card"):
        with tracing.tool_call("card_status", {"customer": "c-42"}) as t:
            t.outcome("ok", {"card": "shipped"})
    return POLICY[intent]
