"""Reports: JUnit counts, the Markdown summary, and an HTML page that is safe and complete."""

from __future__ import annotations

import re
import types
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from prodready.evaluation import Case, CaseResult, Expected, Score
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.gate import GateReport, evaluate_gate
from prodready.evaluation.reports import html_report, junit_xml, markdown_summary, write_reports
from prodready.evaluation.runner import DatasetRef, EvalRun, RunTotals

TRACE_URL = "http://localhost:4318/api/traces/{trace_id}"
XSS = "<script>alert(1)</script>"
CRITERIA = """
metrics:
  facts: {source: required_facts, target: ">= 0.7"}
  correctness: {source: correctness, target: ">= 0.9", gate: confident}
  latency_p95_ms: {source: business.latency_ms, aggregate: p95, target: "<= 2500"}
  cost: {source: business.cost_per_conversation, aggregate: mean, gate: report}
"""
TAGS = ["refunds", "cards", "fraud", "escalation"]


def make_cases(n: int = 20) -> list[Case]:
    """Twenty bank-support cases; case 3's input is a script tag."""
    return [
        Case(
            id=f"case-{i:02d}",
            input=XSS if i == 3 else f"How do I dispute charge #{i} on my card?",
            expected=Expected(reference="Use the app", facts=["60 days"]),
            tags=[TAGS[i % 4], *(["vip"] if i % 5 == 0 else [])],
        )
        for i in range(n)
    ]


def score(name: str, ok: bool | None, value: float | None, why: str | None = None) -> Score:
    layer = "behaviour" if name == "tool_calls" else "check"
    return Score(
        name=name, value=value, passed=ok, rationale=why, layer=layer, scorer=name, version="1"
    )


def result(i: int) -> CaseResult:
    """Case 0 and 1 error; every third case is incorrect; case 4 misses a fact."""
    common = {"case_id": f"case-{i:02d}", "case_hash": "sha256:x", "trace_id": f"{i:032x}"}
    timing = {"latency_ms": 400.0 + 90 * i, "cost_usd": 0.002, "cached": i % 7 == 0}
    if i < 2:
        failed = Score(
            name="correctness",
            value=None,
            layer="check",
            scorer="c",
            version="1",
            error="case failed: TimeoutError",
        )
        return CaseResult(
            **common, **timing, error="TimeoutError: no answer in 30s", scores=[failed]
        )
    right = i % 3 != 0
    scores = [
        score(
            "correctness", right, float(right), None if right else f"Said {XSS} instead of 60 days"
        ),
        score("required_facts", i != 4, float(i != 4), None if i != 4 else "missing: 60 days"),
        score("tool_calls", None, float(i % 4)),
    ]
    return CaseResult(
        **common, **timing, output=f"You can dispute it in the app ({i}).", scores=scores
    )


def make_run(n: int = 20) -> EvalRun:
    results = [result(i) for i in range(n)]
    return EvalRun(
        run_id="run-7f3a",
        name="golden",
        dataset=DatasetRef(name="golden", version=3, hash="sha256:" + "ab" * 32),
        release="northwind@1.4.0",
        status="finished",
        started_at_ns=1_700_000_000_000_000_000,
        finished_at_ns=1_700_000_042_000_000_000,
        totals=RunTotals.of(results, wall_seconds=42.0),
        results=results,
    )


def make_gate(run: EvalRun) -> GateReport:
    return evaluate_gate(parse_criteria(CRITERIA), run.results, cases=make_cases(len(run.results)))


def suites(xml: str) -> dict[str, ET.Element]:
    return {s.get("name", ""): s for s in ET.fromstring(xml).iter("testsuite")}


def junit_case(xml: str, name: str) -> ET.Element:
    return next(c for c in ET.fromstring(xml).iter("testcase") if c.get("name") == name)


# --- JUnit ----------------------------------------------------------------------------------


def test_junit_counts_metrics_and_cases_in_their_own_suites() -> None:
    run = make_run()
    xml = junit_xml(run, make_gate(run))
    root, found = ET.fromstring(xml), suites(xml)
    gate, cases = found["gate"], found["cases"]
    assert [gate.get(k) for k in ("tests", "failures", "errors", "skipped")] == ["4", "1", "0", "1"]
    assert [cases.get(k) for k in ("tests", "failures", "errors")] == ["20", "7", "2"]
    assert [root.get(k) for k in ("tests", "failures", "errors")] == ["24", "8", "2"]
    assert len(cases.findall("testcase/failure")) == 7 and len(cases.findall("testcase/error")) == 2


def test_junit_failed_metric_carries_the_gate_reason() -> None:
    run = make_run()
    failure = junit_case(junit_xml(run, make_gate(run)), "correctness").find("failure")
    assert failure is not None and failure.get("type") == "gate"
    assert "lower bound 0.387 < target 0.9 (confident)" in failure.get("message", "")


