"""Attribute names: :mod:`prodready.vocabulary.attributes`, re-exported at this older path.

The names moved to the bottom layer so the store can read them without importing tracing
(issue 11); ``from prodready.tracing import attributes as attrs`` keeps working, and each name
here is the very object defined there.
"""

from prodready.vocabulary.attributes import *  # noqa: F403
from prodready.vocabulary.attributes import __all__ as __all__  # noqa: PLC0414
