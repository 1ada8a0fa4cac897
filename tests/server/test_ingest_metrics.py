"""``POST /v1/metrics``: metrics are dropped with an OTLP ``partial_success``, so an SDK whose
``OTEL_EXPORTER_OTLP_ENDPOINT`` points every signal at prodready exports quietly."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator

import orjson
import pytest
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult, MetricsData

from prodready.server import create_app
from prodready.store import Store
from tests.server.conftest import LiveServer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

PROTOBUF = {"content-type": "application/x-protobuf"}
JSON = {"content-type": "application/json"}


def metrics(n: int = 3) -> MetricsData:
    """A counter with ``n`` attribute sets and a histogram with one: ``n + 1`` data points."""
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("tests.metrics")
    counter = meter.create_counter("requests")
    for i in range(n):
        counter.add(1, {"route": f"/r{i}"})
    meter.create_histogram("latency").record(0.5)
    data = reader.get_metrics_data()
    assert data is not None
    return data


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as c:
        yield c


def test_the_official_exporter_succeeds_and_logs_nothing_over_several_exports(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = OTLPMetricExporter(endpoint=f"{live_server.url}/v1/metrics")
    with caplog.at_level(logging.DEBUG, logger="opentelemetry"):
        results = [exporter.export(metrics()) for _ in range(3)]
    exporter.shutdown()
    assert results == [MetricExportResult.SUCCESS] * 3
    client_logs = [r for r in caplog.records if r.name.startswith("opentelemetry")]
    assert [r.getMessage() for r in client_logs if r.levelno >= logging.WARNING] == []


def test_every_data_point_is_reported_rejected_with_how_to_stop(client: TestClient) -> None:
    body = encode_metrics(metrics(3)).SerializeToString()
    resp = client.post("/v1/metrics", content=body, headers=PROTOBUF)
    assert resp.status_code == 200
    partial = ExportMetricsServiceResponse.FromString(resp.content).partial_success
    assert partial.rejected_data_points == 4
    assert "OTEL_METRICS_EXPORTER=none" in partial.error_message


def test_a_json_request_gets_the_partial_success_in_json(client: TestClient) -> None:
    request = {
        "resourceMetrics": [
            {
                "scopeMetrics": [
                    {
                        "metrics": [
                            {
                                "name": "up",
                                "gauge": {"dataPoints": [{"asInt": "1"}, {"asDouble": 0.5}]},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    resp = client.post("/v1/metrics", content=orjson.dumps(request), headers=JSON)
    assert resp.status_code == 200
    partial = resp.json()["partialSuccess"]
    assert int(partial["rejectedDataPoints"]) == 2
    assert "not metrics" in partial["errorMessage"]


def test_an_empty_request_is_a_plain_success(client: TestClient) -> None:
    resp = client.post("/v1/metrics", content=b"{}", headers=JSON)
    assert (resp.status_code, resp.content) == (200, b"{}")


def test_the_server_logs_dropped_metrics_once(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = encode_metrics(metrics(1)).SerializeToString()
    with caplog.at_level(logging.INFO, logger="prodready.server"):
        for _ in range(3):
            assert client.post("/v1/metrics", content=body, headers=PROTOBUF).status_code == 200
    dropped = [r.getMessage() for r in caplog.records if "metric data points" in r.getMessage()]
    assert dropped == [
        "dropped 2 metric data points: prodready does not store metrics (logged once; clients "
        "can set OTEL_METRICS_EXPORTER=none)"
    ]


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\x0a\xff", PROTOBUF, 400),
        (b"[]", JSON, 400),
        (b"{}", {"content-type": "text/plain"}, 415),
    ],
    ids=["truncated-protobuf", "not-an-object", "content-type"],
)
def test_malformed_requests_are_refused(
    client: TestClient, body: bytes, headers: dict[str, str], status: int
) -> None:
    assert client.post("/v1/metrics", content=body, headers=headers).status_code == status
