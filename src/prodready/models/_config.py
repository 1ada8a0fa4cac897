"""Model names and configuration: the one ``"provider:model"`` format, and the judge's env."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prodready.models._client import ModelClient

JUDGE_BASE_URL_ENV = "PRODREADY_JUDGE_BASE_URL"
JUDGE_API_KEY_ENV = "PRODREADY_JUDGE_API_KEY"
JUDGE_MODEL_ENV = "PRODREADY_JUDGE_MODEL"

DEFAULT_PROVIDER = "openai"
"""A bare model name speaks the OpenAI chat completions protocol."""

PROVIDER_URLS: Mapping[str, str] = {"openai": "https://api.openai.com/v1"}
"""Base URLs used when a provider is named but no base URL is given."""

_PROVIDER = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


class ConfigurationError(ValueError):
    """Something needed to run is not configured (a model, a URL, an extra)."""


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A parsed ``"provider:model"`` string."""

    provider: str
    name: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.name}"


def parse_model(value: str) -> ModelRef:
    """Parse ``"provider:model"`` (``"openai:gpt-4o-mini"``, ``"ollama:llama3.1:8b"``).

    The provider ends at the first colon; a bare name (``"gpt-4o-mini"``) has provider
    ``openai``, the protocol every supported endpoint speaks. A model name that itself holds
    a colon therefore needs its provider: ``"ollama:llama3.1:8b"``.

    Raises:
        ValueError: the string is empty or the provider or model part is malformed.
    """
    text = value.strip()
    provider, sep, name = text.partition(":")
    if not sep:
        provider, name = DEFAULT_PROVIDER, text
    if not name or not _PROVIDER.match(provider):
        raise ValueError(f"model must look like 'provider:model', got {value!r}")
    return ModelRef(provider=provider.lower(), name=name)


def judge_client_from_env(env: Mapping[str, str] | None = None) -> ModelClient | None:
    """The judge model client configured by ``PRODREADY_JUDGE_*``, or ``None`` if unset.

    ``PRODREADY_JUDGE_MODEL`` (``"provider:model"``) names the model;
    ``PRODREADY_JUDGE_BASE_URL`` the OpenAI-compatible endpoint (optional for providers in
    :data:`PROVIDER_URLS`); ``PRODREADY_JUDGE_API_KEY`` the key, if the endpoint needs one.

    Raises:
        ConfigurationError: the variables are set but incomplete or malformed.
    """
    return client_from_env("PRODREADY_JUDGE", env)


def client_from_env(prefix: str, env: Mapping[str, str] | None = None) -> ModelClient | None:
    """A model client configured by ``{prefix}_MODEL``, ``{prefix}_BASE_URL`` and
    ``{prefix}_API_KEY`` (as for judges, which use the prefix ``PRODREADY_JUDGE``), or
    ``None`` when neither the model nor the URL is set.

    Raises:
        ConfigurationError: the variables are set but incomplete or malformed.
    """
    from prodready.models._client import ModelClient

    env = os.environ if env is None else env
    model_env, url_env, key_env = f"{prefix}_MODEL", f"{prefix}_BASE_URL", f"{prefix}_API_KEY"
    model = env.get(model_env, "").strip()
    base_url = env.get(url_env, "").strip()
    if not model and not base_url:
        return None
    if not model:
        raise ConfigurationError(f"{url_env} is set but {model_env} is not")
    try:
        ref = parse_model(model)
    except ValueError as exc:
        raise ConfigurationError(f"{model_env}: {exc}") from None
    base_url = base_url or PROVIDER_URLS.get(ref.provider, "")
    if not base_url:
        raise ConfigurationError(
            f"{url_env} is not set and provider {ref.provider!r} has no default URL"
        )
    return ModelClient(base_url, api_key=env.get(key_env) or None, model=str(ref))
