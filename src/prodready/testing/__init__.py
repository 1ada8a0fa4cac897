"""Test doubles for code built on prodready (and for prodready's own tests).

- :func:`capture`: tracing into an in-memory store, with helpers to read what was traced.
- :class:`FakeClock`: deterministic span times.
- :func:`render_tree` / :func:`assert_tree`: compare a trace's shape to an outline.
- :class:`TcpProxy`: cut and restore a real network path (e.g. to PostgreSQL) mid-run.
- :class:`ScriptedModelServer`: a real local OpenAI-compatible HTTP server with scripted
  replies, latency and failure injection (the judge and runner tests' model).
- :class:`ScriptedJudge`: a script for that server which answers prodready's judge prompts
  with verdicts chosen by rules (``prodready testing judge-server`` serves one).
"""

from prodready.testing._capture import Capture, capture, memory_store
from prodready.testing._clock import FakeClock
from prodready.testing._judge_script import (
    JUDGE_TAGS,
    JudgePrompt,
    JudgeRule,
    JudgeRulesError,
    ScriptedJudge,
    read_judge_prompt,
)
from prodready.testing._model_server import ChatRequest, ScriptedModelServer, ScriptedReply
from prodready.testing._proxy import TcpProxy
from prodready.testing._tree import assert_tree, render_tree

__all__ = [
    "JUDGE_TAGS",
    "Capture",
    "ChatRequest",
    "FakeClock",
    "JudgePrompt",
    "JudgeRule",
    "JudgeRulesError",
    "ScriptedJudge",
    "ScriptedModelServer",
    "ScriptedReply",
    "TcpProxy",
    "assert_tree",
    "capture",
    "memory_store",
    "read_judge_prompt",
    "render_tree",
]
