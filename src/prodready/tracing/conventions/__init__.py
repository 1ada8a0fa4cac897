"""Foreign attribute conventions, translated onto prodready's span kinds and attributes.

Spans made by other libraries' instrumentation (OpenInference, the OpenTelemetry GenAI
semantic conventions, OpenLLMetry, Langfuse, MLflow) say what they did in their own words.
:func:`translate` gives each span a prodready kind and adds the prodready/GenAI attributes its
own ones imply, so the store, the scorers and the dashboard read one vocabulary: a model call
gets the same canonical keys (models, provider, parameters, tokens, finish reasons, cost)
whatever convention it came in, and a cost from :mod:`prodready.tracing.prices` when it
reported tokens but no cost. The SDK calls it for every span it records and the server for
every span it ingests. One module per convention:
:mod:`~prodready.tracing.conventions.openinference`,
:mod:`~prodready.tracing.conventions.openllmetry`,
:mod:`~prodready.tracing.conventions.langfuse`, :mod:`~prodready.tracing.conventions.mlflow`,
:mod:`~prodready.tracing.conventions.genai`, in that order of precedence.

>>> oi_span = {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"}
>>> kind, attributes = translate(oi_span, name="ChatCompletion", otel_kind="internal")
>>> kind, attributes["gen_ai.request.model"]
('llm', 'gpt-4o')
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final

from prodready.tracing import attributes as attrs
from prodready.tracing import kinds, prices
from prodready.tracing.conventions import _llm, genai, langfuse, mlflow, openinference, openllmetry

__all__ = ["JSON_VALUED_KINDS", "LEGACY_ENVIRONMENT", "inherit_trace_attributes", "translate"]

log = logging.getLogger("prodready.tracing")

LEGACY_ENVIRONMENT: Final = "deployment.environment"
"""Renamed ``deployment.environment.name`` in semantic conventions 1.27; still common."""

_SPAN_KINDS: Final = kinds.SPAN_KINDS  # bound once: the check runs for every span

# Trace-level keys a span inherits from its resource when it does not set them itself.
_INHERITED: Final = (attrs.SESSION_ID, attrs.USER_ID, attrs.RELEASE)


def translate(
    attributes: Mapping[str, Any], *, name: str, otel_kind: str
) -> tuple[str, dict[str, Any]]:
    """Return (prodready span kind, attributes to store) for one span.

    A valid ``prodready.span.kind`` wins and the attributes come back untouched (the same
    dict when given a dict): this is the hot path for the SDK's own spans. Otherwise
    OpenInference's ``openinference.span.kind`` decides, then OpenLLMetry's
    ``traceloop.span.kind`` (or ``llm.request.type``), Langfuse's observation type, MLflow's
    span type, then the GenAI conventions (``gen_ai.operation.name``, a requested model, a
    provider), else ``"unknown"``. Every convention present adds its normalized attributes,
    in that order of precedence (the first to name a key wins), but never removes or
    overwrites the span's own; a model call that reported tokens but no cost is priced.

    Args:
        attributes: the span's attributes; never modified.
        name: the span name (GenAI spans are named ``"{operation} {target}"``).
        otel_kind: the OpenTelemetry span kind in lowercase (``"client"``, ...). No current
            convention classifies by it; callers pass it so translators can.

    Returns:
        The prodready span kind and the attributes to store.
    """
    declared = attributes.get(attrs.KIND)
    if isinstance(declared, str) and declared in _SPAN_KINDS:
        if declared in _JSON_VALUED:
            return declared, _decode_json(attributes, _JSON_VALUED[declared])
        return declared, _as_dict(attributes)
    try:
        return _translate_foreign(attributes, name)
    except Exception:
        # Conventions only enrich: a span is worth more stored as "unknown" than lost.
        log.warning("could not translate the attributes of span %r", name, exc_info=True)
        return "unknown", _as_dict(attributes)


# The foreign conventions before GenAI, in order of precedence: (applies, kind_of, normalize).
# Each ``applies`` is a few membership tests, so a span of none of them costs little.
_CONVENTIONS: Final = (
    (openinference.is_openinference, openinference.kind_of, openinference.normalize),
    (openllmetry.applies, openllmetry.kind_of, openllmetry.normalize),
    (langfuse.applies, langfuse.kind_of, langfuse.normalize),
    (mlflow.applies, mlflow.kind_of, mlflow.normalize),
)


# Every key some ``applies`` above tests: a span with none of them (HTTP, database) skips them
# all in one C-level scan.
_MARKERS: Final = frozenset(
    {
        openinference.SPAN_KIND,
        openllmetry.SPAN_KIND,
        openllmetry.REQUEST_TYPE,
        openllmetry.ENTITY_NAME,
        langfuse.TYPE,
        langfuse.MODEL,
        langfuse.USAGE,
        mlflow.SPAN_TYPE,
    }
)


def _translate_foreign(attributes: Mapping[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    if _MARKERS.isdisjoint(attributes):  # GenAI only, or no convention at all
        kind = genai.kind_of(attributes, name) or "unknown"
        extra = genai.normalize(attributes, kind)
    else:
        kind, extra = _translate_conventions(attributes, name)
    if kind in _llm.CALL_KINDS:
        _llm.price(attributes, extra, prices.current())
    if not extra:
        return kind, _as_dict(attributes)
    return kind, {**attributes, **extra}


def _translate_conventions(attributes: Mapping[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    present = [c for c in _CONVENTIONS if c[0](attributes)]
    kind = next((k for c in present if (k := c[1](attributes))), None)
    kind = kind or genai.kind_of(attributes, name) or "unknown"
    extra: dict[str, Any] = {}
    for _applies, _kind_of, normalize in present:
        for key, value in normalize(attributes, kind).items():
            extra.setdefault(key, value)
    for key, value in genai.normalize(attributes, kind).items():
        extra.setdefault(key, value)
    return kind, extra


def inherit_trace_attributes(
    attributes: Mapping[str, Any], resource: Mapping[str, Any]
) -> dict[str, Any]:
    """Add the trace-level keys a span lacks from its resource attributes.

    The store lifts ``session.id``, ``user.id``, ``prodready.release`` and
    ``deployment.environment.name`` from span attributes; applications often set them (the
    release above all) once on the resource instead. ``deployment.environment``, the old
    name, counts as ``deployment.environment.name``. The span's own values win.

    Args:
        attributes: the span's attributes; never modified.
        resource: the resource attributes of the process that made the span.

    Returns:
        ``attributes`` itself (as a dict) when nothing is added, else a new dict.
    """
    extra = {key: resource[key] for key in _INHERITED if key not in attributes and key in resource}
    if attrs.ENVIRONMENT not in attributes:
        environment = _first_set(
            (attributes, LEGACY_ENVIRONMENT),
            (resource, attrs.ENVIRONMENT),
            (resource, LEGACY_ENVIRONMENT),
        )
        if environment is not None:
            extra[attrs.ENVIRONMENT] = environment
    if not extra:
        return _as_dict(attributes)
    return {**attributes, **extra}


# Structured values OpenTelemetry can only carry as JSON text; the store keeps them as JSON
# (a list of documents, an object of scores) so readers see one shape, however the span came.
_JSON_VALUED: Final[dict[str, tuple[str, ...]]] = {
    "retriever": (attrs.RETRIEVAL_DOCUMENTS,),
    "classifier": (attrs.INTENT_ALTERNATIVES,),
}


JSON_VALUED_KINDS: Final = frozenset(_JSON_VALUED)
"""Kinds whose declared attributes :func:`translate` changes (it decodes JSON values);
for every other prodready kind it stores the attributes as they are."""


def _decode_json(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    out = _as_dict(attributes)
    for key in keys:
        value = out.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                decoded = json.loads(value)
            except ValueError:
                continue  # not JSON after all: keep the text
            if out is attributes:
                out = dict(out)
            out[key] = decoded
    return out


def _first_set(*places: tuple[Mapping[str, Any], str]) -> Any:
    for mapping, key in places:
        value = mapping.get(key)
        if value is not None and value != "":
            return value
    return None


def _as_dict(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return attributes if type(attributes) is dict else dict(attributes)
