"""prodready's own spans (``_native.RecordingSpan``): OpenTelemetry API semantics, fallback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode

import prodready
from prodready.testing import assert_tree, capture
from prodready.tracing import _config
from prodready.tracing._native import NativeTracer, RecordingSpan, clean_attribute


@contextmanager
def own_processor() -> Iterator[InMemorySpanExporter]:
    """Add an exporter of the user's own to the global provider; take it out afterwards.

    An SDK provider cannot remove a processor, so the test puts the old tuple back.
    """
    provider = _config._state.provider
    assert provider is not None
    multi = provider._active_span_processor
    saved = multi._span_processors
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield exporter
    finally:
        multi._span_processors = saved


def test_prodready_spans_are_native_and_current_in_the_opentelemetry_context() -> None:
    with capture() as cap, prodready.span("agent", kind="agent") as s:
        current = otel_trace.get_current_span()
        assert isinstance(current, RecordingSpan) and current is s.otel_span
        assert current.get_span_context().trace_id == int(s.trace_id, 16)
    assert cap.trace().spans[0].scope == "prodready"


def test_an_opentelemetry_span_around_a_prodready_span_is_its_parent() -> None:
    other = otel_trace.get_tracer("web.framework")
    with capture() as cap, other.start_as_current_span("POST /chat") as outer:
        with prodready.span("agent", kind="agent"):
            pass
    trace = cap.trace()
    agent = trace.find(name="agent")[0]
    assert agent.parent_span_id == format(outer.get_span_context().span_id, "016x")
    assert_tree(trace, "POST /chat [unknown]\n  agent [agent]")


def test_a_processor_the_user_adds_sees_prodready_spans_too() -> None:
    with capture() as cap:
        with own_processor() as exporter:
            with prodready.span("agent", kind="agent") as s:
                s.set("k", "v")
                assert not isinstance(s.otel_span, RecordingSpan)  # the SDK's span now
        with prodready.span("after", kind="agent") as s:
            assert isinstance(s.otel_span, RecordingSpan)  # native again once it is gone
    assert [span.name for span in exporter.get_finished_spans()] == ["agent"]
    assert exporter.get_finished_spans()[0].attributes["k"] == "v"
    assert {s.name for s in cap.spans()} == {"agent", "after"}  # both in the store


def test_opentelemetry_api_calls_on_a_native_span_are_stored() -> None:
    with capture() as cap, prodready.span("call", kind="tool"):
        span = otel_trace.get_current_span()
        span.set_attribute("http.status_code", 503)
        span.set_attributes({"tags": ["a", "b"], "bad": {"no": "dicts"}, "none": None})
        span.add_event("retry", {"attempt": 2})
        span.update_name("call lookup_card")
        try:
            raise TimeoutError("card service timed out")
        except TimeoutError as exc:
            span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, "timed out"))
        span.set_status(StatusCode.UNSET)  # ignored, as in the SDK
    [stored] = cap.spans()
    assert stored.name == "call lookup_card"
    assert stored.attributes["http.status_code"] == 503
    assert stored.attributes["tags"] == ["a", "b"]
    assert "bad" not in stored.attributes and "none" not in stored.attributes
    assert (stored.status, stored.status_message) == ("error", "timed out")
    retry, exception = stored.events
    assert (retry["name"], retry["attributes"]) == ("retry", {"attempt": 2})
    assert exception["name"] == "exception"
    assert exception["attributes"]["exception.type"] == "TimeoutError"
    assert exception["attributes"]["exception.message"] == "card service timed out"
    assert "raise TimeoutError" in exception["attributes"]["exception.stacktrace"]


def test_links_added_through_the_opentelemetry_api_are_stored() -> None:
    from opentelemetry.trace import INVALID_SPAN_CONTEXT

    other = SpanContext(2**100 + 5, 2**60 + 7, is_remote=True)
    with capture() as cap, prodready.span("batch", kind="workflow"):
        span = otel_trace.get_current_span()
        assert isinstance(span, RecordingSpan)
        span.add_link(other, {"reason": "retry of", "bad": {"no": "dicts"}})
        span.add_link(INVALID_SPAN_CONTEXT)  # as the SDK: invalid and says nothing
        span.add_link(INVALID_SPAN_CONTEXT, {"reason": "unknown parent"})  # kept, as there
    [stored] = cap.spans()
    assert stored.links == [
        {
            "trace_id": f"{2**100 + 5:032x}",
            "span_id": f"{2**60 + 7:016x}",
            "attributes": {"reason": "retry of"},
        },
        {"trace_id": "0" * 32, "span_id": "0" * 16, "attributes": {"reason": "unknown parent"}},
    ]


def test_links_over_the_limit_keep_the_newest_as_in_the_sdk() -> None:
    tracer, emitted = _native(SpanLimits(max_links=2))
    span = tracer.start("x", SpanKind.INTERNAL, {}, None, {}, None)
    for n in range(1, 4):
        span.add_link(SpanContext(n, n, is_remote=True))
    span.end()
    [snap] = emitted
    assert [link[1] for link in snap[12]] == [2, 3]


def test_status_ok_is_final_and_an_ended_span_ignores_changes() -> None:
    with capture() as cap:
        with prodready.span("ok") as s:
            span = s.otel_span
            span.set_status(StatusCode.OK, "ignored description")
            span.set_status(StatusCode.ERROR, "too late")
        span.set_attribute("after", 1)
        span.add_event("after")
        span.end()  # a second end is ignored: one stored copy
        assert not span.is_recording()
    [stored] = cap.spans()
    assert (stored.status, stored.status_message) == ("ok", None)
    assert "after" not in stored.attributes and stored.events == []


def test_sampled_out_traces_make_no_recording_spans_and_children_follow() -> None:
    with capture(sample_rate=0.0) as cap:
        with prodready.span("root") as root, prodready.span("child") as child:
            assert not root.is_recording and not child.is_recording
            assert child.trace_id == root.trace_id != "0" * 32
            assert not otel_trace.get_current_span().get_span_context().trace_flags.sampled
    assert cap.traces() == []


def _native(limits: SpanLimits | None = None, **provider: Any) -> tuple[NativeTracer, list[Any]]:
    emitted: list[Any] = []
    sdk = TracerProvider(span_limits=limits or SpanLimits(), **provider).get_tracer("t")
    return NativeTracer(sdk, emitted.append), emitted  # type: ignore[arg-type]


def test_the_provider_sampler_decides_when_it_is_not_prodready_s() -> None:
    tracer, emitted = _native(sampler=ALWAYS_OFF)
    span = tracer.start("x", SpanKind.INTERNAL, {}, None, {}, None)
    assert not span.is_recording() and span.get_span_context().is_valid
    span.end()
    assert emitted == []


def test_the_provider_id_generator_makes_the_ids() -> None:
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class Sequential(IdGenerator):
        def __init__(self) -> None:
            self.n = 0

        def generate_span_id(self) -> int:
            self.n += 1
            return self.n

        def generate_trace_id(self) -> int:
            return 0xABC

        def is_trace_id_random(self) -> bool:
            return False

    tracer, emitted = _native(id_generator=Sequential())
    root = tracer.start("root", SpanKind.INTERNAL, {}, None, {}, None)
    token = otel_context.attach(otel_trace.set_span_in_context(root))
    try:
        child = tracer.start("child", SpanKind.INTERNAL, {}, None, {}, None)
    finally:
        otel_context.detach(token)
    ids = [(s.get_span_context().trace_id, s.get_span_context().span_id) for s in (root, child)]
    assert ids == [(0xABC, 1), (0xABC, 2)]
    assert not root.get_span_context().trace_flags.random_trace_id  # the generator says so
    child.end()
    root.end()
    assert [snap[3] for snap in emitted] == [1, None]  # the child's parent, the root's none


def test_span_limits_of_the_provider_apply_and_keep_the_first_attributes() -> None:
    limits = SpanLimits(max_span_attributes=3, max_events=2, max_span_attribute_length=4)
    tracer, emitted = _native(limits)
    span = tracer.start("x", SpanKind.INTERNAL, {"prodready.kind": "tool"}, None, {}, None)
    assert isinstance(span, RecordingSpan)
    for key in ("a", "b", "c"):
        span.put(key, "long value")
    for n in range(3):
        span.event(f"e{n}", None, n + 1)
    span.end()
    [snap] = emitted
    assert snap[10] == {"prodready.kind": "tool", "a": "long", "b": "long"}
    assert [e[0] for e in snap[11]] == ["e1", "e2"]  # the newest events, as in the SDK


def test_attributes_given_at_start_and_in_bulk_keep_the_limits_too() -> None:
    limits = SpanLimits(max_span_attributes=3, max_span_attribute_length=4)
    tracer, emitted = _native(limits)
    start = {"k0": "abcdefgh", "k1": ["long one", "x"], "k2": 7, "k3": "dropped"}
    span = tracer.start("x", SpanKind.INTERNAL, start, None, {}, None)
    assert isinstance(span, RecordingSpan)
    assert dict(span.attributes) == {"k0": "abcd", "k1": ["long", "x"], "k2": 7}
    span.set_attributes({"k2": "replaced value", "k4": "new"})  # the API: validated, bulk
    span.put_all({"k5": "new"})  # prodready's Span.set
    span.end()
    [snap] = emitted
    assert snap[10] == {"k0": "abcd", "k1": ["long", "x"], "k2": "repl"}


def test_a_root_gets_the_root_attributes_and_every_span_the_context_ones() -> None:
    tracer, emitted = _native()
    root = tracer.start("root", SpanKind.INTERNAL, {}, 1, {"env": "ci"}, {"session.id": "s"})
    token = otel_context.attach(otel_trace.set_span_in_context(root))
    try:
        child = tracer.start("child", SpanKind.INTERNAL, {}, 2, {"env": "ci"}, {"session.id": "s"})
    finally:
        otel_context.detach(token)
    child.end(3)
    root.end(4)
    child_snap, root_snap = emitted
    assert root_snap[10] == {"env": "ci", "session.id": "s"} and root_snap[4] is True
    assert child_snap[10] == {"session.id": "s"} and child_snap[4] is False
    assert child_snap[3] == root.get_span_context().span_id
    assert (child_snap[6], child_snap[7]) == (2, 3)


def test_context_attributes_are_normalised_once_when_the_block_opens() -> None:
    with capture() as cap:
        with prodready.context(attributes={"tier": {"name": "gold"}, "n": 3, "skip": None}):
            with prodready.span("turn"):
                pass
    attributes = cap.spans()[0].attributes
    assert attributes["tier"] == '{"name":"gold"}' and attributes["n"] == 3
    assert "skip" not in attributes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("s", "s"),
        (True, True),
        (3, 3),
        (0.5, 0.5),
        (HTTPStatus.OK, HTTPStatus.OK),  # an int enum is an int
        (["a", None, "b"], ("a", None, "b")),
        ([], ()),
        (["a", 1], None),
        ([{"x": 1}], None),
        ({"x": 1}, None),
        (b"bytes", None),
        (None, None),
    ],
)
def test_clean_attribute_follows_the_opentelemetry_rules(value: Any, expected: Any) -> None:
    assert clean_attribute(value) == expected


# --- encoded early: what a native span hands the writer ------------------------------------


@contextmanager
def paused_queue(**configure: Any) -> Iterator[Any]:
    """Tracing whose writer waits for flush(): the test can look at the queued snapshots."""
    with capture(batch_size=10**9, flush_interval=3600.0, **configure) as cap:
        processor = _config._state.router.target
        yield cap, processor._queue  # type: ignore[union-attr]


def test_a_plain_span_waits_as_text_the_garbage_collector_does_not_track() -> None:
    import gc

    with paused_queue() as (_cap, queue):
        with prodready.span("answer", kind="agent") as s:
            s.set({"app.tier": "gold", "n": 3}).event("checkpoint", {"attempt": 1})
        with prodready.tracing.retrieval("find docs") as r:
            r.documents([{"id": "d1", "score": 0.5}])
        plain, retriever = list(queue)
        # A tuple is untracked once everything in it is: the inner tuple of trace-level
        # values at the first collection, the snapshot at the next (before it would reach
        # the oldest generation).
        gc.collect()
        gc.collect()
        assert isinstance(plain[10], str) and isinstance(plain[11], str)
        assert plain[16] == "agent"
        assert not gc.is_tracked(plain)
        # retriever attributes are decoded by the conventions: the span keeps its dict
        assert isinstance(retriever[10], dict) and retriever[16] is None


def test_with_a_redact_hook_spans_keep_their_dicts_for_it() -> None:
    with paused_queue(redact=lambda a: a) as (_cap, queue):
        with prodready.span("answer", kind="agent"):
            pass
        assert isinstance(queue[0][10], dict)


SPAN_ATTRIBUTES: dict[str, Any] = {
    "text": "caf\u00e9 \x00 \ud800",
    "big": 2**70,
    "tags": ["a", "b"],
    "nested": {"k": [1, 2]},
    "ratio": 0.25,
}


def _stored(**configure: Any) -> list[tuple[Any, ...]]:
    with capture(**configure) as cap, prodready.context(session="s-9", user="u-1"):
        with prodready.span("answer", kind="agent") as root:
            root.set(SPAN_ATTRIBUTES).event("checkpoint", {"attempt": 2, "why": "\x00"})
            with prodready.tracing.tool_call("lookup", {"card": "4242"}) as tool:
                tool.outcome("ok", {"status": "shipped"})
            with prodready.tracing.classification() as c:
                c.intent("card_arrival", 0.9, alternatives={"lost_card": 0.1})
    out = []
    for span in sorted(cap.spans(), key=lambda s: s.name):
        events = [(e["name"], e["attributes"]) for e in span.events]
        out.append((span.name, span.kind, span.attributes, events, span.status))
    [summary] = cap.traces()
    out.append((summary.session_id, summary.user_id, summary.environment, summary.span_count))
    return out


def test_spans_encoded_early_are_stored_exactly_as_spans_converted_later() -> None:
    early = _stored()
    later = _stored(redact=lambda a: a)  # a hook keeps every span on the dict path
    assert early == later
    assert early[-1][:2] == ("s-9", "u-1") and early[-1][3] == 3


def test_a_span_encoded_early_is_decoded_for_a_hook_added_after_it_ended() -> None:
    from prodready.tracing._convert import record_from

    with paused_queue() as (_cap, queue):
        with prodready.span("answer", kind="agent") as s:
            s.set("card", "4242").event("checkpoint", {"card": "4242"})
        [snap] = list(queue)

    def hide(values: dict[str, Any]) -> dict[str, Any]:
        return {k: "***" if k == "card" else v for k, v in values.items()}

    record = record_from(snap, redact=hide)
    assert record.attributes["card"] == "***" and record.kind == "agent"
    assert record.events[0]["attributes"] == {"card": "***"}


def _snap(span_id: int, start: int) -> tuple[Any, ...]:
    return (
        f"s{span_id}", 7, span_id, None, True, 0, start, 10, 0, None,
        {"prodready.span.kind": "step"}, (), (), "t", None, None, None, None,
    )  # fmt: skip


def test_an_unstorable_span_in_a_streamed_batch_is_dropped_alone() -> None:
    from prodready.store import Store
    from prodready.tracing import StoreSpanProcessor

    store = Store("sqlite://")
    processor = StoreSpanProcessor(store, flush_interval=0.01)
    try:
        assert processor._streams  # a plain Store: converted while written
        for snap in (_snap(1, 1), _snap(2, -5), _snap(3, 2)):  # -5: before 1970
            processor.enqueue(snap)
        assert processor.force_flush(5000)
        stats = processor.stats()
        # Found while converting (prepare_span checks the times), so the others go in one
        # transaction; a store that refused the batch would be retried span by span.
        assert stats.dropped_by_reason == {"conversion": 1} and stats.written == 2
        assert "start_ns=-5" in (stats.last_error or "")
        assert store.info().span_count == 2
    finally:
        processor.shutdown()


def test_trace_flags_follow_the_parent_as_in_the_sdk() -> None:
    from prodready import tracing

    with capture():
        with prodready.span("root") as root:
            flags = root.otel_span.get_span_context().trace_flags
            assert flags.sampled and flags.random_trace_id  # our ids are random
        # A remote parent from a W3C level-1 traceparent: no random-trace-id flag to inherit.
        headers = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
        with tracing.continue_trace(headers), prodready.span("handler") as handler:
            flags = handler.otel_span.get_span_context().trace_flags
            assert flags.sampled and not flags.random_trace_id
            assert handler.trace_id == "0af7651916cd43dd8448eb211c80319c"


def test_an_unsampled_remote_parent_keeps_its_children_out() -> None:
    from prodready import tracing

    trace_id = "0af7651916cd43dd8448eb211c80319c"
    with capture() as cap:
        for flags, recorded in (("00", False), ("02", False), ("01", True), ("03", True)):
            headers = {"traceparent": f"00-{trace_id}-b7ad6b7169203331-{flags}"}
            with tracing.continue_trace(headers), prodready.span(f"h{flags}") as handler:
                context = handler.otel_span.get_span_context()
                assert handler.is_recording is recorded
                assert context.trace_flags.sampled is recorded
                assert context.trace_flags.random_trace_id is (flags in ("02", "03"))
                assert handler.trace_id == trace_id
    assert [s.name for s in cap.spans()] == ["h01", "h03"]


def test_a_parent_with_flags_beyond_one_byte_still_has_children() -> None:
    # Not W3C, but the API accepts any int: the low bits decide, as in the SDK.
    from opentelemetry.trace import NonRecordingSpan, TraceFlags

    parent = SpanContext(7, 9, is_remote=True, trace_flags=TraceFlags(0x103))
    token = otel_context.attach(otel_trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        with capture() as cap, prodready.span("child") as child:
            flags = child.otel_span.get_span_context().trace_flags
            assert child.is_recording and flags.sampled and flags.random_trace_id
    finally:
        otel_context.detach(token)
    assert [s.parent_span_id for s in cap.spans()] == [f"{9:016x}"]


@pytest.mark.parametrize("direct", [True, False], ids=["context-var", "public-calls"])
def test_spans_nest_and_restore_the_context_either_way(
    direct: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # prodready reads and sets OpenTelemetry's context variable itself when the runtime
    # context is the default one; with another one it goes through the public calls.
    from prodready.tracing import _native, _span

    if not direct:
        monkeypatch.setattr(_native, "CURRENT_CONTEXT", None)
        monkeypatch.setattr(_span, "CURRENT_CONTEXT", None)
    other = otel_trace.get_tracer("lib")
    before = otel_context.get_current()
    with capture() as cap:
        with prodready.span("agent", kind="agent") as agent:
            assert otel_trace.get_current_span() is agent.otel_span
            with other.start_as_current_span("http"), prodready.span("tool", kind="tool") as t:
                assert otel_trace.get_current_span() is t.otel_span
            assert otel_trace.get_current_span() is agent.otel_span
        assert otel_context.get_current() == before
    assert_tree(cap.trace(), "agent [agent]\n  http [unknown]\n    tool [tool]")


def test_only_the_default_runtime_context_is_read_directly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prodready.tracing import _native

    runtime = otel_context._RUNTIME_CONTEXT  # type: ignore[attr-defined]
    assert _native.CURRENT_CONTEXT is runtime._current_context
    with monkeypatch.context() as m:
        m.setattr(otel_context, "_RUNTIME_CONTEXT", object())
        assert _native._context_var() is None


def test_the_fast_span_context_equals_the_public_constructor() -> None:
    from opentelemetry.trace import TraceFlags, TraceState

    from prodready.tracing import _native

    assert _native._CONTEXT_IS_TUPLE  # this API version takes the fast path
    flags, state = TraceFlags(3), TraceState([("vendor", "x")])
    fast = _native._span_context(2**100, 2**60, flags, state)
    public = SpanContext(2**100, 2**60, is_remote=False, trace_flags=flags, trace_state=state)
    assert fast == public and type(fast) is SpanContext
    assert (fast.trace_id, fast.span_id, fast.is_remote, fast.is_valid) == (
        2**100,
        2**60,
        False,
        True,
    )
    default = _native._span_context(1, 2, flags, None)
    assert default.trace_state == SpanContext(1, 2, False).trace_state
