"""The standard OTEL_EXPORTER_OTLP_* variables switch dual export on; arguments still win."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import prodready
from prodready import tracing
from prodready.tracing import _config
from tests.tracing.otlp_receiver import OTLPReceiver

OTEL_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_TRACES_EXPORTER",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(_config, "_WARNED", set())
    # As when prodready installed the process's TracerProvider (see the joined case below).
    configure_once()
    monkeypatch.setattr(_config._state, "owns_provider", True)


def configure_once() -> None:
    """The provider exists (it is set up on the first configure() of the process)."""
    tracing.configure(store="sqlite://", otlp_endpoint=False)
    tracing.shutdown()


@pytest.fixture
def receiver() -> Iterator[OTLPReceiver]:
    with OTLPReceiver() as rx:
        yield rx


def one_span(name: str = "turn") -> None:
    with prodready.span(name, kind="agent"):
        pass


def test_the_base_endpoint_variable_turns_dual_export_on(
    receiver: OTLPReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url + "/")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
    config = tracing.configure(store=f"sqlite:///{tmp_path}/l.db")
    assert config.otlp_endpoint == f"{receiver.url}/v1/traces"
    one_span()
    tracing.shutdown()
    assert receiver.span("turn")["openinference.span.kind"] == "AGENT"
    assert receiver.paths == ["/v1/traces"]
    # Headers and compression: the exporter reads them from the environment itself.
    assert receiver.headers[0]["x-tenant"] == "acme"
    assert receiver.headers[0]["content-encoding"] == "gzip"
    assert config.store is not None and config.store.list_traces()  # and the store has it


def test_the_traces_endpoint_variable_is_used_as_it_is(
    receiver: OTLPReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9/ignored")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.url + "/collector/spans")
    config = tracing.configure(store=f"sqlite:///{tmp_path}/l.db")
    assert config.otlp_endpoint == receiver.url + "/collector/spans"
    one_span()
    tracing.shutdown()
    assert receiver.paths == ["/collector/spans"]


def test_an_explicit_endpoint_wins_over_the_environment(
    receiver: OTLPReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:9/v1/traces")
    config = tracing.configure(store="sqlite://", otlp_endpoint=f"{receiver.url}/mine")
    assert config.otlp_endpoint == f"{receiver.url}/mine"
    one_span()
    tracing.shutdown()
    assert receiver.paths == ["/mine"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_TRACES_EXPORTER", "console"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ],
)
def test_the_environment_can_keep_export_off(
    receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv(variable, value)
    config = tracing.configure(store="sqlite://")
    assert config.otlp_endpoint is None
    assert config.processor is not None and config.processor._forward is None
    one_span()
    tracing.shutdown()
    assert receiver.spans == []


def test_otlp_traces_exporter_listing_otlp_keeps_it_on(
    receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console, otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    assert tracing.configure(store="sqlite://").otlp_endpoint == f"{receiver.url}/v1/traces"


def test_otlp_endpoint_false_turns_env_driven_export_off(
    receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    config = tracing.configure(store="sqlite://", otlp_endpoint=False)
    assert config.otlp_endpoint is None
    one_span()
    tracing.shutdown()
    assert receiver.spans == []


def test_without_the_otlp_extra_the_environment_only_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    # What importing the exporter does when prodready[otlp] is not installed.
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with caplog.at_level(logging.WARNING, logger="prodready.tracing"):
        config = tracing.configure(store="sqlite://")
        tracing.configure(store="sqlite://")
    assert config.otlp_endpoint is None
    warnings = [r.getMessage() for r in caplog.records if "otlp" in r.getMessage().lower()]
    assert len(warnings) == 1
    assert 'pip install "prodready[otlp]"' in warnings[0]
    assert "http://127.0.0.1:4318/v1/traces" in warnings[0]
    with prodready.span("still traced") as s:
        pass
    tracing.flush()
    store = tracing.current().store  # type: ignore[union-attr]
    assert store is not None and store.get_trace(s.trace_id) is not None


def test_without_the_otlp_extra_an_explicit_endpoint_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(ImportError, match=r"prodready\[otlp\]"):
        tracing.configure(store="sqlite://", otlp_endpoint="http://127.0.0.1:4318/v1/traces")


JOINED = """
import logging, os
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
import prodready

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
trace.set_tracer_provider(TracerProvider())  # the app's own SDK setup
config = prodready.configure(store="sqlite://")
print("endpoint", config.otlp_endpoint)
explicit = prodready.configure(store="sqlite://", otlp_endpoint="http://127.0.0.1:9/v1/traces")
print("explicit", explicit.otlp_endpoint)
prodready.shutdown()
"""


def test_a_joined_provider_keeps_the_variables_for_its_own_exporter(tmp_path: Path) -> None:
    """Under opentelemetry-instrument the app's SDK exports already: no second copy."""
    env = {k: v for k, v in os.environ.items() if k not in OTEL_VARIABLES}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"
    done = subprocess.run(
        [sys.executable, "-c", JOINED],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "endpoint None" in done.stdout
    assert "explicit http://127.0.0.1:9/v1/traces" in done.stdout
    assert "left to this process's own OpenTelemetry setup" in done.stderr


def test_testing_capture_does_not_export_where_the_environment_points(
    receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test suite run with the variable set must not send its spans there."""
    from prodready.testing import capture

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    with capture() as cap:
        one_span("in-a-test")
    assert [s.name for s in cap.spans()] == ["in-a-test"]
    assert receiver.paths == []
