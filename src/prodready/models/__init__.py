"""Models: a client for any OpenAI-compatible endpoint, and the judge role built on it.

>>> from prodready.models import ModelClient
>>> client = ModelClient("https://api.openai.com/v1", api_key=key, model="openai:gpt-4o-mini")
>>> completion = await client.complete([{"role": "user", "content": "Hello"}])
>>> completion.text, completion.input_tokens, completion.cost_usd

Judges read their model from ``PRODREADY_JUDGE_MODEL``, ``PRODREADY_JUDGE_BASE_URL`` and
``PRODREADY_JUDGE_API_KEY`` (:func:`judge_client_from_env`); see ``docs/judges.md``.
"""

from prodready.models._client import Completion, Message, ModelClient, ModelError
from prodready.models._config import (
    JUDGE_API_KEY_ENV,
    JUDGE_BASE_URL_ENV,
    JUDGE_MODEL_ENV,
    ConfigurationError,
    ModelRef,
    client_from_env,
    judge_client_from_env,
    parse_model,
)
from prodready.models._embed import MiniLMEmbedder, minilm_embedder
from prodready.models._judge import (
    PARSER_VERSION,
    Judge,
    JudgeParseError,
    ParsedVerdict,
    Ruling,
    Vote,
    parse_verdict,
)
from prodready.tracing.prices import Price  # moved to tracing (ingest prices spans too)

__all__ = [
    "JUDGE_API_KEY_ENV",
    "JUDGE_BASE_URL_ENV",
    "JUDGE_MODEL_ENV",
    "PARSER_VERSION",
    "Completion",
    "ConfigurationError",
    "Judge",
    "JudgeParseError",
    "Message",
    "MiniLMEmbedder",
    "ModelClient",
    "ModelError",
    "ModelRef",
    "ParsedVerdict",
    "Price",
    "Ruling",
    "Vote",
    "client_from_env",
    "judge_client_from_env",
    "minilm_embedder",
    "parse_model",
    "parse_verdict",
]
