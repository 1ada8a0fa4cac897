"""Built-in scorers, by layer. Each is a registered factory: ``regex_match(r"\\d+")`` makes a
scorer whose scores record how it was made, so a stored score can be rebuilt and re-run.

- Layer 1, checks (``checks``): deterministic tests of the output.
- Layer 2, judges (``judges``, ``semantic``): LLM judges and the non-LLM semantic scorer.
- Layer 3, behaviour (``behaviour``): what the run did, from its span tree.

See ``docs/scorers.md`` and ``docs/judges.md``.
"""

from prodready.evaluation.scorers.behaviour import (
    DEFAULT_IGNORED_KEYS,
    INCOMPLETE_TRACE,
    NO_TRACE,
    cost_budget,
    duplicate_tool_calls,
    escalation,
    expected_tools,
    guardrails_passed,
    latency_budget,
    loops,
    normalise_arguments,
    retry_storm,
    token_budget,
    tool_call_budget,
)
from prodready.evaluation.scorers.checks import (
    contains,
    json_schema,
    length,
    match_facts,
    no_pii,
    not_contains,
    python_check,
    regex_match,
    required_facts,
)

# >>> judges: imports from scorers/judges.py and scorers/semantic.py (layer 2), sorted, here
from prodready.evaluation.scorers.judges import (
    RUBRICS,
    JudgeCache,
    correctness,
    groundedness,
    judge_cache,
    relevance,
    retrieved_context,
    safety,
    set_judge_cache,
    using_judge_cache,
)
from prodready.evaluation.scorers.semantic import FALLBACK_LABEL, semantic_similarity

# <<< judges (keep the blank line above: the import block ends there)

__all__ = [
    "DEFAULT_IGNORED_KEYS",
    "INCOMPLETE_TRACE",
    "NO_TRACE",
    "contains",
    "cost_budget",
    "duplicate_tool_calls",
    "escalation",
    "expected_tools",
    "guardrails_passed",
    "json_schema",
    "latency_budget",
    "length",
    "loops",
    "match_facts",
    "no_pii",
    "normalise_arguments",
    "not_contains",
    "python_check",
    "regex_match",
    "required_facts",
    "retry_storm",
    "token_budget",
    "tool_call_budget",
]

# >>> judges: `__all__ += [...]` with the names imported above
__all__ += [
    "FALLBACK_LABEL",
    "RUBRICS",
    "JudgeCache",
    "correctness",
    "groundedness",
    "judge_cache",
    "relevance",
    "retrieved_context",
    "safety",
    "semantic_similarity",
    "set_judge_cache",
    "using_judge_cache",
]
# <<< judges
