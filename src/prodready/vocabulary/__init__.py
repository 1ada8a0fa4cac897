"""The bottom layer: names and encodings every other layer shares, importing none of them.

- :mod:`prodready.vocabulary.canonical`: the one JSON encoding and content hash the store,
  tracing and the pillars use, so a hash written by one part is found by another.
- :mod:`prodready.vocabulary.attributes`: the span attribute names prodready writes and reads.
- :mod:`prodready.vocabulary.kinds`: the span kinds and their bits in ``traces.kind_mask``.

The store reads attribute names and kinds from here, so it does not import tracing (which
imports the store). ``prodready.tracing.attributes`` and ``prodready.tracing.kinds`` re-export
the last two at their older paths. ``[tool.importlinter]`` in ``pyproject.toml`` holds this
package to importing nothing else from prodready but the lazy-name helper (see
``docs/architecture.md``): the names in ``__all__`` load on first use (PEP 562), because
``import prodready.tracing`` loads the attribute names and need not pay for orjson.
"""

from typing import TYPE_CHECKING

from prodready._lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from prodready.vocabulary.canonical import (
        HASH_PREFIX,
        Fallback,
        canonical_json,
        content_hash,
        text_hash,
        to_json,
    )

__all__ = ["HASH_PREFIX", "Fallback", "canonical_json", "content_hash", "text_hash", "to_json"]

__getattr__, __dir__ = _lazy_attributes(
    __name__, dict.fromkeys(__all__, "prodready.vocabulary.canonical"), globals()
)
