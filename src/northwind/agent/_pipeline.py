"""The support turn: guardrails in, intent, escalation, retrieval, tools, answer, guardrails
out — every step a span of its kind under one ``agent`` span that carries the release."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, TypeVar

from northwind.agent import guardrails
from northwind.agent.playbook import PLAYS, Play
from northwind.agent.retrieval import Passage, PolicyIndex
from northwind.agent.tools import (
    CoreBanking,
    Described,
    ToolFailed,
    Tools,
    currencies_in,
    describe,
    pick_card,
    sentences,
)
from northwind.bank import Bank, UnknownIdError
from northwind.intents import IntentClassifier
from prodready import tracing
from prodready.models import ModelClient, client_from_env
from prodready.tracing import RetrievedDocument
from prodready.vocabulary import attributes as attrs

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEGRADED",
    "HANDOVER",
    "MODEL_ENV_PREFIX",
    "OUT_OF_SCOPE",
    "REFUSAL",
    "RELEASE",
    "Agent",
    "Reply",
]

log = logging.getLogger("northwind.agent")
T = TypeVar("T")

RELEASE: Final = "northwind@1.1.0"
"""The agent's release, stamped on every trace. 1.0.0 was the release whose client retried
core-banking lookups without an idempotency key (``Tools(idempotent=False)``)."""

DEFAULT_THRESHOLD: Final = 0.5
"""Escalate when the classifier's calibrated confidence is below this. On the development
split the model is right about half the time below 0.6 and 98.9% of the time above 0.93
(docs/reference-agent.md, reliability table); 0.5 hands over the guesses without sending
away the many right answers between 0.5 and 0.6."""

HANDOVER: Final = (
    "I want to be sure you get the right answer, so I have passed your question to a colleague, "
    "who will reply here shortly."
)
OUT_OF_SCOPE: Final = (
    "I can only help with your Northwind Bank account: cards, payments, top-ups, transfers, "
    "exchange and your account details. Is there something about your account I can help with?"
)
REFUSAL: Final = (
    "I can't act on instructions like that. I can help with your Northwind Bank account: "
    "cards, payments, top-ups, transfers, exchange and your account details."
)
DEGRADED: Final = "I couldn't check your account just now; please try again in a few minutes."

MODEL_ENV_PREFIX: Final = "NORTHWIND"
"""``NORTHWIND_MODEL`` (``provider:model``), ``NORTHWIND_BASE_URL`` and
``NORTHWIND_API_KEY`` configure an LLM for the answer step; without them the answer is
the grounded template."""

_SYSTEM_PROMPT: Final = (
    "You are Northwind Bank's support assistant. Answer the customer's question in at most "
    "three sentences, using only the policy passages and account facts given. Quote fees, "
    "limits and dates exactly as given. Never invent a figure. Never ask for card numbers."
)


@dataclass(frozen=True)
class Reply:
    """What the agent answered, and why."""

    text: str
    intent: str | None
    confidence: float | None
    escalated: bool
    reason: str | None = None
    """Why it escalated or refused, when it did."""
    tools: list[str] = field(default_factory=list)
    """Tools called (each once, whatever the attempts)."""
    trace_id: str | None = None
    alternatives: dict[str, float] = field(default_factory=dict)
    """The classifier's next intents after ``intent``, most likely first, with their
    probabilities (empty when the message was refused before classification)."""


@dataclass
class _Turn:
    """What one turn gathers as it goes."""

    text: str
    customer: str
    play: Play | None = None
    results: dict[str, Any] = field(default_factory=dict)
    described: list[tuple[str, Described]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Agent:
    """Northwind Bank's support agent.

    >>> agent = Agent(bank=Bank(".northwind/bank.sqlite"))
    >>> agent("I am still waiting on my card?", customer="C00042")
    'Standard delivery takes 3 to 5 working days ... Your new card ending 4821 ...'

    Args:
        bank: the core-banking database (default ``.northwind/bank.sqlite``).
        classifier: the intent classifier (default :meth:`IntentClassifier.load`).
        api: the bank's API (default a healthy :class:`CoreBanking` over ``bank``).
        tools: the agent's client for it (default :class:`Tools` over ``api``).
        index: policy retrieval (default :class:`PolicyIndex` over the shipped documents).
        threshold: escalate below this intent confidence.
        release: stamped on every trace.
        model: an LLM for the answer step (default: from ``NORTHWIND_MODEL``,
            ``NORTHWIND_BASE_URL`` and ``NORTHWIND_API_KEY`` in ``env``, else none).
        env: the environment read for the model (default ``os.environ``).
    """

    def __init__(
        self,
        *,
        bank: Bank | str | Path | None = None,
        classifier: IntentClassifier | None = None,
        api: CoreBanking | None = None,
        tools: Tools | None = None,
        index: PolicyIndex | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        release: str = RELEASE,
        model: ModelClient | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        if tools is None:
            if api is None:
                if not isinstance(bank, Bank):
                    bank = Bank(bank or Path(".northwind") / "bank.sqlite")
                api = CoreBanking(bank)
            tools = Tools(api)
        self.tools = tools
        self.classifier = classifier or IntentClassifier.load()
        self.index = index or PolicyIndex()
        self.threshold = threshold
        self.release = release
        self.model = model if model is not None else client_from_env(MODEL_ENV_PREFIX, env)

    def __call__(self, text: str, customer: str) -> str:
        """Answer ``text`` from the signed-in ``customer``; the text of :meth:`reply`."""
        return self.reply(text, customer).text

    def reply(self, text: str, customer: str, *, session: str | None = None) -> Reply:
        """Answer one message: the whole pipeline, traced as one ``agent`` span."""
        with tracing.span("northwind support turn", kind="agent") as root:
            root.set(
                {
                    attrs.RELEASE: self.release,
                    attrs.USER_ID: customer,
                    attrs.SESSION_ID: session,
                }
            )
            clean = guardrails.redact_input(text)
            # Only the redacted message is ever recorded (here and in every later step). The
            # input is the call's arguments, so a case made from this trace replays the call.
            root.input({"text": clean.text, "customer": customer})
            root.set(attrs.INPUT_KIND, "arguments")
            reply = self._turn(_Turn(clean.text, customer))
            root.output(reply.text)
            if reply.intent:
                root.set(attrs.INTENT_NAME, reply.intent)
            return replace(reply, trace_id=root.trace_id)

    def _turn(self, turn: _Turn) -> Reply:
        if guardrails.detect_injection(turn.text):
            return Reply(REFUSAL, None, None, False, "prompt injection")
        intent, confidence, alternatives = self._classify(turn.text)
        with tracing.guardrail("out_of_scope", stage="input") as span:
            outside = not guardrails.in_domain(turn.text) and confidence < self.threshold
            span.verdict(
                "block" if outside else "pass",
                "no banking subject and a low intent confidence" if outside else None,
            )
        if outside:
            return Reply(OUT_OF_SCOPE, None, confidence, False, "out of scope",
                         alternatives=alternatives)  # fmt: skip
        play = PLAYS.get(intent)
        if play is None or confidence < self.threshold:
            why = (
                f"intent confidence {confidence:.2f} below {self.threshold:.2f}"
                if play is not None
                else f"no play for intent {intent!r}"
            )
            with tracing.escalation(
                "low intent confidence" if play is not None else "unknown intent",
                score=round(confidence, 4),
                threshold=self.threshold,
            ) as span:
                span.set("northwind.alternatives", alternatives)
            return Reply(HANDOVER, intent, confidence, True, why, alternatives=alternatives)
        turn.play = play
        passages = self._retrieve(turn)
        self._call_tools(turn)
        escalated, reason = False, None
        if play.human:
            reason = f"intent {intent} needs a human"
            with tracing.escalation("intent needs a human", score=round(confidence, 4)):
                escalated = True
        text = self._answer(turn, passages)
        text = guardrails.redact_output(text).text
        tools_called = [t for t in play.tools if t in turn.results]
        return Reply(
            text, intent, confidence, escalated, reason, tools_called, alternatives=alternatives
        )

    def _classify(self, text: str) -> tuple[str, float, dict[str, float]]:
        with tracing.classification() as span:
            probabilities = self.classifier.predict_proba([text])[0]
            ranked = sorted(probabilities.items(), key=lambda kv: kv[1], reverse=True)
            intent, confidence = ranked[0]
            alternatives = {name: round(p, 4) for name, p in ranked[1:4]}
            span.intent(intent, round(confidence, 4), alternatives=alternatives)
            return intent, confidence, alternatives

    def _retrieve(self, turn: _Turn) -> list[Passage]:
        assert turn.play is not None
        with tracing.retrieval(turn.text, name="retrieve policy") as span:
            passages = self.index.search(turn.text, intent=turn.play.intent)
            span.documents(
                RetrievedDocument(
                    id=p.id, version=p.version, content_hash=p.content_hash, score=round(p.score, 4)
                )
                for p in passages
            )
            return passages

    def _call_tools(self, turn: _Turn) -> None:
        assert turn.play is not None
        for tool in turn.play.tools:
            arguments = self._arguments(tool, turn)
            if arguments is None:
                continue
            try:
                result = self.tools.call(tool, arguments)
            except ToolFailed as exc:
                log.warning("%s", exc)
                turn.failed.append(tool)
                continue
            except UnknownIdError as exc:
                log.warning("%s: %s", tool, exc)
                turn.failed.append(tool)
                continue
            turn.results[tool] = result
            turn.described.append((tool, describe(tool, result, arguments)))

    def _arguments(self, tool: str, turn: _Turn) -> dict[str, Any] | None:
        if tool == "block_card":
            card = pick_card(turn.results.get("card_status") or [])
            return None if card is None else {"card_id": card.card_id}
        if tool == "exchange_rate":
            source, target = currencies_in(turn.text)
            return {"from_currency": source, "to_currency": target}
        return {"customer_id": turn.customer}

    def _answer(self, turn: _Turn, passages: list[Passage]) -> str:
        assert turn.play is not None
        said = sentences(turn.described)
        template = " ".join([turn.play.render(), *(d.sentence for d in said)])
        if turn.failed:
            template += " " + DEGRADED
        if self.model is None:
            with tracing.step("answer from template") as span:
                span.set("northwind.play", turn.play.intent)
                span.output(template)
                return template
        sources = [p.text for p in passages] + [d.sentence for d in said]
        try:
            text = _run(self._ask_model(turn, passages, said))
        except Exception as exc:  # any model failure: the grounded template still answers
            log.warning("answer model failed, using the template: %s", exc)
            return template
        if guardrails.check_grounding(text, sources):
            return template
        return text

    async def _ask_model(self, turn: _Turn, passages: list[Passage], said: list[Described]) -> str:
        assert self.model is not None
        context = "\n\n".join(f"[{p.id}] {p.section}: {p.text}" for p in passages)
        facts = "\n".join(d.sentence for d in said) or "(none)"
        messages = [
            {"role": "system", "content": _SYSTEM_PROMPT},
            {
                "role": "user",
                "content": f"Policy passages:\n{context}\n\nAccount facts:\n{facts}\n\n"
                f"Customer: {turn.text}",
            },
        ]
        completion = await self.model.complete(messages, temperature=0.0, max_tokens=300)
        return completion.text.strip()


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from sync code, inside a running loop or not."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # Inside an event loop: run it on a thread of its own, in this context (the trace).
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()
