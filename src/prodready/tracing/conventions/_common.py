"""Helpers shared by the convention translators."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson


def put(extra: dict[str, Any], attributes: Mapping[str, Any], key: str, value: Any) -> None:
    """Add ``key`` to ``extra`` unless the span already has it or ``value`` is empty.

    Translators only ever add: an attribute the instrumentation set itself always wins.
    """
    if value is None or value == "" or key in attributes or key in extra:
        return
    extra[key] = value


def as_int(value: Any) -> int | None:
    """A token count as an int, or ``None`` when it is not one (bools are not counts)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    """A relevance score as a float, or ``None`` when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_json(value: Any) -> Any:
    """``value`` parsed if it is a JSON string (OTel attributes cannot nest), else as is."""
    if isinstance(value, str | bytes) and value[:1] in ("{", "[", b"{", b"["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
    return value


def document(
    doc_id: Any, score: Any, metadata: Any, *fallbacks: Mapping[str, Any]
) -> dict[str, Any] | None:
    """One ``prodready.retrieval.documents`` entry, shaped like the SDK's, or ``None``.

    Keys: ``id``, and ``version``, ``content_hash``, ``score``, ``source`` when known (absent
    rather than null, as the SDK writes them). Version, content hash and source come from the
    document's metadata (a dict or a JSON string), else from ``fallbacks`` (the document
    object itself, in GenAI's flat layout). A document without an id cannot be traced back
    to a source version, so it yields ``None``.
    """
    if doc_id is None or doc_id == "":
        return None
    meta = as_json(metadata)
    sources = [meta] if isinstance(meta, Mapping) else []
    sources.extend(fallbacks)
    entry = {
        "id": str(doc_id),
        "version": _first(sources, "version"),
        "content_hash": _first(sources, "content_hash"),
        "score": as_float(score),
        "source": _first(sources, "source"),
    }
    return {key: value for key, value in entry.items() if value is not None}


def documents(entries: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The entries :func:`document` could build, in order."""
    return [entry for entry in entries if entry is not None]


def _first(sources: Iterable[Mapping[str, Any]], key: str) -> Any:
    for source in sources:
        value = source.get(key)
        if value is not None:
            return str(value)
    return None


def document_ids(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """The ids of ``entries``, in order."""
    return [entry["id"] for entry in entries]
