"""docs/reports.md stays true: its example writes the three files, its JUnit sample is an
excerpt of what the code writes, and its trace links resolve against ``prodready serve``."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from prodready.evaluation.reports import junit_xml
from prodready.server import create_app
from prodready.store import Store
from tests.cli.factories import T1, support_trace
from tests.evaluation.test_reports import TRACE_URL, make_cases, make_gate, make_run

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

DOCS = (Path(__file__).parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
EXAMPLE = DOCS.split("```python\n", 1)[1].split("```", 1)[0]
JUNIT = DOCS.split("```xml\n", 1)[1].split("```", 1)[0]
TEMPLATE = re.search(r'trace_url="([^"]+)"', DOCS)[1]  # type: ignore[index]


def test_the_documented_trace_link_opens_a_stored_trace_on_the_server() -> None:
    with Store("sqlite://") as store, TestClient(create_app(store)) as client:
        store.write_spans(support_trace(T1, 1_700_000_000_000_000_000))
        url = urlsplit(TEMPLATE.format(trace_id=T1))
        assert (url.hostname, url.port) == ("localhost", 4318)  # where `prodready serve` listens
        response = client.get(url.path)
    assert response.status_code == 200 and response.json()["summary"]["trace_id"] == T1


def test_every_trace_link_on_the_page_uses_the_documented_template() -> None:
    prefix = TEMPLATE.split("{trace_id}")[0]
    links = re.findall(r"http://localhost:4318/[^\s>)<]*", DOCS)
    assert len(links) >= 4 and all(link.startswith(prefix) for link in links)
    assert TRACE_URL == TEMPLATE  # the Markdown sample test renders with this template


def excerpt_pattern(sample: str) -> re.Pattern[str]:
    """A line ``...`` stands for any lines, ``...`` or ``…`` inside a line for any text."""
    lines = []
    for line in sample.splitlines():
        if line.strip() == "...":
            lines.append(r"(?:[^\n]*\n)*?")
        else:
            parts = re.split(r"\.\.\.|…", line)
            lines.append(".*?".join(map(re.escape, parts)) + r"\n")
    return re.compile("".join(lines), re.S)


def test_the_junit_sample_is_an_excerpt_of_what_the_code_writes() -> None:
    run = make_run()
    xml = junit_xml(run, make_gate(run), trace_url=TEMPLATE)
    assert excerpt_pattern(JUNIT).search(xml), xml


def test_the_write_reports_example_writes_its_three_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run, prod_run = make_run(), make_run()
    names = {"run": run, "gate": make_gate(run), "dataset": make_cases(), "prod_run": prod_run}
    exec(compile(EXAMPLE, "docs/reports.md", "exec"), names)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["reports/eval.html", "reports/eval.md", "reports/eval.xml"]
    assert (
        f'href="{TEMPLATE.format(trace_id=f"{4:032x}")}"' in Path("reports/eval.html").read_text()
    )
