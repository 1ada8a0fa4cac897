"""Trace filters written as text: durations, points in time and attribute filters.

The one parser behind both the CLI's options (``--since 2h``, ``--attr key=value``) and the
read API's query parameters (``since=2h``, ``attr=key:value``), so the two accept exactly the
same spellings. The functions are pure and raise ``ValueError`` with a message fit for a
user; callers add the option or parameter name. It imports nothing beyond the standard
library and :mod:`prodready.store`, so using it never loads the web stack.

>>> parse_duration("1h 30m")
5400000000000
>>> parse_attr("prodready.tool.attempt:2")
('prodready.tool.attempt', 2)
>>> parse_attrs(["gen_ai.request.model=gpt-4o", "cached:true"])
{'gen_ai.request.model': 'gpt-4o', 'cached': True}
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from datetime import UTC as _UTC
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Final, Literal

from prodready.store.records import AttributeValue

__all__ = ["parse_attr", "parse_attrs", "parse_duration", "parse_time"]

_UNIT_NS: Final[dict[str, int]] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3_600 * 1_000_000_000,
    "d": 86_400 * 1_000_000_000,
    "w": 7 * 86_400 * 1_000_000_000,
}
# One number-and-unit part, after optional spaces ("1h 30m"); none between number and unit.
# Longer units first, so "15ms" is milliseconds rather than 15 minutes and a stray "s".
# ASCII digits only: Fraction() and int() would accept other scripts' digits too.
_PART: Final = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d|w)")
_SEPARATOR: Final = re.compile(r"[=:]")
_INT: Final = re.compile(r"[+-]?[0-9]+")
# Only plain decimal spellings count as floats: "1e5", "nan" and "inf" stay strings, since
# attribute values like those are far more often identifiers than numbers.
_FLOAT: Final = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=_UTC)


def parse_duration(text: str) -> int:
    """Parse a duration such as ``500ms``, ``30s``, ``15m``, ``2h``, ``7d`` or ``1h30m``.

    Units are ns, us (or µs), ms, s, m, h, d and w, in any case. Parts can be combined
    (``1h30m``, or ``1h 30m`` with spaces between them) and take decimals (``1.5s``). The
    unit is required and follows its number directly: a bare ``5`` is ambiguous.

    Args:
        text: the duration; surrounding whitespace is ignored.

    Returns:
        The duration in nanoseconds, exact to the nanosecond (decimals are not floats).

    Raises:
        ValueError: the text is not a duration; the message gives examples.
    """
    value = text.strip().lower()
    total, pos = Fraction(0), 0
    while (part := _PART.match(value, pos)) is not None:
        total += Fraction(part[1]) * _UNIT_NS[part[2]]
        pos = part.end()
        if pos == len(value):
            return round(total)
    raise ValueError(
        f"invalid duration {text!r}: expected a number and a unit, "
        "like 500ms, 30s, 15m, 2h, 7d or 1h30m (units: ns, us, ms, s, m, h, d, w)"
    )


def parse_time(
    text: str, *, now_ns: int | None = None, naive: Literal["utc", "local"] = "utc"
) -> int:
    """Parse a point in time: a duration ago (``15m``, ``2h``, ``7d``) or an ISO 8601 date/time.

    Args:
        text: a duration back from now (see :func:`parse_duration`) or an ISO 8601 date or
            date/time (``2024-05-01``, ``2024-05-01T12:00``, ``2024-05-01T12:00:00+02:00``).
        now_ns: the current Unix time in nanoseconds, for durations; defaults to the clock.
        naive: what a date/time without a UTC offset means: ``"utc"`` (the read API) or
            ``"local"``, this machine's time zone (the CLI, which displays local times).

    Returns:
        The Unix time in nanoseconds, computed in integers so no nanosecond is lost.

    Raises:
        ValueError: the text is neither a duration nor an ISO 8601 date/time, or ``naive``
            is neither ``"utc"`` nor ``"local"``.
    """
    if naive not in ("utc", "local"):
        raise ValueError(f"naive must be 'utc' or 'local', not {naive!r}")
    try:
        ago = parse_duration(text)
    except ValueError:
        pass
    else:
        return (time.time_ns() if now_ns is None else now_ns) - ago
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"invalid time {text!r}: expected a duration ago like 15m, 2h or 7d, "
            "or an ISO 8601 date/time like 2024-05-01, 2024-05-01T12:00 or 2024-05-01T12:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC) if naive == "utc" else moment.astimezone()
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1_000


def parse_attr(text: str) -> tuple[str, AttributeValue]:
    """Parse an attribute filter, ``key=value`` or ``key:value``, into its key and typed value.

    The text is split at its first ``=`` or ``:``, so values may contain either
    (``url:https://x.test:8443/a``). Whitespace around the key and the value is ignored. The
    value is typed the way attributes are stored: ``true``/``false`` are bools, ``42`` an
    int, plain decimals (``0.5``, ``-3.``, ``.5``) floats, anything else (``1e3``, ``nan``,
    ``True``) a string. Quotes force a string and keep what is inside them: ``key="42"`` or
    ``key:'true'``.

    Args:
        text: the filter, e.g. ``"gen_ai.request.model=gpt-4o"`` or
            ``"prodready.tool.attempt:2"``.

    Returns:
        ``(key, value)``.

    Raises:
        ValueError: there is no ``=`` or ``:``, the key is empty, or it contains ``"``.
    """
    separator = _SEPARATOR.search(text)
    key = "" if separator is None else text[: separator.start()].strip()
    if separator is None or not key:
        raise ValueError(
            f"invalid attribute filter {text!r}: expected key=value or key:value, "
            "like gen_ai.request.model=gpt-4o"
        )
    if '"' in key:
        raise ValueError(f"invalid attribute filter {text!r}: a key cannot contain '\"'")
    return key, _typed(text[separator.end() :].strip())


def _typed(raw: str) -> AttributeValue:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    if raw in ("true", "false"):
        return raw == "true"
    if _INT.fullmatch(raw):
        return int(raw)
    if _FLOAT.fullmatch(raw):
        return float(raw)
    return raw


def parse_attrs(texts: Iterable[str]) -> dict[str, AttributeValue]:
    """Parse several attribute filters (see :func:`parse_attr`) into one filter dict.

    Args:
        texts: the filters, e.g. the values of a repeated ``--attr`` option or ``attr``
            query parameter.

    Returns:
        ``{key: value}``, in the order given.

    Raises:
        ValueError: a filter is malformed, or a key is given twice (an attribute cannot
            equal two values; the message names the key).
        TypeError: ``texts`` is a single string rather than an iterable of filters.
    """
    if isinstance(texts, str):
        raise TypeError("parse_attrs takes an iterable of filters; use parse_attr for one")
    attributes: dict[str, AttributeValue] = {}
    for text in texts:
        key, value = parse_attr(text)
        if key in attributes:
            raise ValueError(
                f"attribute {key!r} is given twice; give each attribute key at most once"
            )
        attributes[key] = value
    return attributes
