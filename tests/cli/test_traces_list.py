"""`prodready traces list`: filters, columns, footer, JSON, bad values."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.cli.conftest import Invoke, Seeded
from tests.cli.factories import T1, T2, T3


def listed(cli: Invoke, seeded: Seeded, *args: str) -> set[str]:
    result = cli("--store", seeded.url, "traces", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return {row["trace_id"] for row in json.loads(result.stdout)}


def test_list_shows_newest_first_with_short_ids_and_footer(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line[:12] for line in lines[1:4]] == [T1[:12], T2[:12], T3[:12]]
    assert T1 not in result.stdout
    assert "support-agent" in lines[1] and "1.55s" in lines[1] and "v1.2.0" in lines[1]
    assert lines[-1] == "3 of 3 traces"


def test_list_full_ids_prints_whole_ids(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "list", "--full-ids")
    assert T1 in result.stdout and T3 in result.stdout


def test_list_json_is_parseable_trace_summaries(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "list", "--json")
    rows = json.loads(result.stdout)
    assert [r["trace_id"] for r in rows] == [T1, T2, T3]
    assert rows[0]["span_count"] == 7 and rows[0]["error_count"] == 1
    assert rows[0]["environment"] == "prod" and rows[0]["session_id"] == "sess-1"


def test_list_limit_and_offset_page_through(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "list", "--limit", "1", "--offset", "1")
    assert T2[:12] in result.stdout and T1[:12] not in result.stdout
    assert result.stdout.splitlines()[-1] == "1 of 3 traces (after skipping 1)"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--since", "1h"), {T1}),
        (("--since", "1d"), {T1, T2}),
        (("--until", "1h"), {T2, T3}),
        (("--name", "support-agent"), {T1, T2, T3}),
        (("--name", "other"), set()),
        (("--status", "error"), {T3}),
        (("--status", "ok"), {T1, T2}),
        (("--errors",), {T1, T3}),
        (("--kind", "guardrail"), {T1, T3}),
        (("--kind", "escalation"), {T3}),
        (("--release", "v1.1.0"), {T2, T3}),
        (("--session", "sess-2"), {T2}),
        (("--user", "user-1"), {T1, T3}),
        (("--env", "staging"), {T2}),
        (("--min-duration", "1.5s"), {T1}),
        (("--min-duration", "1250ms"), {T1, T3}),
    ],
)
def test_list_filter_selects_matching_traces(
    cli: Invoke, seeded: Seeded, args: tuple[str, ...], expected: set[str]
) -> None:
    assert listed(cli, seeded, *args) == expected


@pytest.mark.parametrize(
    ("attr", "expected"),
    [
        ("prodready.intent.name=refund", {T1, T2, T3}),
        ("prodready.tool.attempt=2", {T1}),
        ('prodready.tool.attempt="2"', set()),
        ("prodready.intent.confidence=0.92", {T1, T2, T3}),
        ("app.cache_hit=false", {T1, T2, T3}),
        ("app.cache_hit=true", set()),
        ("prodready.tool.outcome=timeout", {T1}),
    ],
)
def test_list_attr_filter_matches_typed_values(
    cli: Invoke, seeded: Seeded, attr: str, expected: set[str]
) -> None:
    assert listed(cli, seeded, "--attr", attr) == expected


def test_list_repeated_attr_filters_all_apply(cli: Invoke, seeded: Seeded) -> None:
    args = ("--attr", "prodready.tool.attempt=1", "--attr", "prodready.escalation.queue=billing")
    assert listed(cli, seeded, *args) == {T3}


def test_list_attr_filter_accepts_colon_separator(cli: Invoke, seeded: Seeded) -> None:
    assert listed(cli, seeded, "--attr", "prodready.tool.attempt:2") == {T1}
    assert listed(cli, seeded, "--attr", "prodready.tool.outcome:timeout") == {T1}


def test_list_min_duration_allows_spaces_between_parts(cli: Invoke, seeded: Seeded) -> None:
    assert listed(cli, seeded, "--min-duration", "1s 500ms") == {T1}
    assert listed(cli, seeded, "--min-duration", "1s 250ms") == {T1, T3}


@pytest.fixture
def utc_plus_12(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+12 (a POSIX TZ string: no time zone database needed)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is Unix-only")
    monkeypatch.setenv("TZ", "XYZ-12")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_list_since_without_offset_is_local_time(
    cli: Invoke, seeded: Seeded, utc_plus_12: None
) -> None:
    an_hour_ago_utc = datetime.fromtimestamp(seeded.now_ns // 10**9 - 3600, UTC)
    wall = an_hour_ago_utc.replace(tzinfo=None).isoformat(timespec="seconds")
    assert listed(cli, seeded, "--since", wall) == {T1, T2}  # local: 13 h ago
    assert listed(cli, seeded, "--since", wall + "Z") == {T1}


def test_list_filters_combine(cli: Invoke, seeded: Seeded) -> None:
    assert listed(cli, seeded, "--release", "v1.1.0", "--errors") == {T3}


def test_list_with_no_match_prints_zero_footer(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "list", "--name", "nope")
    assert result.exit_code == 0
    assert result.stdout.strip() == "0 of 0 traces"


@pytest.mark.parametrize(
    ("args", "option", "value"),
    [
        (("--since", "15x"), "--since", "15x"),
        (("--until", "soon"), "--until", "soon"),
        (("--min-duration", "250"), "--min-duration", "250"),
        (("--attr", "no-equals"), "--attr", "no-equals"),
        (("--kind", "robot"), "--kind", "robot"),
        (("--status", "maybe"), "--status", "maybe"),
    ],
)
def test_list_bad_option_value_exits_2_naming_option_and_value(
    cli: Invoke, seeded: Seeded, args: tuple[str, ...], option: str, value: str
) -> None:
    result = cli("--store", seeded.url, "traces", "list", *args)
    assert result.exit_code == 2
    assert option in result.stderr and value in result.stderr
    assert "Traceback" not in result.output


def test_list_limit_out_of_range_exits_2(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "list", "--limit", "0")
    assert result.exit_code == 2 and "--limit" in result.stderr


def test_list_same_attr_twice_exits_2(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "list", "--attr", "a=1", "--attr", "a:2")
    assert result.exit_code == 2 and "given twice" in result.stderr and "--attr" in result.stderr


def test_list_reads_store_url_from_environment(cli: Invoke, seeded: Seeded) -> None:
    result = cli("traces", "list", env={"PRODREADY_STORE_URL": seeded.url})
    assert result.exit_code == 0 and "3 of 3 traces" in result.stdout


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--since", "99999999d"), "--since"),
        (("--until", "9999-12-31"), "--until"),
        (("--offset", "9" * 30), "--offset"),
    ],
)
def test_list_values_beyond_the_store_exit_2_naming_the_option(
    cli: Invoke, seeded: Seeded, args: tuple[str, ...], option: str
) -> None:
    result = cli("--store", seeded.url, "traces", "list", *args)
    assert result.exit_code == 2, result.output
    assert option in result.stderr and "Traceback" not in result.output
