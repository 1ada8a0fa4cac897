"""Traces: the filtered list, one trace (span tree, waterfall, the selected span), sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from prodready.dashboard import _web
from prodready.dashboard._scope import read_scope
from prodready.dashboard._views import list_views
from prodready.dashboard._web import Page, register, render, store_of
from prodready.evaluation.runs import scores_of_trace
from prodready.store import TraceQuery, TraceSummary
from prodready.store.filters import parse_attr
from prodready.store.records import Span
from prodready.tracing.llm import LLMCall, TraceDetail
from prodready.vocabulary import attributes as A
from prodready.vocabulary.kinds import SPAN_KINDS

router = APIRouter(prefix="/ui")
PAGE = register(Page("traces", "Traces", "/ui/traces", "t", 20))

PAGE_SIZE: Final = 50
COUNT_AHEAD: Final = 10_000
"""The list counts matches up to this many past the page's start, then says "N+": an exact
count of a common filter on a large store costs more than the page itself."""
_TRACE_ID: Final = re.compile(r"[0-9a-fA-F]{32}")
_SPAN_ID: Final = re.compile(r"[0-9a-fA-F]{16}")
_SESSION_LIMIT: Final = 500

TOOL_KEY: Final = A.GEN_AI_TOOL_NAME
INTENT_KEY: Final = A.INTENT_NAME
FILTER_FIELDS: Final = ("name", "status", "kind", "intent", "tool", "attr", "min_ms", "session")


@dataclass
class ListFilters:
    """The trace list's own filters, as the form sent them (the scope adds time/release/env)."""

    name: str = ""
    status: str = ""
    kind: str = ""
    intent: str = ""
    tool: str = ""
    attr: list[str] = field(default_factory=list)
    min_ms: str = ""
    session: str = ""

    def params(self) -> list[tuple[str, str]]:
        out = [(k, getattr(self, k)) for k in FILTER_FIELDS if k != "attr" and getattr(self, k)]
        return out + [("attr", a) for a in self.attr if a]

    def active(self) -> bool:
        return bool(self.params())


def read_filters(request: Request) -> ListFilters:
    q = request.query_params
    return ListFilters(
        name=q.get("name", "").strip(),
        status=q.get("status", "").strip(),
        kind=q.get("kind", "").strip(),
        intent=q.get("intent", "").strip(),
        tool=q.get("tool", "").strip(),
        attr=[a.strip() for a in q.getlist("attr") if a.strip()],
        min_ms=q.get("min_ms", "").strip(),
        session=q.get("session", "").strip(),
    )


