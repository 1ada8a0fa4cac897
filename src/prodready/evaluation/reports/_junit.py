"""JUnit XML: the gate's metrics and the run's cases as test cases CI systems display."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from prodready.evaluation.reports import _data as data
from prodready.evaluation._format import fmt, target_text
from prodready.evaluation.runs._models import EvalRun
from prodready.evaluation._types import CaseResult, Score
from prodready.evaluation.gate import GateReport, MetricResult

_MESSAGE_LIMIT = 500
_ERROR_TYPE = re.compile(r"^([A-Za-z_][\w.]*)(?::|\s|$)")


def render(run: EvalRun, gate: GateReport | None, trace_url: str | None) -> str:
    title = data.as_text(f"prodready eval {run.name or run.run_id}")
    root = ET.Element("testsuites", name=title)
    if gate is not None:
        root.append(_gate_suite(run, gate))
    root.append(_cases_suite(run, trace_url))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    root.set("time", _seconds(run.totals.wall_seconds))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _properties(run: EvalRun) -> ET.Element:
    props = ET.Element("properties")
    d = run.dataset
    stored = d is not None and d.version is not None
    pairs = {
        "run_id": run.run_id,
        "run_name": run.name,
        "release": run.release,
        "status": run.status,
        "dataset": d.name if d and stored else None,
        "dataset_file": d.name if d and not stored else None,
        "dataset_version": str(d.version) if d and d.version is not None else None,
        "dataset_hash": d.hash if d else None,
        "dataset_cases": str(d.cases) if d and d.cases is not None else None,
        "cost_usd": f"{run.totals.cost_usd:.6f}",
        "cached": str(run.totals.cached),
    }
    for name, value in pairs.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=data.as_text(value))
    return props


def _suite(name: str, run: EvalRun) -> ET.Element:
    suite = ET.Element("testsuite", name=name, timestamp=data.iso(run.started_at_ns))
    suite.append(_properties(run))
    return suite


def _count(suite: ET.Element) -> ET.Element:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    for kind, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        suite.set(key, str(sum(c.find(kind) is not None for c in cases)))
    suite.set("time", _seconds(sum(float(c.get("time", "0")) for c in cases)))
    return suite


def _gate_suite(run: EvalRun, gate: GateReport) -> ET.Element:
    suite = _suite("gate", run)
    for m in gate.metrics:
        name = data.as_text(m.name)
        case = ET.SubElement(suite, "testcase", classname="gate", name=name, time="0")
        if m.passed is False:
            failure = ET.SubElement(case, "failure", message=_message(m.reason), type="gate")
            failure.text = _metric_detail(m)
            continue
        if m.passed is None:
            ET.SubElement(case, "skipped", message=_message(f"report only: {m.reason}"))
        ET.SubElement(case, "system-out").text = _metric_detail(m)
    return _count(suite)


def _metric_detail(m: MetricResult) -> str:
    lines = [
        m.reason,
        f"estimate: {fmt(m.estimate)}",
        f"95% interval: {data.interval_text(m)}",
        f"target: {target_text(m)} ({m.mode})",
        f"cases: {m.n}, errors: {m.errors}, source: {m.source} ({m.aggregate})",
    ]
    return data.as_text("\n".join(lines))


def _cases_suite(run: EvalRun, trace_url: str | None) -> ET.Element:
    suite = _suite("cases", run)
    for r in run.results:
        name = data.as_text(f"{r.case_id} #{r.repeat}" if r.repeat else r.case_id)
        seconds = _seconds((r.latency_ms or 0.0) / 1000)
        case = ET.SubElement(suite, "testcase", classname="cases", name=name, time=seconds)
        _verdict(case, r)
        out = [f"output: {data.excerpt(r.output, 2000)}"] if r.error is None else []
        link = data.trace_link(trace_url, r.trace_id) or r.trace_id
        out += [f"trace: {link}"] if link else []
        out += ["cached: yes"] if r.cached else []
        ET.SubElement(case, "system-out").text = "\n".join(out)
    return _count(suite)


def _verdict(case: ET.Element, r: CaseResult) -> None:
    bad = data.failed_scores(r)
    lines = [data.as_text(_score_line(s)) for s in bad if r.error is None or s.error is None]
    scorer_errors = [s for s in bad if s.error is not None]
    if r.error is not None or scorer_errors:
        message = data.as_text(r.error) if r.error else lines[0]
        match = _ERROR_TYPE.match(message) if r.error else None
        kind = match.group(1) if match else ("error" if r.error else "scorer error")
        element = ET.SubElement(case, "error", message=_message(message), type=kind)
        element.text = "\n".join([message, *lines] if r.error else lines)
    elif bad:
        failing = ", ".join(s.name for s in bad)
        element = ET.SubElement(case, "failure", message=_message(f"failed: {failing}"))
        element.set("type", "score")
        element.text = "\n".join(lines)


def _score_line(s: Score) -> str:
    why = f" — {s.rationale}" if s.rationale else ""
    return f"{s.name}: {data.score_status(s)}{why}"


def _message(text: str) -> str:
    line = " ".join(data.as_text(text).split())
    return line if len(line) <= _MESSAGE_LIMIT else line[: _MESSAGE_LIMIT - 1] + "…"


def _seconds(value: float) -> str:
    return f"{value:.3f}"
