"""The judge role: ask one or more graders for a structured verdict and take the majority.

A judge asks for ``{"verdict": "pass" | "fail", "score": 0..1, "reason": "..."}``. A reply
that does not parse is answered with the parse error and asked again (``parse_retries``
times). ``samples`` repeats each grader's question; every vote counts once, the majority
verdict wins, a tie fails (a judge that cannot decide does not pass a case).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from prodready.models._client import Completion, Message, ModelClient, ModelError

PARSER_VERSION = "1"
"""Bump when :func:`parse_verdict` changes what it accepts: it is part of a judge's identity."""

REPLY_FORMAT = (
    'Reply with only a JSON object: {"verdict": "pass" or "fail", '
    '"score": a number from 0 to 1, "reason": "one or two sentences"}.'
)
_JSON_MODE = {"type": "json_object"}
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)

VerdictLabel = Literal["pass", "fail"]


class JudgeParseError(ValueError):
    """A judge's reply is not the JSON verdict it was asked for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedVerdict:
    """What one reply said."""

    verdict: VerdictLabel
    score: float
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Vote:
    """One grader's verdict on one sample."""

    grader: str
    sample: int
    verdict: VerdictLabel
    score: float
    reason: str
    parse_retries: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Ruling:
    """The majority of a judge's votes, and what asking cost."""

    passed: bool
    score: float
    """Mean score of the votes on the winning side."""
    reason: str
    votes: tuple[Vote, ...]
    agreement: float
    """Share of votes on the winning side (1.0 when unanimous)."""
    tie: bool
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None

    def metadata(self) -> dict[str, Any]:
        """JSON-ready detail for ``Score.metadata``: votes, disagreement, usage."""
        return {
            "votes": [
                {"grader": v.grader, "sample": v.sample, "verdict": v.verdict, "score": v.score,
                 "reason": v.reason, "parse_retries": v.parse_retries}
                for v in self.votes
            ],
            "agreement": self.agreement,
            "disagreement": self.agreement < 1.0,
            "tie": self.tie,
            "usage": {
                "requests": self.requests,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cost_usd": self.cost_usd,
            },
        }  # fmt: skip


def parse_verdict(text: str) -> ParsedVerdict:
    """Read a verdict from a reply: the JSON object, inside a code fence or prose if need be.

    A missing ``score`` is 1.0 for pass and 0.0 for fail; a missing ``reason`` is empty.

    Raises:
        JudgeParseError: no JSON object, or a verdict or score out of range (the message is
            what the judge is told when it is asked again).
    """
    body = text.strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1)
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise JudgeParseError("the reply holds no JSON object")
    try:
        obj = orjson.loads(body[start : end + 1])
    except orjson.JSONDecodeError as exc:
        raise JudgeParseError(f"the JSON object is invalid ({exc})") from None
    if not isinstance(obj, dict):
        raise JudgeParseError("the reply is JSON but not an object")
    verdict = str(obj.get("verdict", "")).strip().lower()
    if verdict not in ("pass", "fail"):
        raise JudgeParseError(f'"verdict" must be "pass" or "fail", got {obj.get("verdict")!r}')
    raw = obj.get("score", 1.0 if verdict == "pass" else 0.0)
    try:
        score = float(raw)
    except (TypeError, ValueError):
        raise JudgeParseError(f'"score" must be a number from 0 to 1, got {raw!r}') from None
    if isinstance(raw, bool) or not 0.0 <= score <= 1.0:
        raise JudgeParseError(f'"score" must be a number from 0 to 1, got {raw!r}')
    label: VerdictLabel = "pass" if verdict == "pass" else "fail"
    return ParsedVerdict(verdict=label, score=score, reason=str(obj.get("reason") or ""))


class Judge:
    """Graders, samples and parse retries: turns chat messages into a :class:`Ruling`.

    Args:
        graders: one or more model clients; each casts ``samples`` votes.
        samples: votes per grader. Above one, votes are sampled at ``temperature``.
        temperature: default 0 for a single vote, 0.7 when sampling several.
        parse_retries: how many times a reply that does not parse is asked again.
    """

    def __init__(
        self,
        graders: Sequence[ModelClient],
        *,
        samples: int = 1,
        temperature: float | None = None,
        parse_retries: int = 2,
        max_tokens: int | None = None,
    ) -> None:
        if not graders:
            raise ValueError("a judge needs at least one grader")
        if samples < 1 or parse_retries < 0:
            raise ValueError("samples must be >= 1 and parse_retries >= 0")
        self.graders = list(graders)
        self.samples = samples
        self.temperature = temperature if temperature is not None else (
            0.0 if samples == 1 else 0.7
        )  # fmt: skip
        self.parse_retries = parse_retries
        self.max_tokens = max_tokens

    async def rule(self, messages: Sequence[Message]) -> Ruling:
        """Ask every grader ``samples`` times (concurrently) and take the majority."""
        completions: list[Completion] = []
        votes = await asyncio.gather(
            *(
                self._vote(grader, i, messages, completions)
                for grader in self.graders
                for i in range(self.samples)
            )
        )
        return _majority(votes, completions)

    async def _vote(
        self, grader: ModelClient, sample: int, messages: Sequence[Message], log: list[Completion]
    ) -> Vote:
        history = list(messages)
        error: JudgeParseError | None = None
        for retry in range(self.parse_retries + 1):
            completion = await self._ask(grader, history, seed=sample if self.samples > 1 else None)
            log.append(completion)
            try:
                parsed = parse_verdict(completion.text)
            except JudgeParseError as exc:
                error = exc
                history += [
                    {"role": "assistant", "content": completion.text},
                    {"role": "user", "content": f"Your reply could not be read: {exc}. "
                     + REPLY_FORMAT},
                ]  # fmt: skip
                continue
            return Vote(
                grader=grader.qualified_model,
                sample=sample,
                verdict=parsed.verdict,
                score=parsed.score,
                reason=parsed.reason,
                parse_retries=retry,
            )
        raise JudgeParseError(
            f"{grader.qualified_model} gave no readable verdict in {self.parse_retries + 1} "
            f"attempts: {error}"
        )

    async def _ask(
        self, grader: ModelClient, history: list[Message], *, seed: int | None
    ) -> Completion:
        fmt = _JSON_MODE if grader.json_mode else None
        try:
            return await grader.complete(
                history, temperature=self.temperature, max_tokens=self.max_tokens,
                response_format=fmt, seed=seed,
            )  # fmt: skip
        except ModelError as exc:
            if fmt is None or exc.status != 400 or "response_format" not in (exc.body or ""):
                raise
        grader.json_mode = False  # the endpoint refuses JSON mode: the prompt asks for JSON
        return await grader.complete(
            history, temperature=self.temperature, max_tokens=self.max_tokens, seed=seed
        )


def _majority(votes: Sequence[Vote], completions: Sequence[Completion]) -> Ruling:
    passes = sum(v.verdict == "pass" for v in votes)
    fails = len(votes) - passes
    passed = passes > fails
    winners = [v for v in votes if (v.verdict == "pass") == passed]
    costs = [c.cost_usd for c in completions]
    return Ruling(
        passed=passed,
        score=sum(v.score for v in winners) / len(winners),
        reason=winners[0].reason,
        votes=tuple(votes),
        agreement=len(winners) / len(votes),
        tie=passes == fails,
        requests=len(completions),
        input_tokens=sum(c.input_tokens or 0 for c in completions),
        output_tokens=sum(c.output_tokens or 0 for c in completions),
        cost_usd=None if any(c is None for c in costs) else sum(c or 0.0 for c in costs),
    )
