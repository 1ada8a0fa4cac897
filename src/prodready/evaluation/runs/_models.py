"""What an evaluation run returns and stores: the run, its totals and its results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from prodready.evaluation._types import CaseResult, Score

RunStatus = Literal["running", "finished", "interrupted", "failed"]


class DatasetRef(BaseModel):
    """What a run was evaluated on: a stored dataset version, or the cases of a file."""

    model_config = ConfigDict(frozen=True)

    name: str
    """The stored dataset's name; for a file, its path as the suite names it."""
    version: int | None = None
    """The stored version; ``None`` for a file."""
    hash: str
    """The content hash of the cases the run was given (``sha256:...``)."""
    cases: int | None = None
    """How many cases the run was given; ``None`` if its store did not record them."""

    @property
    def label(self) -> str:
        """``name@version`` for a stored dataset, the file's path for a file."""
        return self.name if self.version is None else f"{self.name}@{self.version}"


class RunTotals(BaseModel):
    """Counts and costs over a run's results."""

    cases: int = 0
    """Distinct cases."""
    runs: int = 0
    """Case runs: cases times repeats."""
    errors: int = 0
    """Runs that failed (each counts as a failure for every scorer)."""
    cached: int = 0
    """Runs whose output came from the cache (the target was not called)."""
    cost_usd: float = 0.0
    """What this run's target calls cost (cached runs cost nothing)."""
    input_tokens: int = 0
    output_tokens: int = 0
    wall_seconds: float = 0.0
    """Time spent running, summed over resumed sessions."""

    @classmethod
    def of(cls, results: Iterable[CaseResult], *, wall_seconds: float) -> RunTotals:
        """Totals over ``results``."""
        totals = cls(wall_seconds=wall_seconds)
        ids: set[str] = set()
        for r in results:
            ids.add(r.case_id)
            totals.runs += 1
            totals.errors += r.error is not None
            totals.cached += r.cached
            if not r.cached:
                totals.cost_usd += r.cost_usd or 0.0
                totals.input_tokens += r.input_tokens or 0
                totals.output_tokens += r.output_tokens or 0
        totals.cases = len(ids)
        return totals


class RunSummary(BaseModel):
    """A run without its results, as :func:`~prodready.evaluation.runner.list_runs` lists it."""

    run_id: str
    name: str | None = None
    dataset: DatasetRef | None = None
    release: str | None = None
    status: RunStatus
    started_at_ns: int
    finished_at_ns: int | None = None
    totals: RunTotals = Field(default_factory=RunTotals)
    verdict: Literal["passed", "failed"] | None = None
    """The last gate's verdict (:func:`~prodready.evaluation.suite.gate_run` records it with
    the criteria it applied); ``None`` if the run was never gated."""


class EvalRun(RunSummary):
    """A run with every result (all repeats), in dataset order."""

    results: list[CaseResult] = Field(default_factory=list)

    def scores_named(self, name: str) -> list[Score]:
        """Every result's score called ``name`` (error scores included), in result order."""
        return [s for r in self.results for s in r.scores if s.name == name]
