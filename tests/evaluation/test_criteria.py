"""Success-criteria files: the format, a round trip, and errors located by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready.evaluation.criteria import (
    Criteria,
    CriteriaError,
    Metric,
    Target,
    load_criteria,
    parse_criteria,
)

EXAMPLE = """\
version: 1
judge_kappa_floor: 0.6          # judges below this cannot gate
metrics:
  correctness: {source: correctness, aggregate: rate, target: ">= 0.85", gate: confident}
  deflection: {source: business.deflection, aggregate: rate, target: ">= 0.60", gate: point}
  wrong_escalation: {source: business.wrong_escalation, target: "<= 0.05", gate: confident}
  duplicate_tool_calls: {source: duplicate_tool_calls, aggregate: mean, target: "== 0"}
  latency_p95_ms: {source: business.latency_ms, aggregate: p95, target: "<= 2500", gate: point}
  correctness_vs_prod: {source: correctness, aggregate: rate, gate: non_inferior, margin: 0.02}
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(text, source="criteria.yaml")
    return str(caught.value).splitlines()


def test_the_example_file_parses_into_metrics_in_file_order() -> None:
    criteria = parse_criteria(EXAMPLE)
    assert list(criteria.metrics)[-1] == "correctness_vs_prod"
    assert list(criteria.metrics)[:2] == ["correctness", "deflection"]
    assert criteria.metrics["correctness"].target == Target(op=">=", value=0.85)
    assert criteria.metrics["latency_p95_ms"].aggregate == "p95"
    assert criteria.metrics["correctness_vs_prod"].margin == 0.02
    assert criteria.judge_kappa_floor == 0.6


def test_a_target_may_be_written_as_op_and_value() -> None:
    text = "metrics:\n  c: {source: c, target: {op: '<=', value: 0.1}}\n"
    assert parse_criteria(text).metrics["c"].target == Target(op="<=", value=0.1)


def test_a_valid_file_round_trips_through_to_yaml(tmp_path: Path) -> None:
    criteria = parse_criteria(EXAMPLE)
    path = tmp_path / "criteria.yaml"
    path.write_text(criteria.to_yaml())
    assert load_criteria(path) == criteria
    assert str(criteria.metrics["correctness"].target) == ">= 0.85"


def test_a_bad_target_names_file_line_path_and_value() -> None:
    text = EXAMPLE.replace('target: "<= 0.05"', "target: over 9000")
    assert errors_of(text) == [
        "criteria.yaml:6: metrics.wrong_escalation.target: "
        "expected a comparison like '>= 0.85', got 'over 9000'"
    ]


def test_every_error_in_a_file_is_reported_with_its_line() -> None:
    text = """\
version: 2
metrics:
  correctness:
    source: correctness
    aggregate: avg
    target: ">= 0.85"
    gaet: confident
  deflection: {source: business.deflections, target: ">= 0.6"}
  latency:
    source: business.latency_ms
    target: "<= 2500"
  vs_prod: {source: correctness, gate: non_inferior}
  nosource: {target: {op: ">=", value: x}}
"""
    lines = [e.split(": ", 2)[:2] for e in errors_of(text)]
    assert lines == [
        ["criteria.yaml:1", "version"],
        ["criteria.yaml:5", "metrics.correctness.aggregate"],
        ["criteria.yaml:7", "metrics.correctness.gaet"],
        ["criteria.yaml:8", "metrics.deflection.source"],
        ["criteria.yaml:9", "metrics.latency"],
        ["criteria.yaml:12", "metrics.vs_prod"],
        ["criteria.yaml:13", "metrics.nosource"],
        ["criteria.yaml:13", "metrics.nosource.target.value"],
    ]


def test_error_messages_say_what_was_expected() -> None:
    text = EXAMPLE.replace("gate: confident}", "gaet: confident}", 1)
    text = text.replace("aggregate: p95", "aggregate: avg").replace("margin: 0.02", "margin: -1")
    assert errors_of(text) == [
        "criteria.yaml:4: metrics.correctness.gaet: unknown key 'gaet' (did you mean 'gate'?)",
        "criteria.yaml:8: metrics.latency_p95_ms.aggregate: "
        "expected 'rate', 'mean', 'p50' or 'p95', got 'avg'",
        "criteria.yaml:9: metrics.correctness_vs_prod.margin: expected a number >= 0, got -1",
    ]


def test_gate_modes_state_what_they_need() -> None:
    text = """\
metrics:
  a: {source: a, gate: point}
  b: {source: b, gate: confident, target: "== 1"}
  c: {source: c, gate: non_inferior}
  d: {source: d, target: ">= 0.5", margin: 0.1}
"""
    assert [e.split(": ", 2)[2] for e in errors_of(text)] == [
        "gate 'point' needs a target",
        "gate 'confident' needs a '>=' or '<=' target (an interval never equals)",
        "gate 'non_inferior' needs a margin (e.g. margin: 0.02)",
        "margin only applies to gate 'non_inferior'",
    ]


def test_an_unquoted_greater_than_is_a_located_syntax_error_with_a_hint() -> None:
    (error,) = errors_of("metrics:\n  c:\n    source: c\n    target: >= 0.85\n")
    assert error.startswith("criteria.yaml:4: ")
    assert "quote comparisons" in error and '">= 0.85"' in error


def test_a_duplicate_metric_is_reported_at_its_second_line() -> None:
    text = "metrics:\n  c: {source: c, target: '>= 1'}\n  c: {source: d, target: '>= 1'}\n"
    assert errors_of(text) == ["criteria.yaml:3: metrics.c: duplicate key 'c' (first at line 2)"]


def test_an_empty_file_or_no_metrics_is_an_error() -> None:
    assert errors_of("") == [
        "criteria.yaml:1: the file is empty: expected a mapping with 'version' and 'metrics'"
    ]
    assert errors_of("version: 1\nmetrics: {}\n") == [
        "criteria.yaml:2: metrics: needs at least one metric"
    ]


def test_which_way_is_better_follows_target_then_business_metric() -> None:
    assert Metric(source="x", target=Target(op="<=", value=0.1)).direction == "lower"
    wrong = Metric(source="business.wrong_escalation", gate="non_inferior", margin=0.01)
    assert wrong.direction == "lower"
    assert Metric(source="correctness", gate="non_inferior", margin=0.01).direction == "higher"
    criteria = Criteria(metrics={"c": Metric(source="c", target=">= 0.8")})
    assert criteria.metrics["c"].target == Target(op=">=", value=0.8)
