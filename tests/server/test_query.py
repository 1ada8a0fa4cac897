"""Filter spellings shared by the API and the CLI: attr key:value and since."""

from __future__ import annotations

import pytest

from prodready.server.query import parse_attr, parse_attrs, parse_duration, parse_since

NOW = 1_800_000_000_000_000_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gen_ai.request.model:gpt-4o", ("gen_ai.request.model", "gpt-4o")),
        ("prodready.tool.attempt:2", ("prodready.tool.attempt", 2)),
        ("score:-0.5", ("score", -0.5)),
        ("cached:true", ("cached", True)),
        ("cached:false", ("cached", False)),
        ('code:"42"', ("code", "42")),
        ("flag:'true'", ("flag", "true")),
        ("url:https://x.test:8443/a", ("url", "https://x.test:8443/a")),
        ("release=agent@1.0", ("release", "agent@1.0")),
        ("model: gpt-4o ", ("model", "gpt-4o")),
        ("id:nan", ("id", "nan")),
        ("empty:", ("empty", "")),
    ],
)
def test_attr_values_are_typed_like_stored_attributes(text: str, expected: object) -> None:
    assert parse_attr(text) == expected


@pytest.mark.parametrize("text", ["no-separator", ":value", "  :x", ""])
def test_attr_without_a_key_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="key:value"):
        parse_attr(text)


def test_repeated_attrs_become_one_filter_dict() -> None:
    assert parse_attrs(["a:1", "b:x", "a:2"]) == {"a": 2, "b": "x"}


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("500ms", 500_000_000),
        ("30s", 30 * 10**9),
        ("15m", 900 * 10**9),
        ("2h", 7200 * 10**9),
        ("7d", 7 * 86_400 * 10**9),
        ("1w", 7 * 86_400 * 10**9),
        ("1h30m", 5400 * 10**9),
        ("1.5s", 1_500_000_000),
        ("2us", 2_000),
        ("15M", 900 * 10**9),
    ],
)
def test_durations(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "5", "h", "2 hours", "1h x", "-1h"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_since_a_duration_counts_back_from_now() -> None:
    assert parse_since("2h", now_ns=NOW) == NOW - 7200 * 10**9


def test_since_a_date_is_utc_unless_it_has_an_offset() -> None:
    assert parse_since("2024-05-01") == 1_714_521_600 * 10**9
    assert parse_since("2024-05-01T02:00:00+02:00") == 1_714_521_600 * 10**9
    assert parse_since("2024-05-01T00:00:00.000001Z") == 1_714_521_600 * 10**9 + 1_000


def test_since_neither_duration_nor_date_is_rejected() -> None:
    with pytest.raises(ValueError, match="neither a duration"):
        parse_since("last tuesday")
