"""The agent's guardrails: PII redaction, prompt-injection and out-of-scope detection on the
way in; PII and grounding checks on the way out. Each check is a ``guardrail`` span with its
stage, verdict and reason — and a reason never quotes the PII it found.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from prodready import tracing
from prodready.data import detect_pii, redact_pii

__all__ = [
    "INJECTION_PATTERNS",
    "Redacted",
    "check_grounding",
    "detect_injection",
    "in_domain",
    "redact_input",
    "redact_output",
]


@dataclass(frozen=True)
class Redacted:
    """A text with its PII replaced by ``[kind]`` markers, and the kinds found."""

    text: str
    kinds: Counter[str]


def _kinds_said(kinds: Counter[str]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))


def _redact(text: str, stage: str) -> Redacted:
    with tracing.guardrail("pii", stage=stage) as span:
        matches = detect_pii(text)
        kinds: Counter[str] = Counter(str(m.kind) for m in matches)
        if not matches:
            span.verdict("pass")
            return Redacted(text, kinds)
        span.verdict("redact", f"redacted {_kinds_said(kinds)}")
        return Redacted(redact_pii(text), kinds)


def redact_input(text: str) -> Redacted:
    """Redact PII from a customer's message before anything else sees or records it."""
    return _redact(text, "input")


def redact_output(text: str) -> Redacted:
    """Redact PII an answer would otherwise show (a model may echo what it was told)."""
    return _redact(text, "output")


INJECTION_PATTERNS: Final[tuple[re.Pattern[str], ...]] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override)\b.{0,30}\b(instructions?|rules|prompts?|guidelines)",
        r"\b(system|developer|hidden)\s+(prompt|message|instructions?)\b",
        r"\byou\s+are\s+now\b|\bact\s+as\s+(an?\s+)?(unrestricted|different|new)\b",
        r"\b(jailbreak|DAN mode|developer mode)\b",
        r"\b(reveal|print|show|repeat)\b.{0,20}\b(your|the)\s+(instructions|prompt|rules)\b",
        r"</?(system|assistant|instructions?)>",
    )
)
"""Known shapes of prompt injection: instructions to drop instructions, role switches,
requests for the hidden prompt, and fake chat-role tags."""


def detect_injection(text: str) -> str | None:
    """The injection pattern ``text`` matches (as a span reason), or ``None``."""
    with tracing.guardrail("prompt_injection", stage="input") as span:
        for pattern in INJECTION_PATTERNS:
            if pattern.search(text):
                span.verdict("block", "matches an injection pattern")
                return pattern.pattern
        span.verdict("pass")
        return None


# Stems of the words a bank-support question names its subject with, read off BANKING77's
# training queries (the most frequent content words, general ones removed). A question with
# none of them and a low intent confidence is not about banking.
_DOMAIN_STEMS: Final = frozenset(
    """
    account activat addres adres age american amount app apple atm auto balanc bank beneficiar
    bill birth block bought card cash charg cheque child close code contactless convert cost
    courier credit currenc daughter debit declin deliver deposit detail disposabl earn email eur
    exchang expir fee fiat foreign fraud freez fund gas gbp google id ident inform kid licen
    limit log lost machin marri mastercard merchant money name old order paid passcod passport
    password pay pend personal phone pin pound prove purchas rate receipt receiv reciept refund
    retailer revert salar send sent son spare statement stolen swallow top track transact
    transfer unblock usd verif virtual visa wallet withdr
    """.split()  # noqa: SIM905 - a word list reads better as words
)
_WORD: Final = re.compile(r"[a-z]+")
_MONEY: Final = re.compile(r"[£$€]\s?\d|\d\s?(?:pounds|euros?|dollars)\b")


def in_domain(text: str) -> bool:
    """Whether ``text`` names a banking subject: a word starting with a domain stem, or an
    amount of money."""
    if _MONEY.search(text):
        return True
    for word in _WORD.findall(text.lower()):
        for size in range(2, min(len(word), 11) + 1):
            if word[:size] in _DOMAIN_STEMS:
                return True
    return False


_NUMBER: Final = re.compile(r"\d[\d,]*(?:\.\d+)?")


def check_grounding(answer: str, sources: Iterable[str]) -> list[str]:
    """The numbers in ``answer`` that appear in none of ``sources`` (policy passages and tool
    results): an answer may state only figures it was given. Empty: grounded."""
    known = {n.replace(",", "") for source in sources for n in _NUMBER.findall(source)}
    with tracing.guardrail("grounding", stage="output") as span:
        unknown = [n for n in _NUMBER.findall(answer) if n.replace(",", "") not in known]
        if unknown:
            span.verdict("fail", f"{len(unknown)} figure(s) not in the sources: {unknown[:5]}")
        else:
            span.verdict("pass")
        return unknown