def test_junit_case_failure_lists_failing_scores_with_rationales() -> None:
    failure = junit_case(junit_xml(make_run()), "case-04").find("failure")
    assert failure is not None and failure.get("message") == "failed: required_facts"
    assert failure.text == "required_facts: failed (value 0) — missing: 60 days"


def test_junit_errored_case_is_an_error_named_by_its_exception() -> None:
    error = junit_case(junit_xml(make_run()), "case-00").find("error")
    assert error is not None and error.get("type") == "TimeoutError"
    assert error.get("message") == "TimeoutError: no answer in 30s"


def test_junit_scorer_error_is_an_error_not_a_failure() -> None:
    run = make_run(3)
    broken = score("tone", None, None).model_copy(update={"error": "judge timed out"})
    run.results[2].scores.append(broken)
    case = junit_case(junit_xml(run), "case-02")
    assert case.find("failure") is None and case.find("error") is not None
    assert case.find("error").get("type") == "scorer error"  # type: ignore[union-attr]


def test_junit_has_run_properties_and_latency_timings() -> None:
    xml = junit_xml(make_run())
    props = {p.get("name"): p.get("value") for p in suites(xml)["cases"].iter("property")}
    assert props["run_id"] == "run-7f3a" and props["release"] == "northwind@1.4.0"
    assert (props["dataset"], props["dataset_version"]) == ("golden", "3")
    assert props["dataset_hash"] == "sha256:" + "ab" * 32
    assert junit_case(xml, "case-05").get("time") == "0.850"
    assert suites(xml)["cases"].get("time") == "25.100"


def test_junit_stays_well_formed_with_control_characters_in_output() -> None:
    run = make_run(3)
    run.results[2] = run.results[2].model_copy(update={"output": "\x1b[31mred\x00 </system-out>"})
    out = junit_case(junit_xml(run), "case-02").find("system-out")
    assert out is not None and "[31mred </system-out>" in (out.text or "")


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_has_the_verdict_and_a_metric_table() -> None:
    run = make_run()
    text = markdown_summary(run, make_gate(run))
    assert text.startswith("### ❌ Evaluation gate failed (1 of 3 gating metrics)")
    assert "| metric | estimate | 95% interval | n | target | mode | verdict |" in text
    assert "| correctness | 0.6 | [0.387, 0.781] | 20 | >= 0.9 | confident | ❌ fail |" in text
    assert "| facts | 0.85 | [0.64, 0.948] | 20 | >= 0.7 | point | ✅ pass |" in text
    assert "**Totals:** 20 cases · 2 errors · 3 cached · cost \\$0.0340" in text


def test_markdown_passing_gate_says_so() -> None:
    run = make_run()
    gate = evaluate_gate(
        parse_criteria("metrics:\n  f: {source: required_facts, target: '>= 0.5'}\n"), run.results
    )
    assert markdown_summary(run, gate).startswith("### ✅ Evaluation gate passed")


def test_markdown_links_failing_cases_to_their_traces() -> None:
    run = make_run()
    text = markdown_summary(run, make_gate(run), trace_url=TRACE_URL)
    line = next(x for x in text.splitlines() if x.startswith("- **case-04**"))
    assert "required\\_facts failed (value 0): missing: 60 days" in line
    assert line.endswith(f"[trace](<{TRACE_URL.format(trace_id=f'{4:032x}')}>)")


def test_markdown_lists_the_top_failures_those_failing_the_gate_first() -> None:
    run = make_run()
    text = markdown_summary(run, make_gate(run), max_failures=3)
    listed = [x.split("**")[1] for x in text.splitlines() if x.startswith("- **case")]
    assert "**Failing cases (top 3 of 9)**" in text
    assert listed == ["case-00", "case-01", "case-03"]  # case-04 fails a passing metric


def test_markdown_neutralises_user_text() -> None:
    run = make_run(3)
    why = "see ![x](http://evil.test/p.png) <img src=x> | @octocat"
    bad = score("tone", False, 0.0, why)
    run.results[2].scores.append(bad)
    line = next(x for x in markdown_summary(run).splitlines() if x.startswith("- **case-02"))
    assert "\\!\\[x\\](http://evil.test/p.png) &lt;img src=x&gt; \\| &#64;octocat" in line
    assert "![" not in line and "<img" not in line


# --- HTML -----------------------------------------------------------------------------------


