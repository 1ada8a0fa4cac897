"""Test doubles for code built on prodready (and for prodready's own tests).

- :func:`capture`: tracing into an in-memory store, with helpers to read what was traced.
- :class:`FakeClock`: deterministic span times.
- :func:`render_tree` / :func:`assert_tree`: compare a trace's shape to an outline.
- :class:`TcpProxy`: cut and restore a real network path (e.g. to PostgreSQL) mid-run.
- :class:`ScriptedModelServer`: a real local OpenAI-compatible HTTP server with scripted
  replies, latency and failure injection (the judge and runner tests' model).
"""

from prodready.testing._capture import Capture, capture, memory_store
from prodready.testing._clock import FakeClock
from prodready.testing._model_server import ChatRequest, ScriptedModelServer, ScriptedReply
from prodready.testing._proxy import TcpProxy
from prodready.testing._tree import assert_tree, render_tree

__all__ = [
    "Capture",
    "ChatRequest",
    "FakeClock",
    "ScriptedModelServer",
    "ScriptedReply",
    "TcpProxy",
    "assert_tree",
    "capture",
    "memory_store",
    "render_tree",
]
