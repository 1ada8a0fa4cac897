"""Span conversion: the fast path over the SDK's fields equals the public-property path."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, StatusCode

from prodready.tracing import _convert


def finished_spans() -> list:  # type: ignore[type-arg]
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("root", attributes={"prodready.span.kind": "agent"}) as r:
        r.add_event("ev", {"k": 1})
        with tracer.start_as_current_span(
            "child", links=[Link(r.get_span_context(), {"why": "x"})]
        ) as c:
            c.set_status(StatusCode.ERROR, "bad")
    return list(exporter.get_finished_spans())


def test_fast_path_and_public_properties_give_the_same_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _convert._PRIVATE_FIELDS  # this SDK version takes the fast path
    spans = finished_spans()
    fast = [_convert.to_record(s) for s in spans]
    monkeypatch.setattr(_convert, "_PRIVATE_FIELDS", False)
    assert [_convert.to_record(s) for s in spans] == fast
    child = fast[0]
    assert (child.name, child.status, child.status_message, child.parent_span_id) == (
        "child",
        "error",
        "bad",
        fast[1].span_id,
    )
    assert child.links[0]["attributes"] == {"why": "x"}
    assert fast[1].events[0]["attributes"] == {"k": 1}


def test_a_snapshot_holds_only_plain_values() -> None:
    # Queued snapshots wait while the writer is behind; the SDK objects (context, status,
    # bounded containers, events) would make every garbage collection walk them.
    plain = (str, int, float, bool, type(None), tuple, dict)

    def walk(value: object) -> None:
        assert type(value) in plain, type(value)
        if isinstance(value, tuple):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for span in finished_spans():
        walk(_convert.snapshot(span, keep_resource=False))


def test_snapshot_then_record_equals_to_record() -> None:
    for span in finished_spans():
        via_snapshot = _convert.record_from(_convert.snapshot(span))
        assert via_snapshot == _convert.to_record(span)
        assert via_snapshot.resource == dict(span.resource.attributes)


def test_a_span_encoded_early_is_still_redacted_by_a_hook_added_later() -> None:
    # A native span ends with its attributes and events as JSON text when no redact hook
    # is configured; if configure() adds one before the writer gets to the span, the
    # writer decodes it and the hook still runs on attributes and events.
    from prodready.store.writing import encode_json

    def redact(attributes: dict) -> dict:  # type: ignore[type-arg]
        return {k: "[redacted]" if k == "card" else v for k, v in attributes.items()}

    early = (
        "lookup", 7, 9, None, True, 0, 10, 20, 0, None,
        encode_json({"prodready.span.kind": "tool", "card": "4242"}),
        encode_json([{"name": "retry", "time_ns": 15, "attributes": {"card": "4242"}}]),
        (), "prodready", None, None, "tool", None,
    )  # fmt: skip
    record = _convert.record_from(early, resource={}, redact=redact)
    assert record.attributes["card"] == "[redacted]"
    assert record.events[0]["attributes"] == {"card": "[redacted]"}
    assert record.kind == "tool"