def to_query(request: Request, f: ListFilters, *, offset: int = 0) -> TraceQuery:
    """The filters and the scope as a ``TraceQuery``; 400 naming the field when one is bad."""
    scope = read_scope(request)
    if f.status and f.status not in ("ok", "error"):
        raise HTTPException(400, f"status: {f.status!r} is not one of ok, error")
    if f.kind and f.kind not in SPAN_KINDS:
        raise HTTPException(
            400, f"kind: unknown span kind {f.kind!r}; one of {', '.join(sorted(SPAN_KINDS))}"
        )
    attributes: dict[str, Any] = {}
    for text in f.attr:
        try:
            key, value = parse_attr(text)
        except ValueError as exc:
            raise HTTPException(400, f"attr: {exc}") from None
        if key in attributes:
            raise HTTPException(400, f"attr: {key!r} is given twice")
        attributes[key] = value
    for key, value in ((INTENT_KEY, f.intent), (TOOL_KEY, f.tool)):
        if value:
            attributes[key] = value
    min_ns = None
    if f.min_ms:
        try:
            min_ns = round(float(f.min_ms) * 1e6)
        except ValueError:
            raise HTTPException(400, f"min_ms: {f.min_ms!r} is not a number") from None
        if min_ns < 0:
            raise HTTPException(400, "min_ms: must not be negative")
    try:
        return TraceQuery(
            start_after_ns=scope.since_ns,
            start_before_ns=scope.until_ns,
            name=f.name or None,
            status=f.status or None,
            kind=f.kind or None,
            release=scope.release,
            environment=scope.environment,
            session_id=f.session or None,
            min_duration_ns=min_ns,
            attributes=attributes,
            limit=PAGE_SIZE,
            offset=offset,
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise HTTPException(400, f"{where}: {problem['msg']}") from None


@router.get("/traces", response_class=HTMLResponse)
def trace_list(request: Request) -> HTMLResponse:
    """Traces in the scope matching the filters, newest first, a page at a time."""
    filters = read_filters(request)
    offset_text = request.query_params.get("offset", "0")
    if not offset_text.isdigit():
        raise HTTPException(400, f"offset: {offset_text!r} is not a whole number")
    offset = int(offset_text)
    query = to_query(request, filters, offset=offset)
    store = store_of(request)
    rows = store.list_traces(query)
    cap = offset + max(COUNT_AHEAD, PAGE_SIZE)
    total = store.count_traces(query, at_most=cap)
    return render(
        request,
        "traces.html",
        {
            "traces": rows,
            "total": total,
            "total_text": f"{cap:,}+" if total > cap else f"{total:,}",
            "offset": offset,
            "page_size": PAGE_SIZE,
            "filters": filters,
            "filter_params": filters.params(),
            "kinds": sorted(SPAN_KINDS),
            "views": list_views(store, "traces"),
        },
        page=PAGE.id,
    )


@dataclass
class SpanRow:
    """A span placed in the tree and on the waterfall (offsets in per mille of the trace)."""

    span: Span
    depth: int
    left: float
    width: float
    children: int


def span_rows(spans: list[Span]) -> list[SpanRow]:
    """The spans in tree order (depth first, children by start time), with waterfall bars.

    A span whose parent is not stored is shown as a root, so nothing is hidden.
    """
    if not spans:
        return []
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for s in spans:
        parent = s.parent_span_id if s.parent_span_id in ids else None
        children.setdefault(parent, []).append(s)
    for group in children.values():
        group.sort(key=lambda s: (s.start_ns, s.span_id))
    start = min(s.start_ns for s in spans)
    end = max(*(s.end_ns for s in spans), start + 1)
    total = end - start
    out: list[SpanRow] = []
    stack: list[tuple[Span, int]] = [(s, 0) for s in reversed(children.get(None, []))]
    seen: set[str] = set()
    while stack:
        span, depth = stack.pop()
        if span.span_id in seen:  # a cycle of parent ids (hostile input) ends here
            continue
        seen.add(span.span_id)
        left = (span.start_ns - start) / total * 1000
        width = max((span.end_ns - span.start_ns) / total * 1000, 2.0)
        kids = children.get(span.span_id, [])
        out.append(
            SpanRow(span, depth, round(left, 2), round(min(width, 1000 - left), 2), len(kids))
        )
        stack.extend((k, depth + 1) for k in reversed(kids))
    for s in spans:  # spans only reachable through a cycle
        if s.span_id not in seen:
            out.append(SpanRow(s, 0, 0.0, 1000.0, 0))
    return out


GUARDRAIL_KEYS: Final = (A.GUARDRAIL_NAME, A.GUARDRAIL_VERDICT, A.GUARDRAIL_REASON)


@dataclass
class SpanView:
    """What the span panel shows, read from the span once."""

    span: Span
    llm: LLMCall | None
    documents: list[dict[str, Any]]
    guardrail: dict[str, Any]
    tool: dict[str, Any]
    exceptions: list[dict[str, Any]]
    retries: list[Span]


def span_view(span: Span, detail: TraceDetail, rows: list[SpanRow]) -> SpanView:
    a = span.attributes
    documents = a.get(A.RETRIEVAL_DOCUMENTS)
    if isinstance(documents, str):
        documents = _json_list(documents)
    if not isinstance(documents, list):
        documents = []
    docs = [d if isinstance(d, dict) else {"id": d} for d in documents]
    guardrail = {k.rsplit(".", 1)[-1]: a[k] for k in GUARDRAIL_KEYS if k in a}
    tool = {
        "name": a.get(A.GEN_AI_TOOL_NAME),
        "arguments": a.get(A.TOOL_ARGUMENTS),
        "result": a.get(A.TOOL_RESULT),
        "outcome": a.get(A.TOOL_OUTCOME),
        "attempt": a.get(A.TOOL_ATTEMPT),
    }
    tool = {k: v for k, v in tool.items() if v is not None}
    exceptions = [e for e in span.events if e.get("name") == "exception"]
    siblings = [
        r.span
        for r in rows
        if r.span.parent_span_id == span.parent_span_id
        and r.span.name == span.name
        and r.span.span_id != span.span_id
    ]
    return SpanView(
        span, detail.llm_calls.get(span.span_id), docs, guardrail, tool, exceptions, siblings
    )


def _json_list(text: str) -> Any:
    import orjson

    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return [text]


@router.get("/traces/{trace_id}", response_class=HTMLResponse)
def trace_page(request: Request, trace_id: str) -> HTMLResponse:
    """One trace: summary, span tree with waterfall, and the selected span (``?span=``)."""
    if not _TRACE_ID.fullmatch(trace_id):
        raise HTTPException(400, f"invalid trace id {trace_id!r}: expected 32 hex characters")
    store = store_of(request)
    trace = store.get_trace(trace_id)
    if trace is None:
        raise HTTPException(404, f"no trace {trace_id.lower()} in the store")
    detail = TraceDetail.of(trace)
    rows = span_rows(list(trace.spans))
    wanted = request.query_params.get("span", "")
    if wanted and not _SPAN_ID.fullmatch(wanted):
        raise HTTPException(400, f"span: {wanted!r} is not a span id (16 hex characters)")
    by_id = {r.span.span_id: r for r in rows}
    if wanted and wanted.lower() not in by_id:
        raise HTTPException(404, f"trace {trace.summary.trace_id} has no span {wanted.lower()}")
    selected_id = wanted.lower() if wanted else (trace.summary.root_span_id or "")
    selected = by_id.get(selected_id) or (rows[0] if rows else None)
    view = span_view(selected.span, detail, rows) if selected is not None else None
    scores = scores_of_trace(store, trace.summary.trace_id)
    return render(
        request,
        "trace.html",
        {
            "trace": trace,
            "summary": trace.summary,
            "rows": rows,
            "selected": view,
            "scores": scores,
            "span_scores": [s for s in scores if view and s.span_id == view.span.span_id],
            "ticks": _ticks(trace.summary.duration_ns),
        },
        page=PAGE.id,
    )


def _ticks(duration_ns: int) -> list[tuple[float, str]]:
    """Five evenly spaced time marks over the waterfall."""
    return [(i * 250.0, _web.fmt_duration(duration_ns * i / 4)) for i in range(5)]


@dataclass
class Turn:
    """A trace of a session, as one turn of the conversation."""

    summary: TraceSummary
    input: Any
    output: Any


@router.get("/sessions/{session_id:path}", response_class=HTMLResponse)
def session_page(request: Request, session_id: str) -> HTMLResponse:
    """A conversation: its traces in time order, each turn's input and output."""
    store = store_of(request)
    query = TraceQuery(session_id=session_id, limit=_SESSION_LIMIT)
    summaries = store.list_traces(query)
    if not summaries:
        raise HTTPException(404, f"no traces for session {session_id!r}")
    summaries.reverse()  # oldest first, as the conversation went
    full = store.get_traces([s.trace_id for s in summaries])
    turns = []
    for s in summaries:
        trace = full.get(s.trace_id)
        root = None
        if trace is not None:
            root = next((sp for sp in trace.spans if sp.span_id == s.root_span_id), None)
        attrs = root.attributes if root is not None else {}
        turns.append(Turn(s, attrs.get(A.INPUT), attrs.get(A.OUTPUT)))
    return render(
        request,
        "session.html",
        {"session_id": session_id, "turns": turns, "truncated": len(summaries) == _SESSION_LIMIT},
        page=PAGE.id,
    )
