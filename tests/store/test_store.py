"""The store's contract, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from prodready.store import SpanRecord, Store, TraceQuery
from tests.store.factories import MS, T0, agent_trace, new_trace_id, write_before_0008


def _write_one(store: Store, attributes: dict[str, object], *, name: str = "x") -> str:
    """Write a trace of one span with these attributes; its trace id."""
    tid = new_trace_id()
    store.write_spans(
        [
            SpanRecord(
                trace_id=tid,
                span_id="1" * 16,
                parent_span_id=None,
                name=name,
                kind="step",
                start_ns=T0,
                end_ns=T0 + 1,
                attributes=attributes,
            )
        ]
    )
    return tid


def test_blank_database_migrates_to_head(store: Store) -> None:
    assert store.revision() == store.head_revision() == "0008"  # the core store branch
    assert store.db.revisions() == store.db.heads()  # and every pillar's
    assert {"store", "evaluation", "tasks"} <= set(store.db.heads())


def test_written_trace_has_metadata_lifted_from_spans(store: Store) -> None:
    tid = new_trace_id()
    store.write_spans(agent_trace(tid))
    [t] = store.list_traces()
    assert (t.trace_id, t.name, t.span_count, t.error_count) == (tid, "answer", 6, 1)
    assert (t.session_id, t.user_id, t.release, t.environment) == (
        "sess-1",
        "user-1",
        "agent@1.0.0",
        "dev",
    )
    assert t.duration_ns == 900 * MS and t.service_name == "northwind"


def test_spans_arriving_in_several_batches_merge_into_one_trace(store: Store) -> None:
    spans = agent_trace()
    store.write_spans(spans[3:])  # children first, as a batch processor delivers them
    assert store.list_traces()[0].name == spans[3].name  # provisional until the root arrives
    store.write_spans(spans[:3])
    [t] = store.list_traces()
    assert (t.name, t.span_count, t.root_span_id, t.start_ns) == ("answer", 6, spans[0].span_id, T0)


def test_writing_a_span_twice_keeps_one_copy_and_true_counts(store: Store) -> None:
    spans = agent_trace()
    assert store.write_spans(spans) == 6
    assert store.write_spans(spans[:2]) == 0
    [t] = store.list_traces()
    assert (t.span_count, t.error_count) == (6, 1)
    assert len(store.get_trace(t.trace_id).spans) == 6  # type: ignore[union-attr]


def test_get_trace_builds_the_span_tree(store: Store) -> None:
    tid = new_trace_id()
    store.write_spans(agent_trace(tid))
    trace = store.get_trace(tid)
    assert trace is not None
    [root] = trace.tree()
    assert root.span.kind == "agent"
    assert [c.span.kind for c in root.children] == [
        "classifier",
        "retriever",
        "tool",
        "tool",
        "llm",
    ]
    assert trace.find(kind="classifier")[0].attributes["prodready.intent.confidence"] == 0.93


def test_get_traces_reads_many_traces_in_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prodready.store import _traces

    monkeypatch.setattr(_traces, "_IDS_PER_QUERY", 2)
    ids = [new_trace_id() for _ in range(5)]
    for i, tid in enumerate(ids):
        store.write_spans(agent_trace(tid, start=T0 + i * MS))
    wanted = [ids[3], "f" * 32, ids[0].upper(), ids[4], ids[1], ids[3]]
    found = store.get_traces(wanted)
    assert sorted(found) == sorted([ids[0], ids[1], ids[3], ids[4]])
    for tid, trace in found.items():
        single = store.get_trace(tid)
        assert single is not None
        assert trace == single
        assert [s.start_ns for s in trace.spans] == sorted(s.start_ns for s in trace.spans)
        assert {s.trace_id for s in trace.spans} == {tid}
    assert store.get_traces([]) == {}


def test_get_trace_returns_none_for_unknown_id(store: Store) -> None:
    assert store.get_trace("f" * 32) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (TraceQuery(has_error=True), ["new", "err", "old"]),  # every trace retried a tool
        (TraceQuery(has_error=False), []),
        (TraceQuery(status="error"), ["err"]),
        (TraceQuery(release="agent@2.0.0"), ["new"]),
        (TraceQuery(session_id="s-old"), ["old"]),
        (TraceQuery(user_id="u-err"), ["err"]),
        (TraceQuery(environment="production"), ["new"]),
        (TraceQuery(start_after_ns=T0 + 1_000 * MS), ["new", "err"]),
        (TraceQuery(start_before_ns=T0 + 1_000 * MS), ["old"]),
        (TraceQuery(kind="llm"), ["new", "err", "old"]),
        (TraceQuery(kind="escalation"), []),
        (TraceQuery(name="answer"), ["new", "err", "old"]),
        (TraceQuery(min_duration_ns=901 * MS), []),
        (TraceQuery(min_duration_ns=900 * MS, status="ok"), ["new", "old"]),
        (TraceQuery(attributes={"prodready.intent.name": "lost_card"}), ["err"]),
        (TraceQuery(attributes={"prodready.intent.confidence": 0.93}), ["new", "err", "old"]),
        (TraceQuery(attributes={"prodready.tool.attempt": 2}), ["new", "err", "old"]),
        (TraceQuery(attributes={"prodready.tool.attempt": "2"}), []),
        (TraceQuery(limit=1), ["new"]),
        (TraceQuery(limit=1, offset=1), ["err"]),
    ],
)
def test_list_filters(store: Store, query: TraceQuery, expected: list[str]) -> None:
    ids = {"old": new_trace_id(), "err": new_trace_id(), "new": new_trace_id()}
    store.write_spans(agent_trace(ids["old"], session="s-old"))
    store.write_spans(
        agent_trace(ids["err"], start=T0 + 2_000 * MS, error=True, user="u-err", intent="lost_card")
    )
    store.write_spans(
        agent_trace(
            ids["new"], start=T0 + 3_000 * MS, release="agent@2.0.0", environment="production"
        )
    )
    names = {v: k for k, v in ids.items()}
    assert [names[t.trace_id] for t in store.list_traces(query)] == expected


def test_trace_status_is_the_root_outcome_even_when_children_failed(store: Store) -> None:
    spans = agent_trace()
    store.write_spans(spans[3:4])  # the failed tool attempt arrives first
    assert store.list_traces()[0].status == "error"
    store.write_spans(spans[:3] + spans[4:])
    [t] = store.list_traces()
    assert (t.status, t.error_count) == ("ok", 1)


def test_count_ignores_limit(store: Store) -> None:
    for i in range(3):
        store.write_spans(agent_trace(start=T0 + i * MS))
    assert store.count_traces(TraceQuery(limit=1)) == 3


def test_boolean_attribute_filter_matches_type(store: Store) -> None:
    _write_one(store, {"flag": True, "n": 1})
    assert len(store.list_traces(TraceQuery(attributes={"flag": True}))) == 1
    assert store.list_traces(TraceQuery(attributes={"flag": False})) == []
    assert store.list_traces(TraceQuery(attributes={"n": True})) == []


def test_stats_give_error_rate_and_nearest_rank_percentiles(store: Store) -> None:
    for i in range(20):
        store.write_spans(agent_trace(start=T0 + i * 10_000 * MS, error=i < 5))
    stats = store.stats()
    assert (stats.trace_count, stats.error_count, stats.error_rate) == (20, 5, 0.25)
    assert stats.p50_ms == stats.p95_ms == 900.0
    tool = next(s for s in stats.spans if s.kind == "tool")
    assert (tool.count, tool.error_count, tool.error_rate) == (40, 20, 0.5)
    assert (tool.p50_ms, tool.p95_ms) == (99.0, 139.0)


def test_stats_respect_filters(store: Store) -> None:
    store.write_spans(agent_trace(error=True))
    store.write_spans(agent_trace(start=T0 + MS))
    assert store.stats(TraceQuery(status="error")).trace_count == 1
    assert store.stats(TraceQuery(release="nope")).trace_count == 0
    assert store.stats(TraceQuery(release="nope")).p50_ms is None


def test_retention_deletes_only_old_traces_and_their_spans(store: Store) -> None:
    store.write_spans(agent_trace(start=T0))
    keep = new_trace_id()
    store.write_spans(agent_trace(keep, start=T0 + 10 * 86_400 * 10**9))
    assert store.delete_older_than(5, now_ns=T0 + 12 * 86_400 * 10**9) == 1
    info = store.info()
    assert (info.trace_count, info.span_count) == (1, 6)
    assert store.list_traces()[0].trace_id == keep


def test_non_ascii_nul_and_surrogates_are_stored_safely(store: Store) -> None:
    tid = _write_one(
        store, {"q": "Où est ma carte ? 🃏", "bad": "a\x00b\udc80"}, name="ответ 答え \x00"
    )
    span = store.get_trace(tid).spans[0]  # type: ignore[union-attr]
    assert span.name == "ответ 答え \ufffd"
    assert span.attributes["q"] == "Où est ma carte ? 🃏"
    assert span.attributes["bad"] == "a\ufffdb?"


def test_large_attribute_values_round_trip(store: Store) -> None:
    big = "x" * 1_000_000
    tid = _write_one(store, {"blob": big}, name="big")
    assert store.get_trace(tid).spans[0].attributes["blob"] == big  # type: ignore[union-attr]


def test_info_reports_counts_and_revision(store: Store) -> None:
    store.write_spans(agent_trace())
    info = store.info()
    assert (info.trace_count, info.span_count, info.revision) == (1, 6, info.head)
    assert info.dialect in ("sqlite", "postgresql") and info.oldest_start_ns == T0


def test_find_trace_ids_by_prefix(store: Store) -> None:
    ids = ["abc123" + "0" * 26, "abc124" + "0" * 26, "ffff00" + "0" * 26]
    for tid in ids:
        store.write_spans(agent_trace(tid))
    assert store.find_trace_ids("ABC12") == ids[:2]
    assert store.find_trace_ids("abc12", limit=1) == ids[:1]
    assert store.find_trace_ids("0123") == []
    with pytest.raises(ValueError, match="not a hex trace id prefix"):
        store.find_trace_ids("abc%")


def test_info_on_a_blank_database_reports_zero_without_migrating(store_url: str) -> None:
    blank = Store(store_url, migrate=False)
    info = blank.info()
    assert (info.revision, info.trace_count, info.span_count) == (None, 0, 0)
    assert blank.revision() is None


def _one(
    tid: str,
    sid: str,
    parent: str | None,
    name: str,
    *,
    local_root: bool = False,
    start: int = T0,
    **attrs: object,
) -> SpanRecord:
    return SpanRecord(
        trace_id=tid,
        span_id=sid,
        parent_span_id=parent,
        name=name,
        kind="step",
        start_ns=start,
        end_ns=start + MS,
        attributes=dict(attrs),
        is_root=True if local_root else None,
    )


def test_true_root_names_the_trace_over_a_remote_parented_local_root(store: Store) -> None:
    tid = new_trace_id()
    store.write_spans([_one(tid, "a" * 16, None, "client request")])
    store.write_spans([_one(tid, "b" * 16, "a" * 16, "server handler", local_root=True)])
    [t] = store.list_traces()
    assert (t.name, t.root_span_id) == ("client request", "a" * 16)


def test_local_root_names_the_trace_until_the_true_root_arrives(store: Store) -> None:
    tid = new_trace_id()
    store.write_spans([_one(tid, "c" * 16, "b" * 16, "db query")])
    store.write_spans([_one(tid, "b" * 16, "a" * 16, "server handler", local_root=True)])
    assert store.list_traces()[0].name == "server handler"
    store.write_spans([_one(tid, "a" * 16, None, "client request", start=T0 - MS)])
    assert store.list_traces()[0].name == "client request"


def test_trace_fields_fall_back_to_resource_attributes(store: Store) -> None:
    tid = new_trace_id()
    rec = _one(tid, "d" * 16, None, "x")
    rec.resource = {
        "prodready.release": "svc@9",
        "deployment.environment": "production",
        "service.name": "payments",
    }
    store.write_spans([rec])
    [t] = store.list_traces()
    assert (t.release, t.environment, t.service_name) == ("svc@9", "production", "payments")


@pytest.mark.parametrize(("start", "end"), [(-1, 5), (10, 5), (0, 2**63)])
def test_impossible_times_are_refused_and_nothing_is_written(
    store: Store, start: int, end: int
) -> None:
    good = _one(new_trace_id(), "e" * 16, None, "ok")
    bad = SpanRecord(
        trace_id=new_trace_id(),
        span_id="f" * 16,
        parent_span_id=None,
        name="bad",
        kind="step",
        start_ns=start,
        end_ns=end,
    )
    with pytest.raises(ValueError, match="times must satisfy"):
        store.write_spans([good, bad])
    assert store.info().span_count == 0


def test_upgrade_from_0001_keeps_traces_and_ranks_their_roots(store_url: str) -> None:
    old = Store(store_url, migrate=False)
    old.migrate("0001")
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO traces (trace_id, name, root_span_id, start_ns, end_ns, duration_ns, "
            "status, span_count, error_count) VALUES ('ab', 'old', 'cd', 1, 2, 1, 'ok', 1, 0)"
        )
    assert old.migrate() == old.head_revision()
    with old.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT root_rank FROM traces").scalar() == 2


def test_upgrade_to_0004_backfills_the_kind_mask(store_url: str) -> None:
    old = Store(store_url, migrate=False)
    old.migrate("0003")
    tid = new_trace_id()
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO traces (trace_id, name, root_span_id, start_ns, end_ns, duration_ns, "
            f"status, span_count, error_count, root_rank) VALUES ('{tid}', 'old', 'cd', 1, 2, 1, "
            "'ok', 1, 0, 2)"
        )
        conn.exec_driver_sql(
            "INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, otel_kind, "
            f"start_ns, end_ns, duration_ns, status, attributes, events, links) VALUES ('{tid}', "
            "'cd', NULL, 'handoff', 'escalation', 'internal', 1, 2, 1, 'ok', '{}', '[]', '[]')"
        )
    old.migrate()
    assert [t.trace_id for t in old.list_traces(TraceQuery(kind="escalation"))] == [tid]
    assert old.list_traces(TraceQuery(kind="llm")) == []


def test_a_kind_outside_the_bitmask_is_still_filtered_through_spans(store: Store) -> None:
    tid = new_trace_id()
    store.write_spans([_one(tid, "9" * 16, None, "x")])
    with store.engine.begin() as conn:  # a kind written by a newer prodready, say
        conn.exec_driver_sql("UPDATE spans SET kind = 'planner'")
    assert [t.trace_id for t in store.list_traces(TraceQuery(kind="planner"))] == [tid]


def test_batches_larger_than_one_statement_are_written_in_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two rows per multi-row statement on SQLite: a batch of 3 traces x 6 spans takes 9
    # statements for the spans, and a re-sent half must still be counted as duplicates.
    from prodready.store import _sql

    monkeypatch.setattr(_sql, "_SQLITE_MAX_VARIABLES", 40)
    traces = [agent_trace(error=i == 1) for i in range(3)]
    batch = [s for t in traces for s in t]
    assert store.write_spans(batch) == 18
    assert store.write_spans(batch[:9] + agent_trace()[:1]) == 1
    listed = {t.trace_id: t for t in store.list_traces()}
    assert len(listed) == 4
    for spans in traces:
        t = listed[spans[0].trace_id]
        errors = sum(s.status == "error" for s in spans)
        assert (t.span_count, t.error_count, t.name) == (6, errors, "answer")
        stored = store.get_trace(t.trace_id)
        assert stored is not None
        assert {s.span_id: s.attributes for s in stored.spans} == {
            s.span_id: s.attributes for s in spans
        }


@pytest.mark.parametrize("common_spans", [2_000, 0], ids=["rare-values", "common-values"])
def test_attribute_filter_compares_values_with_their_types(
    store: Store, common_spans: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL lists traces by one of two query shapes, chosen by how common each value
    # is (Store.list_traces); both must give the same answers.
    from prodready.store import _traces

    monkeypatch.setattr(_traces, "_COMMON_SPANS", common_spans)

    number = _write_one(store, {"app.n": 1, "app.s": "1", "app.f": 0.1, "app.list": ["a", "b"]})
    text = _write_one(store, {"app.n": "1", "nested": {"app.s": "1"}})

    def found(**wanted: str | int | float | bool) -> set[str]:
        return {t.trace_id for t in store.list_traces(TraceQuery(attributes=wanted))}

    assert found(**{"app.n": 1}) == found(**{"app.n": 1.0}) == {number}
    assert found(**{"app.n": "1"}) == {text}
    assert found(**{"app.s": "1"}) == {number}  # not the nested key of the other span
    assert found(**{"app.f": 0.1}) == {number}
    assert found(**{"app.list": "a"}) == set()  # a list is not one of its items
    assert found(**{"app.n": float("nan")}) == set()
    assert found(**{"app.n": 1, "app.s": "1"}) == {number}
    assert found(**{"app.missing": 1}) == set()


def test_postgres_attribute_filter_uses_the_jsonb_index(pg_url: str) -> None:
    from sqlalchemy import text

    from prodready.store._sql import for_dialect
    from prodready.store.schema import spans

    with Store(pg_url) as store:
        store.write_spans(agent_trace())
        condition = for_dialect("postgresql").attr_equals("prodready.intent.name", "card")
        query = spans.select().where(condition)
        with store.engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))
            compiled = query.compile(store.engine, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {compiled}")))
        assert "ix_spans_attributes" in plan, plan


def test_upgrade_to_0005_keeps_span_attributes_and_filters_them(store_url: str) -> None:
    old = Store(store_url, migrate=False)
    old.migrate("0004")
    spans = agent_trace()
    write_before_0008(old, spans)  # as text; on PostgreSQL 0005 converts the column to JSONB
    old.migrate()
    stored = old.get_trace(spans[0].trace_id)
    assert stored is not None
    assert {s.span_id: s.attributes for s in stored.spans} == {
        s.span_id: s.attributes for s in spans
    }
    [intent] = [s for s in spans if "prodready.intent.name" in s.attributes]
    wanted = {"prodready.intent.name": intent.attributes["prodready.intent.name"]}
    assert [t.trace_id for t in old.list_traces(TraceQuery(attributes=wanted))] == [
        spans[0].trace_id
    ]
    old.db.downgrade("store@0004")  # and back: text again, nothing lost
    with old.db.connect() as conn:
        stored_back = dict(conn.exec_driver_sql("SELECT span_id, attributes FROM spans").all())
    assert {sid: json.loads(raw) for sid, raw in stored_back.items()} == {
        s.span_id: s.attributes for s in spans
    }
    old.close()


def test_large_payloads_split_multi_row_statements(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite copies every bound value: a batch of spans with big attributes must not go as
    # one statement. Cap at ~3 spans' worth and count the statements.
    from prodready.store import _sql

    monkeypatch.setattr(_sql, "_STATEMENT_BYTES", 3 * 10_100)
    statements: list[int] = []
    original = _sql._multi_row.__wrapped__

    def counting(sql: str, n: int) -> str:
        if sql.startswith("INSERT OR IGNORE INTO spans"):
            statements.append(n)
        return original(sql, n)

    monkeypatch.setattr(_sql, "_multi_row", counting)
    tid = new_trace_id()
    records = [
        SpanRecord(
            trace_id=tid,
            span_id=f"{i + 1:016x}",
            parent_span_id=None if i == 0 else f"{1:016x}",
            name=f"s{i}",
            kind="step",
            start_ns=T0 + i,
            end_ns=T0 + i + 1,
            attributes={"blob": str(i) * 10_000},
        )
        for i in range(10)
    ]
    assert store.write_spans(records) == 10
    if store.dialect == "sqlite":
        assert statements == [3, 3, 3, 1]
    stored = store.get_trace(tid)
    assert stored is not None
    assert sorted(s.attributes["blob"][:1] for s in stored.spans) == [str(i) for i in range(10)]


def test_integers_beyond_64_bits_are_stored_as_text_not_dropped(store: Store) -> None:
    # OpenTelemetry accepts any Python int; JSON encoders stop at 64 bits.
    tid = _write_one(store, {"account": 2**70, "ok": 7, "nested": [2**65, 1]})
    [span] = store.get_trace(tid).spans  # type: ignore[union-attr]
    assert span.attributes == {"account": str(2**70), "ok": 7, "nested": [str(2**65), 1]}
