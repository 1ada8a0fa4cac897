"""Attribute names prodready writes and reads.

OpenTelemetry GenAI semantic conventions (``gen_ai.*``) where they exist, ``prodready.*`` for
the rest. ``docs/conventions.md`` documents each one.
"""

from __future__ import annotations

from typing import Final

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

LLM_COST: Final = "prodready.llm.cost_usd"
LLM_LATENCY_MS: Final = "prodready.llm.latency_ms"

# --- OpenTelemetry GenAI semantic conventions -------------------------------------------------
GEN_AI_OPERATION: Final = "gen_ai.operation.name"
GEN_AI_SYSTEM: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
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
