"""What the dataset functions return and raise: listings, candidates, located file errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prodready.evaluation._types import Case, Expected

CandidateStatus = Literal["pending", "confirmed", "rejected"]
CANDIDATE_STATUSES: tuple[CandidateStatus, ...] = ("pending", "confirmed", "rejected")


class DatasetError(ValueError):
    """A dataset operation cannot be done as asked (duplicate ids or inputs, bad state...)."""


class DatasetNotFound(DatasetError, KeyError):
    """No such dataset or version; the message lists what does exist."""

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0]) if self.args else ""


class CandidateNotFound(DatasetError, KeyError):
    """No candidate case with this id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FileProblem:
    """One located problem in a dataset file."""

    file: str
    line: int | None
    """1-based line where the record starts; ``None`` for the whole file."""
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"field {self.field!r}: " if self.field else ""
        return f"{where}: {what}{self.reason}"


class DatasetFileError(DatasetError):
    """A dataset file is malformed. ``problems`` lists every problem found, up to a cap.

    ``str()`` is one problem per line, e.g.
    ``cases.jsonl:17: field 'split': must be one of dev, validation, holdout``.
    """

    def __init__(self, problems: list[FileProblem], *, truncated: bool = False) -> None:
        self.problems = problems
        self.truncated = truncated
        lines = [str(p) for p in problems]
        if truncated:
            lines.append(f"(stopped after {len(problems)} problems; there may be more)")
        super().__init__("\n".join(lines))


class DatasetInfo(BaseModel):
    """One dataset in a listing: its newest version."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str | None = None
    latest_version: int
    case_count: int
    """Cases in the latest version."""
    content_hash: str
    created_at_ns: int
    """When the dataset was created (version 1)."""
    updated_at_ns: int
    """When the latest version was saved."""
    created_by: str | None = None


class DatasetVersionInfo(BaseModel):
    """One version in a dataset's history (without its cases)."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int
    content_hash: str
    case_count: int
    created_at_ns: int
    created_by: str | None = None
    message: str | None = None


class CandidateCase(BaseModel):
    """A case proposed from production that joins its dataset only once a human confirms it."""

    model_config = ConfigDict(frozen=True)

    id: str
    dataset: str
    case: Case
    """The proposed case (its ``provenance`` is ``trace:<id>``)."""
    status: CandidateStatus
    suggested: dict[str, Any] = Field(default_factory=dict)
    """What the trace suggests, for the reviewer: ``reference`` (the agent's output),
    ``intent`` and ``intent_confidence``, ``tools``, ``escalation``, ``trace_status``,
    ``release``. Suggestions never become the expected answer on their own."""
    created_at_ns: int
    created_by: str | None = None
    reviewed_by: str | None = None
    reviewed_at_ns: int | None = None
    review_note: str | None = None
    """Why the reviewer rejected it, if they said."""
    confirmed_version: int | None = None
    """The dataset version the confirmed case first joined."""

    @property
    def provenance(self) -> str:
        return self.case.provenance

    @property
    def reason(self) -> str | None:
        return self.case.reason

    def suggested_expected(self) -> Expected:
        """The case's expected answer with the trace's suggested reference and intent filled
        in where the case has none: what a reviewer accepts with "use the suggestion"."""
        e = self.case.expected
        reference = self.suggested.get("reference")
        intent = self.suggested.get("intent")
        return e.model_copy(
            update={
                "reference": e.reference or (reference if isinstance(reference, str) else None),
                "intent": e.intent or (intent if isinstance(intent, str) else None),
            }
        )
