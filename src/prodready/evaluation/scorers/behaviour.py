"""Layer 3, behaviour: what the agent did, read from the run's span tree (``result.trace``).

A run without a trace cannot be judged on behaviour: every scorer here then errors with
"no trace: behaviour scorers need the run's trace" (an error score, never a pass). Nor can a
run whose trace is incomplete (``TraceSummary.incomplete``: its root span was never stored,
so spans may be missing too): the error then says "trace incomplete: no root span stored".

Tool calls are compared by tool name and *normalised* arguments (:func:`normalise_arguments`).
A call that repeats a failed call (outcome ``error`` or ``timeout``, or an error status) after
it ended is a *retry*, not a duplicate; retries are what :func:`retry_storm` limits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from prodready.evaluation import facts
from prodready.evaluation._registry import ScoreFn, Verdict, scorer
from prodready.evaluation._types import Case, CaseResult
from prodready.evaluation.facts import ToolCall
from prodready.store import Trace
from prodready.tracing import attributes as attrs
from prodready.vocabulary.canonical import canonical_json

NO_TRACE: Final = "no trace: behaviour scorers need the run's trace"
INCOMPLETE_TRACE: Final = "trace incomplete: no root span stored"
"""How a behaviour score's error starts when its trace lacks its root span (see
:func:`incomplete_trace`): spans were dropped, or tracing stopped before the run ended."""
DEFAULT_IGNORED_KEYS: Final = ("request_id", "idempotency_key", "nonce", "timestamp")
"""Argument keys that differ between otherwise identical calls (matched ignoring case,
``_`` and ``-``: ``requestId`` and ``request-id`` are ``request_id``)."""
FAILED_OUTCOMES: Final = ("error", "timeout")


def _trace(result: CaseResult) -> Trace:
    trace = result.trace
    if trace is None:
        raise ValueError(NO_TRACE)
    if trace.summary.incomplete:
        raise ValueError(incomplete_trace(trace))
    return trace


def incomplete_trace(trace: Trace) -> str:
    """The error for a trace whose root span is not stored (``TraceSummary.incomplete``)."""
    n = len(trace.spans)
    return (
        f"{INCOMPLETE_TRACE} (trace {trace.summary.trace_id}, {n} span{'s' * (n != 1)} "
        "stored): other spans may be missing too, so behaviour is not scored"
    )


def _verdict(value: float, ok: bool, rationale: str, **metadata: Any) -> Verdict:
    return Verdict(value, passed=ok, rationale=rationale, metadata=metadata)


# --- normalised arguments ----------------------------------------------------------------------

_NUMERIC: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def normalise_arguments(arguments: Any, ignore_keys: Iterable[str] = DEFAULT_IGNORED_KEYS) -> str:
    """Canonical JSON for tool arguments, so equal calls compare equal.

    Keys are sorted and ``ignore_keys`` dropped at any depth; strings are trimmed, their
    whitespace runs collapsed and case folded; numbers, and strings that are plain numbers,
    are written one way (``1`` = ``1.0`` = ``"1.00"`` = ``1e0``). List order is kept.
    """
    ignored = {_key(k) for k in ignore_keys}
    canonical = _canonical(arguments, ignored)
    return canonical_json(canonical)


def _key(key: str) -> str:
    return re.sub(r"[\s_-]", "", key).casefold()


def _canonical(value: Any, ignored: set[str]) -> Any:
    if isinstance(value, dict):
        return {
            str(k).strip(): _canonical(v, ignored)
            for k, v in value.items()
            if _key(str(k)) not in ignored
        }
    if isinstance(value, list | tuple):
        return [_canonical(v, ignored) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return _number(str(value))
    if isinstance(value, str):
        text = " ".join(value.split()).casefold()
        return _number(text) if _NUMERIC.fullmatch(text) else text
    return str(value)


def _number(text: str) -> str:
    try:
        d = Decimal(text)
    except InvalidOperation:
        return text
    if not d.is_finite():
        return text
    out = format(d.normalize(), "f")
    return "0" if out in ("-0", "+0") else out


def _failed(call: ToolCall) -> bool:
    return call.outcome in FAILED_OUTCOMES or call.span.status == "error"


def _retries(previous: ToolCall, call: ToolCall) -> bool:
    """Whether ``call`` is a retry of ``previous`` (same call, after it failed)."""
    return _failed(previous) and previous.span.end_ns <= call.span.start_ns


def _show(call: ToolCall, key: str) -> str:
    args = key if len(key) <= 80 else key[:77] + "..."
    return f"{call.name}({args})"


# --- tool calls --------------------------------------------------------------------------------


@scorer(layer="behaviour", version="1")
def duplicate_tool_calls(*, max: int = 0, ignore_keys: list[str] | None = None) -> ScoreFn:
    """Counts calls that repeat an earlier call: same tool, same normalised arguments, and
    not a retry of a failed call. Passes when the count is at most ``max``.

    Args:
        max: duplicates allowed.
        ignore_keys: argument keys left out of the comparison (default
            :data:`DEFAULT_IGNORED_KEYS`).
    """
    limit = max
    ignored = DEFAULT_IGNORED_KEYS if ignore_keys is None else tuple(ignore_keys)

    def score(case: Case, result: CaseResult) -> Verdict:
        seen: dict[tuple[str, str], ToolCall] = {}
        dups: Counter[str] = Counter()
        retries = 0
        for call in facts.tool_calls(_trace(result)):
            key = (call.name, normalise_arguments(call.arguments, ignored))
            previous = seen.get(key)
            if previous is not None and _retries(previous, call):
                retries += 1
            elif previous is not None:
                dups[_show(call, key[1])] += 1
            seen[key] = call
        count = sum(dups.values())
        listed = "; ".join(f"{c} repeated {n}x" for c, n in dups.items())
        why = f"{count} duplicate tool call(s) (max {limit})" + (f": {listed}" if listed else "")
        if retries:
            why += f"; {retries} retry(ies) of failed calls not counted"
        return _verdict(count, count <= limit, why, duplicates=dict(dups), retries=retries)

    return score


@scorer(layer="behaviour", version="1")
def tool_call_budget(
    *, max_calls: int | None = None, per_tool: dict[str, int] | None = None
) -> ScoreFn:
    """Passes when the run made at most ``max_calls`` tool calls in all (every attempt
    counts) and at most ``per_tool[name]`` calls of each listed tool. Value: calls made."""
    if max_calls is None and not per_tool:
        raise ValueError("tool_call_budget needs max_calls or per_tool")

    def score(case: Case, result: CaseResult) -> Verdict:
        counts = Counter(c.name for c in facts.tool_calls(_trace(result)))
        total = sum(counts.values())
        over = []
        if max_calls is not None and total > max_calls:
            over.append(f"{total} calls in all, budget {max_calls}")
        for tool, budget in (per_tool or {}).items():
            if counts[tool] > budget:
                over.append(f"{tool} called {counts[tool]} times, budget {budget}")
        why = "over budget: " + "; ".join(over) if over else f"{total} tool calls, within budget"
        return _verdict(total, not over, why, calls=dict(counts))

    return score


@scorer(layer="behaviour", version="1")
def loops(
    *,
    min_repeats: int = 3,
    max_period: int = 4,
    kinds: list[str] | None = None,
    match_arguments: bool = False,
) -> ScoreFn:
    """Finds the longest run of a repeated call subsequence (``A,B,A,B,A,B`` is ``[A, B]``
    three times). Value: that repeat count; fails at ``min_repeats`` or more.

    Args:
        min_repeats: repeats that make a loop.
        max_period: longest subsequence considered.
        kinds: span kinds in the sequence (default ``["tool"]``; add ``"step"``, ``"llm"``).
            Tools are named by tool, other spans by span name. Retry attempts (attempt > 1)
            are left out: they are a retry storm, not a loop.
        match_arguments: tool calls must also have the same normalised arguments.
    """
    wanted = frozenset(kinds or ["tool"])

    def score(case: Case, result: CaseResult) -> Verdict:
        seq = _sequence(_trace(result), wanted, match_arguments)
        repeats, period, at = _longest_repeat(seq, max_period)
        if repeats < 2:
            return _verdict(repeats, True, f"no repeated call pattern in {len(seq)} calls")
        pattern = seq[at : at + period]
        where = f"[{', '.join(pattern)}] repeated {repeats} times in a row from call {at + 1}"
        ok = repeats < min_repeats
        why = where + (f" (a loop from {min_repeats})" if ok else f"; limit {min_repeats - 1}")
        return _verdict(repeats, ok, ("loop: " if not ok else "") + why, pattern=pattern)

    return score


def _sequence(trace: Trace, kinds: frozenset[str], match_arguments: bool) -> list[str]:
    calls = {c.span.span_id: c for c in facts.tool_calls(trace)}
    seq = []
    # Depth-first: a step comes before the calls it makes, even when they start in the same ns.
    for span in (span for root in trace.tree() for _, span in root.walk()):
        if span.kind not in kinds:
            continue
        call = calls.get(span.span_id)
        if call is None:
            seq.append(span.name)
        elif (call.attempt or 1) <= 1:
            args = normalise_arguments(call.arguments) if match_arguments else ""
            seq.append(call.name + (f"({args})" if match_arguments else ""))
    return seq


def _longest_repeat(seq: Sequence[str], max_period: int) -> tuple[int, int, int]:
    """``(repeats, period, start)`` of the longest back-to-back repetition, in O(n * period).

    For each period, ``run`` counts consecutive positions where ``seq[k] == seq[k + period]``:
    a stretch of ``run`` such positions is a block repeated ``run // period + 1`` times.
    """
    best = (1 if seq else 0, 1, 0)
    for period in range(1, max_period + 1):
        run = 0
        for k in range(len(seq) - period):
            run = run + 1 if seq[k] == seq[k + period] else 0
            if run // period + 1 > best[0]:
                best = (run // period + 1, period, k - run + 1)
    return best


@scorer(layer="behaviour", version="1")
def retry_storm(
    *,
    max_attempts: int = 3,
    window_ms: float | None = None,
    max_window_retries: int | None = None,
) -> ScoreFn:
    """Fails when one tool call took more than ``max_attempts`` attempts, or when more than
    ``max_window_retries`` (default ``max_attempts``) retries started within any
    ``window_ms``. Value: the most attempts any one call took.

    Attempts of one call are spans with ``attempt > 1`` following it, and repeats of it
    (same tool and normalised arguments) after it failed.
    """
    window_budget = max_attempts if max_window_retries is None else max_window_retries

    def score(case: Case, result: CaseResult) -> Verdict:
        groups = _attempt_groups(facts.tool_calls(_trace(result)))
        attempts = {id(g): max([len(g), *((c.attempt or 1) for c in g)]) for g in groups}
        worst = max(attempts.values(), default=0)
        problems = [
            f"{g[0].name} took {attempts[id(g)]} attempts (max {max_attempts})"
            for g in groups
            if attempts[id(g)] > max_attempts
        ]
        burst = 0
        if window_ms is not None:
            starts = sorted(c.span.start_ns for g in groups for c in g[1:])
            burst = _densest(starts, int(window_ms * 1_000_000))
            if burst > window_budget:
                problems.append(f"{burst} retries within {window_ms} ms (max {window_budget})")
        why = f"at most {worst} attempt(s) per call (max {max_attempts})"
        if problems:
            why = "retry storm: " + "; ".join(problems)
        return _verdict(worst, not problems, why, window_retries=burst)

    return score


def _attempt_groups(calls: list[ToolCall]) -> list[list[ToolCall]]:
    groups: list[list[ToolCall]] = []
    latest: dict[str, list[ToolCall]] = {}
    for call in calls:
        group = latest.get(call.name)
        if group is not None and _continues(group[-1], call):
            group.append(call)
        else:
            group = [call]
            groups.append(group)
            latest[call.name] = group
    return groups


def _continues(previous: ToolCall, call: ToolCall) -> bool:
    if (call.attempt or 1) > 1:
        return True
    same = normalise_arguments(previous.arguments) == normalise_arguments(call.arguments)
    return same and _retries(previous, call)


def _densest(times: list[int], window_ns: int) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] > window_ns:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# --- budgets -----------------------------------------------------------------------------------


@scorer(layer="behaviour", version="1")
def latency_budget(*, max_ms: float) -> ScoreFn:
    """Passes when the run's root span (else the whole trace) took at most ``max_ms``."""

    def score(case: Case, result: CaseResult) -> Verdict:
        trace = _trace(result)
        root = next((s for s in trace.spans if s.span_id == trace.summary.root_span_id), None)
        ms = (root.duration_ns if root is not None else trace.summary.duration_ns) / 1e6
        ok = ms <= max_ms
        why = f"took {ms:.1f} ms, budget {max_ms} ms" + ("" if ok else f" ({ms - max_ms:.1f} over)")
        return _verdict(ms, ok, why)

    return score


