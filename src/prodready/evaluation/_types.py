"""The evaluation vocabulary every part shares: cases, results, scores.

Pydantic models, since each crosses the storage boundary (datasets, eval results, scores).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
)

from prodready.store import Trace
from prodready.vocabulary.canonical import content_hash as content_hash  # noqa: PLC0414

# content_hash is re-exported above: scorers, datasets and calibration import it from here.

Split = Literal["dev", "validation", "holdout"]
Layer = Literal["check", "judge", "behaviour", "human", "online", "feedback"]
CaseStatus = Literal["active", "candidate"]
InputKind = Literal["value", "arguments"]

LAYERS: tuple[Layer, ...] = ("check", "judge", "behaviour", "human", "online", "feedback")
"""Every layer a score may carry: ``online`` scores come from production traces as they
arrive, ``feedback`` from the agent's end users (:mod:`prodready.monitoring`)."""


class Expected(BaseModel):
    """What an expert says a good run of a case looks like. Every field is optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str | None = None
    """The expert's reference answer."""
    facts: list[str] = Field(default_factory=list)
    """Facts the answer must state (amounts, durations, names...)."""
    intent: str | None = None
    """The intent the agent should recognise."""
    tools: list[str] | None = None
    """Tools the agent should call (names, any order); ``[]`` means none."""
    escalation: bool | None = None
    """Whether the agent should hand the case to a human."""
    custom: dict[str, Any] = Field(default_factory=dict)
    """Anything else a custom scorer needs."""


class Case(BaseModel):
    """One evaluation case: an input, what is expected, and where it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    input: str | dict[str, Any]
    input_kind: InputKind = "value"
    """How the target is called: ``value``, with ``input`` as its one argument; ``arguments``,
    with ``input`` as the call's arguments by parameter name (what ``@prodready.trace``
    records, so a case made from a trace calls the target exactly as the traced call did)."""
    expected: Expected = Field(default_factory=Expected)
    tags: list[str] = Field(default_factory=list)
    split: Split = "dev"
    provenance: str = "expert"
    """``expert``, ``trace:<trace id>`` or ``incident:<incident id>``."""
    added_by: str | None = None
    reason: str | None = None
    """Why the case was added (what it guards against)."""

    @field_validator("input_kind")
    @classmethod
    def _arguments_are_an_object(cls, kind: InputKind, info: ValidationInfo) -> InputKind:
        if kind == "arguments" and not isinstance(info.data.get("input"), dict):
            raise ValueError(
                "'arguments' needs an object input: the call's arguments by parameter name"
            )
        return kind

    @model_serializer(mode="wrap")
    def _omit_value_kind(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.input_kind == "value":  # the default: stored bodies keep the hash they had
            data.pop("input_kind", None)
        return data

    def content_hash(self) -> str:
        """Hash of what defines the case's behaviour: input, how the target takes it, and
        expected (not tags or who)."""
        defining = {"input": self.input, "expected": self.expected.model_dump()}
        if self.input_kind != "value":
            defining["input_kind"] = self.input_kind
        return content_hash(defining)


class Score(BaseModel):
    """One scorer's judgement of one run of one case (or of a trace or span in production).

    ``scorer``, ``version`` and ``args`` identify the scorer exactly, so a stored score can
    be rebuilt and re-run (:func:`prodready.evaluation.rebuild_scorer`).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    """What the score measures; success criteria refer to scores by this name."""
    value: float | None
    """Usually in [0, 1]; a raw quantity (latency ms, tool calls) for some behaviour scorers.
    ``None`` when the scorer could not score (see ``error``)."""
    passed: bool | None = None
    rationale: str | None = None
    layer: Layer
    scorer: str
    version: str
    args: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    """Why the scorer could not score (the case then counts as an error, not a pass)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    author: str | None = None
    """For human scores: who labelled."""

    @property
    def not_applicable(self) -> bool:
        """The scorer had nothing to judge on this case (no expected facts, reference or
        escalation): no value, no verdict and no error. Such a score is neither a pass nor a
        failure, and stays out of every denominator."""
        return self.value is None and self.passed is None and self.error is None


class CaseResult(BaseModel):
    """One run of the system under test on one case, with its scores."""

    case_id: str
    case_hash: str
    repeat: int = 0
    output: Any = None
    error: str | None = None
    """An infrastructure or agent error: the run counts as an error in every denominator."""
    trace_id: str | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached: bool = False
    scores: list[Score] = Field(default_factory=list)
    trace: Trace | None = Field(default=None, exclude=True)
    """The run's trace from the store (set by the runner before scoring), for behaviour
    scorers and groundedness judges. Not serialised."""

    def score(self, name: str) -> Score | None:
        """The score called ``name``, if any."""
        return next((s for s in self.scores if s.name == name), None)


class DatasetVersion(BaseModel):
    """An immutable, content-hashed version of a dataset: what a run is evaluated on."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int
    content_hash: str
    """Hash of the version's cases (ids and content hashes, in order)."""
    cases: list[Case]
    created_at_ns: int | None = None
    created_by: str | None = None
    message: str | None = None

    @staticmethod
    def hash_cases(cases: list[Case]) -> str:
        """The ``content_hash`` a version with these cases has."""
        return content_hash([[c.id, c.content_hash()] for c in cases])
