"""Reports of an evaluation run for CI and for people: JUnit XML, Markdown, HTML.

>>> from prodready.evaluation.reports import write_reports
>>> write_reports(run, gate, junit="eval.xml", markdown="eval.md", html="eval.html",
...               cases=dataset, trace_url="http://localhost:4318/api/traces/{trace_id}")

- :func:`junit_xml`: a ``gate`` suite (one test per metric) and a ``cases`` suite (one test
  per case run), which GitHub, GitLab and Jenkins display as test results.
- :func:`markdown_summary`: the verdict, the metric table, totals and the top failing cases,
  sized for a pull-request comment.
- :func:`html_report`: one self-contained file (inline CSS, JS and SVG plots; no external
  request) with each metric against its target, score distributions, a per-tag breakdown
  and the failing cases linked to their traces.

User and model text is escaped in every format. See ``docs/reports.md``.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from pathlib import Path

from prodready.evaluation.reports import _html as _report_html

from prodready.evaluation.reports import _junit as _report_junit

from prodready.evaluation.reports import _markdown as _report_markdown

if typing.TYPE_CHECKING:  # annotations only: the module's namespace is its API
    from prodready.evaluation.runs._models import EvalRun
    from prodready.evaluation._types import Case, DatasetVersion
    from prodready.evaluation.gate import GateReport

__all__ = ["html_report", "junit_xml", "markdown_summary", "write_reports"]


def junit_xml(run: EvalRun, gate: GateReport | None = None, *, trace_url: str | None = None) -> str:
    """The run as JUnit XML.

    A ``gate`` test suite holds one test case per metric: failed metrics have a ``failure``
    with the gate's reason, report-only metrics are ``skipped``. A ``cases`` suite holds one
    test case per case run (``case-id #2`` for repeats) timed by its latency: a ``failure``
    lists the failing scores and their rationales, an ``error`` is a case that errored (or a
    scorer that could not score). Each suite carries the run id, release and dataset name,
    version and hash as properties.

    Args:
        run: the evaluation run.
        gate: the gate's report; without it only the ``cases`` suite is written.
        trace_url: a link template such as ``"http://localhost:4318/api/traces/{trace_id}"``
            for each case's output text.
    """
    return _report_junit.render(run, gate, trace_url)


def markdown_summary(
    run: EvalRun,
    gate: GateReport | None = None,
    *,
    trace_url: str | None = None,
    max_failures: int = 10,
) -> str:
    """A Markdown summary for a pull-request comment.

    A ✅/❌ verdict line, the run and dataset, a metric table (estimate, 95% interval, n,
    target, mode, verdict) with the reasons of failed metrics, totals (cases, errors,
    cached, cost), then up to ``max_failures`` failing cases, those failing a failed metric
    first, each with its failing scores' rationales and a link to its trace. Text from users
    and models is escaped so it cannot add links, images, HTML or @-mentions.

    Args:
        run: the evaluation run.
        gate: the gate's report; without it there is no metric table.
        trace_url: a link template with ``{trace_id}``; without it trace ids are shown.
        max_failures: how many failing cases to list.
    """
    return _report_markdown.render(run, gate, trace_url, max_failures)


def html_report(
    run: EvalRun,
    gate: GateReport | None = None,
    *,
    cases: Sequence[Case] | DatasetVersion | None = None,
    baseline: EvalRun | None = None,
    trace_url: str | None = None,
    title: str | None = None,
    max_failures: int = 500,
) -> str:
    """One self-contained HTML page about the run.

    Sections: each metric's estimate and 95% interval against its target (a forest plot and
    a table with the gate's reasons); a histogram per score name; the pass rate per tag
    (needs ``cases``); the comparison with ``baseline`` if given; a sortable, filterable
    table of failing cases with input and output excerpts, failing scores, rationales and
    trace links; and the run's metadata. Everything is inline (no CDN, fonts or images to
    fetch) and all user and model text is escaped.

    Args:
        run: the evaluation run.
        gate: the gate's report; without it the metrics section says so.
        cases: the dataset (or its cases), for inputs and tags.
        baseline: another run on the same cases (e.g. production's), to compare with.
        trace_url: a link template with ``{trace_id}``, e.g.
            ``"http://localhost:4318/api/traces/{trace_id}"``.
        title: the page title (default: the run's name or id).
        max_failures: how many failing cases the table holds at most.
    """
    return _report_html.render(
        run,
        gate,
        cases=cases,
        baseline=baseline,
        trace_url=trace_url,
        title=title,
        max_failures=max_failures,
    )


def write_reports(
    run: EvalRun,
    gate: GateReport | None = None,
    *,
    junit: str | Path | None = None,
    markdown: str | Path | None = None,
    html: str | Path | None = None,
    cases: Sequence[Case] | DatasetVersion | None = None,
    baseline: EvalRun | None = None,
    trace_url: str | None = None,
    title: str | None = None,
    max_failures: int = 10,
) -> list[Path]:
    """Write each report whose path is given (parent directories are created).

    ``max_failures`` applies to the Markdown summary; the HTML table lists up to 500.

    Returns:
        The paths written, in the order JUnit, Markdown, HTML.
    """
    jobs: list[tuple[str | Path | None, Callable[[], str]]] = [
        (junit, lambda: junit_xml(run, gate, trace_url=trace_url)),
        (
            markdown,
            lambda: markdown_summary(run, gate, trace_url=trace_url, max_failures=max_failures),
        ),
        (
            html,
            lambda: html_report(
                run, gate, cases=cases, baseline=baseline, trace_url=trace_url, title=title
            ),
        ),
    ]
    written = []
    for path, render in jobs:
        if path is None:
            continue
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(), encoding="utf-8")
        written.append(target)
    return written