def _llm_spans_without(trace: Trace, *keys: str) -> tuple[int, int]:
    llm = [s for s in trace.spans if s.kind == "llm"]
    return len(llm), sum(1 for s in llm if all(s.attributes.get(k) is None for k in keys))


@scorer(layer="behaviour", version="2")
def cost_budget(*, max_usd: float) -> ScoreFn:
    """Passes when the run's LLM calls cost at most ``max_usd`` in all. Errors when LLM
    spans exist but none recorded a cost (a budget on unknown cost would pass silently).

    Version 2: model calls are counted as ``prodready.store.llm_totals`` does (embedding
    calls included, a call recorded by two instrumentations once)."""

    def score(case: Case, result: CaseResult) -> Verdict:
        trace = _trace(result)
        llm, unpriced = _llm_spans_without(trace, attrs.LLM_COST)
        if llm and unpriced == llm:
            raise ValueError(f"no cost recorded: none of {llm} llm span(s) has {attrs.LLM_COST}")
        cost = facts.llm_totals(trace)[0]
        ok = cost <= max_usd
        why = f"cost ${cost:.6g}, budget ${max_usd:.6g}" + (
            f"; {unpriced} llm span(s) without a cost" if unpriced else ""
        )
        return _verdict(cost, ok, why)

    return score


