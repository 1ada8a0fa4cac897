"""The agent's core-banking tools: the bank's API, the agent's client for it, and the sentence
each result adds to an answer.

Two sides, as in a real deployment:

- :class:`CoreBanking` is the bank's API in front of the database. Each request runs one
  query, traced as a ``core_banking.query`` tool span (what the bank's own service would
  report), and it honours idempotency keys: a request repeated with the key of one it already
  answered is served from its response store without touching the database. ``timeouts=N``
  makes it flaky the way the demo's incident was: for each distinct request the query runs,
  but the first ``N`` responses are lost on the way back and the caller times out.
- :class:`Tools` is the agent's client: one ``execute_tool`` span per attempt (with the
  attempt number and outcome), retries on timeouts with exponential backoff and jitter
  (tenacity), and, with ``idempotent=True`` (the default), an idempotency key per call that
  stays the same across its retries plus a short-lived cache of read-only lookups.
  ``idempotent=False`` is the first release's client, which retried without a key: on a flaky
  API every retry ran the query again.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from northwind.bank import TODAY, Balance, Bank, CardStatus, TopUpStatus, TransferStatus
from northwind.bank._facts import RATES_PER_GBP
from prodready import tracing

__all__ = [
    "CoreBanking",
    "CoreBankingTimeout",
    "Described",
    "ToolFailed",
    "Tools",
    "currencies_in",
    "describe",
    "money",
    "pick_card",
    "say_date",
    "sentences",
]

_READ_ONLY: Final = frozenset(
    {"card_status", "recent_transfer", "recent_top_up", "balance", "exchange_rate"}
)


class CoreBankingTimeout(TimeoutError):
    """The core-banking API did not answer in time (the query may have run)."""


class ToolFailed(RuntimeError):
    """A tool call failed on every attempt; ``attempts`` says how many were made."""

    def __init__(self, tool: str, attempts: int, cause: BaseException) -> None:
        super().__init__(f"{tool} failed after {attempts} attempt(s): {cause}")
        self.tool = tool
        self.attempts = attempts
        self.cause = cause


# --- the bank's side ---------------------------------------------------------------------------


class CoreBanking:
    """The bank's API over a :class:`~northwind.bank.Bank`.

    Args:
        bank: the database's tools.
        timeouts: for each distinct request, how many responses are lost before one arrives
            (0: a healthy API). The query runs every time; only the answer is lost.
        delay: seconds a lost response keeps the caller waiting before it times out.
    """

    def __init__(self, bank: Bank, *, timeouts: int = 0, delay: float = 0.0) -> None:
        self.bank = bank
        self.timeouts = timeouts
        self.delay = delay
        self.queries = 0
        """Database queries run, in all."""
        self._lost: dict[str, int] = {}
        self._responses: dict[str, Any] = {}
        self._lock = threading.Lock()

    def request(
        self, operation: str, arguments: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Any:
        """Run ``operation`` (a :class:`Bank` method) with ``arguments``.

        Raises:
            CoreBankingTimeout: the response was lost (the query may still have run).
            LookupError: an unknown id (``UnknownIdError``).
        """
        request_key = _key(operation, arguments)
        if idempotency_key is not None and idempotency_key in self._responses:
            tracing.current_span().event(
                "core_banking.idempotent_replay", {"idempotency_key": idempotency_key}
            )
            result = self._responses[idempotency_key]
        else:
            with tracing.tool_call(
                "core_banking.query", {"operation": operation, **arguments}
            ) as span:
                method: Callable[..., Any] = getattr(self.bank, operation)
                result = method(**arguments)
                span.outcome("ok")
                with self._lock:
                    self.queries += 1
            if idempotency_key is not None:
                self._responses[idempotency_key] = result
        with self._lock:
            lost = self._lost.get(request_key, 0)
            if lost < self.timeouts:
                self._lost[request_key] = lost + 1
                late = True
            else:
                late = False
        if late:
            if self.delay:
                time.sleep(self.delay)
            raise CoreBankingTimeout(f"core banking did not answer {operation} in time")
        return result


# --- the agent's side --------------------------------------------------------------------------


class Tools:
    """The agent's client for :class:`CoreBanking`: traced attempts, retries, idempotency.

    Args:
        api: the bank's API.
        attempts: attempts per call (the first included).
        backoff: first retry wait in seconds; it doubles per retry, with jitter, up to 8x.
        idempotent: send an idempotency key that is the same for every retry of one lookup,
            and cache read-only lookups for ``cache_seconds``.
        cache_seconds: how long a read-only lookup's result is reused.
        clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        api: CoreBanking,
        *,
        attempts: int = 3,
        backoff: float = 0.005,
        idempotent: bool = True,
        cache_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.api = api
        self.attempts = attempts
        self.backoff = backoff
        self.idempotent = idempotent
        self.cache_seconds = cache_seconds if idempotent else 0.0
        self._clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def call(self, tool: str, arguments: Mapping[str, Any]) -> Any:
        """Call ``tool`` with ``arguments``; each attempt is an ``execute_tool`` span.

        With ``idempotent``, the call gets a fresh idempotency key that all its retries
        share: a retry is the same request, a later call is a new one.

        Raises:
            ToolFailed: every attempt timed out.
            LookupError: an unknown id (not retried).
        """
        args = dict(arguments)
        key = _key(tool, args)
        cacheable = self.cache_seconds > 0 and tool in _READ_ONLY
        if cacheable:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None and self._clock() - hit[0] <= self.cache_seconds:
                with tracing.tool_call(tool, args, attributes={"northwind.cache": "hit"}) as span:
                    span.outcome("ok", _jsonable(hit[1]))
                return hit[1]
        idempotency_key = f"nw-{uuid.uuid4().hex}" if self.idempotent else None
        attempt = 0
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.backoff, max=self.backoff * 8, jitter=self.backoff
            ),
            retry=retry_if_exception_type(CoreBankingTimeout),
            reraise=False,
        )
        try:
            for trying in retrying:
                with trying:
                    attempt = trying.retry_state.attempt_number
                    result = self._attempt(tool, args, attempt, idempotency_key)
        except RetryError as exc:
            cause = exc.last_attempt.exception() or exc
            raise ToolFailed(tool, attempt, cause) from cause
        with self._lock:
            if cacheable:
                self._cache[key] = (self._clock(), result)
            elif tool not in _READ_ONLY:
                self._cache.clear()  # a write (block_card): what was read may have changed
        return result

    def _attempt(
        self, tool: str, args: dict[str, Any], attempt: int, idempotency_key: str | None
    ) -> Any:
        extra = {"northwind.idempotency_key": idempotency_key} if idempotency_key else None
        with tracing.tool_call(tool, args, attempt=attempt, attributes=extra) as span:
            try:
                result = self.api.request(tool, args, idempotency_key=idempotency_key)
            except CoreBankingTimeout as exc:
                span.outcome("timeout").error(exc)
                raise
            except LookupError as exc:
                span.outcome("error").error(exc)
                raise
            span.outcome("ok", _jsonable(result))
            return result


