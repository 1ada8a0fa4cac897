"""The dashboard at scale, side by side with Arize Phoenix: OTLP ingest, list and detail latency.

Every server is a real process started as a user would start it, and every request comes
from this (separate) process:

1. ``prodready serve`` (uvicorn) over SQLite and over PostgreSQL (a fresh schema of the test
   database, dropped afterwards). OpenInference-shaped spans, 4 per trace (an AGENT root with
   a 1-4 KB ``input.value`` and ``output.value``, ``session.id``, release, environment and
   intent; a RETRIEVER with two documents of 0.5-2 KB; a TOOL with ``tool.name`` and 1 KB
   arguments and result, 4 % failed with an exception event; an LLM call with
   ``llm.input_messages.*`` of 1-4 KB, output message, tokens), 3 releases, 8 intents,
   6 tools (``block_card`` on ~5 % of traces), start times uniform over the last 7 days.
   They are encoded with opentelemetry-proto as ``ExportTraceServiceRequest`` bodies of 512
   spans (the SDK's default batch) before timing, then posted one request at a time over
   OTLP/HTTP: the server's ingest throughput, not the Python exporter's encoding.
   The first ``--otlp-spans`` go over OTLP; the rest up to ``--spans`` are decoded by the
   server's own OTLP decoder (``prodready.server.otlp.decode``) and written with
   ``Store.write_spans`` in this process while the server is stopped (the same rows, without
   HTTP; loading 1M spans over HTTP would take most of the run). The server is then
   restarted and measured over HTTP: ``/ui/traces`` (newest page over 7 days and the default
   24 h, filtered by ``tool=`` at ~5 % and by ``intent=`` at ~12 %), ``/ui/traces/{id}``
   (random traces), ``/ui/overview`` (24 h and 7 d), and ``/api/traces`` for reference.
2. Time to first render of ``/ui/traces/{id}`` in Chromium (Playwright, Debian's
   ``/usr/bin/chromium``, a fresh browser context per trace so nothing is cached):
   navigation start -> first contentful paint and -> load event end.
3. Arize Phoenix (``phoenix serve`` from its own venv, see ``phoenix_check.py``; SQLite,
   scratch ``PHOENIX_WORKING_DIR``, telemetry off, 127.0.0.1) gets the SAME request bodies.
   Phoenix inserts asynchronously, so its ingest is timed from the first request until every
   span is queryable. Its list and detail are timed through ``/graphql`` with the queries its
   UI sends for the project's traces table (root spans, newest first, 50 a page) and for a
   trace's detail page (the trace's spans). prodready is measured at Phoenix's size too, so
   one row compares equal sizes.

    nice -n 10 .venv/bin/python benchmarks/bench_dashboard.py             # 1M spans (17-35 min)
    .venv/bin/python benchmarks/bench_dashboard.py --quick                # smoke run, ~1 min
    .venv/bin/python benchmarks/bench_dashboard.py --spans 200000 --db sqlite --no-phoenix

Phoenix runs when ``--phoenix-python`` (default ``/tmp/phx/bin/python``) has arize-phoenix:

    python3 -m venv /tmp/phx && /tmp/phx/bin/pip install arize-phoenix

Not in ``run_all.py``: the full run takes 17-35 minutes and needs Phoenix's venv.
Generated data lives in a temporary folder (and schema) deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    PG_URL,
    environment_line,
    fmt,
    free_port,
    percentile,
    pg_available,
    pg_schema,
    text_pool,
    versions_text,
)

ROOT = Path(__file__).resolve().parents[1]
PRODREADY = Path(sys.executable).parent / "prodready"
CHROMIUM = os.environ.get("PRODREADY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

DAY_NS = 86_400 * 10**9
MS = 10**6
SPANS_PER_TRACE = 4
BATCH_TRACES = 128  # 512 spans a request: the OpenTelemetry SDK's default export batch
RELEASES = ["support-agent@1.4.0", "support-agent@1.5.0", "support-agent@1.6.0"]
ENVIRONMENTS = ["production", "staging", "dev"]
INTENTS = ["card_arrival", "refund", "block_card", "change_pin", "dispute", "fees", "kyc", "other"]
TOOLS = [  # (name, share of traces)
    ("lookup_order", 0.55),
    ("search_policy", 0.20),
    ("refund_order", 0.10),
    ("update_address", 0.099),
    ("block_card", 0.05),
    ("close_account", 0.001),
]
FILTER_TOOL = "block_card"  # ~5 % of traces
FILTER_INTENT = "refund"  # 1 in 8
MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"]
_PROSE = (
    "the customer card order refund policy account balance payment transfer fee delivery "
    "address branch limit statement pin dispute merchant charge pending approved declined "
    "please could you help me with my when will it arrive thank you very much"
)
WORDS = _PROSE.split(" ")

TARGET_LIST_MS = 300.0
TARGET_DETAIL_MS = 300.0
TARGET_OVERVIEW_MS = 500.0
TARGET_RENDER_MS = 1000.0
TARGET_RATIO = 3.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the workload: OTLP request bodies -------------------------------------------------------


class Workload:
    """Deterministic OpenInference traces: the first N traces are the same in every run, so a
    prefix sent to Phoenix is the prefix stored in prodready."""

    def __init__(self, end_ns: int, seed: int = 12) -> None:
        self.end_ns = end_ns
        self.rng = random.Random(seed)
        self.texts = text_pool(random.Random(seed + 1), WORDS)
        self.trace_ids: list[str] = []
        self.made = 0

    def fork(self) -> Workload:
        """A copy that continues from here (the next traces are the same as this one's)."""
        twin = Workload.__new__(Workload)
        twin.end_ns, twin.texts, twin.made = self.end_ns, self.texts, self.made
        twin.rng = random.Random()
        twin.rng.setstate(self.rng.getstate())
        twin.trace_ids = list(self.trace_ids)
        return twin

    def bodies(self, n_traces: int) -> Iterator[tuple[bytes, int]]:
        """The next ``n_traces`` traces as (protobuf body, span count), 128 traces a body."""
        left = n_traces
        while left > 0:
            k = min(BATCH_TRACES, left)
            left -= k
            yield self._request(k), k * SPANS_PER_TRACE

    def _request(self, n_traces: int) -> bytes:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        request = ExportTraceServiceRequest()
        rs = request.resource_spans.add()
        _put(rs.resource.attributes, "service.name", "support-agent")
        _put(rs.resource.attributes, "telemetry.sdk.language", "python")
        ss = rs.scope_spans.add()
        ss.scope.name = "openinference.instrumentation.openai"
        ss.scope.version = "0.1.30"
        for _ in range(n_traces):
            self._trace(ss.spans)
        body: bytes = request.SerializeToString()
        return body

    def _trace(self, spans: Any) -> None:
        from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

        rng, texts = self.rng, self.texts
        self.made += 1
        duration = int(rng.lognormvariate(math.log(1500), 0.8) * MS) + 10 * MS
        start = self.end_ns - duration - rng.randrange(7 * DAY_NS)
        trace_id = rng.getrandbits(128).to_bytes(16, "big")
        self.trace_ids.append(trace_id.hex())
        ids = [rng.getrandbits(64).to_bytes(8, "big") for _ in range(SPANS_PER_TRACE)]
        roll, acc, tool = rng.random(), 0.0, TOOLS[-1][0]
        for name, share in TOOLS:
            acc += share
            if roll < acc:
                tool = name
                break
        failed = rng.random() < 0.04
        model = rng.choice(MODELS)
        t_retr, t_tool, t_llm = (start + duration * k // 10 for k in (1, 3, 5))

        def span(i: int, name: str, t0: int, t1: int, error: bool = False) -> Any:
            s = spans.add()
            s.trace_id = trace_id
            s.span_id = ids[i]
            if i:
                s.parent_span_id = ids[0]
            s.name = name
            s.kind = Span.SPAN_KIND_INTERNAL
            s.start_time_unix_nano = t0
            s.end_time_unix_nano = t1
            s.status.code = Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_OK
            return s

        root = span(0, "support_agent", start, start + duration, failed)
        a = root.attributes
        _put(a, "openinference.span.kind", "AGENT")
        _put(a, "input.value", rng.choice(texts))
        _put(a, "input.mime_type", "text/plain")
        _put(a, "output.value", rng.choice(texts))
        _put(a, "output.mime_type", "text/plain")
        _put(a, "session.id", f"s-{self.made // 3}")
        _put(a, "user.id", f"u-{self.made % 5000}")
        _put(a, "prodready.release", rng.choice(RELEASES))
        _put(a, "deployment.environment.name", rng.choices(ENVIRONMENTS, (8, 1, 1))[0])
        _put(a, "prodready.intent.name", rng.choice(INTENTS))
        if failed:
            root.status.message = f"tool {tool} failed"

        retr = span(1, "retrieve_documents", t_retr, t_retr + duration // 10)
        a = retr.attributes
        _put(a, "openinference.span.kind", "RETRIEVER")
        _put(a, "input.value", rng.choice(texts)[:160])
        for d in range(2):
            prefix = f"retrieval.documents.{d}.document."
            _put(a, prefix + "id", f"kb-{rng.randrange(5000)}")
            _put(a, prefix + "content", rng.choice(texts)[: rng.randint(512, 2048)])
            _put(a, prefix + "score", round(rng.random(), 3))
            _put(a, prefix + "metadata", '{"source": "policies", "version": "2026-11"}')

        call = span(2, tool, t_tool, t_tool + duration // 5, failed)
        a = call.attributes
        _put(a, "openinference.span.kind", "TOOL")
        _put(a, "tool.name", tool)
        _put(a, "tool.description", f"{tool.replace('_', ' ')} in the back office")
        _put(a, "input.value", json.dumps({"query": rng.choice(texts)[:1000]}))
        _put(a, "input.mime_type", "application/json")
        if failed:
            event = call.events.add()
            event.name = "exception"
            event.time_unix_nano = t_tool + duration // 5
            _put(event.attributes, "exception.type", "TimeoutError")
            _put(event.attributes, "exception.message", f"{tool} timed out after 30 s")
        else:
            _put(a, "output.value", json.dumps({"result": rng.choice(texts)[:1000]}))
            _put(a, "output.mime_type", "application/json")

        llm = span(3, "ChatCompletion", t_llm, t_llm + duration // 3)
        a = llm.attributes
        prompt, completion = rng.randint(200, 3000), rng.randint(20, 600)
        _put(a, "openinference.span.kind", "LLM")
        _put(a, "llm.model_name", model)
        _put(a, "llm.provider", "openai")
        _put(a, "llm.invocation_parameters", json.dumps({"model": model, "temperature": 0.2}))
        _put(a, "llm.input_messages.0.message.role", "system")
        _put(a, "llm.input_messages.0.message.content", "You are a bank's support agent.")
        _put(a, "llm.input_messages.1.message.role", "user")
        _put(a, "llm.input_messages.1.message.content", rng.choice(texts))
        _put(a, "llm.output_messages.0.message.role", "assistant")
        _put(a, "llm.output_messages.0.message.content", rng.choice(texts)[:2048])
        _put(a, "llm.token_count.prompt", prompt)
        _put(a, "llm.token_count.completion", completion)
        _put(a, "llm.token_count.total", prompt + completion)


def _put(attributes: Any, key: str, value: str | int | float) -> None:
    kv = attributes.add()
    kv.key = key
    if isinstance(value, str):
        kv.value.string_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    else:
        kv.value.double_value = value


# --- statistics and output ------------------------------------------------------------------


@dataclass
class Timing:
    """Latencies of one case, in ms."""

    label: str
    times: list[float] = field(default_factory=list)
    error: str = ""
    compare: str = ""  # "list" or "detail": a row of the side-by-side table with Phoenix

    @property
    def p50(self) -> float:
        return percentile(self.times, 50)

    @property
    def p95(self) -> float:
        return percentile(self.times, 95)


@dataclass
class Results:
    lines: list[str] = field(default_factory=list)
    ratios: list[tuple[str, float]] = field(default_factory=list)

    def table(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        out = ["", f"**{title}**", "", "| " + " | ".join(headers) + " |"]
        out.append("|---" + "|---:" * (len(headers) - 1) + "|")
        out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        self.lines += [*out, ""]
        print("\n".join(out) + "\n", flush=True)

    def note(self, text: str) -> None:
        self.lines.append(f"- {text}")
        print(f"- {text}", flush=True)


def target_cell(value: float, target: float | None) -> str:
    if target is None or math.isnan(value):
        return ""
    return f"≤ {target:.0f} ms: {'PASS' if value <= target else 'FAIL'}"


def ratio_cell(theirs: Timing, mine: Timing) -> str:
    if not theirs.times or not mine.times:
        return "n/a"
    return f"{theirs.p50 / mine.p50:.1f}x / {theirs.p95 / mine.p95:.1f}x"


def timing_rows(timings: Sequence[Timing], targets: dict[str, float]) -> list[list[str]]:
    rows = []
    for t in timings:
        target = next((v for k, v in targets.items() if t.label.startswith(k)), None)
        rows.append(
            [
                t.label,
                str(len(t.times)),
                fmt(t.p50),
                fmt(t.p95),
                t.error or target_cell(t.p95, target),
            ]
        )
    return rows


# --- HTTP ------------------------------------------------------------------------------------


def session() -> Any:
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = "bench_dashboard"
    return s


def post_bodies(
    url: str, bodies: Sequence[tuple[bytes, int]], headers: dict[str, str] | None = None
) -> tuple[float, int]:
    """Post OTLP bodies one at a time (retrying 503/429 after their Retry-After).

    Returns (seconds, spans accepted)."""
    s = session()
    s.headers.update({"Content-Type": "application/x-protobuf", **(headers or {})})
    accepted = 0
    started = time.perf_counter()
    for body, n in bodies:
        for _attempt in range(120):
            r = s.post(url, data=body, timeout=120)
            if r.status_code in (429, 503):
                time.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            if r.status_code != 200:
                raise RuntimeError(f"POST {url}: {r.status_code} {r.text[:200]}")
            accepted += n
            break
        else:
            raise RuntimeError(f"POST {url}: still busy after 120 tries")
    return time.perf_counter() - started, accepted


def time_calls(label: str, call: Callable[[], Any], runs: int, warm: int = 3) -> Timing:
    """``runs`` timed calls after ``warm`` untimed ones; a call raises if an answer is wrong,
    which ends the case with the error."""
    timing = Timing(label)
    for i in range(-warm, runs):
        t0 = time.perf_counter()
        try:
            call()
        except Exception as exc:
            timing.error = f"{type(exc).__name__}: {str(exc)[:160]}"
            log(f"{label}: {timing.error}")
            return timing
        if i >= 0:
            timing.times.append((time.perf_counter() - t0) * 1e3)
    log(f"  {label:<52} p50 {fmt(timing.p50):>8} ms  p95 {fmt(timing.p95):>8} ms")
    return timing


def get_ok(s: Any, url: str) -> None:
    r = s.get(url, timeout=120)
    if r.status_code != 200 or not r.content:
        raise RuntimeError(f"GET {url}: HTTP {r.status_code}: {r.content[:160]!r}")


def gql(s: Any, base: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """One GraphQL request as Phoenix's UI makes it; raises on HTTP or GraphQL errors."""
    r = s.post(f"{base}/graphql", json={"query": query, "variables": variables}, timeout=120)
    if r.status_code != 200:
        raise RuntimeError(f"POST /graphql: HTTP {r.status_code}: {r.content[:160]!r}")
    data: dict[str, Any] = r.json()
    if data.get("errors"):
        raise RuntimeError(f"GraphQL: {str(data['errors'])[:300]}")
    answer: dict[str, Any] = data["data"]
    return answer


# --- prodready -------------------------------------------------------------------------------


@contextmanager
def prodready_server(store_url: str, workdir: Path) -> Iterator[str]:
    """``prodready --store URL serve`` in a subprocess; yields its base URL."""
    port = free_port()
    logfile = (workdir / f"prodready-{port}.log").open("wb")
    env = dict(os.environ)
    proc = subprocess.Popen(
        [
            str(PRODREADY),
            "--store",
            store_url,
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=logfile,
        stderr=subprocess.STDOUT,
        cwd=workdir,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/traces?limit=1", proc, workdir / f"prodready-{port}.log")
        yield base
    finally:
        stop(proc)
        logfile.close()


def wait_http(url: str, proc: subprocess.Popen[bytes], logpath: Path, timeout: float = 180) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = logpath.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"server exited ({proc.returncode}):\n{tail}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bulk_load(store_url: str, workload: Workload, n_traces: int) -> float:
    """Write ``n_traces`` more traces through the server's OTLP decoder and ``write_spans``;
    returns spans/s (decode + write)."""
    from prodready.server.otlp import decode
    from prodready.store import Store

    store = Store(store_url)
    spans, spent = 0, 0.0
    reported = 0
    for body, _n in workload.bodies(n_traces):
        t0 = time.perf_counter()
        spans += store.write_spans(decode(body, "protobuf"))
        spent += time.perf_counter() - t0
        if spans - reported >= 100_000:
            reported = spans
            log(f"  bulk: {spans:,} more spans written ({spans / spent:,.0f} spans/s)")
    if store.dialect == "postgresql":
        from sqlalchemy import text

        with store.db.begin() as conn:
            conn.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
    store.close()
    return spans / spent if spent else math.nan


def stored_spans(store_url: str) -> int:
    from prodready.store import Store

    store = Store(store_url)
    try:
        return int(store.info().span_count)
    finally:
        store.close()


def prodready_cases(base: str, ids: Sequence[str], runs: int, *, full: bool) -> list[Timing]:
    rng = random.Random(5)
    s = session()

    def get(path: str) -> Callable[[], None]:
        return lambda: get_ok(s, base + path)

    def detail(prefix: str) -> Callable[[], None]:
        return lambda: get_ok(s, f"{base}{prefix}{rng.choice(ids)}")

    newest = ("list /ui/traces, newest 50 of 7 d", get("/ui/traces?range=7d"), "list")
    page = ("detail /ui/traces/{id}, random traces", detail("/ui/traces/"), "detail")
    api_list = ("(reference) /api/traces?limit=50", get("/api/traces?limit=50"), "list")
    api_detail = ("(reference) /api/traces/{id}", detail("/api/traces/"), "detail")
    cases: list[tuple[str, Callable[[], Any], str]] = [newest, page, api_list, api_detail]
    if full:
        cases = [
            newest,
            ("list /ui/traces, newest 50 of 24 h (default)", get("/ui/traces?range=24h"), ""),
            (
                f"list /ui/traces, 7 d, tool={FILTER_TOOL} (~5 %)",
                get(f"/ui/traces?range=7d&tool={FILTER_TOOL}"),
                "",
            ),
            (
                f"list /ui/traces, 7 d, intent={FILTER_INTENT} (~12 %)",
                get(f"/ui/traces?range=7d&intent={FILTER_INTENT}"),
                "",
            ),
            page,
            ("overview /ui/overview, 24 h", get("/ui/overview?range=24h"), ""),
            ("overview /ui/overview, 7 d", get("/ui/overview?range=7d"), ""),
            api_list,
            api_detail,
        ]
    out = []
    for label, call, compare in cases:
        timing = time_calls(label, call, runs)
        timing.compare = compare
        out.append(timing)
    return out


def console_error(message: Any, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(message.text)


def page_error(error: Any, errors: list[str]) -> None:
    errors.append(str(error))


def first_render(base: str, ids: Sequence[str], n: int) -> tuple[Timing, Timing, str]:
    """Chromium: navigation start -> first contentful paint, and -> load event end, per trace
    page, each in a fresh context (cold cache)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return Timing("fcp"), Timing("load"), "playwright is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return Timing("fcp"), Timing("load"), f"no Chromium at {CHROMIUM}"
    rng = random.Random(9)
    fcp, load = Timing("first contentful paint"), Timing("load event end")
    script = """() => new Promise(resolve => {
        const done = () => {
            const nav = performance.getEntriesByType('navigation')[0];
            const paint = performance.getEntriesByName('first-contentful-paint')[0];
            if (paint && nav.loadEventEnd > 0) {
                resolve({fcp: paint.startTime, load: nav.loadEventEnd});
            } else {
                setTimeout(done, 20);
            }
        };
        done();
    })"""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for i in range(-2, n):  # two warm-ups (the server's first renders)
                context = browser.new_context()
                page = context.new_page()
                errors: list[str] = []
                page.on("console", partial(console_error, errors=errors))
                page.on("pageerror", partial(page_error, errors=errors))
                response = page.goto(f"{base}/ui/traces/{rng.choice(ids)}", wait_until="load")
                if response is None or response.status != 200:
                    return fcp, load, f"HTTP {response.status if response else 'none'}"
                marks = page.evaluate(script)
                context.close()
                if errors:
                    return fcp, load, f"console errors: {errors[:2]}"
                if i >= 0:
                    fcp.times.append(float(marks["fcp"]))
                    load.times.append(float(marks["load"]))
        finally:
            browser.close()
    log(
        f"  chromium FCP p50 {fmt(fcp.p50)} p95 {fmt(fcp.p95)}; "
        f"load p50 {fmt(load.p50)} p95 {fmt(load.p95)}"
    )
    return fcp, load, ""


# --- Arize Phoenix ---------------------------------------------------------------------------

# Phoenix's list and detail are timed with the GraphQL queries its UI sends, read from the
# installed version's UI bundle: ``TracesTableQuery`` (the project page's traces table: root
# spans newest first, each with its trace's child spans) for the list, and for a trace's page
# ``TraceDetailsQuery`` (the span tree) followed by ``SpanDetailsQuery`` (the selected root
# span's attributes, input and output), which is what prodready's ``/ui/traces/{id}`` renders
# in one answer. Phoenix's REST ``/v1/projects/{id}/spans`` lists spans, not traces, and its
# UI does not use it.
PHOENIX_UI_QUERIES = ("TracesTableQuery", "TraceDetailsQuery", "SpanDetailsQuery")
# The UI's table query also fetches each root's child spans and annotations, which costs
# Phoenix most of its time; these reduced queries ask only for what prodready's pages show
# (the list's columns; the trace's spans with attributes, input and output in one request),
# so the comparison is also made against Phoenix at its fastest.
PHOENIX_REDUCED_LIST = """
query ReducedList($id: ID!, $first: Int!, $timeRange: TimeRange) {
  node(id: $id) {
    ... on Project {
      rootSpans: spans(first: $first, sort: {col: startTime, dir: desc},
                       filterCondition: "parent_span is None", timeRange: $timeRange) {
        edges { node {
          id name spanKind statusCode startTime latencyMs cumulativeTokenCountTotal spanId
          trace { traceId numSpans }
          input { value: truncatedValue }
          output { value: truncatedValue }
        } }
      }
    }
  }
}
"""
PHOENIX_REDUCED_DETAIL = """
query ReducedTrace($id: ID!, $traceId: ID!) {
  node(id: $id) {
    ... on Project {
      trace(traceId: $traceId) {
        latencyMs
        spans(first: 1000) {
          edges { node {
            id spanId name spanKind statusCode startTime endTime latencyMs parentId
            tokenCountTotal attributes
            input { value mimeType }
            output { value mimeType }
            events { name message timestamp }
          } }
        }
      }
    }
  }
}
"""
PHOENIX_COUNT = """
query Count($id: ID!) { node(id: $id) { ... on Project { recordCount traceCount } } }
"""
PHOENIX_PROJECTS = "query { projects { edges { node { id name } } } }"


@contextmanager
def phoenix_server(python: str, workdir: Path) -> Iterator[str]:
    port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    logpath = workdir / "phoenix.log"
    with logpath.open("wb") as logfile:
        proc = subprocess.Popen(
            [python, "-m", "phoenix.server.main", "serve"],
            cwd=workdir,
            env=env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/healthz", proc, logpath)
            yield base
        finally:
            stop(proc)


def phoenix_version(python: str) -> str | None:
    try:
        done = subprocess.run(
            [python, "-c", "import phoenix; print(phoenix.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def phoenix_ui_queries(python: str) -> dict[str, str]:
    """The UI's GraphQL documents, by operation name, from the installed Phoenix's bundle."""
    code = "import pathlib, phoenix; print(pathlib.Path(phoenix.__file__).parent)"
    where = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    assets = Path(where.stdout.strip()) / "server" / "static" / "assets"
    found: dict[str, str] = {}
    for js in assets.glob("*.js"):
        text = js.read_text(errors="replace")
        for name in PHOENIX_UI_QUERIES:
            at = text.find(f"query {name}(")
            if at >= 0 and name not in found:
                found[name] = text[at : text.index("`", at)]
    missing = set(PHOENIX_UI_QUERIES) - set(found)
    if missing:
        raise RuntimeError(f"Phoenix's UI bundle has no {', '.join(sorted(missing))}")
    return found


def graphql(base: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    import requests

    r = requests.post(
        f"{base}/graphql", json={"query": query, "variables": variables or {}}, timeout=120
    )
    r.raise_for_status()
    data: dict[str, Any] = r.json()
    if data.get("errors"):
        raise RuntimeError(f"Phoenix GraphQL: {data['errors'][:1]}")
    answer: dict[str, Any] = data["data"]
    return answer


def phoenix_project(base: str) -> str:
    for edge in graphql(base, PHOENIX_PROJECTS)["projects"]["edges"]:
        if edge["node"]["name"] == "default":
            return str(edge["node"]["id"])
    raise RuntimeError("Phoenix has no 'default' project")


@dataclass
class PhoenixRun:
    version: str
    spans: int = 0
    post_seconds: float = 0.0
    visible_seconds: float = 0.0
    timings: list[Timing] = field(default_factory=list)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.spans / self.visible_seconds if self.visible_seconds else math.nan


def run_phoenix(
    python: str,
    version: str,
    bodies: Sequence[tuple[bytes, int]],
    ids: Sequence[str],
    runs: int,
    budget_s: float,
) -> PhoenixRun:
    """Post the bodies into a fresh Phoenix (stopping after ``budget_s`` of posting), wait
    until every span is queryable, then time its traces table and trace details."""
    out = PhoenixRun(version)
    queries = phoenix_ui_queries(python)
    workdir = Path(tempfile.mkdtemp(prefix="bench-phoenix-", dir="/tmp"))
    try:
        with phoenix_server(python, workdir) as base:
            log(f"Phoenix {version} on {base}; posting up to {sum(n for _, n in bodies):,} spans")
            sent, started = 0, time.perf_counter()
            for k in range(len(bodies)):
                _, n = post_bodies(f"{base}/v1/traces", bodies[k : k + 1])
                sent += n
                if time.perf_counter() - started > budget_s:
                    out.note = f"stopped posting after {budget_s:.0f} s"
                    break
            out.post_seconds = time.perf_counter() - started
            project = ""
            deadline = time.monotonic() + max(600.0, budget_s)
            count = 0
            while time.monotonic() < deadline:
                try:
                    project = project or phoenix_project(base)
                    count = int(
                        graphql(base, PHOENIX_COUNT, {"id": project})["node"]["recordCount"]
                    )
                except Exception:  # the project appears with its first inserted span
                    count = 0
                if count >= sent:
                    break
                time.sleep(0.5)
            out.visible_seconds = time.perf_counter() - started
            out.spans = count
            log(
                f"Phoenix: {count:,}/{sent:,} spans queryable after {out.visible_seconds:.0f} s "
                f"(posting took {out.post_seconds:.0f} s): {out.rate:,.0f} spans/s"
            )
            known = ids[: sent // SPANS_PER_TRACE]
            out.timings = phoenix_cases(base, project, queries, known, runs)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def phoenix_cases(
    base: str, project: str, queries: dict[str, str], ids: Sequence[str], runs: int
) -> list[Timing]:
    """Phoenix's traces table (50 a page, last 7 days) and a trace's page (tree + root span)."""
    s = session()
    rng = random.Random(5)
    now = time.time()
    week = {
        "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 7 * 86400 - 60)),
        "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600)),
    }

    def table() -> None:
        data = gql(
            s, base, queries["TracesTableQuery"], {"id": project, "first": 50, "timeRange": week}
        )
        if len(data["node"]["rootSpans"]["edges"]) != 50:
            raise RuntimeError("the traces table has fewer than 50 rows")

    def trace_page() -> None:
        trace_id = rng.choice(ids)
        data = gql(s, base, queries["TraceDetailsQuery"], {"id": project, "traceId": trace_id})
        trace = data["project"]["trace"]
        if trace is None:
            raise RuntimeError(f"Phoenix has no trace {trace_id}")
        root = trace["rootSpans"]["edges"][0]["span"]["id"]
        span = gql(s, base, queries["SpanDetailsQuery"], {"id": root})["span"]
        if not span.get("attributes"):
            raise RuntimeError(f"no attributes for span {root}")

    def reduced_table() -> None:
        data = gql(s, base, PHOENIX_REDUCED_LIST, {"id": project, "first": 50, "timeRange": week})
        if len(data["node"]["rootSpans"]["edges"]) != 50:
            raise RuntimeError("the reduced list has fewer than 50 rows")

    def reduced_trace() -> None:
        trace_id = rng.choice(ids)
        data = gql(s, base, PHOENIX_REDUCED_DETAIL, {"id": project, "traceId": trace_id})
        if len(data["node"]["trace"]["spans"]["edges"]) != SPANS_PER_TRACE:
            raise RuntimeError(f"trace {trace_id} has not {SPANS_PER_TRACE} spans")

    return [
        time_calls("list: TracesTableQuery (the UI's), newest 50 of 7 d", table, runs),
        time_calls("detail: TraceDetailsQuery + SpanDetailsQuery (the UI's)", trace_page, runs),
        time_calls("list, reduced query: newest 50 root spans of 7 d", reduced_table, runs),
        time_calls("detail, reduced query: the trace's spans", reduced_trace, runs),
    ]


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    url: str
    otlp_rate: float = math.nan
    otlp_spans: int = 0
    bulk_rate: float = math.nan
    total_spans: int = 0
    small: list[Timing] = field(default_factory=list)
    large: list[Timing] = field(default_factory=list)
    fcp: Timing | None = None
    load: Timing | None = None
    browser_note: str = ""


def run_backend(
    backend: Backend,
    workdir: Path,
    bodies: Sequence[tuple[bytes, int]],
    workload: Workload,
    args: argparse.Namespace,
    small_spans: int,
) -> None:
    """OTLP slice (with a stop at Phoenix's size to measure there), bulk load, measure."""
    small_bodies = 0
    acc = 0
    for k, (_b, n) in enumerate(bodies):
        if acc >= small_spans:
            break
        acc += n
        small_bodies = k + 1
    with prodready_server(backend.url, workdir) as base:
        log(f"{backend.name}: prodready serve on {base}; OTLP {sum(n for _, n in bodies):,} spans")
        s1, n1 = post_bodies(f"{base}/v1/traces", bodies[:small_bodies])
        if small_spans:
            ids = workload.trace_ids[: n1 // SPANS_PER_TRACE]
            log(f"{backend.name}: at {n1:,} spans (Phoenix's size)")
            backend.small = prodready_cases(base, ids, args.runs, full=False)
        s2, n2 = post_bodies(f"{base}/v1/traces", bodies[small_bodies:])
    backend.otlp_spans = n1 + n2
    backend.otlp_rate = backend.otlp_spans / (s1 + s2)
    in_store = stored_spans(backend.url)
    if in_store != backend.otlp_spans:
        raise RuntimeError(f"{backend.name}: {in_store} spans stored, {backend.otlp_spans} sent")
    log(f"{backend.name}: OTLP {backend.otlp_rate:,.0f} spans/s, all {in_store:,} stored")
    more = max(0, args.spans - backend.otlp_spans) // SPANS_PER_TRACE
    if more:
        log(f"{backend.name}: bulk-loading {more * SPANS_PER_TRACE:,} more spans")
        replay = workload.fork()  # the workload right after the OTLP slice
        backend.bulk_rate = bulk_load(backend.url, replay, more)
        all_ids = replay.trace_ids
    else:
        all_ids = workload.trace_ids[: backend.otlp_spans // SPANS_PER_TRACE]
    backend.total_spans = stored_spans(backend.url)
    with prodready_server(backend.url, workdir) as base:
        log(f"{backend.name}: measuring at {backend.total_spans:,} spans")
        backend.large = prodready_cases(base, all_ids, args.runs, full=True)
        if not args.no_browser:
            backend.fcp, backend.load, backend.browser_note = first_render(
                base, all_ids, args.browser_traces
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000, help="spans in prodready's store")
    parser.add_argument("--otlp-spans", type=int, default=100_000, help="of which over OTLP")
    parser.add_argument("--phoenix-spans", type=int, default=50_000, help="spans posted to Phoenix")
    parser.add_argument(
        "--phoenix-seconds", type=float, default=900, help="Phoenix's posting budget"
    )
    parser.add_argument("--phoenix-python", default="/tmp/phx/bin/python")
    parser.add_argument("--no-phoenix", action="store_true")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per case")
    parser.add_argument("--browser-traces", type=int, default=20)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a smoke run in < 2 minutes")
    args = parser.parse_args()
    if args.quick:
        args.spans, args.otlp_spans, args.phoenix_spans = 12_000, 4_096, 1_024
        args.runs, args.browser_traces, args.phoenix_seconds = 8, 3, 60
        if args.db == "both":
            args.db = "sqlite"
    started = time.perf_counter()
    results = Results()
    phx_version = None if args.no_phoenix else phoenix_version(args.phoenix_python)
    if not args.no_phoenix and phx_version is None:
        log(f"Phoenix skipped: no arize-phoenix at {args.phoenix_python} (see the docstring)")
    round_up = BATCH_TRACES * SPANS_PER_TRACE
    phoenix_spans = -(-args.phoenix_spans // round_up) * round_up if phx_version else 0
    otlp_spans = max(args.otlp_spans, phoenix_spans)
    workload = Workload(time.time_ns())
    log(f"encoding {otlp_spans:,} spans as OTLP requests")
    bodies = list(workload.bodies(otlp_spans // SPANS_PER_TRACE))
    size = sum(len(b) for b, _ in bodies)
    results.note(
        f"{environment_line()}; "
        f"{versions_text(['uvicorn', 'psycopg', 'opentelemetry-proto', 'playwright'])}"
    )
    results.note(
        f"workload: {SPANS_PER_TRACE} OpenInference spans a trace, "
        f"{size / (len(bodies) * round_up) / 1024:.1f} KB of protobuf a span, "
        f"{round_up} spans a request, over the last 7 days"
    )

    phoenix: PhoenixRun | None = None
    if phx_version:
        phx_bodies = bodies[: phoenix_spans // round_up]
        phoenix = run_phoenix(
            args.phoenix_python,
            phx_version,
            phx_bodies,
            workload.trace_ids,
            args.runs,
            args.phoenix_seconds,
        )
    small_spans = phoenix.spans if phoenix else 0

    backends: list[Backend] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-dashboard-", dir="/tmp"))
    try:
        if args.db in ("sqlite", "both"):
            b = Backend("SQLite", f"sqlite:///{workdir / 'prodready.db'}")
            run_backend(b, workdir, bodies, workload, args, small_spans)
            backends.append(b)
        if args.db in ("postgresql", "both"):
            why = pg_available(PG_URL)
            if why:
                log(f"PostgreSQL skipped: {why}")
            else:
                with pg_schema(PG_URL, prefix="bench_dashboard") as (_, url):
                    b = Backend("PostgreSQL", url)
                    run_backend(b, workdir, bodies, workload, args, small_spans)
                    backends.append(b)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    del bodies

    report(results, backends, phoenix, args)
    results.note(
        f"ran in {(time.perf_counter() - started) / 60:.1f} min; "
        f"load average now {os.getloadavg()[0]:.2f}"
    )
    return 0


def report(
    results: Results, backends: list[Backend], phoenix: PhoenixRun | None, args: argparse.Namespace
) -> None:
    rows = []
    for b in backends:
        rows.append(
            [f"prodready serve, {b.name}: OTLP/HTTP", f"{b.otlp_spans:,}", fmt(b.otlp_rate), ""]
        )
        if not math.isnan(b.bulk_rate):
            rows.append(
                [
                    f"prodready, {b.name}: bulk load (the server's OTLP decoder + "
                    "Store.write_spans, no HTTP)",
                    f"{b.total_spans - b.otlp_spans:,}",
                    fmt(b.bulk_rate),
                    "",
                ]
            )
    if phoenix:
        rows.append(
            [
                f"Arize Phoenix {phoenix.version}, SQLite: OTLP/HTTP until queryable",
                f"{phoenix.spans:,}",
                fmt(phoenix.rate),
                f"posting alone {phoenix.spans / phoenix.post_seconds:,.0f} spans/s "
                f"(Phoenix queues, then inserts) {phoenix.note}",
            ]
        )
    results.table(
        "Ingest (spans/s, pre-encoded 512-span requests, one at a time)",
        ["what", "spans", "spans/s", "notes"],
        rows,
    )

    targets = {"list": TARGET_LIST_MS, "detail": TARGET_DETAIL_MS, "overview": TARGET_OVERVIEW_MS}
    for b in backends:
        results.table(
            f"prodready serve, {b.name}, {b.total_spans:,} spans (ms)",
            ["request", "runs", "p50", "p95", "target p95"],
            timing_rows(b.large, targets),
        )
        if b.fcp is not None and b.load is not None:
            if b.browser_note:
                results.note(f"{b.name} Chromium: {b.browser_note}")
            else:
                results.table(
                    f"Chromium, /ui/traces/{{id}}, {b.name}, {b.total_spans:,} spans, a fresh "
                    "context per trace (ms from navigation start)",
                    ["mark", "traces", "p50", "p95", "target p95"],
                    [
                        [
                            "first contentful paint",
                            len(b.fcp.times),
                            fmt(b.fcp.p50),
                            fmt(b.fcp.p95),
                            target_cell(b.fcp.p95, TARGET_RENDER_MS),
                        ],
                        [
                            "load event end",
                            len(b.load.times),
                            fmt(b.load.p50),
                            fmt(b.load.p95),
                            target_cell(b.load.p95, TARGET_RENDER_MS),
                        ],
                    ],
                )
    if not phoenix or len(phoenix.timings) < 4:
        return
    rows = []
    for kind, ui, reduced in (
        ("list", phoenix.timings[0], phoenix.timings[2]),
        ("detail", phoenix.timings[1], phoenix.timings[3]),
    ):
        for phx in (ui, reduced):
            rows.append(
                [f"Phoenix {phx.label}", f"{phoenix.spans:,}", fmt(phx.p50), fmt(phx.p95), "", ""]
            )
        for b in backends:
            for timings, n in ((b.small, phoenix.spans), (b.large, b.total_spans)):
                for mine in (x for x in timings if x.compare == kind and x.times):
                    rows.append(
                        [
                            f"prodready {b.name}: {mine.label}",
                            f"{n:,}",
                            fmt(mine.p50),
                            fmt(mine.p95),
                            ratio_cell(ui, mine),
                            ratio_cell(reduced, mine),
                        ]
                    )
    results.table(
        "Side by side (ms); ratio = Phoenix's time / prodready's at p50 and p95, goal ≥ 3x",
        ["request", "spans", "p50", "p95", "vs Phoenix UI query", "vs Phoenix reduced query"],
        rows,
    )
    for b in backends:
        ratio = b.otlp_rate / phoenix.rate
        results.note(
            f"ingest, prodready {b.name} / Phoenix: {ratio:.1f}x "
            f"({'PASS' if ratio >= TARGET_RATIO else 'FAIL'} against ≥ {TARGET_RATIO:.0f}x)"
        )


if __name__ == "__main__":
    sys.exit(main())
