"""Candidate cases from production traces: proposed, then confirmed or rejected by a human.

A candidate never joins its dataset by itself. Confirming one creates the dataset's next
version (the current cases plus the confirmed one) and marks the candidate confirmed in the
same transaction, so a crash leaves either both or neither.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Row, select

from prodready.evaluation import facts
from prodready.evaluation._ids import find_id
from prodready.evaluation._tables import candidate_cases
from prodready.evaluation._types import Case, DatasetVersion, Expected, InputKind, Split
from prodready.evaluation.datasets._dupes import input_key
from prodready.evaluation.datasets._models import (
    CandidateCase,
    CandidateNotFound,
    CandidateStatus,
    DatasetError,
)
from prodready.evaluation.datasets._store import (
    RETRIES,
    load_version,
    lock_dataset,
    save_version,
)
from prodready.store import Span, Store, Trace
from prodready.tracing import MAX_CAPTURE_CHARS
from prodready.tracing import attributes as attrs
from prodready.vocabulary.canonical import to_json


def _person(value: str | None, role: str) -> str:
    if value is None or not value.strip():
        raise DatasetError(f"{role} must name a person: a candidate case needs a human")
    return value.strip()


def add_from_trace(
    store: Store,
    trace_id: str,
    dataset: str,
    *,
    expected: Expected | None = None,
    added_by: str,
    reason: str,
    case_id: str | None = None,
    tags: Sequence[str] = (),
    split: Split = "dev",
) -> CandidateCase:
    """Propose a stored trace as a new case of ``dataset``; it waits for a human to confirm.

    The case's input is the root span's ``prodready.input`` (a JSON object of the agent's
    arguments, or text), else the root span's name. Arguments recorded by
    ``@prodready.trace`` make a case with ``input_kind="arguments"``, so the runner calls the
    target exactly as the traced call was made. The trace's output, classified intent,
    tool calls and escalation are kept as *suggestions* for the reviewer, never as the
    expected answer. Provenance is ``trace:<trace id>``.

    Args:
        store: holds the trace and the dataset.
        trace_id: the full trace id.
        dataset: the dataset the case is proposed for (it must exist).
        expected: the expected behaviour, if the proposer knows it already.
        added_by: who proposes the case.
        reason: what the case guards against (e.g. "refund promised above the limit").
        case_id: the case's id; default ``trace-<first 12 hex digits of the trace id>``.
        tags: the case's tags.
        split: the case's split.

    Raises:
        LookupError: no such trace (``DatasetNotFound`` if no such dataset).
        DatasetError: no proposer or reason; the input or id is already in the dataset; the
            trace is already a pending candidate for it; its recorded arguments are not a
            whole JSON object (cut short when captured).
    """
    added_by = _person(added_by, "added_by")
    if not reason or not reason.strip():
        raise DatasetError("reason is required: say what the case guards against")
    trace = store.get_trace(trace_id)
    if trace is None:
        raise LookupError(f"no trace {trace_id!r} in the store")
    tid = trace.summary.trace_id
    root = _root(trace)
    value, kind = _input(trace, root)
    case = Case(
        id=case_id or f"trace-{tid[:12]}",
        input=value,
        input_kind=kind,
        expected=expected or Expected(),
        tags=list(tags),
        split=split,
        provenance=f"trace:{tid}",
        added_by=added_by,
        reason=reason.strip(),
    )
    candidate = CandidateCase(
        id=secrets.token_hex(8),
        dataset=dataset,
        case=case,
        status="pending",
        suggested=_suggestions(trace, root),
        created_at_ns=time.time_ns(),
        created_by=added_by,
    )

    def work(conn: Connection) -> CandidateCase:
        _refuse_clash(load_version(conn, dataset, None), case)
        pending = conn.execute(
            select(candidate_cases.c.id).where(
                candidate_cases.c.dataset == dataset,
                candidate_cases.c.provenance == case.provenance,
                candidate_cases.c.status == "pending",
            )
        ).first()
        if pending is not None:
            raise DatasetError(
                f"trace {tid} is already pending as candidate {pending.id} for {dataset!r}"
            )
        conn.execute(candidate_cases.insert().values(**_row(candidate)))
        return candidate

    return store.db.transaction(work, retry_on_conflict=RETRIES)


def confirm_candidate(
    store: Store, candidate_id: str, *, reviewer: str, expected: Expected | None = None
) -> DatasetVersion:
    """A human confirms a candidate: it joins its dataset as a new version.

    Args:
        store: holds the candidate and its dataset.
        candidate_id: the candidate's id.
        reviewer: who confirms; recorded on the candidate and as the version's author.
        expected: the confirmed expected behaviour; replaces the proposed one if given.

    Returns:
        The dataset's new version: the current cases, then the confirmed one.

    Raises:
        CandidateNotFound: no such candidate.
        DatasetError: no reviewer; the candidate is not pending; it has no expected
            behaviour (give ``expected``); its input or id is already in the dataset.
    """
    reviewer = _person(reviewer, "reviewer")

    def work(conn: Connection) -> DatasetVersion:
        candidate = _claim(conn, candidate_id, "confirmed", reviewer)
        case = candidate.case
        if expected is not None:
            case = case.model_copy(update={"expected": expected})
        if case.expected == Expected():
            raise DatasetError(
                f"candidate {candidate_id} has no expected behaviour: confirm it with the "
                "expected answer (reference, facts, intent, tools or escalation)"
            )
        lock_dataset(conn, candidate.dataset)
        current = load_version(conn, candidate.dataset, None)
        _refuse_clash(current, case)
        version = save_version(
            store,
            conn,
            candidate.dataset,
            [*current.cases, case],
            created_by=reviewer,
            message=f"confirm candidate {candidate_id} ({case.provenance}): {case.reason}",
        )
        done = candidate.model_copy(update={"case": case, "confirmed_version": version.version})
        _update_body(conn, done)
        return version

    return store.db.transaction(work, retry_on_conflict=RETRIES)


def reject_candidate(
    store: Store, candidate_id: str, *, reviewer: str, note: str | None = None
) -> CandidateCase:
    """A human rejects a candidate; it stays in the store, marked rejected, with the note.

    Raises:
        CandidateNotFound: no such candidate.
        DatasetError: no reviewer, or the candidate is not pending.
    """
    reviewer = _person(reviewer, "reviewer")

    def work(conn: Connection) -> CandidateCase:
        candidate = _claim(conn, candidate_id, "rejected", reviewer)
        done = candidate.model_copy(update={"review_note": note})
        _update_body(conn, done)
        return done

    return store.db.transaction(work, retry_on_conflict=RETRIES)


def _claim(conn: Connection, candidate_id: str, status: str, reviewer: str) -> CandidateCase:
    """Mark a pending candidate ``status`` by ``reviewer``; the candidate as it was read.

    The write comes first: it serialises concurrent reviewers (a row lock on PostgreSQL, the
    write lock on SQLite) before anything is read.

    Raises:
        CandidateNotFound: no such candidate.
        DatasetError: the candidate is not pending.
    """
    claimed = conn.execute(
        candidate_cases.update()
        .where(candidate_cases.c.id == candidate_id, candidate_cases.c.status == "pending")
        .values(status=status, reviewed_by=reviewer, reviewed_at_ns=time.time_ns())
    ).rowcount
    candidate = _get(conn, candidate_id)
    if claimed != 1:
        raise _not_pending(candidate)
    return candidate


def find_candidate_id(store: Store, ref: str) -> str:
    """The id of the candidate called ``ref``, else of the one whose id starts with ``ref``.

    Raises:
        CandidateNotFound: no candidate has that id or prefix.
        ValueError: the prefix is ambiguous (the message lists the first matching ids).
    """
    column = candidate_cases.c.id
    what, kind = "candidate case", "candidate id"
    return find_id(store, column, ref, what=what, kind=kind, missing=CandidateNotFound)


def get_candidate(store: Store, candidate_id: str) -> CandidateCase:
    """One candidate case.

    Raises:
        CandidateNotFound: no such candidate.
    """
    with store.db.connect() as conn:
        return _get(conn, candidate_id)


def list_candidates(
    store: Store, dataset: str | None = None, status: CandidateStatus | None = "pending"
) -> list[CandidateCase]:
    """Candidate cases, oldest first.

    Args:
        store: where they are.
        dataset: only those proposed for this dataset.
        status: only those with this status; ``None`` for all.
    """
    stmt = select(candidate_cases).order_by(candidate_cases.c.created_at_ns, candidate_cases.c.id)
    if dataset is not None:
        stmt = stmt.where(candidate_cases.c.dataset == dataset)
    if status is not None:
        stmt = stmt.where(candidate_cases.c.status == status)
    with store.db.connect() as conn:
        return [_from_row(row) for row in conn.execute(stmt)]


# --- rows ------------------------------------------------------------------------------------


def _row(c: CandidateCase) -> dict[str, Any]:
    return {
        "id": c.id,
        "dataset": c.dataset,
        "body": _body(c),
        "status": c.status,
        "provenance": c.case.provenance,
        "created_at_ns": c.created_at_ns,
        "created_by": c.created_by,
        "reason": c.case.reason,
        "reviewed_by": c.reviewed_by,
        "reviewed_at_ns": c.reviewed_at_ns,
    }


def _body(c: CandidateCase) -> str:
    body = {
        "case": c.case.model_dump(mode="json"),
        "suggested": c.suggested,
        "review_note": c.review_note,
        "confirmed_version": c.confirmed_version,
    }
    return to_json(body, sort_keys=True)


def _from_row(row: Row[Any]) -> CandidateCase:
    body = orjson.loads(row.body)
    return CandidateCase(
        id=row.id,
        dataset=row.dataset,
        case=Case.model_validate(body["case"]),
        status=row.status,
        suggested=body.get("suggested") or {},
        created_at_ns=row.created_at_ns,
        created_by=row.created_by,
        reviewed_by=row.reviewed_by,
        reviewed_at_ns=row.reviewed_at_ns,
        review_note=body.get("review_note"),
        confirmed_version=body.get("confirmed_version"),
    )


def _get(conn: Connection, candidate_id: str) -> CandidateCase:
    row = conn.execute(select(candidate_cases).where(candidate_cases.c.id == candidate_id)).first()
    if row is None:
        raise CandidateNotFound(f"no candidate case {candidate_id!r}")
    return _from_row(row)


def _update_body(conn: Connection, candidate: CandidateCase) -> None:
    conn.execute(
        candidate_cases.update()
        .where(candidate_cases.c.id == candidate.id)
        .values(body=_body(candidate))
    )


def _not_pending(candidate: CandidateCase) -> DatasetError:
    by = f" by {candidate.reviewed_by}" if candidate.reviewed_by else ""
    return DatasetError(f"candidate {candidate.id} is already {candidate.status}{by}")


def _refuse_clash(current: DatasetVersion, case: Case) -> None:
    """Refuse a case whose id or (normalised) input the dataset already has."""
    key = input_key(case.input)
    for existing in current.cases:
        if existing.id == case.id:
            raise DatasetError(
                f"dataset {current.name!r} v{current.version} already has a case {case.id!r}"
            )
        if input_key(existing.input) == key:
            raise DatasetError(
                f"dataset {current.name!r} v{current.version} already has this input, as case "
                f"{existing.id!r}"
            )


# --- reading the trace -----------------------------------------------------------------------


def _root(trace: Trace) -> Span | None:
    wanted = trace.summary.root_span_id
    by_id = next((s for s in trace.spans if s.span_id == wanted), None)
    return by_id or next((s for s in trace.spans if s.parent_span_id is None), None)


def _input(trace: Trace, root: Span | None) -> tuple[str | dict[str, Any], InputKind]:
    """The case's input, and whether it is the traced call's arguments (``@trace`` says so)."""
    raw = root.attributes.get(attrs.INPUT) if root is not None else None
    value = _decode(raw)
    if root is not None and root.attributes.get(attrs.INPUT_KIND) == "arguments":
        if isinstance(value, dict):
            return value, "arguments"
        raise DatasetError(_unreplayable(trace.summary.trace_id, raw))
    if isinstance(value, dict):
        return value, "value"
    if isinstance(raw, str) and raw.strip():
        return raw, "value"
    if raw is not None and not isinstance(raw, str):
        return json.dumps(raw, ensure_ascii=False), "value"
    name = (root.name if root is not None else None) or trace.summary.name
    return name or trace.summary.trace_id, "value"


def _unreplayable(trace_id: str, raw: Any) -> str:
    why = (
        f"its recorded arguments were cut at {MAX_CAPTURE_CHARS:,} characters"
        if isinstance(raw, str) and raw.endswith(" chars]") and "…[truncated " in raw
        else "its recorded arguments are not a JSON object"
    )
    return (
        f"trace {trace_id}: {why}, so the call cannot be replayed; add the case with its "
        "arguments in a dataset file instead (prodready datasets import)"
    )


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _suggestions(trace: Trace, root: Span | None) -> dict[str, Any]:
    out: dict[str, Any] = {"trace_status": trace.summary.status}
    if trace.summary.release:
        out["release"] = trace.summary.release
    output = root.attributes.get(attrs.OUTPUT) if root is not None else None
    if output is not None:
        out["reference"] = output if isinstance(output, str) else json.dumps(output)
    classified = sorted(
        (s for s in trace.spans if attrs.INTENT_NAME in s.attributes),
        key=lambda s: (s.kind != "classifier", s.start_ns),
    )
    if classified:
        out["intent"] = str(classified[0].attributes[attrs.INTENT_NAME])
        confidence = classified[0].attributes.get(attrs.INTENT_CONFIDENCE)
        if confidence is not None:
            out["intent_confidence"] = confidence
    out["tools"] = list(dict.fromkeys(call.name for call in facts.tool_calls(trace)))
    out["escalation"] = facts.escalated(trace)
    return out
