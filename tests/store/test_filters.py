"""prodready.store.filters: the filter spellings the CLI and the read API share."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Literal

import pytest

from prodready.store.filters import parse_attr, parse_attrs, parse_duration, parse_time

NOW = 1_800_000_000_000_000_000
MAY_1_NOON_UTC = 1_714_564_800 * 10**9  # 2024-05-01T12:00:00Z


@pytest.fixture
def utc_plus_0530(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+05:30 (a POSIX TZ string: no time zone database needed)."""
    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is Unix-only")
    monkeypatch.setenv("TZ", "IST-5:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("500ms", 500_000_000),
        ("2s", 2_000_000_000),
        ("30s", 30 * 10**9),
        ("15m", 15 * 60 * 10**9),
        ("2h", 2 * 3600 * 10**9),
        ("7d", 7 * 86_400 * 10**9),
        ("1w", 7 * 86_400 * 10**9),
        ("1.5s", 1_500_000_000),
        ("850us", 850_000),
        ("850µs", 850_000),
        ("2us", 2_000),
        ("15ns", 15),
    ],
)
def test_duration_is_a_number_and_a_unit(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "ns"),
    [("1h30m", 5400 * 10**9), ("1h 30m", 5400 * 10**9), ("1d\t2h  3m", 93_780 * 10**9)],
)
def test_duration_parts_combine_with_or_without_spaces(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(("text", "ns"), [(" 2S ", 2 * 10**9), ("15M", 900 * 10**9)])
def test_duration_ignores_case_and_surrounding_spaces(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


def test_duration_decimals_are_exact_to_the_nanosecond() -> None:
    assert parse_duration("100000.000000001s") == 100_000 * 10**9 + 1
    assert parse_duration("0.3ns 0.3ns") == 1  # rounded once, at the end


@pytest.mark.parametrize(
    "text",
    ["", "   ", "5", "ms", "h", "15x", "-2s", "-1h", "2 s", "1.s", "2 hours", "1h x", "٣s"],
)
def test_malformed_duration_is_rejected_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid duration .*like 500ms, 30s, 15m, 2h"):
        parse_duration(text)


def test_time_given_as_a_duration_means_that_long_ago() -> None:
    assert parse_time("2h", now_ns=NOW) == NOW - 7200 * 10**9
    assert parse_time("15m", now_ns=10**15) == 10**15 - 15 * 60 * 10**9
    assert parse_time("15m", now_ns=NOW, naive="local") == NOW - 900 * 10**9


def test_time_duration_defaults_to_the_clock() -> None:
    before = time.time_ns()
    parsed = parse_time("1h")
    assert before - 3600 * 10**9 <= parsed <= time.time_ns() - 3600 * 10**9


@pytest.mark.parametrize("naive", ["utc", "local"])
def test_time_with_an_offset_ignores_naive(
    naive: Literal["utc", "local"], utc_plus_0530: None
) -> None:
    assert parse_time("2024-05-01T12:00:00Z", naive=naive) == MAY_1_NOON_UTC
    assert parse_time("2024-05-01T14:00:00+02:00", naive=naive) == MAY_1_NOON_UTC


def test_naive_time_is_utc_by_default(utc_plus_0530: None) -> None:
    assert parse_time("2024-05-01") == 1_714_521_600 * 10**9
    assert parse_time("2024-05-01T12:00") == MAY_1_NOON_UTC
    assert parse_time("2024-05-01T12:00", naive="utc") == MAY_1_NOON_UTC


def test_naive_time_can_mean_local_time(utc_plus_0530: None) -> None:
    five_and_a_half_hours = 19_800 * 10**9
    assert parse_time("2024-05-01T12:00", naive="local") == MAY_1_NOON_UTC - five_and_a_half_hours
    assert parse_time("2024-05-01", naive="local") == 1_714_521_600 * 10**9 - five_and_a_half_hours


def test_naive_local_time_follows_the_machine_clock() -> None:
    """Whatever this machine's zone is (no patched TZ)."""
    expected = int(datetime(2024, 5, 1, 12, 0).timestamp()) * 10**9
    assert parse_time("2024-05-01T12:00", naive="local") == expected


def test_time_keeps_every_microsecond_far_from_the_epoch() -> None:
    seconds = calendar.timegm((2200, 1, 1, 0, 0, 0))
    assert parse_time("2024-05-01T00:00:00.000001Z") == 1_714_521_600 * 10**9 + 1_000
    assert parse_time("2200-01-01T00:00:00.000001Z") == seconds * 10**9 + 1_000


@pytest.mark.parametrize("text", ["yesterday", "last tuesday", "", "2024-13-01", "5"])
def test_time_neither_duration_nor_date_is_rejected_naming_both(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid time .*duration ago.*ISO 8601 date"):
        parse_time(text)


def test_time_rejects_an_unknown_naive_mode() -> None:
    with pytest.raises(ValueError, match="naive must be 'utc' or 'local'"):
        parse_time("15m", naive="server")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("true", True),
        ("false", False),
        ("42", 42),
        ("-3", -3),
        ("0.92", 0.92),
        ("-0.5", -0.5),
        (".5", 0.5),
        ("1e3", "1e3"),
        ("nan", "nan"),
        ("inf", "inf"),
        ("gpt-4o", "gpt-4o"),
        ('"42"', "42"),
        ("'true'", "true"),
        ("", ""),
        ("True", "True"),
        ("٣", "٣"),
    ],
)
def test_attr_values_are_typed_like_stored_attributes(raw: str, value: object) -> None:
    for separator in "=:":
        parsed = parse_attr(f"key{separator}{raw}")[1]
        assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gen_ai.request.model:gpt-4o", ("gen_ai.request.model", "gpt-4o")),
        ("gen_ai.request.model=gpt-4o", ("gen_ai.request.model", "gpt-4o")),
        ("http.url=https://x/?a=b", ("http.url", "https://x/?a=b")),
        ("url:https://x.test:8443/a", ("url", "https://x.test:8443/a")),
        ("release=agent@1.0", ("release", "agent@1.0")),
        ("a=b:c", ("a", "b:c")),
        ("a:b=c", ("a", "b=c")),
    ],
)
def test_attr_splits_at_the_first_equals_or_colon(text: str, expected: object) -> None:
    assert parse_attr(text) == expected


