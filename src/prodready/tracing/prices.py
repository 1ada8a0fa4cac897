"""What models cost, so a foreign span that reports tokens but no cost still gets one.

prodready ships a table of common models' prices (``prices.json`` beside this module: USD per
million input, output and cached-input tokens, with the date they were taken). Prices go
stale; a user table in the same shape, YAML or JSON, merges over the shipped one: name it in
``$PRODREADY_PRICES``, pass ``configure(prices=...)`` or ``prodready serve --prices FILE``.

A model is found by the longest table entry its name starts with, case-insensitively, so
``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini`` (not ``gpt-4o``). The entry must end
at a word boundary of the name (``-``, ``_``, ``@``, ``:`` or the end): ``gpt-5.4`` is not
priced as ``gpt-5``, because a newer version is usually priced differently and no cost beats
a wrong one. A ``provider:`` or ``provider/`` prefix is dropped when the full name has no
entry (``openai:gpt-4o``, ``openrouter/anthropic/claude-3-5-sonnet``).

>>> current().find("gpt-4o-mini-2024-07-18").cost(1_000, 100)  # 1,000 in, 100 out
0.00021
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import orjson
import yaml

__all__ = [
    "PRICES_ENV",
    "Price",
    "PriceTable",
    "PricesArg",
    "PricesError",
    "current",
    "load",
    "parse",
    "shipped",
    "use",
]

log = logging.getLogger("prodready.tracing")

PRICES_ENV: Final = "PRODREADY_PRICES"
"""Environment variable naming a YAML or JSON price file that merges over the shipped table."""

_BOUNDARY: Final = frozenset("-_@:")
_FIELDS: Final = ("input", "output", "cached_input")


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """What a model costs, in USD per million tokens.

    ``cached_input`` is the price of input tokens served from the provider's prompt cache;
    ``None`` when the table does not say (they are then priced as ordinary input).
    """

    input: float
    output: float
    cached_input: float | None = None

    def cost(self, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0) -> float:
        """The cost of one call in USD.

        ``cached_input_tokens`` are part of ``input_tokens`` (as the GenAI conventions and
        OpenAI count them): they are priced at ``cached_input`` instead of ``input``.
        """
        cached = min(max(cached_input_tokens, 0), input_tokens)
        cached_price = self.input if self.cached_input is None else self.cached_input
        total = (
            (input_tokens - cached) * self.input
            + cached * cached_price
            + output_tokens * self.output
        )
        return total / 1_000_000


class PricesError(ValueError):
    """A price table that cannot be used; the message names the file and the entry."""


class PriceTable(Mapping[str, Price]):
    """Prices by lowercase model name, with :meth:`find` for the longest-prefix lookup."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = {name.lower(): price for name, price in prices.items()}
        # Longest first, so the first entry a name starts with is the longest one.
        self._by_length = sorted(self._prices, key=len, reverse=True)
        self._found: dict[str, Price | None] = {}

    def __getitem__(self, name: str) -> Price:
        return self._prices[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._prices)

    def __len__(self) -> int:
        return len(self._prices)

    def __repr__(self) -> str:
        return f"PriceTable({len(self)} models)"

    def merged(self, prices: Mapping[str, Price]) -> PriceTable:
        """This table with ``prices`` added; their entries win over this table's."""
        return PriceTable({**self._prices, **{k.lower(): v for k, v in prices.items()}})

    def find(self, model: str | None) -> Price | None:
        """The price of ``model`` (longest matching entry), or ``None`` if none matches."""
        if not model:
            return None
        try:
            return self._found[model]
        except KeyError:
            pass
        name = model.strip().lower()
        price = self._longest(name)
        if price is None:
            bare = _without_provider(name)
            if bare != name:
                price = self._longest(bare)
        if len(self._found) < 10_000:  # bounded: model names come from foreign spans
            self._found[model] = price
        return price

    def _longest(self, name: str) -> Price | None:
        for entry in self._by_length:
            if name.startswith(entry) and (
                len(name) == len(entry) or name[len(entry)] in _BOUNDARY
            ):
                return self._prices[entry]
        return None