@scorer(layer="behaviour", version="2")
def token_budget(*, max_tokens: int) -> ScoreFn:
    """Passes when the run's LLM calls used at most ``max_tokens`` (input plus output).

    Version 2: counted as ``prodready.store.llm_totals`` does (see :func:`cost_budget`)."""

    def score(case: Case, result: CaseResult) -> Verdict:
        trace = _trace(result)
        keys = (attrs.GEN_AI_INPUT_TOKENS, attrs.GEN_AI_OUTPUT_TOKENS)
        llm, uncounted = _llm_spans_without(trace, *keys)
        if llm and uncounted == llm:
            raise ValueError(f"no token usage recorded on any of {llm} llm span(s)")
        _, tokens_in, tokens_out = facts.llm_totals(trace)
        total = tokens_in + tokens_out
        why = f"{total} tokens ({tokens_in} in, {tokens_out} out), budget {max_tokens}"
        return _verdict(total, total <= max_tokens, why, input=tokens_in, output=tokens_out)

    return score


# --- escalation, expected tools, guardrails ----------------------------------------------------


@scorer(layer="behaviour", version="1")
def escalation(*, expected_from_case: bool = True, expected: bool | None = None) -> ScoreFn:
    """Value 1 when the run escalated to a human exactly when it should (an ``escalation``
    span), else 0, saying which way it was wrong. The expectation is ``expected`` if given,
    else the case's ``Expected.escalation``; with neither, the score is not applicable."""

    def score(case: Case, result: CaseResult) -> Verdict:
        want = expected
        if want is None and expected_from_case:
            want = case.expected.escalation
        did = facts.escalated(_trace(result))
        if want is None:
            why = f"not applicable: no expected escalation (the run {_did(did)})"
            return Verdict(None, None, why, {"applicable": False, "escalated": did})
        if did == want:
            return _verdict(1.0, True, f"correct: the run {_did(did)}", escalated=did)
        wrong = "wrong escalation" if did else "missed escalation"
        detail = (
            "escalated, but the case expects no escalation"
            if did
            else "did not escalate, but the case expects a hand-off to a human"
        )
        return _verdict(0.0, False, f"{wrong}: the run {detail}", escalated=did, error=wrong)

    return score


