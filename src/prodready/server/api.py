"""The read API under ``/api``: trace lists, one trace with its spans, and statistics.

Query parameters map one to one onto ``prodready.store.TraceQuery``; ``since`` and ``attr``
are spelled as in the CLI (see :mod:`prodready.store.filters`), except that a date/time
without a UTC offset is UTC here (the CLI reads it as local time).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ValidationError

from prodready.store import Store, TraceQuery, TraceStats, TraceStatus, TraceSummary
from prodready.store.filters import parse_attrs, parse_time
from prodready.store.records import MAX_NS
from prodready.tracing.kinds import SPAN_KINDS
from prodready.tracing.llm import TraceDetail

_TRACE_ID: Final = re.compile(r"[0-9a-fA-F]{32}")
# What `since` can parse, loosely (a duration, or text starting with an ISO 8601 year): the
# schema's pattern admits everything the handler accepts, and the handler says what is wrong.
SINCE_PATTERN: Final = (
    r"^\s*(?:[0-9]{4}.*|(?:\s*[0-9]+(?:\.[0-9]+)?(?:[nNuUµmM][sS]|[sSmMhHdDwW]))+\s*)$"
)


class ErrorDetail(BaseModel):
    """The read API's error answer: what was wrong, naming the parameter."""

    detail: str


_RETRY_AFTER: Final = {
    "Retry-After": {
        "required": True,
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string"},
    }
}
ANSWERS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"model": ErrorDetail, "description": "A parameter the server cannot use, named."},
    503: {
        "model": ErrorDetail,
        "description": "The store is unreachable; retry after Retry-After seconds.",
        "headers": _RETRY_AFTER,
    },
}
"""The error answers every read-API route documents, besides FastAPI's 422."""

router = APIRouter(prefix="/api", tags=["traces"], responses=ANSWERS)


def _documented(**constraints: object) -> Callable[[dict[str, Any]], None]:
    """Schema constraints for an optional text parameter that the handler checks itself.

    FastAPI's own check would answer 422 with a generic message; the handler answers 400
    naming the parameter and the accepted values, so the constraint is only documented.
    """

    def document(schema: dict[str, Any]) -> None:
        schema.pop("anyOf", None)  # an absent parameter is not sent as null
        schema.update(type="string", **constraints)

    return document


class TraceList(BaseModel):
    """One page of trace summaries, newest first, and how many traces match in all."""

    traces: list[TraceSummary]
    total: int


def get_store(request: Request) -> Store:
    """The app's store (a FastAPI dependency)."""
    store: Store = request.app.state.store
    return store


def trace_query(
    since: Annotated[
        str | None,
        Query(
            description="Started within this long (a number and a unit: ns, us, ms, s, m, "
            "h, d, w; parts combine: 1h30m) or at/after an ISO 8601 date or date/time "
            "(2024-05-01, 2024-05-01T12:00:00+02:00; UTC unless it has an offset). "
            "Not with start_after_ns.",
            json_schema_extra=_documented(
                pattern=SINCE_PATTERN, examples=["15m", "1h30m", "2024-05-01T12:00:00Z"]
            ),
        ),
    ] = None,
    start_after_ns: Annotated[int | None, Query(ge=0, le=MAX_NS)] = None,
    start_before_ns: Annotated[int | None, Query(ge=0, le=MAX_NS)] = None,
    name: str | None = None,
    status: Annotated[TraceStatus | None, Query(description="The root span's outcome.")] = None,
    has_error: Annotated[bool | None, Query(description="Whether any span failed.")] = None,
    kind: Annotated[
        str | None,
        Query(
            description="Has a span of this kind.",
            json_schema_extra=_documented(enum=sorted(SPAN_KINDS)),
        ),
    ] = None,
    release: str | None = None,
    session_id: str | None = None,
    user_id: str | None = None,
    environment: str | None = None,
    min_duration_ms: Annotated[float | None, Query(ge=0, le=MAX_NS / 1e6)] = None,
    attr: Annotated[
        list[str] | None,
        Query(
            description="key:value or key=value, repeatable (each key once); "
            "true/false/numbers are typed, quote for text."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_NS)] = 0,
) -> TraceQuery:
    """Query parameters -> ``TraceQuery`` (a FastAPI dependency); 400 with the reason if bad."""
    if since is not None and start_after_ns is not None:
        raise HTTPException(400, "give since or start_after_ns, not both")
    if kind is not None and kind not in SPAN_KINDS:
        raise HTTPException(
            400, f"unknown span kind {kind!r}; one of {', '.join(sorted(SPAN_KINDS))}"
        )
    try:
        after = start_after_ns if since is None else parse_time(since, naive="utc")
    except ValueError as exc:
        raise HTTPException(400, f"since: {exc}") from None
    try:
        attributes = parse_attrs(attr or [])
    except ValueError as exc:
        raise HTTPException(400, f"attr: {exc}") from None
    try:
        return TraceQuery(
            start_after_ns=after,
            start_before_ns=start_before_ns,
            name=name,
            status=status,
            has_error=has_error,
            kind=kind,
            release=release,
            session_id=session_id,
            user_id=user_id,
            environment=environment,
            min_duration_ns=None if min_duration_ms is None else round(min_duration_ms * 1e6),
            attributes=attributes,
            limit=limit,
            offset=offset,
        )
    except (ValueError, ValidationError) as exc:
        raise HTTPException(400, str(exc)) from None


StoreDep = Annotated[Store, Depends(get_store)]
QueryDep = Annotated[TraceQuery, Depends(trace_query)]


@router.get("/traces", summary="List traces")
def list_traces(store: StoreDep, query: QueryDep) -> TraceList:
    """Trace summaries matching the filters, newest first, with the total count."""
    return TraceList(traces=store.list_traces(query), total=store.count_traces(query))


@router.get(
    "/traces/{trace_id}",
    summary="Get a trace",
    responses={
        400: {"model": ErrorDetail, "description": "The id is not 32 hex characters."},
        404: {"model": ErrorDetail, "description": "No trace has this id."},
    },
)
def get_trace(
    store: StoreDep,
    trace_id: Annotated[
        str,
        Path(
            description="32 hex characters, any case.",
            json_schema_extra={"pattern": f"^{_TRACE_ID.pattern}$"},
        ),
    ],
) -> TraceDetail:
    """A trace's summary, resource and every span (by start time), and ``llm_calls``: each
    ``llm`` and ``embedding`` span's call normalised (models, messages, tool calls, usage),
    by span id, whatever convention recorded it."""
    if not _TRACE_ID.fullmatch(trace_id):
        raise HTTPException(400, f"invalid trace id {trace_id!r}: expected 32 hex characters")
    trace = store.get_trace(trace_id)
    if trace is None:
        raise HTTPException(404, f"no trace {trace_id.lower()}")
    return TraceDetail.of(trace)


@router.get("/stats", summary="Trace statistics")
def stats(store: StoreDep, query: QueryDep) -> TraceStats:
    """Count, error rate and latency percentiles of the matching traces, and per span group."""
    return store.stats(query)