def test_attr_strips_spaces_but_quotes_keep_them() -> None:
    assert parse_attr("model: gpt-4o ") == ("model", "gpt-4o")
    assert parse_attr(" model = gpt-4o") == ("model", "gpt-4o")
    assert parse_attr('note=" a b "') == ("note", " a b ")


@pytest.mark.parametrize(
    "text", ["", "no-equals", "no-separator", "=value", ":value", "  :x", " = 1"]
)
def test_attr_without_a_separator_or_key_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid attribute filter.*key=value or key:value"):
        parse_attr(text)


@pytest.mark.parametrize("text", ['a"b=1', '"a":1'])
def test_attr_key_with_a_double_quote_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid attribute filter.*cannot contain '\"'"):
        parse_attr(text)


def test_attrs_become_one_filter_dict_in_order() -> None:
    assert parse_attrs(["a:1", "b=x", "c:true"]) == {"a": 1, "b": "x", "c": True}
    assert list(parse_attrs(["z=1", "a=2"])) == ["z", "a"]
    assert parse_attrs([]) == {}


@pytest.mark.parametrize("texts", [["a:1", "b:x", "a:2"], ["a=1", "a:1"], [" a =1", "a=1"]])
def test_attrs_with_a_repeated_key_are_rejected_naming_it(texts: list[str]) -> None:
    with pytest.raises(ValueError, match="attribute 'a' is given twice"):
        parse_attrs(texts)


def test_attrs_reject_a_malformed_filter_and_a_lone_string() -> None:
    with pytest.raises(ValueError, match="invalid attribute filter 'oops'"):
        parse_attrs(["a:1", "oops"])
    with pytest.raises(TypeError, match="iterable of filters"):
        parse_attrs("a:1")
