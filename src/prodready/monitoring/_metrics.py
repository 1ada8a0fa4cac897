"""Metric values over a window, per group: what alert rules compare with their threshold.

Trace metrics are over the traces that *started* in the window; score and feedback metrics
over the scores *recorded* in it (feedback arrives after the answer). ``count`` is how many
traces or scores a value stands on, for the rule's ``min_count``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from prodready.evaluation.runs import trace_scores
from prodready.monitoring._facts import (
    Dimension,
    TraceFacts,
    WindowGroup,
    trace_facts,
    window_durations,
    window_facts,
    window_totals,
)
from prodready.monitoring._rules import AlertRule
from prodready.store import Store

ONLINE_LAYER = "online"
FEEDBACK_LAYER = "feedback"


@dataclass(frozen=True, slots=True)
class MetricValue:
    """A metric's value for one group (``None``: nothing to compute it from)."""

    group: dict[str, str | None]
    value: float | None
    count: int


def compute(
    store: Store,
    rule: AlertRule,
    now_ns: int,
    *,
    memo: dict[tuple[int, int, bool], list[TraceFacts]] | None = None,
) -> list[MetricValue]:
    """The rule's metric over ``[now - window, now)``, one value per group of ``group_by``
    (one value when it groups by nothing), after the rule's filters.

    ``memo`` keeps the window's traces between the rules of one check, so rules over the
    same window read them once.
    """
    since = now_ns - rule.window_ns
    needs_spans = any(d in ("intent", "tool") for d in (*rule.filters, *rule.group_by))
    if rule.metric.startswith(("score:", "feedback:")):
        return _score_metric(store, rule, since, now_ns, needs_spans)
    if not needs_spans:
        return _in_database(store, rule, since, now_ns)
    window = (since, now_ns, needs_spans)
    facts = memo.get(window) if memo is not None else None
    if facts is None:
        facts = window_facts(store, since, now_ns, spans_needed=needs_spans)
        if memo is not None:
            memo[window] = facts
    groups = _group(((f, f) for f in facts), rule)
    if not rule.group_by and not groups:
        groups = {(): []}
    out = []
    for key, members in groups.items():
        group: dict[str, str | None] = dict(zip(rule.group_by, key, strict=True))
        value = _trace_metric(rule.metric, members)
        out.append(MetricValue(group, value, len(members)))
    return out


def _group(
    items: Iterable[tuple[TraceFacts | None, Any]], rule: AlertRule
) -> dict[tuple[str | None, ...], list[Any]]:
    groups: dict[tuple[str | None, ...], list[Any]] = {}
    for fact, item in items:
        if not _passes(fact, rule.filters):
            continue
        for key in _keys(fact, rule.group_by):
            groups.setdefault(key, []).append(item)
    return groups


def _passes(fact: TraceFacts | None, filters: dict[Dimension, str]) -> bool:
    if not filters:
        return True
    if fact is None:
        return False
    return all(wanted in fact.values(d) for d, wanted in filters.items())


def _keys(fact: TraceFacts | None, by: Sequence[Dimension]) -> list[tuple[str | None, ...]]:
    keys: list[tuple[str | None, ...]] = [()]
    for d in by:
        values = fact.values(d) if fact is not None else (None,)
        keys = [(*k, v) for k in keys for v in values]
    return keys


def _trace_metric(metric: str, members: list[TraceFacts]) -> float | None:
    n = len(members)
    if metric == "traffic":
        return float(n)
    if metric == "tokens":
        return float(sum(f.tokens for f in members))
    if metric == "cost":
        return sum(f.cost_usd for f in members)
    if not n:
        return None
    if metric == "error_rate":
        return sum(f.status == "error" for f in members) / n
    if metric == "escalation_rate":
        return sum(f.escalated for f in members) / n
    durations = sorted(f.duration_ns for f in members)  # latency_p50_ms, latency_p95_ms
    q = 0.5 if metric == "latency_p50_ms" else 0.95
    return durations[max(0, math.ceil(q * n) - 1)] / 1e6  # nearest rank, as store.stats


def _in_database(store: Store, rule: AlertRule, since: int, until: int) -> list[MetricValue]:
    """A trace metric grouped and filtered by trace columns only: summed by the database."""
    filters = {str(d): v for d, v in rule.filters.items()}
    by = [str(d) for d in rule.group_by]
    if rule.metric in ("latency_p50_ms", "latency_p95_ms"):
        q = 0.5 if rule.metric == "latency_p50_ms" else 0.95
        found = window_durations(store, since, until, by, filters)
        if not by and not found:
            return [MetricValue({}, None, 0)]
        return [
            MetricValue(dict(zip(by, key, strict=True)),
                        durations[max(0, math.ceil(q * len(durations)) - 1)] / 1e6,
                        len(durations))
            for key, durations in found.items()
        ]  # fmt: skip
    totals = window_totals(store, since, until, by, filters)
    if not by and not totals:
        totals = [WindowGroup(key=(), traces=0, errors=0, escalations=0, tokens=0, cost_usd=0.0)]
    return [MetricValue(dict(zip(by, g.key, strict=True)), _total(rule.metric, g), g.traces)
            for g in totals]  # fmt: skip


def _total(metric: str, g: WindowGroup) -> float | None:
    if metric == "traffic":
        return float(g.traces)
    if metric == "tokens":
        return float(g.tokens)
    if metric == "cost":
        return g.cost_usd
    if not g.traces:
        return None
    return (g.errors if metric == "error_rate" else g.escalations) / g.traces


def _score_metric(
    store: Store, rule: AlertRule, since: int, until: int, needs_spans: bool
) -> list[MetricValue]:
    kind, _, name = rule.metric.partition(":")
    if kind == "feedback":
        layer, names = FEEDBACK_LAYER, ["csat" if name == "csat" else "thumbs"]
    else:
        layer, names = ONLINE_LAYER, [name]
    found = [s for s in trace_scores(store, layers=[layer], names=names, since_ns=since,
                                     until_ns=until) if s.score.value is not None]  # fmt: skip
    facts = trace_facts(store, [s.trace_id for s in found if s.trace_id], spans_needed=needs_spans)
    groups = _group(((facts.get(s.trace_id or ""), s.score.value) for s in found), rule)
    if not rule.group_by and not groups:
        groups = {(): []}
    out = []
    for key, values in groups.items():
        group: dict[str, str | None] = dict(zip(rule.group_by, key, strict=True))
        n = len(values)
        if not n:
            value = None
        elif rule.metric == "feedback:thumbs_down_rate":
            value = sum(v < 0.5 for v in values) / n
        else:
            value = sum(values) / n
        out.append(MetricValue(group, value, n))
    return out
