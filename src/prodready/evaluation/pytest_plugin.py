"""Run evaluation suites under pytest, with the same gate as ``prodready eval run``.

::

    import pytest
    from prodready.evaluation.scorers import contains

    @pytest.mark.prodready_eval(dataset="support@3", criteria="criteria.yaml",
                                scorers=[contains("refund", name="mentions_refund")])
    def test_support_agent(prodready_eval):
        run, report = prodready_eval.run(agent.answer)   # fails the test if the gate fails

The ``prodready_eval`` fixture builds a :class:`~prodready.evaluation.suite.Suite` from the
marker and ``run()``'s arguments (or takes one, or a suite file's path), runs it with
:func:`~prodready.evaluation.runner.evaluate_sync`, stores the run, and gates it with
:func:`~prodready.evaluation.suite.gate_run`, as ``prodready eval run`` does (stored judge
calibrations, traces for business metrics, a baseline for non-inferiority). A failing gate
fails the test with the gate's table: metric, estimate, interval, target, verdict.

Relative paths (suite files, dataset and criteria files) are read from the test file's
folder, wherever pytest is started. The store is ``--prodready-store``, else
``$PRODREADY_STORE_URL``, else the ``prodready_store`` ini option (a relative SQLite path from
the ini file's folder), else ``.prodready/prodready.db`` in pytest's rootdir; messages that
depend on the store name it.

Command-line options: ``--prodready-store URL``, ``--prodready-release R``,
``--prodready-subset N`` with ``--prodready-seed S`` (a seeded, stratified subset, for pull
requests), ``--prodready-baseline-release R`` and ``--prodready-junit PATH``. See
``docs/review.md``. pytest loads the plugin through its ``pytest11`` entry point.
"""

from __future__ import annotations

import dataclasses
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

if TYPE_CHECKING:
    from prodready.evaluation import Case, DatasetVersion, Scorer
    from prodready.evaluation.criteria import Criteria
    from prodready.evaluation.gate import GateReport
    from prodready.evaluation.runner import EvalRun, Target
    from prodready.evaluation.suite import Suite
    from prodready.store import Store

__all__ = [
    "EvalFixture",
    "EvalOutcome",
    "prodready_eval",
    "prodready_store",
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
]

_MARKER = "prodready_eval"
_SUITE_FIELDS = ("dataset", "scorers", "criteria", "release", "concurrency", "timeout",
                 "repeats", "name")  # fmt: skip
_MARKER_KEYS = frozenset({*_SUITE_FIELDS, "baseline", "baseline_release"})


