"""Attribute names prodready writes and reads.

OpenTelemetry GenAI semantic conventions (``gen_ai.*``) where they exist, ``prodready.*`` for
the rest. ``docs/conventions.md`` documents each one.

They live in the bottom layer because the store lifts some of them into columns
(``TRACE_COLUMNS``) and must not import tracing to do so; ``prodready.tracing.attributes``
re-exports this module for the code and docs that use that path: a name added here goes in
``__all__`` too, or that path lacks it (``tests/test_layers.py`` checks).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CASE_ID",
    "ENVIRONMENT",
    "ESCALATION_REASON",
    "ESCALATION_SCORE",
    "ESCALATION_THRESHOLD",
    "EVAL_REPEAT",
    "GEN_AI_AGENT_NAME",
    "GEN_AI_CACHE_CREATION_TOKENS",
    "GEN_AI_CACHE_READ_TOKENS",
    "GEN_AI_FINISH_REASONS",
    "GEN_AI_INPUT_MESSAGES",
    "GEN_AI_INPUT_TOKENS",
    "GEN_AI_OPERATION",
    "GEN_AI_OUTPUT_MESSAGES",
    "GEN_AI_OUTPUT_TOKENS",
    "GEN_AI_REASONING_TOKENS",
    "GEN_AI_REQUEST_CHOICE_COUNT",
    "GEN_AI_REQUEST_FREQUENCY_PENALTY",
    "GEN_AI_REQUEST_MAX_TOKENS",
    "GEN_AI_REQUEST_MODEL",
    "GEN_AI_REQUEST_PRESENCE_PENALTY",
    "GEN_AI_REQUEST_SEED",
    "GEN_AI_REQUEST_STOP_SEQUENCES",
    "GEN_AI_REQUEST_TEMPERATURE",
    "GEN_AI_REQUEST_TOP_K",
    "GEN_AI_REQUEST_TOP_P",
    "GEN_AI_RESPONSE_ID",
    "GEN_AI_RESPONSE_MODEL",
    "GEN_AI_SYSTEM",
    "GEN_AI_TOOL_CALL_ID",
    "GEN_AI_TOOL_NAME",
    "GEN_AI_TOTAL_TOKENS",
    "GEN_AI_WORKFLOW_NAME",
    "GUARDRAIL_NAME",
    "GUARDRAIL_REASON",
    "GUARDRAIL_VERDICT",
    "INPUT",
    "INPUT_KIND",
    "INTENT_ALTERNATIVES",
    "INTENT_CONFIDENCE",
    "INTENT_NAME",
    "KIND",
    "LLM_COST",
    "LLM_COST_SOURCE",
    "LLM_INPUT_COST",
    "LLM_LATENCY_MS",
    "LLM_OUTPUT_COST",
    "OUTPUT",
    "PROMPT_VERSION",
    "RELEASE",
    "RETRIEVAL_DOCUMENTS",
    "RETRIEVAL_DOCUMENT_IDS",
    "RETRIEVAL_QUERY",
    "RUN_ID",
    "SESSION_ID",
    "STEP_REASONING",
    "TOOL_ARGUMENTS",
    "TOOL_ATTEMPT",
    "TOOL_OUTCOME",
    "TOOL_RESULT",
    "TRACE_COLUMNS",
    "USER_ID",
]

# --- prodready's own -------------------------------------------------------------------------
KIND: Final = "prodready.span.kind"
RELEASE: Final = "prodready.release"
ENVIRONMENT: Final = "deployment.environment.name"
SESSION_ID: Final = "session.id"
USER_ID: Final = "user.id"
INPUT: Final = "prodready.input"
INPUT_KIND: Final = "prodready.input.kind"
"""``arguments`` when ``prodready.input`` is the call's arguments by parameter name, as
``@prodready.trace`` records them (so a case made from the trace can replay the call)."""
OUTPUT: Final = "prodready.output"
CASE_ID: Final = "prodready.case.id"
RUN_ID: Final = "prodready.eval.run_id"
EVAL_REPEAT: Final = "prodready.eval.repeat"
PROMPT_VERSION: Final = "prodready.prompt.version"

INTENT_NAME: Final = "prodready.intent.name"
INTENT_CONFIDENCE: Final = "prodready.intent.confidence"
INTENT_ALTERNATIVES: Final = "prodready.intent.alternatives"

TOOL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
TOOL_RESULT: Final = "gen_ai.tool.call.result"
TOOL_OUTCOME: Final = "prodready.tool.outcome"
TOOL_ATTEMPT: Final = "prodready.tool.attempt"

RETRIEVAL_QUERY: Final = "prodready.retrieval.query"
RETRIEVAL_DOCUMENTS: Final = "prodready.retrieval.documents"
"""JSON list of ``{"id", "version", "content_hash", "score"}`` objects."""
RETRIEVAL_DOCUMENT_IDS: Final = "prodready.retrieval.document_ids"

GUARDRAIL_NAME: Final = "prodready.guardrail.name"
GUARDRAIL_VERDICT: Final = "prodready.guardrail.verdict"
GUARDRAIL_REASON: Final = "prodready.guardrail.reason"

STEP_REASONING: Final = "prodready.step.reasoning"

ESCALATION_REASON: Final = "prodready.escalation.reason"
"""Why the run handed over to a human (an ``escalation`` span's attribute)."""
ESCALATION_SCORE: Final = "prodready.escalation.score"
"""The score the decision read (an intent confidence, a guardrail risk...), when one did."""
ESCALATION_THRESHOLD: Final = "prodready.escalation.threshold"
"""The threshold that score was compared with."""

LLM_COST: Final = "prodready.llm.cost_usd"
LLM_LATENCY_MS: Final = "prodready.llm.latency_ms"
LLM_COST_SOURCE: Final = "prodready.llm.cost_source"
"""Where ``prodready.llm.cost_usd`` came from on a foreign span: ``reported`` (the
instrumentation said) or ``price_table`` (computed at ingest from its tokens and
:mod:`prodready.tracing.prices`)."""
LLM_INPUT_COST: Final = "prodready.llm.input_cost_usd"
"""The input side of ``prodready.llm.cost_usd`` (cached input included), when known."""
LLM_OUTPUT_COST: Final = "prodready.llm.output_cost_usd"
"""The output side of ``prodready.llm.cost_usd`` (reasoning included), when known."""

# --- OpenTelemetry GenAI semantic conventions -------------------------------------------------
GEN_AI_OPERATION: Final = "gen_ai.operation.name"
GEN_AI_SYSTEM: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
"""A list of strings, one per choice (``["stop"]``, ``["tool_calls"]``)."""
GEN_AI_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
"""All input tokens, cached ones included."""
GEN_AI_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
"""All output tokens, reasoning ones included."""
GEN_AI_CACHE_READ_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
"""Input tokens served from the provider's prompt cache (part of the input tokens)."""
GEN_AI_CACHE_CREATION_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
"""Input tokens written to the provider's prompt cache."""
GEN_AI_REASONING_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
"""Output tokens spent on reasoning (part of the output tokens)."""
GEN_AI_TOTAL_TOKENS: Final = "gen_ai.usage.total_tokens"
"""Input plus output tokens. Not in the GenAI conventions: OpenLLMetry's name, kept so a
total reported without its parts is not lost."""
# Request parameters, as the call sent them (translators read them from OpenAI-style keys).
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
"""The output token limit (OpenAI's ``max_tokens`` or ``max_completion_tokens``)."""
GEN_AI_REQUEST_TOP_P: Final = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K: Final = "gen_ai.request.top_k"
GEN_AI_REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_SEED: Final = "gen_ai.request.seed"
GEN_AI_REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
"""A list of strings (OpenAI's ``stop``, a string or a list)."""
GEN_AI_REQUEST_CHOICE_COUNT: Final = "gen_ai.request.choice.count"
"""How many choices were asked for (OpenAI's ``n``)."""
GEN_AI_WORKFLOW_NAME: Final = "gen_ai.workflow.name"
"""The name of a workflow span (OpenLLMetry's ``@workflow`` entity name)."""
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"

# Trace-level columns the store lifts out of span attributes (first non-empty value wins).
TRACE_COLUMNS: Final[dict[str, str]] = {
    "session_id": SESSION_ID,
    "user_id": USER_ID,
    "release": RELEASE,
    "environment": ENVIRONMENT,
}
