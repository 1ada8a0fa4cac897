from datetime import datetime

import pytest

from prodready.cli._parse import parse_attr, parse_attr_value, parse_duration, parse_time


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("500ms", 500_000_000),
        ("2s", 2_000_000_000),
        ("15m", 15 * 60 * 10**9),
        ("2h", 2 * 3600 * 10**9),
        ("7d", 7 * 86_400 * 10**9),
        ("1.5s", 1_500_000_000),
        ("1h30m", 90 * 60 * 10**9),
        ("850us", 850_000),
        ("850µs", 850_000),
        (" 2S ", 2_000_000_000),
    ],
)
def test_parse_duration_reads_number_and_unit(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "5", "ms", "15x", "-2s", "2 s", "1.s"])
def test_parse_duration_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_parse_time_duration_means_ago() -> None:
    assert parse_time("15m", now_ns=10**15) == 10**15 - 15 * 60 * 10**9


def test_parse_time_reads_iso_with_offset() -> None:
    assert parse_time("2024-05-01T12:00:00Z") == 1_714_564_800 * 10**9


def test_parse_time_naive_iso_is_local_time() -> None:
    expected = int(datetime(2024, 5, 1, 12, 0).timestamp()) * 10**9
    assert parse_time("2024-05-01T12:00") == expected


def test_parse_time_rejects_garbage_naming_both_forms() -> None:
    with pytest.raises(ValueError, match=r"duration ago.*ISO date"):
        parse_time("yesterday")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("true", True),
        ("false", False),
        ("42", 42),
        ("-3", -3),
        ("0.92", 0.92),
        (".5", 0.5),
        ("1e3", "1e3"),
        ("nan", "nan"),
        ("gpt-4o", "gpt-4o"),
        ('"42"', "42"),
        ("'true'", "true"),
        ("", ""),
        ("True", "True"),
    ],
)
def test_parse_attr_value_types_like_stored_attributes(raw: str, value: object) -> None:
    parsed = parse_attr_value(raw)
    assert parsed == value
    assert type(parsed) is type(value)


def test_parse_attr_splits_on_first_equals() -> None:
    assert parse_attr("http.url=https://x/?a=b") == ("http.url", "https://x/?a=b")


@pytest.mark.parametrize("text", ["no-equals", "=value", 'a"b=1'])
def test_parse_attr_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="invalid attribute filter"):
        parse_attr(text)
