"""The dashboard in a real headless Chromium: the main flows over the overview and the
trace pages, with no console error, no page error and no Content-Security-Policy
violation; and span content made of script and HTML that never executes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from prodready.store import Store, TraceQuery
from tests.dashboard.seed import HOSTILE_SESSION, HOSTILE_TRACE, PAYLOAD, seed_traces
from tests.live import LiveServer, Watched

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path: Path = tmp_path_factory.mktemp("browser") / "prodready.db"
    store = Store(f"sqlite:///{path}")
    seed_traces(store)
    with LiveServer(store) as live:
        yield live
    store.close()


def test_find_a_failing_trace_from_the_overview_and_read_its_waterfall(
    tab: Watched, server: LiveServer
) -> None:
    tab.goto("/ui/overview")
    page = tab.page
    assert page.locator("figure.chart svg polyline").count() > 0  # the charts are drawn
    failing = page.locator('section[aria-label="Failing traces"] tbody tr a')
    first = failing.filter(has_text="support-agent").first
    first.click()
    page.wait_for_url(re.compile(r"/ui/traces/[0-9a-f]{32}$"))
    trace_id = page.url.rsplit("/", 1)[1]
    trace = server.store.get_trace(trace_id)
    assert trace is not None and trace.summary.status == "error"
    rows = page.locator(".wf-row")
    assert rows.count() == len(trace.spans)
    bars = page.locator(".wf-bar rect")
    assert bars.first.bounding_box()["width"] > 100  # the root spans the timeline
    failed = page.locator(".wf-row.failed").nth(1)  # a failed span under the root
    failed.locator(".wf-name").click()
    page.wait_for_url(re.compile(r"\?span=[0-9a-f]{16}"))
    panel = page.locator("#span-panel")
    assert "TimeoutError" in panel.inner_text()
    assert page.locator(".wf-row.selected").count() == 1
    tab.clean()


def test_filter_by_intent(tab: Watched, server: LiveServer) -> None:
    tab.goto("/ui/traces")
    page = tab.page
    page.fill('form.filters input[name="intent"]', "lost_or_stolen_card")
    page.locator('form.filters button[type="submit"]').click()
    page.wait_for_url(re.compile(r"intent=lost_or_stolen_card"))
    expected = server.store.count_traces(
        TraceQuery(start_after_ns=0, attributes={"prodready.intent.name": "lost_or_stolen_card"})
    )
    assert page.locator("table.rows tbody tr").count() == expected > 0
    assert page.locator('form.filters input[name="intent"]').input_value() == "lost_or_stolen_card"
    tab.clean()


def test_keyboard_moves_between_pages_and_rows(tab: Watched) -> None:
    tab.goto("/ui/overview")
    page = tab.page
    page.keyboard.press("g")
    page.keyboard.press("t")
    page.wait_for_url(re.compile(r"/ui/traces$"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.locator("tr.row-selected").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/ui/traces/[0-9a-f]{32}"))
    page.keyboard.press("?")
    assert page.locator("dialog#help").is_visible()
    page.keyboard.press("Escape")
    tab.clean()


def test_theme_switch_is_remembered(tab: Watched) -> None:
    tab.goto("/ui/traces")
    page = tab.page
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    page.click("#theme-toggle")
    tab.goto("/ui/overview")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background in ("rgb(17, 20, 24)", "rgba(0, 0, 0, 0)")
    tab.clean()


def test_time_range_and_release_persist_across_pages(tab: Watched) -> None:
    tab.goto("/ui/overview")
    page = tab.page
    page.fill('form.scope input[name="release"]', "v1.5.0")
    page.click('form.scope button[type="submit"]')
    page.wait_for_url(re.compile(r"release=v1\.5\.0"))
    page.select_option("#scope-range", "7d")  # applies at once
    page.wait_for_url(re.compile(r"range=7d"))
    page.click('.nav a[data-key="t"]')
    page.wait_for_url(re.compile(r"/ui/traces$"))
    assert page.locator('form.scope input[name="release"]').input_value() == "v1.5.0"
    releases = set(page.locator("table.rows tbody tr td:nth-child(7)").all_inner_texts())
    assert releases == {"v1.5.0"}
    tab.clean()


def test_save_a_view_and_open_it(tab: Watched) -> None:
    tab.goto("/ui/traces?status=error")
    page = tab.page
    page.fill('form.save-view input[name="name"]', "errors only")
    page.click('form.save-view button[type="submit"]')
    page.wait_for_load_state("load")
    tab.goto("/ui/traces")
    page.click('.saved-views a:text("errors only")')
    page.wait_for_url(re.compile(r"status=error"))
    page.once("dialog", lambda d: d.accept())
    page.click('.saved-views button[aria-label="Delete view errors only"]')
    page.wait_for_load_state("load")
    assert page.locator('.saved-views a:text("errors only")').count() == 0
    tab.clean()


def test_script_and_html_in_spans_never_execute(tab: Watched) -> None:
    page = tab.page
    for path in (
        "/ui/overview",
        "/ui/traces",
        f"/ui/traces/{HOSTILE_TRACE}",
        f"/ui/traces/{HOSTILE_TRACE}?span=c0ffeec0ffeec0ff",
        "/ui/sessions/" + quote(HOSTILE_SESSION, safe=""),
    ):
        tab.goto(path)
        page.mouse.move(200, 300)
        for box in page.locator("main a, main td, main dd").all()[:60]:
            box.hover(timeout=2000, force=True)  # onmouseover payloads get their chance
        tab.clean()  # nothing ran, nothing was blocked (the CSP reported no violation)
        assert page.get_by_text(PAYLOAD).count() + page.locator(f"text={PAYLOAD[:30]}").count() > 0
        assert page.locator("main img").count() == 0  # <img onerror> stayed text
