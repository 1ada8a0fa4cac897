"""A Markdown summary for a pull-request comment: verdict, metric table, totals, failures."""

from __future__ import annotations

import re

from prodready.evaluation.reports import _data as data
from prodready.evaluation._format import fmt, target_text
from prodready.evaluation.runs._models import EvalRun
from prodready.evaluation.gate import GateReport, MetricResult

_RATIONALE_LIMIT = 240
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SPECIAL = re.compile(r"([\\`*_\[\]|~!$])")
_MENTION = re.compile(r"(?<!\w)@(?=\w)")
_VERDICT = {True: "✅ pass", False: "❌ fail", None: "report"}


def md(text: object, limit: int = 10_000) -> str:
    """User or model text made inert in Markdown: on one line, no HTML, links, images,
    tables cells broken, or @-mentions (a PR comment would notify the person)."""
    line = data.excerpt(text, limit)
    line = "".join(_ENTITIES.get(c, c) for c in line)
    return _MENTION.sub("&#64;", _SPECIAL.sub(r"\\\1", line))


def render(run: EvalRun, gate: GateReport | None, trace_url: str | None, max_failures: int) -> str:
    parts = [_heading(run, gate), _run_line(run)]
    if gate is not None:
        parts += [_table(gate.metrics), *_why(gate.metrics)]
    parts += [_totals(run), *_failures(run, gate, trace_url, max_failures)]
    return "\n\n".join(parts) + "\n"


def _heading(run: EvalRun, gate: GateReport | None) -> str:
    if gate is None:
        bad = sum(not data.passed(r) for r in run.results)
        return f"### Evaluation: {bad} of {len(run.results)} case runs did not pass (no gate)"
    mark = "✅" if gate.passed else "❌"
    return f"### {mark} Evaluation gate {data.gate_verdict(gate)}"


def _run_line(run: EvalRun) -> str:
    bits = [f"**Run** `{run.run_id}`"]
    if run.name:
        bits.append(md(run.name))
    if run.release:
        bits.append(f"release **{md(run.release)}**")
    if run.dataset:
        d = run.dataset
        version = f" v{d.version}" if d.version is not None else ""
        count = f"{d.cases} cases, " if d.cases is not None else ""
        bits.append(f"dataset **{md(d.name)}**{version} ({count}{md(d.hash, 19)})")
    if run.status != "finished":
        bits.append(f"status **{run.status}**")
    return " · ".join(bits)


def _table(metrics: list[MetricResult]) -> str:
    rows = [
        "| metric | estimate | 95% interval | n | target | mode | verdict |",
        "|---|--:|---|--:|---|---|---|",
    ]
    for m in metrics:
        cells = (md(m.name), fmt(m.estimate), data.interval_text(m), str(m.n))
        rest = (target_text(m), m.mode, _VERDICT[m.passed])  # ours: numbers and signs
        rows.append("| " + " | ".join((*cells, *rest)) + " |")
    return "\n".join(rows)


def _why(metrics: list[MetricResult]) -> list[str]:
    failed = [m for m in metrics if m.passed is False]
    if not failed:
        return []
    return ["**Why it failed**\n" + "\n".join(f"- {md(m.reason)}" for m in failed)]


def _totals(run: EvalRun) -> str:
    t = run.totals
    tokens = t.input_tokens + t.output_tokens
    bits = [
        f"{t.cases} cases" + (f" ({t.runs} runs)" if t.runs != t.cases else ""),
        f"{t.errors} error{'s' if t.errors != 1 else ''}",
        f"{t.cached} cached",
        f"cost {md(data.cost_text(t.cost_usd))}",
    ]
    bits += [f"{tokens:,} tokens"] if tokens else []
    bits += [f"{t.wall_seconds:.1f} s"] if t.wall_seconds else []
    return "**Totals:** " + " · ".join(bits)


def _failures(
    run: EvalRun, gate: GateReport | None, trace_url: str | None, limit: int
) -> list[str]:
    failing = data.failures(run, gate)
    if not failing:
        return ["**No failing cases.**"]
    shown = failing[: max(limit, 0)]
    more = f"top {len(shown)} of " if len(shown) < len(failing) else ""
    if not shown:
        return [f"**Failing cases:** {len(failing)}"]
    lines = [_failure_line(f, trace_url) for f in shown]
    return [f"**Failing cases ({more}{len(failing)})**\n" + "\n".join(lines)]


def _failure_line(f: data.Failure, trace_url: str | None) -> str:
    bits = [f"- **{md(f.label)}**"]
    if f.result.error is not None:
        bits.append(f"error: {md(f.result.error, _RATIONALE_LIMIT)}")
    for s in f.shown:
        why = f": {md(s.rationale, _RATIONALE_LIMIT)}" if s.rationale else ""
        bits.append(f"{md(s.name)} {md(data.score_status(s), _RATIONALE_LIMIT)}{why}")
    link = data.trace_link(trace_url, f.result.trace_id)
    if link:
        bits.append(f"[trace](<{link}>)")
    elif f.result.trace_id:
        bits.append(f"trace {md(f.result.trace_id)}")
    return " · ".join(bits)
