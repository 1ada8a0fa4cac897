"""Rendering helpers: human durations and span labels."""

from __future__ import annotations

import pytest

from prodready.cli._render import format_duration, format_value, span_label
from prodready.store import Span


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0ns"),
        (999, "999ns"),
        (850_000, "850µs"),
        (999_600, "1.00ms"),
        (1_500_000, "1.50ms"),
        (9_999_000, "10.0ms"),
        (12_340_000, "12.3ms"),
        (850_000_000, "850ms"),
        (1_240_000_000, "1.24s"),
        (59_400_000_000, "59.4s"),
        (125_000_000_000, "2m05s"),
        (7_260_000_000_000, "2h01m"),
        (-2_000_000, "-2.00ms"),
    ],
)
def test_format_duration_keeps_three_significant_digits(ns: int, text: str) -> None:
    assert format_duration(ns) == text


def test_format_value_prints_json_and_cuts() -> None:
    assert format_value([1, "a"]) == '[1, "a"]'
    assert format_value("x" * 10, width=5) == "xxxx…"


def make_span(**kw: object) -> Span:
    base: dict[str, object] = dict(
        trace_id="a" * 32, span_id="b" * 16, parent_span_id=None, name="call", kind="tool",
        otel_kind="internal", start_ns=0, end_ns=2_000_000, duration_ns=2_000_000, status="ok",
    )  # fmt: skip
    return Span.model_validate(base | kw)


def test_span_label_marks_errors_in_red() -> None:
    label = span_label(make_span(status="error", status_message="boom"))
    assert label.plain.endswith("✗ boom")
    assert any(s.style == "bold red" for s in label.spans)


def test_span_label_colors_name_by_kind() -> None:
    label = span_label(make_span(kind="llm"))
    assert label.style == "cyan" and label.plain.startswith("call [llm] 2.00ms")