class EvalOutcome(NamedTuple):
    """What :meth:`EvalFixture.run` returns: the stored run and the gate's report."""

    run: EvalRun
    report: GateReport | None
    """``None`` when the suite has no criteria (nothing is gated)."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Record:
    nodeid: str
    run: EvalRun
    report: GateReport | None


@dataclasses.dataclass(slots=True)
class _Settings:
    store_url: str
    release: str | None
    subset: int | None
    seed: int | str
    baseline_release: str | None
    junit: str | None
    records: list[_Record] = dataclasses.field(default_factory=list)


_SETTINGS = pytest.StashKey[_Settings]()


class EvalFixture:
    """The ``prodready_eval`` fixture: runs a suite and gates it (see the module docstring)."""

    def __init__(self, request: pytest.FixtureRequest, store: Store) -> None:
        self._request = request
        self.store = store
        """The store runs are written to (``--prodready-store``)."""
        marker = request.node.get_closest_marker(_MARKER)
        self.defaults: dict[str, Any] = dict(marker.kwargs) if marker is not None else {}
        """The test's ``@pytest.mark.prodready_eval(...)`` arguments."""
        unknown = sorted(set(self.defaults) - _MARKER_KEYS)
        if unknown:
            raise pytest.UsageError(
                f"{request.node.nodeid}: unknown prodready_eval argument(s) {', '.join(unknown)}"
                f" (known: {', '.join(sorted(_MARKER_KEYS))})"
            )

    def run(
        self,
        target: Target | Suite | str | os.PathLike[str],
        dataset: str | DatasetVersion | Sequence[Case] | None = None,
        scorers: Sequence[Scorer] | None = None,
        *,
        criteria: str | Path | Criteria | None = None,
        baseline: EvalRun | str | None = None,
        baseline_release: str | None = None,
        **suite_options: Any,
    ) -> EvalOutcome:
        """Evaluate ``target`` on the dataset, store the run, and gate it.

        Arguments left out come from the test's ``prodready_eval`` marker (or, when
        ``target`` is a whole suite, from the suite).

        Args:
            target: the system under test (called with each case's input), a whole
                :class:`~prodready.evaluation.suite.Suite`, or a suite file
                (``"suite.py"`` or ``"suite.py:name"``, relative to the test's file).
            dataset: ``"name"`` or ``"name@version"`` in the store, a ``.jsonl``/``.csv``
                file, a dataset version, or cases. Files are relative to the test's file.
            scorers: the scorers whose scores the criteria read.
            criteria: success criteria, or their YAML file (relative to the test's file).
                Without criteria the run is stored but nothing is gated.
            baseline: the run (or run id) ``non_inferior`` metrics compare with.
            baseline_release: else, the latest run of this release on the same cases
                (default ``--prodready-baseline-release``).
            suite_options: other :class:`~prodready.evaluation.suite.Suite` fields:
                ``release``, ``name`` (default: the test's id), ``concurrency``,
                ``timeout``, ``repeats``.

        Returns:
            The run and the gate's report (when the gate passed).

        Raises:
            pytest.fail.Exception: the gate failed (the message is the gate's table), or the
                suite file or a named dataset could not be loaded.
        """
        from prodready.evaluation.runner import evaluate_sync
        from prodready.evaluation.suite import gate_run

        settings = _settings(self._request.config)
        given = {"dataset": dataset, "scorers": scorers, "criteria": criteria, **suite_options}
        if settings.release:  # the command line wins, as `prodready eval run --release` does
            given["release"] = settings.release
        suite = self._suite(target, {k: v for k, v in given.items() if v is not None})
        rules = suite.load_criteria()
        data = self._cases(suite, settings)
        run = evaluate_sync(
            suite.target,
            data,
            list(suite.scorers),
            store=self.store,
            release=suite.release,
            name=suite.name,
            concurrency=suite.concurrency,
            timeout=suite.timeout,
            repeats=suite.repeats,
            progress=False,
            dataset_file=suite.dataset_file,
        )
        prior = self._baseline(run, baseline, baseline_release)
        report = gate_run(self.store, run, rules, cases=data, baseline=prior) if rules else None
        settings.records.append(_Record(self._request.node.nodeid, run, report))
        if report is not None and not report.passed:
            cases = run.totals.cases
            pytest.fail(
                f"prodready gate failed (run {run.run_id}, {cases} cases, store "
                f"{_display(self.store)}):\n\n" + report.render_text(),
                pytrace=False,
            )
        return EvalOutcome(run, report)

    def _suite(
        self, target: Target | Suite | str | os.PathLike[str], given: dict[str, Any]
    ) -> Suite:
        """The suite to run: the marker's fields (or the suite given), overridden by ``run()``'s
        arguments; relative paths from the test's folder; the release defaulted as in CI."""
        from prodready.evaluation.suite import Suite, SuiteError, default_release, load_suite

        root = self._request.node.path.parent
        if isinstance(target, str | os.PathLike):
            try:
                target = load_suite(root / os.fspath(target))
            except SuiteError as exc:
                pytest.fail(f"{self._request.node.nodeid}: {exc}", pytrace=False)
        if isinstance(target, Suite):
            suite = dataclasses.replace(target, root=target.root or root, **given)
        else:
            fields = {k: v for k, v in self.defaults.items() if k in _SUITE_FIELDS} | given
            if "dataset" not in fields:
                raise pytest.UsageError(
                    f"{self._request.node.nodeid}: prodready_eval needs a dataset "
                    "(run(target, dataset) or @pytest.mark.prodready_eval(dataset=...))"
                )
            fields.setdefault("name", self._request.node.nodeid)
            suite = Suite(target=target, root=root, **fields)
        if suite.release:
            return suite
        return dataclasses.replace(suite, release=default_release(suite.root))

    def _cases(self, suite: Suite, settings: _Settings) -> DatasetVersion | list[Case]:
        from prodready.evaluation.datasets import DatasetNotFound

        try:
            return suite.load_cases(self.store, subset=settings.subset, seed=settings.seed)
        except DatasetNotFound as exc:
            pytest.fail(f"{exc} (looked in the store {_display(self.store)})", pytrace=False)

    def _baseline(
        self, run: EvalRun, baseline: EvalRun | str | None, release: str | None
    ) -> EvalRun | None:
        from prodready.evaluation.runner import load_run
        from prodready.evaluation.suite import find_baseline

        baseline = baseline or self.defaults.get("baseline")
        if isinstance(baseline, str):
            return load_run(self.store, baseline)
        if baseline is not None:
            return baseline
        release = (
            release
            or self.defaults.get("baseline_release")
            or _settings(self._request.config).baseline_release
        )
        return find_baseline(self.store, release, run) if release else None