def _did(escalated: bool) -> str:
    return "escalated to a human" if escalated else "did not escalate"


@scorer(layer="behaviour", version="1")
def expected_tools(*, exact: bool = False, tools: list[str] | None = None) -> ScoreFn:
    """Compares the tools called with ``tools`` (default: the case's ``Expected.tools``).

    Passes when every expected tool was called; with ``exact``, also no other tool. An
    expected ``[]`` means no tool may be called. Value: share of expected tools called
    (with ``exact``: overlap over union). No expectation: not applicable.
    """

    def score(case: Case, result: CaseResult) -> Verdict:
        want = tools if tools is not None else case.expected.tools
        called = {c.name for c in facts.tool_calls(_trace(result))}
        if want is None:
            why = "not applicable: the case expects no particular tools"
            return Verdict(None, None, why, {"applicable": False, "called": sorted(called)})
        expected_set = set(want)
        missing, extra = sorted(expected_set - called), sorted(called - expected_set)
        strict = exact or not expected_set
        ok = not missing and not (strict and extra)
        union = expected_set | called
        if strict:
            value = len(expected_set & called) / len(union) if union else 1.0
        else:
            value = 1 - len(missing) / len(expected_set)
        parts = [f"missing: {', '.join(missing)}"] if missing else []
        if extra:
            parts.append(("unexpected: " if strict else "also called: ") + ", ".join(extra))
        names = ", ".join(sorted(called)) or "none"
        why = "; ".join(parts) or f"called the expected tools: {names}"
        return _verdict(value, ok, why, missing=missing, unexpected=extra)

    return score


@scorer(layer="behaviour", version="1")
def guardrails_passed(*, fail_verdicts: list[str] | None = None) -> ScoreFn:
    """Fails when any guardrail span's verdict is in ``fail_verdicts`` (default ``fail`` and
    ``block``, compared case-insensitively), naming each guardrail and its reason."""
    failing = {v.casefold() for v in (fail_verdicts or ["fail", "block"])}

    def score(case: Case, result: CaseResult) -> Verdict:
        spans = _trace(result).find(kind="guardrail")
        failed = []
        for s in spans:
            verdict = str(s.attributes.get(attrs.GUARDRAIL_VERDICT) or "")
            if verdict.casefold() in failing:
                name = s.attributes.get(attrs.GUARDRAIL_NAME) or s.name
                reason = s.attributes.get(attrs.GUARDRAIL_REASON) or "no reason recorded"
                failed.append(f"{name}: {verdict} ({reason})")
        if failed:
            return _verdict(0.0, False, "guardrail(s) failed: " + "; ".join(failed), failed=failed)
        return _verdict(1.0, True, f"{len(spans)} guardrail(s) ran, none failed", failed=[])

    return score
