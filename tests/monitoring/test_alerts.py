"""Alert rules: a feedback rule fires its webhook once and resolves when CSAT recovers, every
firing and resolution and delivery recorded; each payload shape; grouping; the rules file,
the API, and /metrics."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from prodready.monitoring import (
    AlertEvaluator,
    AlertRule,
    RulesError,
    Webhook,
    alert_history,
    compute,
    deliveries,
    list_rules,
    load_alerts_config,
    open_alerts,
    record_feedback,
    save_rule,
    sync_rules,
)
from prodready.server import create_app
from prodready.store import Store
from tests.monitoring.conftest import Receiver, write_trace
from tests.server.builders import PROTOBUF, request, span

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

S = 10**9
CSAT_RULE = AlertRule(name="csat-drop", metric="feedback:csat", op="<", threshold=3.5,
                      window="1h", min_count=3, group_by=["release"])  # fmt: skip


def _feedback(store: Store, tid: str, at: int, *ratings: int) -> None:
    for i, csat in enumerate(ratings):
        record_feedback(store, trace_id=tid, csat=csat, now_ns=at + i)


def test_a_csat_drop_fires_its_webhook_once_and_resolves_when_csat_recovers(
    store: Store, receiver: Receiver
) -> None:
    t0 = time.time_ns()
    tid = write_trace(store, release="r2")
    save_rule(store, CSAT_RULE)
    evaluator = AlertEvaluator(store, [Webhook(name="ops", url=receiver.url)], backoff=0.01)

    _feedback(store, tid, t0, 1, 2)
    assert evaluator.check(t0 + S) == []  # two ratings: under min_count, no verdict
    _feedback(store, tid, t0 + 2 * S, 2)
    [fired] = evaluator.check(t0 + 3 * S)
    assert (fired.kind, fired.group, fired.count) == ("firing", {"release": "r2"}, 3)
    assert fired.value == pytest.approx(5 / 3)
    assert evaluator.check(t0 + 4 * S) == []  # still firing: deduplicated
    assert [a.rule for a in open_alerts(store)] == ["csat-drop"]

    _feedback(store, tid, t0 + 1800 * S, 5, 4, 5)  # half an hour later, happy users
    [resolved] = evaluator.check(t0 + 3700 * S)  # the bad ratings left the window
    assert resolved.kind == "resolved"
    assert resolved.dedup_key == fired.dedup_key
    assert evaluator.check(t0 + 3701 * S) == []

    assert [b["event"] for b in receiver.bodies] == ["firing", "resolved"]
    assert receiver.bodies[0]["group"] == {"release": "r2"}
    assert [e.kind for e in alert_history(store)] == ["resolved", "firing"]
    assert open_alerts(store) == []
    assert [d.status for d in deliveries(store, fired.id)] == ["delivered"]


def test_each_webhook_format_gets_its_payload_shape(store: Store, receiver: Receiver) -> None:
    t0 = time.time_ns()
    tid = write_trace(store)
    save_rule(store, CSAT_RULE.model_copy(update={"min_count": 1, "severity": "critical"}))
    hooks = [
        Webhook(name="json", url=f"{receiver.url}/json"),
        Webhook(name="slack", url=f"{receiver.url}/slack", format="slack"),
        Webhook(name="pd", url=f"{receiver.url}/pd", format="pagerduty", routing_key="RK"),
        Webhook(name="sn", url=f"{receiver.url}/sn", format="servicenow"),
    ]
    evaluator = AlertEvaluator(store, hooks, backoff=0.01)
    _feedback(store, tid, t0, 1)
    evaluator.check(t0 + S)
    _feedback(store, tid, t0 + 2 * S, 5, 5, 5)
    evaluator.check(t0 + 3 * S)
    by_path: dict[str, list[dict[str, object]]] = {}
    for path, body in zip(receiver.paths, receiver.bodies, strict=True):
        by_path.setdefault(path, []).append(body)

    generic = by_path["/json"][0]
    assert generic["rule"] == "csat-drop" and generic["metric"] == "feedback:csat"
    slack = by_path["/slack"][0]
    assert "csat-drop" in str(slack["text"])
    assert [b["type"] for b in slack["blocks"]] == ["header", "section", "context"]  # type: ignore[index]
    trigger, resolve = by_path["/pd"]
    assert (trigger["event_action"], trigger["routing_key"]) == ("trigger", "RK")
    assert trigger["payload"]["severity"] == "critical"  # type: ignore[index]
    assert resolve["event_action"] == "resolve"
    assert resolve["dedup_key"] == trigger["dedup_key"]
    opened, cleared = (b["records"][0] for b in by_path["/sn"])  # type: ignore[index]
    assert (opened["severity"], cleared["severity"]) == ("1", "0")
    assert opened["message_key"] == cleared["message_key"] == trigger["dedup_key"]
    assert opened["resource"] == "csat-drop" and "short_description" in opened


def test_a_failed_delivery_is_recorded_and_the_evaluator_carries_on(store: Store) -> None:
    t0 = time.time_ns()
    save_rule(store, AlertRule(name="busy", metric="traffic", op=">=", threshold=1, window="1h"))
    write_trace(store, start_ns=t0)
    with Receiver(statuses=[500, 503, 500]) as down:
        hooks = [Webhook(name="down", url=down.url, retries=3),
                 Webhook(name="nowhere", url="http://127.0.0.1:9/", retries=1)]  # fmt: skip
        [fired] = AlertEvaluator(store, hooks, backoff=0.001).check(t0 + S)
        assert len(down.bodies) == 3  # retried
    got = {d.webhook: d for d in deliveries(store, fired.id)}
    assert (got["down"].status, got["down"].attempts, got["down"].http_status) == ("failed", 3, 500)
    assert got["nowhere"].status == "failed" and got["nowhere"].error


def test_a_rule_removed_from_the_file_closes_its_alert_and_keeps_its_history(
    store: Store,
) -> None:
    rule = AlertRule(name="busy", metric="traffic", op=">=", threshold=1, window="1h")
    sync_rules(store, [rule], source="file")
    write_trace(store)
    AlertEvaluator(store).check()
    assert [a.rule for a in open_alerts(store)] == ["busy"]
    sync_rules(store, [], source="file")
    assert (open_alerts(store), list_rules(store)) == ([], [])
    assert [e.rule for e in alert_history(store)] == ["busy"]


def test_trace_metrics_are_computed_per_group_after_filters(store: Store) -> None:
    t0 = time.time_ns()
    for release, status, tools, ms in [("r1", "error", ("block_card",), 10),
                                       ("r1", "error", (), 30), ("r2", "ok", ("block_card",), 50),
                                       ("r2", "ok", (), 70)]:  # fmt: skip
        write_trace(store, release=release, status=status, tools=tools, duration_ms=ms,
                    escalate=release == "r2", start_ns=t0, usage=(ms, 1, ms / 1000))  # fmt: skip

    def values(metric: str, **options: object) -> dict[str | None, float | None]:
        rule = AlertRule(name="x", metric=metric, threshold=0, window="1m", **options)  # type: ignore[arg-type]
        return {v.group.get("release"): v.value for v in compute(store, rule, t0 + S)}

    assert values("error_rate", group_by=["release"]) == {"r1": 1.0, "r2": 0.0}
    assert values("escalation_rate", group_by=["release"]) == {"r1": 0.0, "r2": 1.0}
    assert values("latency_p95_ms") == {None: 70.0}
    assert values("traffic", filters={"tool": "block_card"}) == {None: 2.0}
    assert values("traffic", filters={"environment": "staging"}) == {None: 0.0}
    assert values("tokens", group_by=["release"]) == {"r1": 42.0, "r2": 122.0}
    assert values("cost", filters={"tool": "block_card"}) == {None: pytest.approx(0.06)}


def test_a_rules_file_names_the_bad_rule_and_field(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: ok\n    metric: traffic\n    threshold: 1\n"
                    "  - name: bad\n    metric: vibes\n    threshold: 1\n")  # fmt: skip
    with pytest.raises(RulesError, match=r"rules\[1\] \(bad\)\.metric: .*unknown metric 'vibes'"):
        load_alerts_config(path)
    path.write_text("rules:\n  - {name: a, metric: cost, threshold: 1, webhooks: [pager]}\n")
    with pytest.raises(RulesError, match="unknown webhooks pager"):
        load_alerts_config(path)


# --- the server -----------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {name: any-traffic, metric: traffic, op: '>', threshold: 0}\n")
    with TestClient(create_app(store, alert_rules=rules, alert_interval=None)) as c:
        yield c
    store.close()


def test_rules_from_the_file_and_the_api_are_checked_through_the_api(client: TestClient) -> None:
    rule = {"name": "slow", "metric": "latency_p95_ms", "op": ">", "threshold": 5000}
    assert client.put("/api/alert-rules/slow", json=rule).status_code == 200
    assert client.put("/api/alert-rules/slow", json={**rule, "window": "soon"}).status_code == 422
    names = [r["name"] for r in client.get("/api/alert-rules").json()]
    assert names == ["any-traffic", "slow"]
    write_trace(client.app.state.store)  # type: ignore[attr-defined]
    assert [e["rule"] for e in client.post("/api/alerts/check").json()] == ["any-traffic"]
    alerts = client.get("/api/alerts").json()
    assert [a["rule"] for a in alerts["open"]] == ["any-traffic"]
    assert client.delete("/api/alert-rules/slow").status_code == 204
    assert client.delete("/api/alert-rules/slow").status_code == 404


def test_metrics_are_prometheus_text_with_ingest_and_alert_counters(client: TestClient) -> None:
    body = request(span("root", span_id=1), span("child", span_id=2, parent=1)).SerializeToString()
    write_trace(client.app.state.store)  # type: ignore[attr-defined]
    assert client.post("/v1/traces", content=body, headers=PROTOBUF).status_code == 200
    assert (
        client.post("/v1/traces", content=b"x", headers={"content-type": "text/plain"}).status_code
        == 415
    )
    client.post("/api/alerts/check")
    answer = client.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }
    assert samples[("prodready_ingest_spans_accepted_total", ())] == 2
    assert samples[("prodready_ingest_requests_rejected_total",
                    (("path", "/v1/traces"), ("status", "415")))] == 1  # fmt: skip
    assert samples[("prodready_alert_firing", (("rule", "any-traffic"),))] == 1
    assert samples[("prodready_store_up", ())] == 1


def test_the_servers_alert_loop_fires_a_webhook_once_across_ticks(
    tmp_path: Path, receiver: Receiver
) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        f"webhooks:\n  - {{name: hook, url: '{receiver.url}'}}\n"
        "rules:\n  - {name: errors, metric: error_rate, op: '>', threshold: 0.5}\n"
    )
    write_trace(store, status="error")
    with TestClient(create_app(store, alert_rules=rules, alert_interval=0.05)) as client:
        deadline = time.monotonic() + 10
        while not receiver.bodies and time.monotonic() < deadline:
            time.sleep(0.02)
        stats = client.app.state.monitoring.evaluator.stats  # type: ignore[attr-defined]
        checks = stats.checks
        while stats.checks < checks + 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert [b["event"] for b in receiver.bodies] == ["firing"]
    store.close()
