"""The canonical scalars of an LLM call, written by every convention translator.

Whatever convention a model call came in, the stored span carries the same keys: requested
and answering model, provider, operation, request parameters (``gen_ai.request.*``), tokens
(cached and reasoning ones too), finish reasons and cost. The translators read their own keys
and call these helpers, which only ever add (see :func:`~._common.put`). :func:`price` runs
last, on the merged attributes, and prices the tokens of a call that reported no cost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from prodready.tracing import attributes as attrs
from prodready.tracing.conventions._common import as_float, as_int, as_json, put
from prodready.tracing.prices import PriceTable

CALL_KINDS: Final = frozenset({"llm", "embedding"})
"""Kinds that are model calls: the ones :func:`price` prices."""

REPORTED: Final = "reported"
PRICE_TABLE: Final = "price_table"


def _stop(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


# OpenAI-style request parameter -> (GenAI attribute, converter). Instrumentations copy the
# request's own keys (OpenInference's invocation parameters, Langfuse's model parameters, the
# request body MLflow records), so one table reads them all.
_PARAMETERS: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "temperature": (attrs.GEN_AI_REQUEST_TEMPERATURE, as_float),
    "max_tokens": (attrs.GEN_AI_REQUEST_MAX_TOKENS, as_int),
    "max_completion_tokens": (attrs.GEN_AI_REQUEST_MAX_TOKENS, as_int),
    "max_output_tokens": (attrs.GEN_AI_REQUEST_MAX_TOKENS, as_int),
    "top_p": (attrs.GEN_AI_REQUEST_TOP_P, as_float),
    "top_k": (attrs.GEN_AI_REQUEST_TOP_K, as_float),
    "frequency_penalty": (attrs.GEN_AI_REQUEST_FREQUENCY_PENALTY, as_float),
    "presence_penalty": (attrs.GEN_AI_REQUEST_PRESENCE_PENALTY, as_float),
    "seed": (attrs.GEN_AI_REQUEST_SEED, as_int),
    "stop": (attrs.GEN_AI_REQUEST_STOP_SEQUENCES, _stop),
    "stop_sequences": (attrs.GEN_AI_REQUEST_STOP_SEQUENCES, _stop),
    "n": (attrs.GEN_AI_REQUEST_CHOICE_COUNT, as_int),
}


def request(value: Any) -> Mapping[str, Any] | None:
    """A request's parameters (a mapping, or its JSON text), or ``None``."""
    parsed = as_json(value)
    return parsed if isinstance(parsed, Mapping) else None


def model_of(parameters: Mapping[str, Any] | None) -> str | None:
    """The ``model`` a request names (LangChain: ``model_name``), if a non-empty string."""
    if parameters is None:
        return None
    for key in ("model", "model_name"):
        model = parameters.get(key)
        if isinstance(model, str) and model:
            return model
    return None


def parameters(
    extra: dict[str, Any], attributes: Mapping[str, Any], params: Mapping[str, Any] | None
) -> None:
    """Add ``gen_ai.request.*`` for the known OpenAI-style keys of ``params``."""
    if not params:
        return
    for key, (name, convert) in _PARAMETERS.items():
        if key in params:
            put(extra, attributes, name, convert(params[key]))


def tokens(
    extra: dict[str, Any],
    attributes: Mapping[str, Any],
    *,
    input: Any = None,
    output: Any = None,
    cache_read: Any = None,
    cache_creation: Any = None,
    reasoning: Any = None,
    total: Any = None,
) -> None:
    """Add the GenAI token counts given (as ints; values that are not counts are ignored)."""
    put(extra, attributes, attrs.GEN_AI_INPUT_TOKENS, as_int(input))
    put(extra, attributes, attrs.GEN_AI_OUTPUT_TOKENS, as_int(output))
    put(extra, attributes, attrs.GEN_AI_CACHE_READ_TOKENS, as_int(cache_read))
    put(extra, attributes, attrs.GEN_AI_CACHE_CREATION_TOKENS, as_int(cache_creation))
    put(extra, attributes, attrs.GEN_AI_REASONING_TOKENS, as_int(reasoning))
    put(extra, attributes, attrs.GEN_AI_TOTAL_TOKENS, as_int(total))


def finish_reasons(extra: dict[str, Any], attributes: Mapping[str, Any], value: Any) -> None:
    """Add ``gen_ai.response.finish_reasons`` (a list) from one reason or a list of them."""
    parsed = as_json(value) if isinstance(value, str) and value[:1] == "[" else value
    put(extra, attributes, attrs.GEN_AI_FINISH_REASONS, _stop(parsed))


def cost(
    extra: dict[str, Any],
    attributes: Mapping[str, Any],
    *,
    total: Any = None,
    input: Any = None,
    output: Any = None,
) -> None:
    """Add a reported cost in USD: ``total``, else ``input`` plus ``output`` when both given."""
    usd_in, usd_out, usd = as_float(input), as_float(output), as_float(total)
    if usd is None and usd_in is not None and usd_out is not None:
        usd = usd_in + usd_out
    put(extra, attributes, attrs.LLM_INPUT_COST, usd_in)
    put(extra, attributes, attrs.LLM_OUTPUT_COST, usd_out)
    put(extra, attributes, attrs.LLM_COST, usd)


def price(attributes: Mapping[str, Any], extra: dict[str, Any], table: PriceTable) -> None:
    """Say where a model call's cost came from, and compute it when only tokens were reported.

    A cost on the span (its own or one a translator read) is ``reported``. Otherwise the
    requested model's price (else the answering model's) times the tokens, cached input
    tokens at the cached price, is added as ``price_table``. No price or no tokens: no cost.
    """

    def get(key: str) -> Any:
        return attributes[key] if key in attributes else extra.get(key)

    if get(attrs.LLM_COST) is not None:
        put(extra, attributes, attrs.LLM_COST_SOURCE, REPORTED)
        return
    tokens_in = as_int(get(attrs.GEN_AI_INPUT_TOKENS))
    tokens_out = as_int(get(attrs.GEN_AI_OUTPUT_TOKENS))
    if tokens_in is None and tokens_out is None:
        return
    requested, answered = get(attrs.GEN_AI_REQUEST_MODEL), get(attrs.GEN_AI_RESPONSE_MODEL)
    found = (table.find(requested) if isinstance(requested, str) else None) or (
        table.find(answered) if isinstance(answered, str) else None
    )
    if found is None:
        return
    tokens_in, tokens_out = tokens_in or 0, tokens_out or 0
    cached = as_int(get(attrs.GEN_AI_CACHE_READ_TOKENS)) or 0
    # Rounded to a millionth of a cent: float noise (1.3499999999999998e-06) is not a price.
    usd_in = round(found.cost(tokens_in, 0, cached), 12)
    usd_out = round(found.cost(0, tokens_out), 12)
    put(extra, attributes, attrs.LLM_INPUT_COST, usd_in)
    put(extra, attributes, attrs.LLM_OUTPUT_COST, usd_out)
    put(extra, attributes, attrs.LLM_COST, round(usd_in + usd_out, 12))
    put(extra, attributes, attrs.LLM_COST_SOURCE, PRICE_TABLE)
