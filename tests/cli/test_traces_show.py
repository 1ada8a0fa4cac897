"""`prodready traces show`: id prefixes, the header, the span tree and its truncation."""

from __future__ import annotations

from prodready.store import SpanRecord, Store, Trace
from tests.cli.conftest import Invoke, Seeded
from tests.cli.factories import MS, T1, T2, T3


def show(cli: Invoke, seeded: Seeded, *args: str) -> str:
    result = cli("--store", seeded.url, "traces", "show", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_show_accepts_full_id(cli: Invoke, seeded: Seeded) -> None:
    assert T3 in show(cli, seeded, T3)


def test_show_accepts_unique_prefix_in_any_case(cli: Invoke, seeded: Seeded) -> None:
    assert T1 in show(cli, seeded, T1[:10].upper())


def test_show_ambiguous_prefix_exits_2_listing_candidates(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "show", "abcdef")
    assert result.exit_code == 2
    assert "ambiguous" in result.stderr and T1 in result.stderr and T2 in result.stderr


def test_show_unknown_prefix_exits_1(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "show", "fedcba98")
    assert result.exit_code == 1 and "no trace id starts with 'fedcba98'" in result.stderr


def test_show_unknown_full_id_exits_1(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "show", "f" * 32)
    assert result.exit_code == 1 and "no trace" in result.stderr


def test_show_prefix_shorter_than_6_exits_2(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "show", "abcde")
    assert result.exit_code == 2 and "at least 6" in result.stderr


def test_show_non_hex_id_exits_2(cli: Invoke, seeded: Seeded) -> None:
    result = cli("--store", seeded.url, "traces", "show", "not-a-trace")
    assert result.exit_code == 2 and "'not-a-trace' is not a trace id" in result.stderr


def test_show_header_has_trace_metadata(cli: Invoke, seeded: Seeded) -> None:
    out = show(cli, seeded, T1)
    for label, value in [("Name", "support-agent"), ("Duration", "1.55s"), ("Spans", "7"),
                         ("Release", "v1.2.0"), ("Env", "prod"), ("Session", "sess-1"),
                         ("User", "user-1")]:  # fmt: skip
        assert any(line.split()[:2] == [label, value] for line in out.splitlines()), label
    assert "ok (1 of 7 spans failed)" in out


def test_show_tree_has_each_span_with_kind_and_duration(cli: Invoke, seeded: Seeded) -> None:
    out = show(cli, seeded, T1)
    assert out.count("lookup_order [tool]") == 2
    for node in ("support-agent [agent] 1.55s", "classify-intent [classifier] 40.0ms",
                 "search-kb [retriever] 120ms", "chat gpt-4o [llm] 900ms"):  # fmt: skip
        assert node in out


def test_show_tree_has_key_attributes_per_kind(cli: Invoke, seeded: Seeded) -> None:
    out = show(cli, seeded, T1)
    assert "gpt-4o · 1,234 in / 256 out tokens · $0.0123" in out
    assert "lookup_order · outcome=timeout · attempt=1" in out
    assert "docs: kb-12, kb-7, kb-31" in out
    assert "intent=refund (0.92)" in out
    assert "pii · verdict=pass · reason=no personal data found" in out


def test_show_failed_span_has_message_and_events(cli: Invoke, seeded: Seeded) -> None:
    lines = show(cli, seeded, T1).splitlines()
    at = next(i for i, line in enumerate(lines) if "timeout" in line)
    assert lines[at].endswith("attempt=1  ✗ TimeoutError: orders API did not answer in 300ms")
    assert lines[at + 1].endswith("• exception")  # events by name, under the span


def test_show_other_kinds_list_prodready_attributes(cli: Invoke, seeded: Seeded) -> None:
    out = show(cli, seeded, T3)
    assert "handoff [escalation]" in out
    assert "escalation.queue=billing · escalation.reason=refund above agent limit" in out
    assert "✗ escalated to a human" in out


def test_show_attrs_lists_every_attribute(cli: Invoke, seeded: Seeded) -> None:
    out = show(cli, seeded, T1, "--attrs")
    assert 'gen_ai.tool.call.arguments = {"order_id": "A-1042"}' in out
    assert 'prodready.retrieval.document_ids = ["kb-12", "kb-7", "kb-31"]' in out
    assert "app.cache_hit = false" in out


def test_show_attrs_cuts_long_values_at_200_chars(cli: Invoke, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/long.db"
    with Store(url) as store:
        store.write_spans([span(0, None, attributes={"prodready.output": "x" * 500})])
    result = cli("--store", url, "traces", "show", "ab" * 16, "--attrs")
    assert "prodready.output=" + "x" * 199 + "…" in "".join(result.stdout.split())


def test_show_json_is_the_trace_model(cli: Invoke, seeded: Seeded) -> None:
    trace = Trace.model_validate_json(show(cli, seeded, T1[:10], "--json"))
    assert trace.summary.trace_id == T1 and len(trace.spans) == 7
    assert trace.find(kind="llm")[0].attributes["gen_ai.usage.input_tokens"] == 1234


def test_show_max_depth_0_summarises_children(cli: Invoke, seeded: Seeded) -> None:
    out = show(cli, seeded, T1, "--max-depth", "0")
    assert "support-agent [agent]" in out and "[tool]" not in out
    assert "… 6 more spans" in out


def test_show_limit_spans_notes_the_rest(cli: Invoke, seeded: Seeded) -> None:
    out = show(cli, seeded, T1, "--limit-spans", "3")
    assert "search-kb" in out and "pii-filter" not in out
    assert "… 4 more spans (see --limit-spans)" in out


def test_show_span_names_are_not_rich_markup(cli: Invoke, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/markup.db"
    with Store(url) as store:
        store.write_spans([span(0, None, name="[bold]plan[/bold]")])
    assert "[bold]plan[/bold] [agent]" in cli("--store", url, "traces", "show", "abab" * 8).stdout


def span(i: int, parent: int | None, *, name: str | None = None, **kw: object) -> SpanRecord:
    return SpanRecord(
        trace_id="ab" * 16,
        span_id=f"{i + 1:016x}",
        parent_span_id=None if parent is None else f"{parent + 1:016x}",
        name=name or f"call {i}",
        kind="tool" if i else "agent",
        start_ns=1_790_000_000_000_000_000 + i * MS,
        end_ns=1_790_000_000_000_000_000 + i * MS + MS // 2,
        **kw,  # type: ignore[arg-type]
    )


def test_show_renders_a_10000_span_trace(cli: Invoke, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/big.db"
    with Store(url) as store:
        store.write_spans([span(i, None if i == 0 else (i - 1) // 4) for i in range(10_000)])
    result = cli("--store", url, "traces", "show", "ab" * 16, "--limit-spans", "0")
    assert result.exit_code == 0
    assert "call 9999 [tool]" in result.stdout and "more spans" not in result.stdout


def test_show_big_trace_is_cut_at_1000_spans_by_default(cli: Invoke, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/big.db"
    with Store(url) as store:
        store.write_spans([span(i, None if i == 0 else i - 1) for i in range(3_000)])
    result = cli("--store", url, "traces", "show", "ab" * 16)
    assert result.exit_code == 0 and "… 2000 more spans" in result.stdout


def test_show_spans_with_missing_parents_become_extra_roots(cli: Invoke, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/orphans.db"
    with Store(url) as store:
        store.write_spans([span(0, None), span(1, 41), span(2, 41)])  # span 41 never arrived
    out = cli("--store", url, "traces", "show", "ab" * 16).stdout
    assert "3 root spans" in out and "call 2 [tool]" in out


def test_show_parent_cycle_does_not_hang(cli: Invoke, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/cycle.db"
    with Store(url) as store:
        store.write_spans([span(0, None), span(1, 2), span(2, 1)])
    result = cli("--store", url, "traces", "show", "ab" * 16)
    assert result.exit_code == 0 and "… 2 more spans" in result.stdout
