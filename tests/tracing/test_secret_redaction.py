"""Secrets in what @trace and span.input()/output() capture never reach the store or an exporter.

Each test runs the real pipeline: configure() to a SQLite file, call, flush, read the stored
span back. Fake secrets are assembled at run time so no secret-shaped literal sits in the
source.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, field_serializer

import prodready
from prodready import tracing
from prodready.store import Store
from prodready.tracing._secrets import REDACTED
from prodready.tracing._span import MAX_CAPTURE_CHARS
from tests.server.conftest import LiveServer

OPENAI_KEY = "sk-proj-" + "Ab3dEf6hIj" * 4
ANTHROPIC_KEY = "sk-ant-api03-" + "Zx9_Yw8-Vu7" * 6
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPL2"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6" * 3
GITHUB_PAT = "github_pat_" + "11ABCDEFG0" + "_x1Y2z3" * 5
SLACK_TOKEN = "xoxb-" + "1234567890-0987654321-" + "AbCdEfGhIjKl"
JWT = "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7x\nq9Zr\n-----END RSA PRIVATE KEY-----"
BEARER = "Bearer " + "opaque9token8value7"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite file that tracing writes to (configured with ``traced``)."""
    s = Store(f"sqlite:///{tmp_path}/spans.db")
    yield s
    s.close()


def traced(store: Store, call: Callable[[], Any], **configure: Any) -> dict[str, Any]:
    """Configure tracing to ``store``, run ``call`` under a root span, flush, and return the
    stored attributes of the root's first child (the span under test)."""
    tracing.configure(store=store, flush_interval=0.02, **configure)
    with prodready.span("test") as root:
        call()
    assert tracing.flush(10)
    trace = store.get_trace(root.trace_id)
    assert trace is not None
    return dict(next(s for s in trace.spans if s.name != "test").attributes)


def stored_input(attributes: dict[str, Any]) -> Any:
    return json.loads(attributes["prodready.input"])


def test_secret_named_arguments_are_redacted_before_they_are_stored(
    store: Store, tmp_path: Path
) -> None:
    @prodready.trace
    def login(user: str, password: str, api_key: str, token: str) -> str:
        return "ok"

    secrets = ("hunter2-pw", "plain-api-key-value", "opaque-session-token")
    attributes = traced(store, lambda: login("ada", *secrets))
    assert stored_input(attributes) == {
        "user": "ada",
        "password": REDACTED,
        "api_key": REDACTED,
        "token": REDACTED,
    }
    tracing.shutdown()
    database = b"".join(p.read_bytes() for p in tmp_path.glob("spans.db*"))
    assert not [s for s in secrets if s.encode() in database]


@pytest.mark.parametrize(
    "name",
    ["passwd", "apiKey", "X-Api-Key", "OPENAI_API_KEY", "access_token", "id_token",
     "Authorization", "auth", "client_secret", "session_key", "Cookie", "credentials",
     "private_key", "refresh_token"],
)  # fmt: skip
def test_every_secret_looking_name_is_redacted(store: Store, name: str) -> None:
    @prodready.trace
    def call(**kwargs: Any) -> None:
        pass

    attributes = traced(store, lambda: call(**{name: "s3cr3t-value"}))
    assert stored_input(attributes) == {"kwargs": {name: REDACTED}}


def test_names_that_only_look_alike_are_kept(store: Store) -> None:
    @prodready.trace
    def generate(**kwargs: Any) -> None:
        pass

    kept = {
        "max_tokens": 256,
        "tokens": ["a", "b"],
        "token_count": 12,
        "input_tokens": 3,
        "author": "ada",
        "tokenizer": "cl100k",
        "token_type": "bearer",
        "secret_name": "OPENAI_API_KEY",
        "cache_key": "q:1",
        "session_id": "s-42",
    }
    attributes = traced(store, lambda: generate(**kept))
    assert stored_input(attributes) == {"kwargs": kept}


def test_secret_keys_inside_nested_dicts_and_lists_are_redacted(store: Store) -> None:
    @prodready.trace
    def fetch(url: str, headers: dict[str, str], config: dict[str, Any]) -> None:
        pass

    headers = {"Authorization": "opaque", "Content-Type": "application/json"}
    config = {"llm": {"api_key": "k-1", "model": "m"}, "users": [{"name": "a", "password": "p"}]}
    attributes = traced(store, lambda: fetch("https://api.example.com/v1", headers, config))
    assert stored_input(attributes) == {
        "url": "https://api.example.com/v1",
        "headers": {"Authorization": REDACTED, "Content-Type": "application/json"},
        "config": {
            "llm": {"api_key": REDACTED, "model": "m"},
            "users": [{"name": "a", "password": REDACTED}],
        },
    }
    assert headers["Authorization"] == "opaque"  # the caller's objects are not changed


