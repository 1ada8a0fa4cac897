"""prodready: take LLM agents from demo to production.

The top level exports the verbs most programs need; each pillar keeps its vocabulary in its
own package (``prodready.tracing``, ``prodready.store``, ...). Names load on first use, so
``import prodready`` is cheap.
"""

from typing import TYPE_CHECKING

from prodready._lazy import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from prodready.monitoring import feedback
    from prodready.tracing import configure, context, flush, shutdown, span, trace

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "configure",
    "context",
    "feedback",
    "flush",
    "shutdown",
    "span",
    "trace",
]

_WHERE = {name: "prodready.tracing" for name in __all__[1:]}
_WHERE["feedback"] = "prodready.monitoring._sdk"  # end users' feedback (docs/monitoring.md)

__getattr__, __dir__ = _lazy_attributes(__name__, _WHERE, globals())