# --- pytest hooks ------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("prodready", "prodready evaluation suites")
    group.addoption(
        "--prodready-store",
        metavar="URL",
        help="Store eval runs here (default: $PRODREADY_STORE_URL, else the prodready_store "
        "ini option, else sqlite:///.prodready/prodready.db in the rootdir).",
    )
    parser.addini(
        "prodready_store",
        "Store URL for eval runs; a relative SQLite path is read from the ini file's folder.",
    )
    group.addoption(
        "--prodready-release",
        metavar="R",
        help="The release under test (default: the suite's, $PRODREADY_RELEASE, git describe).",
    )
    group.addoption(
        "--prodready-subset",
        metavar="N",
        type=int,
        help="Evaluate a seeded subset of N cases of each dataset, stratified by tag.",
    )
    group.addoption(
        "--prodready-seed", metavar="S", default="0", help="Seed of the subset (default 0)."
    )
    group.addoption(
        "--prodready-baseline-release",
        metavar="R",
        help="Compare non_inferior metrics with the latest run of this release.",
    )
    group.addoption(
        "--prodready-junit",
        metavar="PATH",
        help="Write every gated run as JUnit XML (one test per metric and per case) to PATH.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(dataset=, scorers=, criteria=, release=, name=, concurrency=, timeout=, "
        "repeats=, baseline=, baseline_release=): the suite prodready_eval.run() evaluates",
    )
    subset = config.getoption("--prodready-subset")
    if subset is not None and subset < 1:
        raise pytest.UsageError(f"--prodready-subset must be at least 1, got {subset}")
    seed = str(config.getoption("--prodready-seed"))
    config.stash[_SETTINGS] = _Settings(
        store_url=_store_url(config),
        release=config.getoption("--prodready-release"),
        subset=subset,
        seed=int(seed) if seed.lstrip("-").isdigit() else seed,
        baseline_release=config.getoption("--prodready-baseline-release"),
        junit=config.getoption("--prodready-junit"),
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    records = _settings(config).records
    if not records:
        return
    terminalreporter.section("prodready gates")
    from prodready.store import redact_url

    terminalreporter.write_line(f"store {redact_url(_settings(config).store_url)}")
    for r in records:
        verdict = "not gated" if r.report is None else "PASSED" if r.report.passed else "FAILED"
        totals = r.run.totals
        terminalreporter.write_line(
            f"{r.nodeid}: gate {verdict}, run {r.run.run_id} "
            f"({totals.cases} cases, {totals.errors} errors)"
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    settings = _settings(session.config)
    if settings.junit is None:
        return
    path = Path(settings.junit)
    worker = getattr(session.config, "workerinput", {}).get("workerid")
    if worker:  # pytest-xdist: one file per worker, rather than each overwriting the last
        path = path.with_name(f"{path.stem}.{worker}{path.suffix}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_junit_document(settings.records), encoding="utf-8")


@pytest.fixture(scope="session")
def prodready_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """The store eval runs are written to (``--prodready-store``), open for the session."""
    from prodready.store import Store

    store = Store(_settings(request.config).store_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def prodready_eval(request: pytest.FixtureRequest, prodready_store: Store) -> EvalFixture:
    """Runs an eval suite and applies its gate: ``prodready_eval.run(target)``."""
    return EvalFixture(request, prodready_store)


def _settings(config: pytest.Config) -> _Settings:
    return config.stash[_SETTINGS]


def _store_url(config: pytest.Config) -> str:
    """The store, as documented in the module docstring: relative SQLite paths are made
    absolute (from the current directory for the option and the environment, as on the
    command line; from the ini file's folder or the rootdir otherwise), so a store named in
    a message is the file that was used."""
    from prodready.store import DEFAULT_URL, URL_ENV

    given = config.getoption("--prodready-store") or os.environ.get(URL_ENV)
    if given:
        return _anchored(given, Path.cwd())
    ini = str(config.getini("prodready_store") or "").strip()
    if ini:
        return _anchored(ini, config.inipath.parent if config.inipath else config.rootpath)
    return _anchored(DEFAULT_URL, config.rootpath)


def _anchored(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    path = url[len(prefix) :] if url.startswith(prefix) else ""
    if not path or path.startswith(("/", ":memory:", "file:")) or "?mode=memory" in path:
        return url
    return prefix + str(base / Path(path).expanduser())


def _display(store: Store) -> str:
    return store.db.display_url


def _junit_document(records: Sequence[_Record]) -> str:
    """Every run's JUnit suites (:func:`prodready.evaluation.reports.junit_xml`) in one file,
    each suite named after its pytest test."""
    from prodready.evaluation.reports import junit_xml

    root = ET.Element("testsuites", name="prodready")
    for r in records:
        for suite in ET.fromstring(junit_xml(r.run, r.report)):
            suite.set("name", f"{r.nodeid} {suite.get('name', '')}".strip())
            root.append(suite)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
