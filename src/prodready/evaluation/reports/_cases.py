"""The HTML report's case sections: per-tag breakdown, baseline comparison, failing cases."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from prodready.evaluation.reports import _data as data
from prodready.evaluation.reports import _svg as svg
from prodready.evaluation._format import fmt
from prodready.evaluation.runs._models import EvalRun
from prodready.evaluation._types import Case
from prodready.evaluation.gate import GateReport

_EXCERPT = 140
_FULL = 4000
_LISTED = 50


def tags(run: EvalRun, cases: dict[str, Case] | None) -> str:
    head = '<section id="tags">\n<h2>Pass rate by tag</h2>\n'
    if cases is None:
        note = "Tags come from the dataset's cases: pass <code>cases=</code> to see this breakdown."
        return f'{head}<p class="note">{note}</p>\n</section>\n'
    rates = data.tag_rates(run, cases)
    if not rates:
        return f'{head}<p class="note">No results.</p>\n</section>\n'
    rows = [(t.tag, t.rate, t.note) for t in rates]
    note = (
        '<p class="note">A run passes when it did not error and none of its scores failed. '
        "A run whose every score had nothing to check is not applicable, outside the rate. "
        "Worst first.</p>"
    )
    return f"{head}{svg.bar_chart(rows, title='Pass rate by tag')}{note}\n</section>\n"


def baseline(run: EvalRun, base: EvalRun, trace_url: str | None) -> str:
    release = f" (release <b>{escape(base.release)}</b>)" if base.release else ""
    ours, theirs = _case_verdicts(run), _case_verdicts(base)
    shared = [c for c in ours if c in theirs]
    intro = (
        f"<p>Compared with run <code>{escape(base.run_id)}</code>{release}: "
        f"{len(shared)} cases in common.</p>"
    )
    regressed = [c for c in shared if theirs[c] and not ours[c]]
    fixed = [c for c in shared if ours[c] and not theirs[c]]
    traces = {r.case_id: r.trace_id for r in run.results if r.trace_id}
    lists = _case_list(
        "Regressed (passed in the baseline, fail now)", regressed, traces, trace_url
    ) + _case_list("Fixed (failed in the baseline, pass now)", fixed, {}, None)
    body = intro + _rate_table(run, base) + lists
    return f'<section id="baseline">\n<h2>Against the baseline</h2>\n{body}\n</section>\n'


def _case_verdicts(run: EvalRun) -> dict[str, bool]:
    """Case id -> whether every run of the case passed."""
    out: dict[str, bool] = {}
    for r in run.results:
        out[r.case_id] = out.get(r.case_id, True) and data.passed(r)
    return out


def _pass_rates(run: EvalRun) -> dict[str, tuple[int, int]]:
    rates: dict[str, tuple[int, int]] = {}
    for r in run.results:
        for s in r.scores:
            if s.passed is not None or s.error is not None:
                ok, n = rates.get(s.name, (0, 0))
                rates[s.name] = (ok + (s.passed is True and r.error is None), n + 1)
    return rates


def _rate_table(run: EvalRun, base: EvalRun) -> str:
    ours, theirs = _pass_rates(run), _pass_rates(base)
    rows = []
    for name in dict.fromkeys([*theirs, *ours]):
        a, b = theirs.get(name), ours.get(name)
        ra = a[0] / a[1] if a and a[1] else None
        rb = b[0] / b[1] if b and b[1] else None
        change = f"{(rb - ra) * 100:+.1f} pts" if ra is not None and rb is not None else "-"
        rows.append(
            f"<tr><td>{escape(name)}</td><td class='num'>{_pct(ra, a)}</td>"
            f"<td class='num'>{_pct(rb, b)}</td><td class='num'>{change}</td></tr>"
        )
    head = "<tr><th>score</th><th class='num'>baseline</th><th class='num'>this run</th>"
    head += "<th class='num'>change</th></tr>"
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _pct(rate: float | None, counts: tuple[int, int] | None) -> str:
    return f"{rate:.1%} ({counts[0]}/{counts[1]})" if rate is not None and counts else "-"


def _case_list(title: str, ids: list[str], traces: Mapping[str, str], trace_url: str | None) -> str:
    if not ids:
        return f"<p><b>{escape(title)}:</b> none.</p>"
    items = []
    for case_id in ids[:_LISTED]:
        link = data.trace_link(trace_url, traces.get(case_id))
        item = f"<code>{escape(case_id)}</code>"
        items.append(f"<li>{_trace_anchor(link, item) if link else item}</li>")
    more = f"<li>and {len(ids) - _LISTED} more</li>" if len(ids) > _LISTED else ""
    return f"<p><b>{escape(title)}:</b> {len(ids)}</p><ul>{''.join(items)}{more}</ul>"


def failing(
    run: EvalRun,
    gate: GateReport | None,
    cases: dict[str, Case] | None,
    trace_url: str | None,
    limit: int,
) -> str:
    found = data.failures(run, gate, cases)
    head = f'<section id="failing">\n<h2>Failing cases ({len(found)})</h2>\n'
    if not found:
        return f'{head}<p class="note">No failing cases.</p>\n</section>\n'
    shown = found[: max(limit, 0)]
    note = (
        f'<p class="note">Showing {len(shown)} of {len(found)}, those failing a failed metric '
        "first.</p>"
        if len(shown) < len(found)
        else '<p class="note">Those failing a failed metric first.</p>'
    )
    search = (
        '<p class="filter" id="failing-filter" hidden><label>Filter '
        '<input type="search" placeholder="case id, tag, text…"></label> '
        '<span id="failing-shown" class="muted"></span></p>'
    )
    columns = (
        '<th data-sort="text">case</th><th data-sort="text">tags</th><th>input</th>'
        '<th>output</th><th data-sort="text">failing scores</th>'
        '<th class="num" data-sort="number">latency ms</th><th>trace</th>'
    )
    rows = "".join(_failing_row(f, trace_url, cases is not None) for f in shown)
    table = (
        f'<table id="failing-table"><thead><tr>{columns}</tr></thead><tbody>{rows}</tbody></table>'
    )
    return f'{head}{note}{search}<div class="scroll">{table}</div>\n</section>\n'


def _failing_row(f: data.Failure, trace_url: str | None, have_cases: bool) -> str:
    r = f.result
    tags = "".join(f'<span class="tag">{escape(t)}</span>' for t in f.case.tags) if f.case else ""
    if f.case is not None:
        given = _text_cell(f.case.input)
    else:
        given = (
            '<td class="muted">(pass cases= to see inputs)</td>'
            if not have_cases
            else ('<td class="muted">(case not in the given cases)</td>')
        )
    output = _text_cell(r.output) if r.error is None else '<td class="muted">(no output)</td>'
    latency = fmt(r.latency_ms)
    link = data.trace_link(trace_url, r.trace_id)
    trace = _trace_anchor(link, "trace") if link else escape(r.trace_id or "-")
    return (
        f'<tr><td class="id"><code>{escape(f.label)}</code></td><td>{tags}</td>{given}{output}'
        f"<td>{_score_list(f)}</td>"
        f'<td class="num" data-value="{r.latency_ms if r.latency_ms is not None else ""}">'
        f"{latency}</td><td>{trace}</td></tr>"
    )


def _text_cell(value: object) -> str:
    text = data.as_text(value)
    short = data.excerpt(text, _EXCERPT)
    if short == " ".join(text.split()):
        return f'<td class="excerpt">{escape(short)}</td>'
    full = text if len(text) <= _FULL else text[:_FULL] + "\n… (cut)"
    return (
        f'<td class="excerpt"><details><summary>{escape(short)}</summary>'
        f"<pre>{escape(full)}</pre></details></td>"
    )


def _score_list(f: data.Failure) -> str:
    items = []
    if f.result.error is not None:
        items.append(f'<li class="error">case error: {escape(data.as_text(f.result.error))}</li>')
    for s in f.shown:
        why = f": {escape(data.as_text(s.rationale))}" if s.rationale else ""
        cls = ' class="error"' if s.error is not None else ""
        status = escape(data.score_status(s))
        items.append(f"<li{cls}><b>{escape(s.name)}</b> {status}{why}</li>")
    return f'<ul class="scores">{"".join(items)}</ul>'


def _trace_anchor(link: str, inner: str) -> str:
    return f'<a class="trace" href="{escape(link)}" rel="noopener noreferrer">{inner}</a>'
