"""The dashboard's overview and trace pages over HTTP, on SQLite and PostgreSQL: what they
show, how they refuse bad input, and the headers and markup that keep span content inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from prodready.store import TraceQuery
from tests.dashboard.conftest import Seeded
from tests.dashboard.seed import HOSTILE_SESSION, HOSTILE_TRACE, PAYLOAD, trace_id

PAGES = ["/ui/overview", "/ui/overview?by=environment", "/ui/traces", "/ui/traces?status=error"]


class Markup(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, inline styles, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.style_attrs: list[str] = []
        self.handlers: list[str] = []
        self.style_tags = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        if tag == "script" and "src" not in names:
            self.inline_scripts += 1
        if tag == "style":
            self.style_tags += 1
        if "style" in names:
            self.style_attrs.append(tag)
        self.handlers += [f"{tag}[{k}]" for k in names if k.startswith("on")]


def inert(html: str) -> Markup:
    m = Markup()
    m.feed(html)
    return m


def hostile_pages(seeded: Seeded) -> list[str]:
    return [
        "/ui/overview",
        "/ui/traces",
        f"/ui/traces/{HOSTILE_TRACE}",
        f"/ui/traces/{HOSTILE_TRACE}?span=c0ffeec0ffeec0ff",
        "/ui/sessions/" + quote(HOSTILE_SESSION, safe=""),
    ]


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_with_a_strict_csp_and_no_inline_code(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text[-500:]
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    m = inert(r.text)
    assert (m.inline_scripts, m.style_tags, m.style_attrs, m.handlers) == (0, 0, [], [])


def test_hostile_span_content_is_text_on_every_page(client: TestClient, seeded: Seeded) -> None:
    for path in hostile_pages(seeded):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[-300:])
        assert PAYLOAD not in r.text, path  # never raw
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in r.text, path  # shown escaped
        m = inert(r.text)
        assert (m.inline_scripts, m.handlers) == (0, []), path


def test_home_redirects_to_the_overview(client: TestClient) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/ui/overview"


def test_overview_totals_match_the_store(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/ui/overview?range=24h")
    total = seeded.store.count_traces(TraceQuery(start_after_ns=0))
    tile = re.search(r'<div class="label">Traces</div><div class="big">([\d,]+)</div>', r.text)
    assert tile is not None and int(tile.group(1).replace(",", "")) == total
    assert r.text.count('<figure class="chart">') >= 7
    # the latest failing traces link to their pages
    failing = seeded.store.list_traces(TraceQuery(status="error", limit=10))
    assert failing and all(f'href="/ui/traces/{t.trace_id}"' in r.text for t in failing)


def test_overview_shows_open_alerts_feedback_and_online_scores(client: TestClient) -> None:
    html = client.get("/ui/overview?range=24h").text
    alert = re.search(r'<ul class="alerts">(.*?)</ul>', html, re.S)
    assert alert is not None and "csat-drop" in alert.group(1) and "v1.5.0" in alert.group(1)
    assert re.search(r"CSAT \(\d+ ratings\)</div><div class=\"big\">[1-5]\.\d\d / 5", html)
    feedback = re.search(r'aria-label="End-user feedback">(.*?)</section>', html, re.S)
    assert feedback is not None
    rows = re.findall(r"<tr><td>(v1\.[45]\.0)</td><td>([a-z_]+)</td>", feedback.group(1))
    assert {r for r, _ in rows} == {"v1.4.0", "v1.5.0"} and len(rows) >= 8
    assert "Online score: grounded" in html


def test_trace_page_lists_the_traces_scores(client: TestClient, seeded: Seeded) -> None:
    html = client.get(f"/ui/traces/{seeded.ids[0]}").text
    assert "Scores of this trace" in html and "grounded" in html


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr data-href="/ui/traces/([0-9a-f]{32})">', html)


@pytest.mark.parametrize(
    ("params", "query"),
    [
        ("intent=top_up_failed", TraceQuery(attributes={"prodready.intent.name": "top_up_failed"})),
        ("tool=block_card", TraceQuery(attributes={"gen_ai.tool.name": "block_card"})),
        ("kind=escalation", TraceQuery(kind="escalation")),
        ("status=error", TraceQuery(status="error")),
        ("min_ms=1500", TraceQuery(min_duration_ns=1_500_000_000)),
        ("session=sess-0010", TraceQuery(session_id="sess-0010")),
        ("attr=gen_ai.tool.name:fx_rate", TraceQuery(attributes={"gen_ai.tool.name": "fx_rate"})),
    ],
)
def test_trace_filters_list_what_the_store_finds(
    client: TestClient, seeded: Seeded, params: str, query: TraceQuery
) -> None:
    r = client.get(f"/ui/traces?range=7d&{params}")
    assert r.status_code == 200
    expected = [
        t.trace_id for t in seeded.store.list_traces(query.model_copy(update={"limit": 50}))
    ]
    assert expected and _listed(r.text) == expected
    assert f"{seeded.store.count_traces(query)} in last 7d" in r.text


def test_trace_list_pages_through_everything_once(client: TestClient, seeded: Seeded) -> None:
    seen: list[str] = []
    for offset in (0, 50, 100, 150):
        seen += _listed(client.get(f"/ui/traces?range=7d&offset={offset}").text)
    assert sorted(seen) == sorted(seeded.ids)
    assert 'rel="next"' in client.get("/ui/traces?range=7d").text


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/ui/traces?min_ms=fast", 400, "min_ms"),
        ("/ui/traces?status=maybe", 400, "status"),
        ("/ui/traces?kind=robot", 400, "kind"),
        ("/ui/traces?attr=novalue", 400, "attr"),
        ("/ui/traces?offset=-1", 400, "offset"),
        ("/ui/traces?range=2y", 400, "time range"),
        ("/ui/traces?range=custom&from=yesterday", 400, "from"),
        ("/ui/overview?by=intent", 400, "by"),
        ("/ui/traces/xyz", 400, "trace id"),
        ("/ui/traces/" + "f" * 32, 404, "no trace"),
        (f"/ui/traces/{trace_id(1)}?span=nothex", 400, "span"),
        (f"/ui/traces/{trace_id(1)}?span={'0' * 16}", 404, "no span"),
        ("/ui/sessions/nobody", 404, "no traces"),
        ("/ui/nowhere", 404, "Not Found"),
    ],
)
def test_bad_requests_get_an_html_page_naming_the_problem(
    client: TestClient, path: str, status: int, says: str
) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert says in r.text
    assert "content-security-policy" in r.headers


def test_the_api_keeps_its_json_errors(client: TestClient) -> None:
    r = client.get("/api/traces/xyz")
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"


def test_trace_page_shows_tree_waterfall_and_the_selected_span(
    client: TestClient, seeded: Seeded
) -> None:
    failing = seeded.store.list_traces(TraceQuery(status="error", name="support-agent"))[0]
    trace = seeded.store.get_trace(failing.trace_id)
    assert trace is not None
    r = client.get(f"/ui/traces/{failing.trace_id}")
    assert r.text.count('class="wf-row d') == len(trace.spans)
    assert r.text.count('<rect class="bar') == len(trace.spans)
    failed_tool = next(s for s in trace.spans if s.kind == "tool" and s.status == "error")
    panel = client.get(f"/ui/traces/{failing.trace_id}?span={failed_tool.span_id}").text
    assert "TimeoutError" in panel and "other attempt" in panel  # exception and retries
    retriever = next(s for s in trace.spans if s.kind == "retriever")
    docs = client.get(f"/ui/traces/{failing.trace_id}?span={retriever.span_id}").text
    assert "Retrieved documents" in docs and "policy/fees" in docs and ">v7<" in docs
    guard = next(s for s in trace.spans if s.kind == "guardrail")
    verdict = client.get(f"/ui/traces/{failing.trace_id}?span={guard.span_id}").text
    assert 'class="badge verdict-pass"' in verdict


def test_llm_span_reads_as_a_transcript(client: TestClient, seeded: Seeded) -> None:
    ok = seeded.store.list_traces(TraceQuery(status="ok", kind="llm", limit=1))[0]
    trace = seeded.store.get_trace(ok.trace_id)
    assert trace is not None
    llm = next(s for s in trace.spans if s.kind == "llm")
    html = client.get(f"/ui/traces/{ok.trace_id}?span={llm.span_id}").text
    assert "Model call" in html and "gpt-4o-mini" in html
    assert re.search(r'class="msg role-system">.*Northwind Bank', html, re.S)
    assert re.search(r'class="msg output role-assistant">.*should arrive within 2', html, re.S)


def test_session_page_threads_the_conversation_oldest_first(
    client: TestClient, seeded: Seeded
) -> None:
    turns = seeded.store.list_traces(TraceQuery(session_id="sess-0010"))
    html = client.get("/ui/sessions/sess-0010").text
    shown = re.findall(r'<a href="/ui/traces/([0-9a-f]{32})">', html)
    assert shown == [t.trace_id for t in reversed(turns)]
    assert html.count('class="msg role-user"') == len(turns)


def test_scope_persists_across_pages_and_an_empty_value_clears_it(client: TestClient) -> None:
    client.cookies.clear()
    client.get("/ui/traces?range=7d&release=v1.5.0")
    assert "last 7d · release v1.5.0" in client.get("/ui/overview").text  # from the cookie
    assert 'value="v1.5.0"' in client.get("/ui/traces").text
    client.get("/ui/traces?range=7d&release=")
    assert "last 7d · release v1.5.0" not in client.get("/ui/overview").text
    client.cookies.clear()


def _token(client: TestClient) -> str:
    html = client.get("/ui/traces").text
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_saved_views_need_the_csrf_token_and_a_same_origin_request(
    client: TestClient, seeded: Seeded
) -> None:
    client.cookies.clear()
    token = _token(client)
    form: dict[str, Any] = {"page": "traces", "name": "failing", "query": "status=error&offset=50"}
    assert client.post("/ui/views", data=form).status_code == 403  # no token
    assert client.post("/ui/views", data=form | {"csrf": "x" * 43}).status_code == 403
    evil = {"origin": "https://evil.example"}
    assert client.post("/ui/views", data=form | {"csrf": token}, headers=evil).status_code == 403
    cross = {"sec-fetch-site": "cross-site"}
    assert client.post("/ui/views", data=form | {"csrf": token}, headers=cross).status_code == 403
    assert "failing</a>" not in client.get("/ui/traces").text  # nothing was saved
    r = client.post("/ui/views", data=form | {"csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/traces?status=error"
    html = client.get("/ui/traces").text
    assert '<a href="/ui/traces?status=error" title="status=error">failing</a>' in html
    view_id = re.search(r'action="/ui/views/([0-9a-f]{32})/delete"', html)
    assert view_id is not None
    delete = f"/ui/views/{view_id.group(1)}/delete"
    gone = client.post(delete, data={"csrf": token, "page": "traces"})
    assert gone.status_code == 200 and "failing</a>" not in gone.text
    missing = client.post(delete, data={"csrf": token})
    assert missing.status_code == 404
    empty = client.post("/ui/views", data=form | {"csrf": token, "name": " "})
    assert empty.status_code == 400 and "name" in empty.text


def test_csp_reports_are_kept_and_bounded(client: TestClient) -> None:
    reports = client.app.state.csp_reports  # type: ignore[attr-defined]
    before = len(reports)
    r = client.post(
        "/ui/csp-report", content=b'{"csp-report": {"violated-directive": "script-src"}}'
    )
    assert r.status_code == 204 and len(reports) == before + 1
    assert client.post("/ui/csp-report", content=b"{not json").status_code == 400
    reports.clear()


def test_static_assets_are_served_with_the_csp(client: TestClient) -> None:
    for name in ("app.css", "app.js", "favicon.svg"):
        r = client.get(f"/ui/static/{name}")
        assert r.status_code == 200 and "content-security-policy" in r.headers


def test_a_large_match_count_is_capped_and_paging_goes_on(
    client: TestClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prodready.dashboard.pages import traces

    monkeypatch.setattr(traces, "COUNT_AHEAD", 60)
    first = client.get("/ui/traces?range=7d").text
    assert "60+ in last 7d" in first and "1–50 of 60+" in first and 'rel="next"' in first
    total = seeded.store.count_traces(TraceQuery(start_after_ns=0))
    last = client.get(f"/ui/traces?range=7d&offset={total - 10}").text
    assert f"{total:,} in last 7d" in last and 'rel="next"' not in last
