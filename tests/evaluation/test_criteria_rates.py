"""A rate is a share between 0 and 1: targets and margins outside it, or that every run meets
or none can, are refused where they are written."""

from __future__ import annotations

import pytest

from prodready.evaluation.criteria import CriteriaError, parse_criteria


def errors_of(metric: str) -> list[str]:
    text = f"version: 1\nmetrics:\n  m:\n{metric}"
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(text, source="criteria.yaml")
    return str(caught.value).splitlines()


def test_a_rate_target_above_one_is_refused_at_its_line() -> None:
    (error,) = errors_of("    source: correctness\n    target: '<= 5'\n")
    assert error.startswith("criteria.yaml:5: metrics.m.target: ")
    assert "between 0 and 1" in error and "0.05" in error


@pytest.mark.parametrize("target", ["'>= -0.1'", "'== 1.5'", "{op: '>=', value: 85}"])
def test_a_rate_target_outside_zero_to_one_is_refused(target: str) -> None:
    (error,) = errors_of(f"    source: correctness\n    target: {target}\n")
    assert error.startswith("criteria.yaml:5: metrics.m.target: ")


def test_a_business_rate_target_above_one_is_refused() -> None:
    (error,) = errors_of("    source: business.wrong_escalation\n    target: '<= 5'\n")
    assert error.startswith("criteria.yaml:5: metrics.m.target: ")


def test_a_rate_margin_above_one_is_refused_at_its_line() -> None:
    (error,) = errors_of("    source: correctness\n    gate: non_inferior\n    margin: 2\n")
    assert error.startswith("criteria.yaml:6: metrics.m.margin: ")
    assert "0.02" in error


def test_a_rate_margin_of_one_tolerates_any_loss_and_is_refused() -> None:
    (error,) = errors_of("    source: correctness\n    gate: non_inferior\n    margin: 1\n")
    assert error.startswith("criteria.yaml:6: metrics.m.margin: ")


@pytest.mark.parametrize("target", ["'>= 0'", "'<= 1'"])
def test_a_rate_target_every_run_meets_is_refused(target: str) -> None:
    (error,) = errors_of(f"    source: correctness\n    target: {target}\n")
    assert error.startswith("criteria.yaml:5: metrics.m.target: ")
    assert "always met" in error and "gate: report" in error


@pytest.mark.parametrize("target", ["'>= 1'", "'<= 0'"])
def test_a_confident_rate_target_no_interval_can_meet_is_refused(target: str) -> None:
    (error,) = errors_of(f"    source: correctness\n    target: {target}\n    gate: confident\n")
    assert error.startswith("criteria.yaml:3: metrics.m: ")
    assert "never" in error and "gate: point" in error


@pytest.mark.parametrize("target", ["'>= 1'", "'<= 0'", "'== 0'", "'>= 0.85'"])
def test_a_point_rate_target_inside_zero_to_one_is_accepted(target: str) -> None:
    text = f"version: 1\nmetrics:\n  m: {{source: correctness, target: {target}}}\n"
    assert parse_criteria(text).metrics["m"].target is not None


def test_numbers_other_than_rates_keep_any_target_and_margin() -> None:
    text = """\
version: 1
metrics:
  latency: {source: business.latency_ms, aggregate: p95, target: "<= 2500"}
  turns: {source: turns, aggregate: mean, gate: non_inferior, margin: 2}
"""
    assert parse_criteria(text).metrics["turns"].margin == 2


def test_better_that_contradicts_the_target_is_refused_at_its_line() -> None:
    (error,) = errors_of("    source: correctness\n    target: '>= 0.85'\n    better: lower\n")
    assert error.startswith("criteria.yaml:6: metrics.m.better: ")
    assert "'>= 0.85'" in error


def test_better_that_agrees_with_the_target_or_an_equality_is_accepted() -> None:
    text = """\
version: 1
metrics:
  a: {source: a, target: ">= 0.85", better: higher}
  b: {source: b, aggregate: mean, target: "== 0", better: lower}
"""
    assert parse_criteria(text).metrics["b"].direction == "lower"
