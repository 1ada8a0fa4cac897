"""`prodready traces stats`: trace-level numbers, then per span name and kind."""

from __future__ import annotations

import json

from tests.cli.conftest import Invoke, Seeded


def test_stats_prints_count_error_rate_and_latency(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "stats")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == [
        "Traces", "3", "Errors", "1", "(33.3%)", "p50", "1.27s", "p95", "1.55s"
    ]  # fmt: skip


def test_stats_table_has_a_row_per_span_name_and_kind(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "stats")
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[3:]}
    assert rows["lookup_order"] == ["tool", "4", "1", "25.0%", "180ms", "300ms"]
    assert rows["handoff"] == ["escalation", "1", "0", "0.0%", "15.0ms", "15.0ms"]
    assert rows["support-agent"][:3] == ["agent", "3", "1"]


def test_stats_applies_filters(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "stats", "--since", "1h", "--json")
    stats = json.loads(result.stdout)
    assert stats["trace_count"] == 1 and stats["error_count"] == 0
    assert {s["name"] for s in stats["spans"]} >= {"lookup_order", "pii-filter"}
    assert "handoff" not in {s["name"] for s in stats["spans"]}


def test_stats_json_is_parseable(cli: Invoke, seeded: Seeded) -> None:
    stats = json.loads(cli("--store", seeded.url, "traces", "stats", "--json").stdout)
    assert stats["trace_count"] == 3 and stats["p95_ms"] == 1551.0
    tool = next(s for s in stats["spans"] if s["name"] == "lookup_order")
    assert (tool["count"], tool["error_count"], tool["error_rate"]) == (4, 1, 0.25)


def test_stats_with_no_traces_prints_dashes(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "stats", "--name", "nope")
    assert result.exit_code == 0
    assert result.stdout.split() == ["Traces", "0", "Errors", "0", "(0.0%)", "p50", "-", "p95", "-"]


def test_stats_bad_since_exits_2(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "stats", "--since", "last week")
    assert result.exit_code == 2 and "--since" in result.stderr and "last week" in result.stderr
