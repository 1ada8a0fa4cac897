"""Span kinds: :mod:`prodready.vocabulary.kinds`, re-exported at this older path.

The kinds moved to the bottom layer so the store can read them without importing tracing
(issue 11); ``from prodready.tracing.kinds import SpanKind`` keeps working, and each name here
is the very object defined there.
"""

from prodready.vocabulary.kinds import *  # noqa: F403
from prodready.vocabulary.kinds import __all__ as __all__  # noqa: PLC0414
