"""The one "provider:model" format, and the judge client configured from the environment."""

from __future__ import annotations

import pytest

from prodready.models import (
    ConfigurationError,
    ModelRef,
    client_from_env,
    judge_client_from_env,
    parse_model,
)


def test_parse_model_splits_at_the_first_colon() -> None:
    assert parse_model("openai:gpt-4o-mini") == ModelRef("openai", "gpt-4o-mini")
    assert parse_model("ollama:llama3.1:8b") == ModelRef("ollama", "llama3.1:8b")
    assert str(parse_model("OpenAI:gpt-4o")) == "openai:gpt-4o"


def test_a_bare_model_name_speaks_openai() -> None:
    assert parse_model("gpt-4o-mini") == ModelRef("openai", "gpt-4o-mini")


@pytest.mark.parametrize("bad", ["", "openai:", ":gpt", "9x:model"])
def test_malformed_model_strings_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="provider:model"):
        parse_model(bad)


def test_no_judge_env_means_no_client() -> None:
    assert judge_client_from_env({}) is None


def test_judge_client_comes_from_the_env_without_exposing_the_key() -> None:
    client = judge_client_from_env(
        {
            "PRODREADY_JUDGE_BASE_URL": "http://127.0.0.1:9/v1/",
            "PRODREADY_JUDGE_MODEL": "vllm:qwen2.5-7b",
            "PRODREADY_JUDGE_API_KEY": "sk-x",
        }
    )
    assert client is not None
    assert client.config() == {"base_url": "http://127.0.0.1:9/v1", "model": "vllm:qwen2.5-7b"}


def test_openai_models_default_to_the_openai_url() -> None:
    client = judge_client_from_env({"PRODREADY_JUDGE_MODEL": "openai:gpt-4o-mini"})
    assert client is not None and client.base_url == "https://api.openai.com/v1"


def test_incomplete_judge_env_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="PRODREADY_JUDGE_MODEL is not"):
        judge_client_from_env({"PRODREADY_JUDGE_BASE_URL": "http://x/v1"})
    with pytest.raises(ConfigurationError, match="no default URL"):
        judge_client_from_env({"PRODREADY_JUDGE_MODEL": "acme:judge"})


def test_any_prefix_configures_a_client_like_the_judge_one() -> None:
    env = {
        "NORTHWIND_MODEL": "openai:gpt-4o-mini",
        "NORTHWIND_BASE_URL": "http://127.0.0.1:9/v1",
        "NORTHWIND_API_KEY": "sk-secret",
    }
    client = client_from_env("NORTHWIND", env)
    assert client is not None
    assert client.config() == {"base_url": "http://127.0.0.1:9/v1", "model": "openai:gpt-4o-mini"}
    assert client_from_env("NORTHWIND", {}) is None
    with pytest.raises(ConfigurationError, match="NORTHWIND_BASE_URL is set but NORTHWIND_MODEL"):
        client_from_env("NORTHWIND", {"NORTHWIND_BASE_URL": "http://x/v1"})