def _key(tool: str, args: Mapping[str, Any]) -> str:
    return tool + json.dumps(args, sort_keys=True, default=str)


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


# --- what a result adds to an answer -------------------------------------------------------------


@dataclass(frozen=True)
class Described:
    """The sentence a tool result adds to an answer, and the facts in it a grader checks."""

    sentence: str
    facts: list[str]


_SYMBOLS: Final = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(amount: Decimal, currency: str) -> str:
    """``£1,234.50`` and ``-£12.00``; currencies without a symbol as ``1,234.50 CHF``."""
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def say_date(day: date | datetime) -> str:
    """``5 January 2026``."""
    return f"{day.day} {day:%B %Y}"


def pick_card(cards: Sequence[CardStatus]) -> CardStatus | None:
    """The card a question is most likely about: a physical card on its way, else an active
    physical card, else an active virtual card, else the newest card."""
    for wanted in (("physical", "ordered"), ("physical", "active"), ("virtual", "active")):
        for card in reversed(cards):
            if (card.kind, card.status) == wanted:
                return card
    return cards[-1] if cards else None


def describe(tool: str, result: Any, arguments: Mapping[str, Any] | None = None) -> Described:
    """The sentence (and its checkable facts) that ``tool``'s ``result`` adds to an answer.

    ``arguments`` are the call's; ``exchange_rate`` needs them (``from_currency``,
    ``to_currency``) to say which rate it is.
    """
    if tool == "card_status":
        card = pick_card(result)
        if card is None:
            return Described("I can't see a card on your account yet.", [])
        kind = "virtual card" if card.kind == "virtual" else "card"
        if card.status == "ordered" and card.expected_delivery is not None:
            when = say_date(card.expected_delivery)
            due = "was due by" if card.expected_delivery < TODAY else "should arrive by"
            return Described(
                f"Your new {kind} ending {card.last4} was ordered on {say_date(card.ordered_on)}"
                f" and {due} {when}.",
                [card.last4, when],
            )
        if card.status == "active":
            until = f"{card.expires_on:%B %Y}"
            return Described(
                f"Your {kind} ending {card.last4} is active and valid until {until}.",
                [card.last4, until],
            )
        return Described(f"Your {kind} ending {card.last4} is {card.status}.", [card.last4])
    if tool == "block_card":
        card = result
        return Described(
            f"I have blocked your card ending {card.last4}; no new payments can be made with it.",
            [card.last4, "blocked"],
        )
    if tool == "recent_transfer":
        if result is None:
            return Described("I can't see any transfer from your account.", [])
        return _transfer_sentence(result)
    if tool == "recent_top_up":
        if result is None:
            return Described("I can't see any top-up on your account.", [])
        return _top_up_sentence(result)
    if tool == "balance":
        b: Balance = result
        available, pending = money(b.available, b.currency), money(abs(b.pending), b.currency)
        if b.pending < 0:
            tail = f"payments of {pending} are still pending"
        elif b.pending > 0:
            tail = f"{pending} of incoming money is still pending"
        else:
            tail = "nothing is pending"
        return Described(
            f"Your available balance is {available}, and {tail}.",
            [available, pending] if b.pending else [available],
        )
    if tool == "exchange_rate":
        if arguments is None:
            raise ValueError("describe('exchange_rate', ...) needs the call's arguments")
        rate = f"{Decimal(result).normalize():f}"
        source, target = arguments["from_currency"], arguments["to_currency"]
        return Described(f"Today's rate is 1 {source} = {rate} {target}.", [rate])
    raise ValueError(f"unknown tool {tool!r}")