@dataclass
class DatabaseConfig:
    host: str
    password: str


class LLMConfig(BaseModel):
    model: str
    openai_api_key: str
    database: DatabaseConfig


class Question(BaseModel):
    text: str
    max_tokens: int


def test_secret_fields_of_pydantic_models_and_dataclasses_are_redacted(store: Store) -> None:
    @prodready.trace
    def run(config: LLMConfig, databases: list[DatabaseConfig], question: Question) -> None:
        pass

    config = LLMConfig(model="m", openai_api_key="k-1", database=DatabaseConfig("db", "p-1"))
    question = Question(text="where is my card?", max_tokens=64)
    attributes = traced(store, lambda: run(config, [DatabaseConfig("db2", "p-2")], question))
    assert stored_input(attributes) == {
        "config": {
            "model": "m",
            "openai_api_key": REDACTED,
            "database": {"host": "db", "password": REDACTED},
        },
        "databases": [{"host": "db2", "password": REDACTED}],
        "question": {"text": "where is my card?", "max_tokens": 64},
    }


class Unreadable(BaseModel):
    token: str

    @field_serializer("token")
    def _fail(self, value: str) -> str:
        raise RuntimeError("no")


def test_a_model_with_a_secret_field_that_cannot_be_read_is_redacted_whole(store: Store) -> None:
    @prodready.trace
    def call(items: list[Unreadable]) -> None:
        pass

    attributes = traced(store, lambda: call([Unreadable(token="t-1")]))
    assert stored_input(attributes) == {"items": [REDACTED]}
    attributes = traced(store, lambda: prodready.trace(lambda x: None)(Unreadable(token="t-1")))
    assert stored_input(attributes) == {"x": REDACTED}


@pytest.mark.parametrize(
    "secret",
    [OPENAI_KEY, ANTHROPIC_KEY, AWS_KEY_ID, GITHUB_TOKEN, GITHUB_PAT, SLACK_TOKEN, JWT, PEM],
    ids=["openai", "anthropic", "aws", "github", "github_pat", "slack", "jwt", "pem"],
)
def test_secret_values_are_masked_whatever_their_name(store: Store, secret: str) -> None:
    @prodready.trace
    def note(text: str, extra: list[str]) -> None:
        pass

    attributes = traced(store, lambda: note(f"use {secret} here", [secret]))
    assert stored_input(attributes) == {"text": f"use {REDACTED} here", "extra": [REDACTED]}


def test_a_bearer_credential_keeps_its_scheme_and_a_url_keeps_its_user(store: Store) -> None:
    @prodready.trace
    def call(header: str, dsn: str, prose: str) -> None:
        pass

    prose = "Basic authentication and bearer tokens are explained in the docs."
    attributes = traced(store, lambda: call(BEARER, "postgresql://bob:hunter2@db:5432/x", prose))
    assert stored_input(attributes) == {
        "header": f"Bearer {REDACTED}",
        "dsn": f"postgresql://bob:{REDACTED}@db:5432/x",
        "prose": prose,
    }


def test_the_return_value_is_redacted(store: Store) -> None:
    @prodready.trace
    def issue() -> dict[str, Any]:
        return {"access_token": "opaque-1", "expires_in": 3600, "note": f"key {OPENAI_KEY}"}

    attributes = traced(store, issue)
    assert json.loads(attributes["prodready.output"]) == {
        "access_token": REDACTED,
        "expires_in": 3600,
        "note": f"key {REDACTED}",
    }


def test_a_coroutine_and_a_generator_are_redacted_too(store: Store) -> None:
    @prodready.trace
    async def ask(api_key: str) -> str:
        return BEARER

    @prodready.trace
    def stream(password: str) -> Iterator[int]:
        yield 1

    attributes = traced(store, lambda: asyncio.run(ask("k-1")))
    assert stored_input(attributes) == {"api_key": REDACTED}
    assert attributes["prodready.output"] == f"Bearer {REDACTED}"
    attributes = traced(store, lambda: list(stream("p-1")))
    assert stored_input(attributes) == {"password": REDACTED}


def test_span_input_output_and_tool_arguments_are_redacted(store: Store) -> None:
    def by_hand() -> None:
        with tracing.tool_call("http_get", {"url": "u", "headers": {"X-Api-Key": "k"}}) as s:
            s.input({"password": "p", "q": "card"})
            s.output(f"got {GITHUB_TOKEN}")

    attributes = traced(store, by_hand)
    assert stored_input(attributes) == {"password": REDACTED, "q": "card"}
    assert attributes["prodready.output"] == f"got {REDACTED}"
    arguments = json.loads(attributes["gen_ai.tool.call.arguments"])
    assert arguments == {"url": "u", "headers": {"X-Api-Key": REDACTED}}


