"""prodready: take LLM agents from demo to production.

The top level exports the verbs most programs need; each pillar keeps its vocabulary in its
own package (``prodready.tracing``, ``prodready.store``, ...).
"""

from prodready.tracing import (
    configure,
    context,
    flush,
    shutdown,
    span,
    trace,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "configure",
    "context",
    "flush",
    "shutdown",
    "span",
    "trace",
]
