"""Suites: what ``prodready eval run`` evaluates, declared in a Python file next to the agent.

::

    from prodready.evaluation.scorers import contains
    from prodready.evaluation.suite import Suite, suite

    @suite
    def support_agent() -> Suite:
        return Suite(
            target=agent.answer,
            dataset="support-golden@3",      # in the store; or "cases.jsonl"; or a list of Case
            scorers=[contains("refund")],
            criteria="criteria.yaml",        # relative to this file
        )

:func:`load_suite` imports such a file by path (``"evals/suite.py"`` or
``"evals/suite.py:support_agent"``) and returns the :class:`Suite`; every problem is a
:class:`SuiteError` naming the file and what is missing. :meth:`Suite.run_sync` (or, async,
:meth:`Suite.run`) runs it as ``prodready eval run`` does and returns the run with its gate
report (:class:`~prodready.evaluation.Evaluation`). :func:`gate_run` applies criteria
to a run the way CI does (judge calibrations from the store, traces for business metrics,
a baseline for non-inferiority); :func:`find_baseline` finds that baseline by release;
:func:`compare_stored` ranks stored runs, measuring a metric as :func:`gate_run` does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from prodready.evaluation import _registry, _types
from prodready.evaluation import criteria as _criteria
from prodready.evaluation.datasets import _subset as _dataset_subset

if TYPE_CHECKING:
    from prodready.evaluation._evaluate import Evaluation
    from prodready.evaluation._registry import Scorer
    from prodready.evaluation._types import Case, CaseResult, DatasetVersion, Split
    from prodready.evaluation.calibration import Calibration
    from prodready.evaluation.compare import Adjust, CaseSet, Comparison
    from prodready.evaluation.criteria import Criteria
    from prodready.evaluation.datasets._subset import Strata
    from prodready.evaluation.gate import GateReport
    from prodready.evaluation.runner import EvalRun, Target
    from prodready.store import Store

__all__ = [
    "RELEASE_ENV",
    "Suite",
    "SuiteError",
    "compare_stored",
    "default_release",
    "find_baseline",
    "gate_run",
    "load_suite",
    "resolve_dataset",
    "suite",
]

RELEASE_ENV = "PRODREADY_RELEASE"
"""The release a suite evaluates when neither the suite nor ``--release`` names one."""

_MARK = "__prodready_suite__"
_FILE_SUFFIXES = frozenset({".jsonl", ".ndjson", ".csv"})
_NAMED = re.compile(r"^(?P<name>[^@]+?)(?:@v?(?P<version>\d+))?$")
_TRACE_METRICS = frozenset({"deflection", "wrong_escalation", "false_positive_rate"})
_CASE_METRICS = frozenset({"wrong_escalation", "false_positive_rate"})
_BASELINE_SEARCH = 20
"""How many of the baseline release's newest runs :func:`find_baseline` looks through."""

_F = TypeVar("_F", bound=Callable[[], "Suite"])


class SuiteError(ValueError):
    """A suite that cannot be used: the message names the file and what is wrong."""


