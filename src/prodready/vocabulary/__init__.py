"""The bottom layer: names and encodings every other layer shares, importing none of them.

Today it holds :mod:`prodready.vocabulary.canonical` (the one JSON encoding and content hash
the store, tracing and the pillars use, so a hash written by one part is found by another).
Attribute names (``prodready.tracing.attributes``) and span kinds
(``prodready.tracing.kinds``) belong here too and move in a later step; until then they stay
where they are, so their import paths do not change twice.
"""

from prodready.vocabulary.canonical import (
    HASH_PREFIX,
    Fallback,
    canonical_json,
    content_hash,
    text_hash,
    to_json,
)

__all__ = ["HASH_PREFIX", "Fallback", "canonical_json", "content_hash", "text_hash", "to_json"]