def sentences(calls: Sequence[tuple[str, Described]]) -> list[Described]:
    """What an answer says about its tool calls, in order: each call's sentence, except a
    card lookup that only chose the card a ``block_card`` then blocked (the card is not
    "active" any more by the time the customer reads it)."""
    blocking = any(tool == "block_card" for tool, _ in calls)
    return [d for tool, d in calls if not (blocking and tool == "card_status")]


_ENDED: Final = {
    "completed": "has been completed",
    "failed": "failed",
    "declined": "was declined",
    "cancelled": "was cancelled",
    "reverted": "was reverted",
}


def _transfer_sentence(t: TransferStatus) -> Described:
    amount = money(t.amount, t.currency)
    sent = say_date(t.created_at)
    head = f"Your latest transfer of {amount} to {t.beneficiary}, sent on {sent},"
    if t.status == "pending":
        by = say_date(t.expected_by)
        if t.expected_by.date() < TODAY:
            return Described(f"{head} is still pending; it was due by {by}.", [amount, by])
        return Described(f"{head} is pending and should arrive by {by}.", [amount, by])
    ended = _ENDED.get(t.status, f"is {t.status}")
    return Described(f"{head} {ended}.", [amount, t.status])


def _top_up_sentence(t: TopUpStatus) -> Described:
    amount = money(t.amount, t.currency)
    methods = {"card": "by card", "bank_transfer": "by bank transfer"}
    method = methods.get(t.method, f"by {t.method.replace('_', ' ')}")
    head = f"Your latest top-up of {amount} {method}, made on {say_date(t.created_at)},"
    ended = "is pending" if t.status == "pending" else _ENDED.get(t.status, f"is {t.status}")
    return Described(f"{head} {ended}.", [amount, t.status])


_CURRENCY_NAMES: Final = {
    "pound": "GBP",
    "pounds": "GBP",
    "sterling": "GBP",
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "franc": "CHF",
    "francs": "CHF",
    "zloty": "PLN",
    "yen": "JPY",
    "krona": "SEK",
    "kronor": "SEK",
    "krone": "NOK",
    "forint": "HUF",
}
_CODE: Final = re.compile(r"\b[A-Za-z]{3}\b")


def currencies_in(text: str) -> tuple[str, str]:
    """The two currencies a question names, in the order named (``("GBP", "EUR")`` when it
    names none; with one, from GBP to it, or from it to GBP if it is GBP)."""
    found: list[str] = []
    for match in re.finditer(r"[A-Za-z]+|[£€$]", text):
        word = match.group(0)
        code = {"£": "GBP", "€": "EUR", "$": "USD"}.get(word)
        # an ISO code: upper case, or one of the three people type in lower case
        iso = _CODE.fullmatch(word) and word.upper() in RATES_PER_GBP
        if code is None and iso and (word.isupper() or word.lower() in ("gbp", "eur", "usd")):
            code = word.upper()
        if code is None:
            code = _CURRENCY_NAMES.get(word.lower())
        if code is not None and code not in found:
            found.append(code)
    if not found:
        return ("GBP", "EUR")
    if len(found) == 1:
        return ("GBP", found[0]) if found[0] != "GBP" else ("GBP", "EUR")
    return (found[0], found[1])