@dataclass(frozen=True, kw_only=True)
class Suite:
    """What to evaluate, on which cases, scored how, gated by which criteria.

    Relative paths (``dataset``, ``criteria``) are read from ``root``, which
    :func:`load_suite` sets to the suite file's directory.
    """

    target: Target
    """The system under test: called with each case's ``input`` (sync or async)."""
    dataset: str | os.PathLike[str] | DatasetVersion | Sequence[Case]
    """``"name"`` or ``"name@version"`` in the store, a ``.jsonl``/``.csv`` path, or cases."""
    scorers: Sequence[Scorer] = ()
    criteria: str | os.PathLike[str] | Criteria | None = None
    """A criteria YAML file, or :class:`~prodready.evaluation.criteria.Criteria`; without
    criteria a run is stored and summarised but nothing is gated."""
    release: str | None = None
    """Default: ``$PRODREADY_RELEASE``, else ``git describe`` (see :func:`default_release`)."""
    concurrency: int = 8
    timeout: float | None = 60.0
    """Seconds per attempt of a target call; ``None`` for no limit."""
    repeats: int = 1
    name: str | None = None
    """Set by :func:`load_suite` to the decorated function's name."""
    root: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not callable(self.target):
            raise TypeError(f"Suite target must be callable, got {type(self.target).__name__}")
        object.__setattr__(self, "scorers", tuple(self.scorers))
        for s in self.scorers:
            if not isinstance(s, _registry.Scorer):
                raise TypeError(f"Suite scorers must be scorers (made by @scorer), got {s!r}")
        if self.concurrency < 1 or self.repeats < 1:
            raise ValueError("Suite concurrency and repeats must be at least 1")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"Suite timeout must be positive or None, got {self.timeout}")

    async def run(
        self,
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
        """Run the suite as ``prodready eval run`` does: criteria read first, then the cases
        (:meth:`load_cases`), run, scored and stored, then gated (:func:`gate_run`).

        Args:
            store: where the run, its traces and named datasets are (default: the store
                tracing writes to, else ``Store()``).
            release: overrides the suite's release.
            baseline: the run ``non_inferior`` metrics compare against.
            baseline_release: instead, the latest finished run of this release on the same
                cases (:func:`find_baseline`).
            split, subset, seed, by: which cases, as for :meth:`load_cases`.
            cache: read cached outputs and scores.
            progress: show a progress bar on stderr (only when it is a terminal).

        Raises:
            CriteriaError, DatasetError, SuiteError, OSError: as :meth:`load_criteria` and
                :meth:`load_cases` raise them, before the target is called.
            ValueError: a bad option, or both ``baseline`` and ``baseline_release``.
        """
        from prodready.evaluation._evaluate import run_suite

        return await run_suite(self, store, release=release, baseline=baseline,
                               baseline_release=baseline_release, split=split, subset=subset,
                               seed=seed, by=by, cache=cache, progress=progress)  # fmt: skip

    def run_sync(
        self,
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
        """:meth:`run`, blocking until the run is gated (also under a running event loop)."""
        from prodready.evaluation._evaluate import run_suite_sync

        return run_suite_sync(self, store, release=release, baseline=baseline,
                              baseline_release=baseline_release, split=split, subset=subset,
                              seed=seed, by=by, cache=cache, progress=progress)  # fmt: skip

    def load_criteria(self) -> Criteria | None:
        """The suite's criteria, read from its file if it names one.

        Raises:
            CriteriaError: a malformed file (every problem, each with its line).
            OSError: the file cannot be read.
        """
        from prodready.evaluation.criteria import load_criteria

        if self.criteria is None or isinstance(self.criteria, _criteria.Criteria):
            return self.criteria
        return load_criteria(self._path(self.criteria))

    def load_cases(
        self,
        store: Store | None = None,
        *,
        split: Split | None = None,
        subset: int | None = None,
        seed: int | str = 0,
        by: Strata = "tag",
    ) -> DatasetVersion | list[Case]:
        """The cases to run: the dataset, then one split of it, then a stratified subset.

        A dataset from the store stays a :class:`DatasetVersion` (same name and version,
        with the content hash of the cases actually chosen), so the run records it.

        Args:
            store: where a named dataset lives (not needed for files and cases).
            split: keep only the cases of this split.
            subset: draw this many cases, stratified ``by`` tag or intent, seeded.
            seed: which cases the subset draws (the same seed draws the same cases).
            by: what the subset is stratified on.

        Raises:
            SuiteError: a named dataset without a store, a bad ``name@version``, or no case
                left after the split.
            DatasetError: a malformed file (located problems) or an unknown dataset.
            OSError: the file cannot be read.
        """
        data = self._dataset(store)
        cases = list(data.cases if isinstance(data, _types.DatasetVersion) else data)
        if split is not None:
            cases = [c for c in cases if c.split == split]
            if not cases:
                raise SuiteError(f"suite {self.label}: no case in split {split!r}")
        if subset is not None:
            cases = _dataset_subset.stratified_subset(cases, subset, seed=seed, by=by)
        if not isinstance(data, _types.DatasetVersion):
            return cases
        if len(cases) == len(data.cases):
            return data
        return data.model_copy(
            update={"cases": cases, "content_hash": _types.DatasetVersion.hash_cases(cases)}
        )

    @property
    def dataset_file(self) -> str | None:
        """The dataset's file as the suite names it (``"cases.jsonl"``); ``None`` if not a file."""
        spec = self.dataset
        if isinstance(spec, os.PathLike) or (isinstance(spec, str) and _is_file(spec)):
            return os.fspath(spec)
        return None

    @property
    def label(self) -> str:
        """The suite's name and file, for messages."""
        where = f" in {self.root}" if self.root is not None else ""
        return f"{self.name or '(unnamed)'!r}{where}"

    def _path(self, value: str | os.PathLike[str]) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() or self.root is None else self.root / path

    def _dataset(self, store: Store | None) -> DatasetVersion | Sequence[Case]:
        try:
            return resolve_dataset(self.dataset, store, root=self.root)
        except SuiteError as exc:
            raise SuiteError(f"suite {self.label}: {exc}") from None


def resolve_dataset(
    spec: str | os.PathLike[str] | DatasetVersion | Sequence[Case],
    store: Store | None = None,
    *,
    root: Path | None = None,
) -> DatasetVersion | Sequence[Case]:
    """The cases a dataset spec names, as a :class:`Suite`'s ``dataset`` reads them.

    Args:
        spec: ``"name"`` or ``"name@version"`` in ``store``; a ``.jsonl``/``.csv`` path (or any
            path with a ``/``), relative to ``root``; a dataset version or cases, as they are.
        store: where named datasets live.
        root: the folder relative paths are read from (default: the current directory).

    Raises:
        SuiteError: a named dataset without a store, or a bad ``name@version``.
        DatasetError: a malformed file (located problems) or an unknown dataset.
        OSError: the file cannot be read.
    """
    from prodready.evaluation.datasets import load_dataset, read_cases

    if isinstance(spec, _types.DatasetVersion):
        return spec
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and _is_file(spec)):
        path = Path(spec).expanduser()
        return read_cases(path if path.is_absolute() or root is None else root / path)
    if not isinstance(spec, str):
        return spec
    match = _NAMED.match(spec)
    if match is None:
        raise SuiteError(f"dataset {spec!r} is not name[@version]")
    if store is None:
        raise SuiteError(f"dataset {spec!r} is in a store; pass one")
    version = match.group("version")
    return load_dataset(store, match.group("name"), int(version) if version else None)


def _is_file(text: str) -> bool:
    return Path(text).suffix.lower() in _FILE_SUFFIXES or "/" in text or os.sep in text


# --- the decorator and the loader ------------------------------------------------------------


@overload
def suite(fn: _F, /) -> _F: ...
@overload
def suite(*, name: str | None = None) -> Callable[[_F], _F]: ...
def suite(fn: _F | None = None, /, *, name: str | None = None) -> _F | Callable[[_F], _F]:
    """Mark a function returning a :class:`Suite` as a suite :func:`load_suite` can find.

    Use it bare (``@suite``) or with a name (``@suite(name="support")``; default: the
    function's name). The function is called with no arguments when the suite is loaded.
    """

    def mark(f: _F) -> _F:
        setattr(f, _MARK, name or f.__name__)
        return f

    return mark(fn) if fn is not None else mark


def load_suite(spec: str | os.PathLike[str], *, name: str | None = None) -> Suite:
    """Import a suite file and build one of its suites.

    Args:
        spec: ``path/to/suite.py`` or ``path/to/suite.py:name``. The file's directory is put
            on ``sys.path`` first, so it can import the agent next to it.
        name: which suite (instead of ``:name``); a file with one suite needs none.

    Returns:
        The suite, with ``name`` and ``root`` set and ``release`` defaulted
        (:func:`default_release`).

    Raises:
        SuiteError: the file is missing, does not import, defines no such suite, or the
            suite function fails or returns something else; the message names the file.
    """
    path, name = _split_spec(spec, name)
    if not path.is_file():
        where = ""
        if not path.is_absolute():
            where = f" (looked for {path.resolve()}: a relative path is read from the current "
            where += "directory)"
        raise SuiteError(f"suite file {str(path)!r} not found{where}")
    if path.suffix != ".py":
        raise SuiteError(f"suite file {str(path)!r} is not a Python file (.py)")
    module = _import_file(path)
    factories = _factories(module)
    chosen = _choose(path, factories, name)
    built = _build(path, chosen, factories[chosen])
    root = path.resolve().parent
    release = built.release or default_release(root)
    return replace(built, name=built.name or chosen, root=built.root or root, release=release)


def _split_spec(spec: str | os.PathLike[str], name: str | None) -> tuple[Path, str | None]:
    text = os.fspath(spec)
    head, sep, tail = text.rpartition(":")
    if name is None and sep and head and tail.isidentifier() and len(head) > 1:
        return Path(head), tail
    return Path(text), name


def _import_file(path: Path) -> ModuleType:
    resolved = path.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", resolved.stem)
    module_name = f"prodready_suite_{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise SuiteError(f"cannot import suite file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # so the suite can import the agent beside it
    sys.modules[module_name] = module  # before running it: python_check imports by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise SuiteError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(module_name, None)
        where = _where(exc, resolved, path)
        raise SuiteError(f"{where}: importing the suite file failed: {_describe(exc)}") from exc
    return module


def _where(exc: BaseException, resolved: Path, shown: Path) -> str:
    """``file:line`` of the deepest frame of the suite file in ``exc``'s traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == resolved:
            line = frame.lineno
    return f"{shown}:{line}" if line else str(shown)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _factories(module: ModuleType) -> dict[str, Callable[[], Any]]:
    found: dict[str, Callable[[], Any]] = {}
    for value in vars(module).values():
        label = getattr(value, _MARK, None)
        if callable(value) and isinstance(label, str) and value.__module__ == module.__name__:
            found.setdefault(label, value)
    return found


def _choose(path: Path, factories: Mapping[str, Callable[[], Any]], name: str | None) -> str:
    known = ", ".join(factories)
    if name is not None:
        if name not in factories:
            has = f"it defines: {known}" if factories else "it defines none"
            raise SuiteError(f"{path} has no suite {name!r}; {has}")
        return name
    if not factories:
        raise SuiteError(
            f"{path} defines no suite: decorate a function returning Suite(...) with @suite"
        )
    if len(factories) > 1:
        raise SuiteError(f"{path} defines several suites ({known}): pick one with {path}:NAME")
    return next(iter(factories))


def _build(path: Path, name: str, factory: Callable[[], Any]) -> Suite:
    try:
        built = factory()
    except Exception as exc:
        where = _where(exc, path.resolve(), path)
        raise SuiteError(f"{where}: suite {name!r} failed: {_describe(exc)}") from exc
    if not isinstance(built, Suite):
        raise SuiteError(
            f"{path}: suite {name!r} returned {type(built).__name__}, not a Suite(...)"
        )
    return built


def default_release(root: Path | None = None) -> str | None:
    """``$PRODREADY_RELEASE``; else ``git describe --tags --always --dirty`` in ``root``.

    A dirty tree gets a hash of its diff appended (``v1.2-3-gabc1234-dirty.5f0e9a1c``), so
    two different uncommitted edits never share cached outputs. ``None`` outside git (then
    outputs are not cached).
    """
    value = os.environ.get(RELEASE_ENV)
    if value:
        return value
    described = _git(root, "describe", "--tags", "--always", "--dirty")
    if described is None or not described.endswith("-dirty"):
        return described
    diff = _git(root, "diff", "HEAD")
    return f"{described}.{_types.content_hash(diff or '')[7:15]}"


def _git(root: Path | None, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


# --- gating a run the way CI does ------------------------------------------------------------


def gate_run(
    store: Store,
    run: EvalRun,
    criteria: Criteria,
    *,
    cases: DatasetVersion | Sequence[Case] | None = None,
    baseline: EvalRun | None = None,
    record: bool = True,
) -> GateReport:
    """:func:`~prodready.evaluation.gate.evaluate_gate` on a run, with what a CI gate needs.

    Reads every judge's calibration from ``store`` (a judge never calibrated, or below the
    criteria's kappa floor, cannot gate), and the traces of runs whose metrics read them
    (deflection, wrong escalation, false positives). The criteria and the verdict are
    recorded on the stored run (:func:`~prodready.evaluation.runs.record_gate`), for the
    dashboard's scorecard and run list.

    Args:
        store: where the run, its traces and the calibrations are.
        run: the run to gate.
        criteria: the success criteria.
        cases: the run's cases (needed by the escalation metrics); by default the cases
            the run remembers (:func:`~prodready.evaluation.runner.load_run_cases`).
        baseline: the release to be non-inferior to (see :func:`find_baseline`).
        record: remember the criteria and the verdict on the stored run; ``False`` to
            only look (the dashboard's scorecard applies stored criteria again).
    """
    from prodready.evaluation.gate import evaluate_gate
    from prodready.evaluation.runner import load_run_cases
    from prodready.evaluation.runs import record_gate

    if cases is None:
        cases = load_run_cases(store, run.run_id)

    traces = any(m.business in _TRACE_METRICS for m in criteria.metrics.values())
    results = _with_traces(store, run.results) if traces else run.results
    prior = None
    if baseline is not None:
        prior = _with_traces(store, baseline.results) if traces else baseline.results
    report = evaluate_gate(
        criteria,
        results,
        cases=cases,
        baseline=prior,
        judge_calibration=_calibrations(store),
    )
    if record:
        record_gate(store, run.run_id, criteria, passed=report.passed)
    return report


def compare_stored(
    store: Store,
    runs: Sequence[EvalRun],
    *,
    metric: str,
    aggregate: _criteria.Aggregate = "rate",
    better: _criteria.Direction | None = None,
    alpha: float = 0.05,
    adjust: Adjust = "holm",
    cases: Mapping[str, CaseSet] | CaseSet | None = None,
) -> Comparison:
    """:func:`~prodready.evaluation.compare.compare_runs` on stored runs, measured as
    :func:`gate_run` measures them.

    A ``business.*`` metric that reads traces (deflection, wrong escalation, false
    positives) gets each result's trace from ``store``; an escalation metric gets, unless
    ``cases`` is given, the cases each run remembers
    (:func:`~prodready.evaluation.runner.load_run_cases`). The other arguments, and the
    ``ValueError`` raised, are :func:`~prodready.evaluation.compare.compare_runs`'s.
    """
    from prodready.evaluation.compare import compare_runs
    from prodready.evaluation.runner import load_run_cases

    business = metric.removeprefix("business.") if metric.startswith("business.") else None
    if cases is None and business in _CASE_METRICS:
        remembered = {r.run_id: load_run_cases(store, r.run_id) for r in runs}
        cases = {i: c for i, c in remembered.items() if c is not None}
    if business in _TRACE_METRICS:
        runs = [r.model_copy(update={"results": _with_traces(store, r.results)}) for r in runs]
    return compare_runs(runs, metric=metric, aggregate=aggregate, better=better, alpha=alpha,
                        adjust=adjust, cases=cases)  # fmt: skip


def _with_traces(store: Store, results: Sequence[CaseResult]) -> list[CaseResult]:
    # One batched read (two queries per 500 traces), not a round-trip per result.
    wanted = [r.trace_id for r in results if r.trace is None and r.trace_id is not None]
    found = store.get_traces(wanted)
    return [
        r.model_copy(update={"trace": found.get(r.trace_id.lower())})
        if r.trace is None and r.trace_id is not None
        else r
        for r in results
    ]


def _calibrations(store: Store) -> dict[str, Calibration]:
    from prodready.evaluation.calibration import latest_calibrations

    # Undefined kappas included: the gate refuses them, saying what the labels were.
    return latest_calibrations(store)


def find_baseline(
    store: Store, release: str, run: EvalRun, *, search: int = _BASELINE_SEARCH
) -> EvalRun | None:
    """The latest finished run of ``release`` on the same cases as ``run``.

    Same cases means the same dataset hash (ids and content); failing that, the newest run
    that covers every case of ``run`` with the same content, so a pull request's subset
    pairs with the full run of the production release. The baseline's results are limited
    to ``run``'s cases. ``None`` if the newest ``search`` runs of ``release`` have none.
    """
    from prodready.evaluation.runner import list_runs, load_run

    wanted = _case_hashes(run)
    covering: EvalRun | None = None
    for summary in list_runs(store, release=release, status="finished", limit=search):
        if summary.run_id == run.run_id:
            continue
        candidate = load_run(store, summary.run_id)
        hashes = _case_hashes(candidate)
        if hashes == wanted:
            return candidate
        if covering is None and all(hashes.get(c) == h for c, h in wanted.items()):
            covering = candidate
    if covering is None:
        return None
    kept = [r for r in covering.results if r.case_id in wanted]
    return covering.model_copy(update={"results": kept})


def _case_hashes(run: EvalRun) -> dict[str, str]:
    """Case id -> content hash, in run order (the same order the run's dataset hash uses)."""
    return {r.case_id: r.case_hash for r in run.results}
