"""The HTML report in a real headless Chromium: no console errors, plots drawn, table sorts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prodready.evaluation.reports import html_report
from tests.evaluation.test_reports import TRACE_URL, make_cases, make_gate, make_run
from tests.live import CHROMIUM, CHROMIUM_ARGS, browser_missing

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = browser_missing()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)  # CI installs it: a skip there would hide a gap
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def opened(browser: Any, tmp_path: Path) -> Iterator[tuple[Any, list[str]]]:
    """The report open in a page, with every console message, page error, request and dialog."""
    run = make_run()
    path = tmp_path / "report.html"
    path.write_text(html_report(run, make_gate(run), cases=make_cases(), trace_url=TRACE_URL))
    page = browser.new_page()
    events: list[str] = []
    page.on("console", lambda m: events.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: events.append(f"pageerror: {e}"))
    page.on("request", lambda r: events.append(f"request: {r.url}"))
    page.on("dialog", lambda d: (events.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    yield page, events
    page.close()


def test_report_loads_with_no_console_errors_or_requests(opened: tuple[Any, list[str]]) -> None:
    page, events = opened
    problems = [e for e in events if e.startswith(("pageerror", "console error", "console warn"))]
    requests = [e for e in events if e.startswith("request") and "report.html" not in e]
    assert problems == [] and requests == []
    assert not [e for e in events if e.startswith("dialog")]  # <script>alert(1)</script> is text
    assert page.get_by_text("<script>alert(1)</script>").first.is_visible()


def test_forest_plot_is_visible_with_a_row_per_metric(opened: tuple[Any, list[str]]) -> None:
    page, _ = opened
    plot = page.locator("svg.forest")
    assert plot.is_visible() and plot.bounding_box()["width"] > 400
    names = plot.locator("g.forest-row").evaluate_all("gs => gs.map(g => g.dataset.metric)")
    assert names == ["facts", "correctness", "latency_p95_ms", "cost"]


def test_clicking_a_header_sorts_the_failing_cases(opened: tuple[Any, list[str]]) -> None:
    page, events = opened
    latency = "#failing-table tbody td:nth-child(6)"
    page.get_by_role("button", name="latency ms").click()
    ascending = [float(x) for x in page.locator(latency).all_inner_texts()]
    page.get_by_role("button", name="latency ms").click()
    descending = [float(x) for x in page.locator(latency).all_inner_texts()]
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True)
    header = page.locator("#failing-table th", has_text="latency ms")
    assert header.get_attribute("aria-sort") == "descending"
    assert not [e for e in events if e.startswith(("pageerror", "console error"))]


def test_the_filter_hides_rows_that_do_not_match(opened: tuple[Any, list[str]]) -> None:
    page, _ = opened
    page.get_by_placeholder("case id, tag, text…").fill("required_facts")
    visible = page.locator("#failing-table tbody tr:visible td:first-child").all_inner_texts()
    assert visible == ["case-04"]
    assert page.locator("#failing-shown").inner_text() == "1 of 9 shown"