def _without_provider(name: str) -> str:
    if "/" in name:
        return name.rsplit("/", 1)[1]
    return name.split(":", 1)[1] if ":" in name else name


@cache
def shipped() -> PriceTable:
    """The table shipped with prodready (``prodready/tracing/prices.json``)."""
    text = resources.files("prodready.tracing").joinpath("prices.json").read_bytes()
    return PriceTable(parse(orjson.loads(text), where="prodready/tracing/prices.json"))


def load(path: str | os.PathLike[str]) -> dict[str, Price]:
    """Read a price file: YAML or JSON, ``{"models": {name: {"input", "output",
    "cached_input"?}}}`` in USD per million tokens (the shape of the shipped table).

    Raises:
        PricesError: the file cannot be read or an entry is malformed (named in the message).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PricesError(f"cannot read the price file {file}: {exc}") from None
    try:
        data = orjson.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise PricesError(f"{file}: not valid {_format(file)}: {exc}") from None
    return parse(data, where=str(file))


def parse(data: Any, *, where: str) -> dict[str, Price]:
    """Prices from a decoded price file; ``where`` names it in errors."""
    models = data.get("models") if isinstance(data, Mapping) else None
    if not isinstance(models, Mapping):
        raise PricesError(f'{where}: expected a mapping with a "models" mapping of model names')
    return {str(name): _price(entry, f"{where}: models.{name}") for name, entry in models.items()}


def _price(entry: Any, where: str) -> Price:
    if isinstance(entry, Price):
        return entry
    if not isinstance(entry, Mapping):
        raise PricesError(f"{where}: expected a mapping of input/output prices, got {entry!r}")
    unknown = set(entry) - set(_FIELDS)
    if unknown:
        names = sorted(map(str, unknown))
        raise PricesError(f"{where}: unknown field(s) {names}; expected some of {_FIELDS}")
    for field in ("input", "output"):
        if field not in entry:
            raise PricesError(f"{where}: missing {field!r} (USD per million tokens)")
    values = {field: _usd(entry[field], f"{where}.{field}") for field in entry}
    return Price(**values)


def _usd(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PricesError(f"{where}: expected a number of USD per million tokens, got {value!r}")
    if value < 0:
        raise PricesError(f"{where}: a price cannot be negative, got {value!r}")
    return float(value)


def _format(file: Path) -> str:
    return "JSON" if file.suffix.lower() == ".json" else "YAML"


# --- the table in use -------------------------------------------------------------------------


class _Active:
    table: PriceTable | None = None


PricesArg = Mapping[str, Price | Mapping[str, Any]] | str | os.PathLike[str] | None
"""What ``configure(prices=)`` takes: a price file's path, or prices by model name."""


def use(prices: PricesArg) -> PriceTable:
    """Make the shipped table, merged with ``$PRODREADY_PRICES`` and then ``prices``, the one
    :func:`current` returns (``configure(prices=)`` and ``prodready serve --prices`` call it).

    Args:
        prices: a price file's path, or prices by model name (:class:`Price` objects or
            ``{"input", "output", "cached_input"}`` mappings); ``None`` for no extra prices.

    Raises:
        PricesError: a file or entry is malformed (the message names it).
    """
    table = _with_environment()
    if isinstance(prices, str | os.PathLike):
        table = table.merged(load(prices))
    elif prices is not None:
        table = table.merged(parse({"models": prices}, where="prices="))
    _Active.table = table
    return table


def current() -> PriceTable:
    """The price table in use: what :func:`use` set, else the shipped table merged with
    ``$PRODREADY_PRICES``. Never raises: a bad environment file is logged and ignored here
    (``configure()`` and ``prodready serve`` report it as an error at start-up)."""
    table = _Active.table
    if table is None:
        try:
            table = _with_environment()
        except PricesError as exc:
            log.error("prodready: ignoring $%s: %s", PRICES_ENV, exc)
            table = shipped()
        _Active.table = table
    return table


def _with_environment() -> PriceTable:
    path = os.environ.get(PRICES_ENV)
    return shipped().merged(load(path)) if path else shipped()
