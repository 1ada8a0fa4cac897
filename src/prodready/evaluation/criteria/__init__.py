"""Success criteria as a file, written before the agent: what each metric must reach.

::

    version: 1
    judge_kappa_floor: 0.6
    metrics:
      correctness: {source: correctness, aggregate: rate, target: ">= 0.85", gate: confident}
      latency_p95_ms: {source: business.latency_ms, aggregate: p95, target: "<= 2500"}
      correctness_vs_prod: {source: correctness, gate: non_inferior, margin: 0.02}

:func:`load_criteria` reads a file; every mistake in it is reported at once, each with its
line (:class:`CriteriaError`). :func:`prodready.evaluation.gate.evaluate_gate` applies the
criteria to a run. The format is described in ``docs/criteria.md``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from prodready.evaluation.criteria import _yaml as _criteria_yaml
from prodready.evaluation.criteria._yaml import CriteriaIssue

__all__ = [
    "BUSINESS_METRICS",
    "Aggregate",
    "Comparison",
    "Criteria",
    "CriteriaError",
    "CriteriaIssue",
    "Direction",
    "GateMode",
    "Metric",
    "Target",
    "load_criteria",
    "parse_criteria",
]

Comparison = Literal[">=", "<=", "=="]
Aggregate = Literal["rate", "mean", "p50", "p95"]
GateMode = Literal["point", "confident", "non_inferior", "report"]
Direction = Literal["higher", "lower"]

BUSINESS_METRICS: dict[str, tuple[Literal["rate", "number"], Direction]] = {
    "deflection": ("rate", "higher"),
    "wrong_escalation": ("rate", "lower"),
    "false_positive_rate": ("rate", "lower"),
    "cost_per_conversation": ("number", "lower"),
    "latency_ms": ("number", "lower"),
}
"""Business metrics a ``source: business.<name>`` can name: whether each is a per-case
yes/no (aggregate ``rate``) or a number (``mean``, ``p50``, ``p95``), and which way is better.
Their definitions are in ``docs/criteria.md`` and ``prodready.evaluation.gate``."""

_TARGET = re.compile(r"^\s*(>=|<=|==)\s*(\S+)\s*$")
_FAIL_SIGN = {">=": "<", "<=": ">", "==": "!="}


class Target(BaseModel):
    """A comparison a metric must satisfy, written ``">= 0.85"`` or ``{op: ">=", value: 0.85}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    op: Comparison
    value: float

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, dict | Target):
            return data
        match = _TARGET.match(data) if isinstance(data, str) else None
        number = _number(match.group(2)) if match else None
        if match is None or number is None:
            got = _criteria_yaml.short_repr(data)
            raise ValueError(f"expected a comparison like '>= 0.85', got {got}")
        return {"op": match.group(1), "value": number}

    @model_serializer
    def _as_text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{self.op} {_plain(self.value)}"

    def met(self, x: float) -> bool:
        """Whether ``x`` satisfies the comparison."""
        if self.op == ">=":
            return x >= self.value
        if self.op == "<=":
            return x <= self.value
        return x == self.value

    @property
    def fail_sign(self) -> str:
        """The sign shown when the comparison fails (``<`` for a ``>=`` target)."""
        return _FAIL_SIGN[self.op]


