"""Evaluation in one call: run a target on a dataset, score it, gate it on criteria.

:func:`evaluate` (async) and :func:`evaluate_sync` build a
:class:`~prodready.evaluation.suite.Suite` and run it; :meth:`Suite.run` and
:meth:`Suite.run_sync` come here too. Either way the work is what ``prodready eval run``
does: the criteria are read first (a malformed file fails before any agent call is paid
for), then the cases (a file, a stored dataset, or a list); the runner runs and scores every
case with tracing, and :func:`~prodready.evaluation.suite.gate_run` applies the criteria.
The returned :class:`Evaluation` holds the run, its gate report and the exit code CI should
use.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prodready.evaluation._registry import Scorer
    from prodready.evaluation._types import Case, DatasetVersion, Split
    from prodready.evaluation.criteria import Criteria
    from prodready.evaluation.datasets._subset import Strata
    from prodready.evaluation.gate import GateReport
    from prodready.evaluation.runner import EvalRun, Target
    from prodready.evaluation.suite import Suite
    from prodready.store import Store

__all__ = ["Evaluation", "evaluate", "evaluate_sync", "run_suite", "run_suite_sync"]


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """One evaluation: the stored run, its gate report, and what CI should do with them."""

    run: EvalRun
    """The run, with every case result and its scores (stored under ``run.run_id``)."""
    gate: GateReport | None
    """The criteria applied to the run; ``None`` when no criteria were given."""
    cases: DatasetVersion | list[Case] = field(repr=False)
    """The cases the run was given (what reports and re-gating read)."""
    baseline: EvalRun | None = None
    """The run ``non_inferior`` metrics were compared against, if any."""

    @property
    def passed(self) -> bool | None:
        """Whether the gate passed; ``None`` when nothing was gated (no criteria)."""
        return self.gate.passed if self.gate is not None else None

    @property
    def exit_code(self) -> int:
        """What ``prodready eval run`` exits with: 0 passed (or nothing gated), 1 not met."""
        return self.gate.exit_code if self.gate is not None else 0

    def render_text(self) -> str:
        """The gate's table and reasons; without criteria, each score's pass count."""
        if self.gate is not None:
            return self.gate.render_text()
        return _scores_text(self.run)

    def __str__(self) -> str:
        return self.render_text()

    def write_reports(
        self,
        *,
        junit: str | os.PathLike[str] | None = None,
        markdown: str | os.PathLike[str] | None = None,
        html: str | os.PathLike[str] | None = None,
        trace_url: str | None = None,
    ) -> list[Path]:
        """Write the JUnit, Markdown and HTML reports whose paths are given (see
        :func:`prodready.evaluation.reports.write_reports`); returns the paths written."""
        from prodready.evaluation.reports import write_reports

        return write_reports(
            self.run,
            self.gate,
            junit=_path(junit),
            markdown=_path(markdown),
            html=_path(html),
            cases=self.cases,
            baseline=self.baseline,
            trace_url=trace_url,
        )


async def evaluate(
    target: Target,
    dataset: str | os.PathLike[str] | DatasetVersion | Sequence[Case],
    scorers: Sequence[Scorer] = (),
    *,
    criteria: str | os.PathLike[str] | Criteria | None = None,
    store: Store | None = None,
    release: str | None = None,
    name: str | None = None,
    baseline: EvalRun | None = None,
    baseline_release: str | None = None,
    concurrency: int = 8,
    timeout: float | None = 60.0,
    repeats: int = 1,
    cache: bool = True,
    progress: bool = True,
) -> Evaluation:
    """Run ``target`` on every case of ``dataset``, score it, and gate it on ``criteria``.

    Args:
        target: the system under test, called with each case's ``input`` (sync or async).
        dataset: a ``.jsonl``/``.csv`` path, ``"name"`` or ``"name@version"`` in the store,
            a dataset version, or a list of cases.
        scorers: each gives one score per case run; criteria name scores by their names.
        criteria: a criteria YAML file, or :class:`~prodready.evaluation.criteria.Criteria`;
            without criteria the run is stored and summarised, and nothing is gated.
        store: where the run, its traces and the judge calibrations are (default: the store
            tracing writes to, else ``Store()``).
        release: the release under test, stamped on every trace; outputs are cached by it
            (without it they are not).
        name: a label for the run (default: the dataset's name).
        baseline: the run ``non_inferior`` metrics compare against.
        baseline_release: instead of ``baseline``, the latest finished run of this release
            on the same cases (:func:`~prodready.evaluation.suite.find_baseline`).
        concurrency: target calls in flight at once.
        timeout: seconds per attempt of a target call; ``None`` for no limit.
        repeats: runs per case.
        cache: read cached outputs and scores.
        progress: show a progress bar on stderr (only when it is a terminal).

    Raises:
        CriteriaError: a malformed criteria file (every problem, each with its line).
        DatasetError: a malformed dataset file or an unknown stored dataset.
        SuiteError: a bad ``name@version``, or a stored dataset named without a store.
        OSError: a file cannot be read.
        ValueError: a bad option, duplicate case ids or score names, or both baselines.
    """
    suite = _suite(target, dataset, scorers, criteria, release, name, concurrency, timeout, repeats)
    return await run_suite(suite, store, baseline=baseline, baseline_release=baseline_release,
                           cache=cache, progress=progress)  # fmt: skip


def evaluate_sync(
    target: Target,
    dataset: str | os.PathLike[str] | DatasetVersion | Sequence[Case],
    scorers: Sequence[Scorer] = (),
    *,
    criteria: str | os.PathLike[str] | Criteria | None = None,
    store: Store | None = None,
    release: str | None = None,
    name: str | None = None,
    baseline: EvalRun | None = None,
    baseline_release: str | None = None,
    concurrency: int = 8,
    timeout: float | None = 60.0,
    repeats: int = 1,
    cache: bool = True,
    progress: bool = True,
) -> Evaluation:
    """:func:`evaluate`, blocking until the run is gated (also under a running event loop)."""
    suite = _suite(target, dataset, scorers, criteria, release, name, concurrency, timeout, repeats)
    return run_suite_sync(suite, store, baseline=baseline, baseline_release=baseline_release,
                          cache=cache, progress=progress)  # fmt: skip


def _suite(
    target: Target,
    dataset: str | os.PathLike[str] | DatasetVersion | Sequence[Case],
    scorers: Sequence[Scorer],
    criteria: str | os.PathLike[str] | Criteria | None,
    release: str | None,
    name: str | None,
    concurrency: int,
    timeout: float | None,
    repeats: int,
) -> Suite:
    from prodready.evaluation.suite import Suite

    return Suite(target=target, dataset=dataset, scorers=scorers, criteria=criteria,
                 release=release, name=name, concurrency=concurrency, timeout=timeout,
                 repeats=repeats)  # fmt: skip


async def run_suite(
    suite: Suite,
    store: Store | None = None,
    *,
    release: str | None = None,
    baseline: EvalRun | None = None,
    baseline_release: str | None = None,
    split: Split | None = None,
    subset: int | None = None,
    seed: int | str = 0,
    by: Strata = "tag",
    cache: bool = True,
    progress: bool = True,
) -> Evaluation:
    """What :meth:`Suite.run <prodready.evaluation.suite.Suite.run>` does."""
    from prodready.evaluation.runner import evaluate as run_cases

    _one_baseline(baseline, baseline_release)
    with _store(store) as chosen:
        criteria, cases = await asyncio.to_thread(
            _prepare, suite, chosen, split=split, subset=subset, seed=seed, by=by
        )
        run = await run_cases(
            suite.target, cases, suite.scorers, store=chosen, release=release or suite.release,
            name=suite.name, concurrency=suite.concurrency, timeout=suite.timeout,
            repeats=suite.repeats, cache=cache, progress=progress,
            dataset_file=suite.dataset_file,
        )  # fmt: skip
        return await asyncio.to_thread(
            _gated, chosen, run, criteria, cases, baseline, baseline_release
        )


def run_suite_sync(
    suite: Suite,
    store: Store | None = None,
    *,
    release: str | None = None,
    baseline: EvalRun | None = None,
    baseline_release: str | None = None,
    split: Split | None = None,
    subset: int | None = None,
    seed: int | str = 0,
    by: Strata = "tag",
    cache: bool = True,
    progress: bool = True,
) -> Evaluation:
    """What :meth:`Suite.run_sync <prodready.evaluation.suite.Suite.run_sync>` does:
    :func:`run_suite`, blocking (under a running event loop too, as ``evaluate_sync``)."""
    from prodready.evaluation.runner import _run_sync

    return _run_sync(
        lambda: run_suite(suite, store, release=release, baseline=baseline,
                          baseline_release=baseline_release, split=split, subset=subset,
                          seed=seed, by=by, cache=cache, progress=progress)
    )  # fmt: skip


def _one_baseline(baseline: EvalRun | None, release: str | None) -> None:
    if baseline is not None and release is not None:
        raise ValueError("give baseline or baseline_release, not both")


@contextmanager
def _store(store: Store | None) -> Iterator[Store]:
    """``store``; else the store tracing writes to; else ``Store()``, closed at the end.

    Chosen here rather than by the runner, so the run is gated on the store it went to.
    """
    if store is not None:
        yield store
        return
    from prodready import tracing
    from prodready.store import Store

    config = tracing.current()
    if config is not None and config.store is not None:
        yield config.store
        return
    own = Store()
    try:
        yield own
    finally:
        own.close()


def _prepare(
    suite: Suite,
    store: Store,
    *,
    split: Split | None,
    subset: int | None,
    seed: int | str,
    by: Strata,
) -> tuple[Criteria | None, DatasetVersion | list[Case]]:
    # Criteria first: a malformed file should fail before any agent call is paid for.
    criteria = suite.load_criteria()
    return criteria, suite.load_cases(store, split=split, subset=subset, seed=seed, by=by)


def _gated(
    store: Store,
    run: EvalRun,
    criteria: Criteria | None,
    cases: DatasetVersion | list[Case],
    baseline: EvalRun | None,
    baseline_release: str | None,
) -> Evaluation:
    from prodready.evaluation.suite import find_baseline, gate_run

    if baseline_release is not None:
        baseline = find_baseline(store, baseline_release, run)
    gate = None
    if criteria is not None:
        gate = gate_run(store, run, criteria, cases=cases, baseline=baseline)
    return Evaluation(run=run, gate=gate, cases=cases, baseline=baseline)


def _path(value: str | os.PathLike[str] | None) -> str | None:
    return os.fspath(value) if value is not None else None


def _scores_text(run: EvalRun) -> str:
    """Each score's passes out of the cases it judged, errors and not-applicable counts."""
    rows = [("score", "passed", "errors", "n/a")]
    for name in dict.fromkeys(s.name for r in run.results for s in r.scores):
        scores = run.scores_named(name)
        judged = [s for s in scores if not s.not_applicable]
        passed = sum(s.passed is True for s in judged)
        errors = sum(s.error is not None for s in judged)
        rows.append((name, f"{passed}/{len(judged)}", str(errors), str(len(scores) - len(judged))))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, "", "no success criteria: nothing was gated"])