def test_a_secret_cut_by_truncation_is_still_masked(store: Store) -> None:
    @prodready.trace
    def long(text: str) -> None:
        pass

    text = "x " * ((MAX_CAPTURE_CHARS - 20) // 2) + OPENAI_KEY  # straddles the cut
    attributes = traced(store, lambda: long(text))
    assert OPENAI_KEY[:20] not in attributes["prodready.input"]


def test_configure_can_turn_redaction_off(store: Store) -> None:
    @prodready.trace
    def login(password: str) -> str:
        return OPENAI_KEY

    attributes = traced(store, lambda: login("p-1"), redact_secrets=False)
    assert stored_input(attributes) == {"password": "p-1"}
    assert attributes["prodready.output"] == OPENAI_KEY
    assert tracing.current().redact_secrets is False  # type: ignore[union-attr]


def test_the_decorator_overrides_configure_either_way(store: Store) -> None:
    @prodready.trace(redact_secrets=False)
    def keeps(password: str) -> None:
        pass

    @prodready.trace(redact_secrets=True)
    def hides(password: str) -> None:
        pass

    assert stored_input(traced(store, lambda: keeps("p-1"))) == {"password": "p-1"}
    hidden = traced(store, lambda: hides("p-1"), redact_secrets=False)
    assert stored_input(hidden) == {"password": REDACTED}


def test_extra_secret_names_and_patterns(store: Store) -> None:
    @prodready.trace
    def pay(customer_ssn: str, cardNumber: str, memo: str) -> None:
        pass

    attributes = traced(
        store,
        lambda: pay("123-45-6789", "4111 1111", "ref ACME-7781 ok"),
        secret_names=["ssn", "card_number"],
        secret_patterns=[r"ACME-\d{4}"],
    )
    assert stored_input(attributes) == {
        "customer_ssn": REDACTED,
        "cardNumber": REDACTED,
        "memo": f"ref {REDACTED} ok",
    }


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"secret_names": "ssn"}, "secret_names must be a list"),
        ({"secret_names": ["ok", "--"]}, "'--' is not a name"),
        ({"secret_patterns": ["ok", "(unclosed"]}, "'\\(unclosed' is not valid"),
    ],
)
def test_bad_secret_options_raise_naming_the_entry(option: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tracing.configure(store="sqlite://", **option)


def test_the_redact_hook_never_sees_a_secret(store: Store) -> None:
    seen: list[str] = []

    def hook(attributes: dict[str, Any]) -> dict[str, Any]:
        seen.append(json.dumps(attributes, default=str))
        return attributes

    @prodready.trace
    def login(password: str) -> str:
        return JWT

    traced(store, lambda: login("hunter2-pw"), redact=hook)
    assert seen and not [s for s in seen if "hunter2-pw" in s or JWT in s]


def test_the_otlp_copy_is_redacted_too(tmp_path: Path) -> None:
    backend = Store(f"sqlite:///{tmp_path}/backend.db")

    @prodready.trace
    def login(user: str, api_key: str) -> str:
        return f"signed in with {OPENAI_KEY}"

    with LiveServer(backend) as server:
        tracing.configure(store="sqlite://", otlp_endpoint=f"{server.url}/v1/traces")
        with prodready.span("test") as root:
            login("ada", "plain-api-key-value")
        tracing.shutdown()
    trace = backend.get_trace(root.trace_id)
    assert trace is not None
    exported = json.dumps([s.attributes for s in trace.spans])
    assert "plain-api-key-value" not in exported and OPENAI_KEY not in exported
    span = next(s for s in trace.spans if s.name.endswith("login"))
    assert json.loads(span.attributes["prodready.input"]) == {"user": "ada", "api_key": REDACTED}


def test_a_text_found_clean_does_not_hide_a_later_secret(store: Store) -> None:
    @prodready.trace
    def echo(text: str) -> str:
        return text

    clean = "nothing to see here, only words"
    tracing.configure(store=store, flush_interval=0.02)
    with prodready.span("test") as root:
        echo(clean)
        echo(clean)
        echo(f"now {OPENAI_KEY}")
    assert tracing.flush(10)
    trace = store.get_trace(root.trace_id)
    assert trace is not None
    outputs = [s.attributes["prodready.output"] for s in trace.spans if s.name != "test"]
    assert sorted(outputs) == sorted([clean, clean, f"now {REDACTED}"])