class Metric(BaseModel):
    """One success metric: where its numbers come from, how they aggregate, how it gates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1)
    """A score name (``CaseResult.scores``) or ``business.<name>`` (:data:`BUSINESS_METRICS`)."""
    aggregate: Aggregate = "rate"
    """``rate``: share of cases whose score passed (errors count as failures); ``mean``,
    ``p50``, ``p95``: of the score's value (or the business number)."""
    target: Target | None = None
    gate: GateMode = "point"
    """``point``: the estimate meets the target; ``confident``: the 95% bound on the
    unfavourable side does; ``non_inferior``: not worse than the baseline by more than
    ``margin`` (paired, one-sided 95%); ``report``: computed, never gates."""
    margin: float | None = Field(default=None, ge=0)
    """For ``non_inferior``: the largest tolerated loss, in the metric's own units."""
    better: Direction | None = None
    """Which way is better; by default from the target (``<=`` means lower), then from the
    business metric, else higher."""
    description: str | None = None

    @field_validator("source")
    @classmethod
    def _known_business(cls, source: str) -> str:
        if source.startswith("business.") and source[9:] not in BUSINESS_METRICS:
            known = ", ".join(f"business.{n}" for n in BUSINESS_METRICS)
            raise ValueError(f"unknown business metric {source!r} (known: {known})")
        return source

    @field_validator("target")
    @classmethod
    def _rate_target(cls, target: Target | None, info: ValidationInfo) -> Target | None:
        if target is not None and _is_rate(info.data):
            problem = _rate_target_problem(target)
            if problem:
                raise ValueError(problem)
        return target

    @field_validator("margin")
    @classmethod
    def _rate_margin(cls, margin: float | None, info: ValidationInfo) -> float | None:
        # A paired loss of a rate is at most 1, so a margin of 1 or more lets any loss pass.
        if margin is not None and margin >= 1 and _is_rate(info.data):
            raise ValueError(
                f"a rate's margin is a share of cases below 1 (0.02 = two points), got {margin:g}"
            )
        return margin

    @field_validator("better")
    @classmethod
    def _better_agrees(cls, better: Direction | None, info: ValidationInfo) -> Direction | None:
        target = info.data.get("target")
        if better is None or not isinstance(target, Target) or target.op == "==":
            return better
        implied = "higher" if target.op == ">=" else "lower"
        if better != implied:
            raise ValueError(
                f"better: {better} contradicts target '{target}' ({implied} is better)"
            )
        return better

    @model_validator(mode="after")
    def _consistent(self) -> Metric:
        problem = self._problem()
        if problem:
            raise ValueError(problem)
        return self

    def _problem(self) -> str | None:
        business = self.business
        if business and BUSINESS_METRICS[business][0] == "rate" and self.aggregate != "rate":
            return f"{self.source} is a yes/no per case: use aggregate: rate"
        if business and BUSINESS_METRICS[business][0] == "number" and self.aggregate == "rate":
            return f"{self.source} is a number per case: use aggregate mean, p50 or p95"
        if self.gate in ("point", "confident") and self.target is None:
            return f"gate {self.gate!r} needs a target"
        if self.gate == "confident" and self.target is not None and self.target.op == "==":
            return "gate 'confident' needs a '>=' or '<=' target (an interval never equals)"
        if self.gate == "confident" and self.aggregate == "rate" and self.target is not None:
            edge = {">=": 1.0, "<=": 0.0}.get(self.target.op)
            if self.target.value == edge:
                return (
                    f"gate 'confident' can never pass '{self.target}': a rate's confidence bound "
                    f"never reaches {edge:g} (use gate: point)"
                )
        if self.gate == "non_inferior" and self.margin is None:
            return "gate 'non_inferior' needs a margin (e.g. margin: 0.02)"
        if self.gate != "non_inferior" and self.margin is not None:
            return "margin only applies to gate 'non_inferior'"
        return None

    @property
    def business(self) -> str | None:
        """The business metric's name for a ``business.<name>`` source, else ``None``."""
        return self.source[9:] if self.source.startswith("business.") else None

    @property
    def direction(self) -> Direction:
        """Which way is better (see :attr:`better`)."""
        if self.better is not None:
            return self.better
        if self.target is not None and self.target.op != "==":
            return "higher" if self.target.op == ">=" else "lower"
        if self.business:
            return BUSINESS_METRICS[self.business][1]
        return "higher"


class Criteria(BaseModel):
    """A success-criteria file: the metrics a release must meet, in file order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    judge_kappa_floor: float = Field(default=0.6, ge=0, le=1)
    """Judges whose Cohen's kappa against human labels is below this cannot gate."""
    metrics: dict[str, Metric] = Field(min_length=1)

    def to_yaml(self) -> str:
        """The criteria as a file :func:`parse_criteria` reads back to an equal value."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        data = {"version": self.version, **data}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class CriteriaError(ValueError):
    """A criteria file that cannot be used; ``str()`` lists every problem, one per line."""

    def __init__(self, issues: list[CriteriaIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def parse_criteria(text: str, *, source: str = "<string>") -> Criteria:
    """Criteria from YAML text; ``source`` names it in error messages.

    Raises:
        CriteriaError: with every problem, each located by line.
    """
    root, data, issues = _criteria_yaml.load(text, source)
    if root is None:
        raise CriteriaError(issues)
    try:
        criteria = Criteria.model_validate(data)
    except ValidationError as exc:
        issues += _criteria_yaml.issues_from(exc, root, source, _fields_at)
    if issues:
        raise CriteriaError(sorted(issues, key=lambda i: (i.line, i.column)))
    return criteria


def load_criteria(path: str | Path) -> Criteria:
    """Criteria from a YAML file (see :func:`parse_criteria`).

    Raises:
        CriteriaError: with every problem, each located by line.
        OSError: the file cannot be read.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CriteriaError([_criteria_yaml.not_utf8(raw, exc, str(path))]) from None
    return parse_criteria(text, source=str(path))


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    if not loc:
        return list(Criteria.model_fields)
    if len(loc) == 2 and loc[0] == "metrics":
        return list(Metric.model_fields)
    if len(loc) == 3 and loc[0] == "metrics" and loc[2] == "target":
        return list(Target.model_fields)
    return []


def _is_rate(fields: dict[str, Any]) -> bool:
    """Whether the fields validated so far make a rate (a business number given no
    aggregate is reported as that mistake instead)."""
    source = str(fields.get("source", ""))
    name = source[9:] if source.startswith("business.") else None
    number = name in BUSINESS_METRICS and BUSINESS_METRICS[name][0] == "number"
    return fields.get("aggregate") == "rate" and not number


def _rate_target_problem(target: Target) -> str | None:
    value = target.value
    if not 0 <= value <= 1:
        hint = f" (for {value:g}%, write '{target.op} {value / 100:g}')" if 1 < value <= 100 else ""
        return f"a rate is a share between 0 and 1, got '{target}'{hint}"
    if (target.op, value) in ((">=", 0.0), ("<=", 1.0)):
        return (
            f"'{target}' is always met, since a rate lies between 0 and 1 "
            "(to only report the metric, use gate: report without a target)"
        )
    return None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _plain(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