class Page(HTMLParser):
    """Every start tag with its attributes, and the text of <style>."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.css = ""
        self._in_style = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css += data
            self._in_style = False

    def classes(self, tag: str) -> list[str]:
        return [a.get("class", "") for t, a in self.tags if t == tag]


def report(**kwargs: object) -> str:
    run = make_run()
    defaults: dict[str, object] = {"cases": make_cases(), "trace_url": TRACE_URL}
    return html_report(run, make_gate(run), **{**defaults, **kwargs})  # type: ignore[arg-type]


def test_html_escapes_user_text_so_no_script_is_injected() -> None:
    page = report()
    assert XSS not in page and page.count("<script") == 1  # ours only
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert [t for t, _ in Page(page).tags].count("script") == 1


def test_html_has_an_svg_per_plot() -> None:
    svgs = Page(report()).classes("svg")
    assert svgs.count("plot forest") == 1
    assert svgs.count("plot histogram") == 3  # correctness, required_facts, tool_calls
    assert svgs.count("plot bars") == 1


def test_html_forest_plot_has_a_row_per_metric_coloured_by_verdict() -> None:
    rows = [a for t, a in Page(report()).tags if "forest-row" in a.get("class", "")]
    assert [(r["data-metric"], r["class"]) for r in rows] == [
        ("facts", "forest-row pass"),
        ("correctness", "forest-row fail"),
        ("latency_p95_ms", "forest-row pass"),
        ("cost", "forest-row report"),
    ]


def test_html_requests_nothing_but_links_to_traces() -> None:
    page = report()
    parsed = Page(page)
    assert not [a for _, a in parsed.tags if "src" in a]
    hrefs = {a["href"] for t, a in parsed.tags if "href" in a}
    external = {h for h in hrefs if not h.startswith(("#", "data:"))}
    assert external and all(h.startswith("http://localhost:4318/api/traces/") for h in external)
    assert "url(" not in parsed.css and "@import" not in parsed.css
    urls = re.findall(r"https?://[^\s\"'<>]+", page)
    assert all(u.startswith("http://localhost:4318/api/traces/") for u in urls)


def test_html_policy_allows_only_its_own_style_and_script() -> None:
    page = report()
    policy = next(a["content"] for t, a in Page(page).tags if a.get("http-equiv"))
    assert policy.startswith("default-src 'none'; style-src 'sha256-")
    assert "unsafe-inline" not in policy and "script-src 'sha256-" in policy


def test_html_without_cases_notes_that_tags_need_them() -> None:
    page = report(cases=None)
    assert "Tags come from the dataset's cases: pass <code>cases=</code>" in page
    assert "plot bars" not in page and "(pass cases= to see inputs)" in page


def test_html_breaks_pass_rate_down_by_tag_worst_first() -> None:
    page = report()
    labels = re.findall(r'<text class="label" x="4.0" y="[\d.]+">([^<]+)</text>', page)
    assert labels[-5:] == ["refunds", "vip", "cards", "escalation", "fraud"]
    assert "2/5 (40%)" in page


def test_html_failing_table_links_each_case_to_its_trace() -> None:
    page = report()
    assert "<h2>Failing cases (9)</h2>" in page
    link = TRACE_URL.format(trace_id=f"{4:032x}")
    assert f'<a class="trace" href="{link}" rel="noopener noreferrer">trace</a>' in page


def test_html_compares_with_a_baseline() -> None:
    run, base = make_run(), make_run()
    fixed = base.results[3].model_copy(update={"scores": base.results[5].scores})
    base.results[3] = fixed  # case-03 passed in the baseline
    page = html_report(run, make_gate(run), baseline=base)
    section = page[page.index('<section id="baseline">') :]
    assert "Regressed (passed in the baseline, fail now):</b> 1</p><ul><li><code>case-03" in section


def test_write_reports_writes_each_file_given(tmp_path: Path) -> None:
    run = make_run()
    paths = write_reports(run, make_gate(run), junit=tmp_path / "a/j.xml", html=tmp_path / "r.html")
    assert paths == [tmp_path / "a/j.xml", tmp_path / "r.html"]
    assert ET.parse(paths[0]).getroot().tag == "testsuites"
    assert paths[1].read_text(encoding="utf-8").startswith("<!doctype html>")


def test_a_script_url_never_becomes_a_trace_link() -> None:
    page = report(trace_url="javascript:alert('{trace_id}')")
    assert "javascript:" not in page and 'class="trace"' not in page


def test_reports_module_exports_exactly_its_api() -> None:
    import prodready.evaluation.reports as reports

    public = {
        n
        for n, v in vars(reports).items()
        if not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and getattr(v, "__module__", reports.__name__).startswith("prodready")
    }
    assert public == set(reports.__all__)
    assert reports.__all__ == ["html_report", "junit_xml", "markdown_summary", "write_reports"]


def test_the_markdown_sample_in_the_docs_is_what_the_code_writes() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
    sample = docs.split("```markdown\n", 1)[1].split("\n```", 1)[0]
    run = make_run()
    assert (
        markdown_summary(run, make_gate(run), trace_url=TRACE_URL, max_failures=3) == sample + "\n"
    )
