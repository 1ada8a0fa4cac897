"""Northwind Bank's support agent: the pipeline, its playbook, tools, guardrails and retrieval.

>>> from northwind.agent import Agent
>>> agent = Agent()                     # .northwind/bank.sqlite and .northwind/intents.joblib
>>> agent.reply("My card was stolen", customer="C00042")
Reply(text='...', intent='lost_or_stolen_card', confidence=0.99, escalated=False, ...)

Every step is a span of its kind: ``guardrail`` (PII, prompt injection, out of scope; PII and
grounding on the way out), ``classifier``, ``escalation``, ``retriever``, ``tool`` (each
attempt) and the answer (``step`` for the template, ``llm`` with a model), under one ``agent``
span that carries the release.
"""

from northwind.agent._pipeline import (
    DEFAULT_THRESHOLD,
    DEGRADED,
    HANDOVER,
    MODEL_ENV_PREFIX,
    OUT_OF_SCOPE,
    REFUSAL,
    RELEASE,
    Agent,
    Reply,
)
from northwind.agent.playbook import HUMAN_INTENTS, PLAYS, TOOLS, Play
from northwind.agent.retrieval import Passage, PolicyIndex
from northwind.agent.tools import CoreBanking, CoreBankingTimeout, Described, ToolFailed, Tools

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEGRADED",
    "HANDOVER",
    "HUMAN_INTENTS",
    "MODEL_ENV_PREFIX",
    "OUT_OF_SCOPE",
    "PLAYS",
    "REFUSAL",
    "RELEASE",
    "TOOLS",
    "Agent",
    "CoreBanking",
    "CoreBankingTimeout",
    "Described",
    "Passage",
    "Play",
    "PolicyIndex",
    "Reply",
    "ToolFailed",
    "Tools",
]
