"""The one JSON encoding and content hash: what the store keeps and what its keys are made of.

Two functions, because two needs differ:

- :func:`canonical_json` / :func:`content_hash` are strict: sorted keys, no spaces, UTF-8
  (not ``\\u`` escapes), and a ``TypeError`` for anything that is not JSON (or a type orjson
  encodes natively: datetimes, UUIDs, enums, dataclasses). A hash must never depend on
  ``str()`` of an object, whose text may hold a memory address and change every run.
- :func:`to_json` never fails, for stored text (span attributes, run outputs, payloads):
  insertion order unless ``sort_keys``; objects JSON does not know become what they convert
  to (``model_dump``, ``tolist``, ``_asdict``; sets sorted), else their ``str`` (or ``repr``,
  as tracing records them); text no database accepts is cleaned (see ``replace_nul``).

For every JSON value ``to_json(v, sort_keys=True) == canonical_json(v)``. Hashes are stored
(dataset versions, case hashes, eval cache keys, review task ids, log record keys), so these
encodings must not change: ``tests/vocabulary/canonical_golden.json`` records what each
former spelling returned, and the tests hold these functions to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Final, Literal

import orjson

HASH_PREFIX: Final = "sha256:"
"""How every stored content hash starts: ``sha256:<64 hex digits>``."""

Fallback = Literal["str", "repr"]
"""How :func:`to_json` writes an object it cannot convert: its ``str`` or its ``repr``."""

_NON_STR_KEYS: Final = orjson.OPT_NON_STR_KEYS
_CANONICAL: Final = orjson.OPT_SORT_KEYS | _NON_STR_KEYS
_dumps = orjson.dumps
_MIN_INT, _MAX_INT = -(2**63), 2**64 - 1  # what orjson encodes
_CONVERTERS: Final = ("model_dump", "tolist", "_asdict")  # pydantic, numpy/pandas, namedtuple


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no spaces, UTF-8, non-string keys
    as strings. Raises ``TypeError`` (naming the type) for a value that is not JSON."""
    return orjson.dumps(value, option=_CANONICAL).decode()


def content_hash(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value`` (dataset, case and cache keys)."""
    return HASH_PREFIX + hashlib.sha256(orjson.dumps(value, option=_CANONICAL)).hexdigest()


def text_hash(text: str | bytes) -> str:
    """``sha256:<hex>`` of ``text`` as UTF-8: the hash of JSON already encoded."""
    raw = text.encode() if isinstance(text, str) else text
    return HASH_PREFIX + hashlib.sha256(raw).hexdigest()


def to_json(
    value: Any,
    *,
    sort_keys: bool = False,
    fallback: Fallback = "str",
    replace_nul: bool = False,
) -> str:
    """JSON text for any ``value``; never raises.

    ``sort_keys`` sorts object keys (the text is then hashable: :func:`canonical_json` for
    JSON values). ``fallback`` is how an object with no JSON form is written. Text that is
    not UTF-8 (lone surrogates) is replaced by ``?``, integers beyond 64 bits become their
    decimal text and keys orjson cannot write become their ``str``. ``replace_nul`` writes
    NUL as U+FFFD, for PostgreSQL's JSON type, which rejects ``\\u0000``.
    """
    # On the tracing hot path (span attributes, the store's encoding): no work before the call.
    default = _default_repr if fallback == "repr" else _default_str
    option = _CANONICAL if sort_keys else _NON_STR_KEYS
    try:
        out: str = _dumps(value, default=default, option=option).decode()
    except TypeError:  # lone surrogates, big ints, exotic keys (JSONEncodeError is one)
        return _encode_clean(value, default, option, replace_nul)
    if replace_nul and "\\u0000" in out:
        return _encode_clean(value, default, option, replace_nul)
    return out


def _encode_clean(value: Any, default: Callable[[Any], Any], option: int, nul: bool) -> str:
    try:
        cleaned = _clean(value, default, nul)
        return orjson.dumps(cleaned, default=default, option=option).decode()
    except Exception:  # a cycle, or a conversion that raises: the value's text, else its type
        try:
            text = str(default(value))
        except Exception:
            text = f"<{type(value).__qualname__}>"
        return orjson.dumps(_clean_str(text, nul)).decode()


def _converted(value: Any, fallback: Callable[[Any], str]) -> Any:
    """What ``value`` converts to (``model_dump``, ``tolist``, ``_asdict``, a sorted set),
    else ``fallback(value)``."""
    for method in _CONVERTERS:
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return convert()
            except Exception:
                break
    if isinstance(value, set | frozenset):
        try:
            return sorted(value, key=repr)
        except Exception:
            pass
    try:
        return fallback(value)
    except Exception:  # a __str__ or __repr__ that raises
        return f"<{type(value).__qualname__}>"


def _default_str(value: Any) -> Any:
    return _converted(value, str)


def _default_repr(value: Any) -> Any:
    return _converted(value, repr)


def _clean_str(text: str, nul: bool) -> str:
    if nul:
        text = text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")


def _clean(value: Any, default: Callable[[Any], Any], nul: bool) -> Any:
    """``value`` with lone surrogates (and NUL if ``nul``) replaced in every string, integers
    beyond 64 bits as decimal text, keys orjson cannot write as text, and unknown objects
    converted first (what they convert to may hold such text too)."""
    if isinstance(value, str):
        return _clean_str(value, nul)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if _MIN_INT <= value <= _MAX_INT else str(value)
    if isinstance(value, dict):
        return {_clean_key(k, default, nul): _clean(v, default, nul) for k, v in value.items()}
    if isinstance(value, list | tuple) and not hasattr(value, "_asdict"):
        return [_clean(v, default, nul) for v in value]
    try:
        orjson.dumps(value)  # a type orjson writes itself (datetime, UUID, enum...)
        return value
    except (TypeError, orjson.JSONEncodeError):
        return _clean(default(value), default, nul)


def _clean_key(key: Any, default: Callable[[Any], Any], nul: bool) -> Any:
    """A key orjson writes as ``OPT_NON_STR_KEYS`` does, else the text of the cleaned key."""
    if isinstance(key, str):
        return _clean_str(key, nul)
    try:
        orjson.dumps({key: None}, option=orjson.OPT_NON_STR_KEYS)
        return key  # a number, None, a datetime, UUID or enum: written as orjson writes it
    except (TypeError, orjson.JSONEncodeError):
        return str(_clean(key, default, nul))
