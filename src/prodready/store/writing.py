"""The store's fast path for span writers: an internal contract, not part of the public API.

The tracing SDK's span writer (``prodready.tracing``) turns each finished span into a
:data:`PreparedSpan` with :func:`prepare_span` and writes a batch with
``Store.write_prepared``; it encodes attributes and events with :func:`encode_json` when a
span ends, and passes the attributes the trace row reads (:data:`TRACE_ATTRIBUTE_KEYS`)
separately. Applications and the OTLP ingest write ``SpanRecord``s with ``Store.write_spans``
instead (docs/store.md, "Writing").

These names follow the store's table layout, so they may change in any release without
notice. ``prodready.store`` exported them until 0.1; ``prodready.store.<name>`` still reaches
them, with a ``DeprecationWarning``, through the 0.2 releases, and 0.3 drops it.
"""

from prodready.store._traces import TRACE_ATTRIBUTE_KEYS, PreparedSpan, encode_json, prepare_span

__all__ = ["TRACE_ATTRIBUTE_KEYS", "PreparedSpan", "encode_json", "prepare_span"]
