"""Online scoring: ingested traces get ``online`` scores once they settle; sampling is a
function of the trace id; judges stop at the day's spend limit; a full queue drops and
counts; the CLI scores stored traces with the same configuration."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from typer.testing import CliRunner

from prodready.cli import app as cli_app
from prodready.evaluation.runs import record_trace_scores, trace_scores
from prodready.models import Price
from prodready.monitoring import (
    JudgeConfig,
    OnlineConfig,
    OnlineScorer,
    OnlineWorker,
    score_series,
)
from prodready.monitoring._online import DEFAULT_SCORERS, in_sample
from prodready.server import create_app
from prodready.store import Store
from prodready.testing import ScriptedModelServer
from tests.monitoring.conftest import write_trace
from tests.server.builders import PROTOBUF, TRACE_ID, request, span

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient

PASS = '{"verdict": "pass", "score": 1, "reason": "on topic"}'


def _online(store: Store) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in trace_scores(store, layers=["online"]):
        out.setdefault(s.trace_id or "", []).append(s.score.name)
    return out


def test_traces_get_online_scores_once(store: Store) -> None:
    calm = write_trace(store, tools=("card_status",))
    stormy = write_trace(store, tools=("block_card", "block_card"))
    scorer = OnlineScorer(store)
    scorer.score_traces([calm, stormy])
    scorer.score_traces([calm, stormy])  # already scored: nothing new
    scored = _online(store)
    assert sorted(scored[calm]) == sorted(DEFAULT_SCORERS)
    assert len(scored[stormy]) == len(DEFAULT_SCORERS)
    dupes = {s.trace_id: s.score for s in trace_scores(store, layers=["online"],
                                                       names=["duplicate_tool_calls"])}  # fmt: skip
    assert (dupes[calm].passed, dupes[stormy].passed) == (True, False)
    assert dupes[stormy].metadata["source_layer"] == "behaviour"


def test_online_scores_written_twice_by_two_replicas_are_stored_once(store: Store) -> None:
    tid = write_trace(store)
    OnlineScorer(store, OnlineConfig(scorers=["loops"])).score_traces([tid])
    [first] = trace_scores(store, layers=["online"])
    # what a replica that scored the trace at the same moment writes: the same ids
    record_trace_scores(store, [(tid, first.score)], ids=[first.id])
    assert [s.id for s in trace_scores(store, layers=["online"])] == [first.id]


def test_sampling_is_a_function_of_the_trace_id(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    ids = [write_trace(store) for _ in range(20)]
    config = OnlineConfig(sample_rate=0.5, scorers=["loops"])
    OnlineScorer(store, config).score_traces(ids)
    wanted = {t for t in ids if in_sample(t, 0.5)}
    assert 0 < len(wanted) < 20
    assert set(_online(store)) == wanted
    store.close()


def test_judges_stop_at_the_daily_spend_limit(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    judges = JudgeConfig(scorers=[{"relevance": {"cache": False}}], sample_rate=1.0,
                         daily_spend_limit_usd=0.3)  # fmt: skip
    config = OnlineConfig(scorers=["loops"], judges=judges)
    with ScriptedModelServer([PASS], cycle=True) as model:
        client = model.client(prices={"judge": Price(input=1000.0, output=1000.0)})  # ~$0.14
        scorer = OnlineScorer(store, config, judge_client=client)
        scorer.score_traces([write_trace(store) for _ in range(5)])
        assert model.calls == 3  # $0 -> $0.14 -> $0.27 -> $0.41: the limit is reached
        assert scorer.stats.spend_limit_reached
        assert scorer.stats.judge_skipped_spend == 2
        again = OnlineScorer(store, config, judge_client=client)  # a restart, same day
        again.score_traces([write_trace(store)])
        assert model.calls == 3  # today's spend is read back from the stored scores
        scorer.close()
        again.close()
    names = [n for found in _online(store).values() for n in found]
    assert (names.count("loops"), names.count("relevance")) == (6, 3)
    store.close()


def test_the_server_scores_ingested_traces_once_they_settle(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    config = OnlineConfig(settle_seconds=0.05, scorers=["duplicate_tool_calls"])
    with TestClient(create_app(store, online=config, alert_interval=None)) as client:
        body = request(span("agent", span_id=1), span("tool", span_id=2, parent=1))
        answer = client.post("/v1/traces", content=body.SerializeToString(), headers=PROTOBUF)
        assert answer.status_code == 200
        assert client.app.state.monitoring.worker.wait_idle(10)  # type: ignore[attr-defined]
        metrics = client.get("/metrics").text
        series = client.get("/api/online/series", params={"since": "1h", "bucket": "1h"}).json()
        no_dimension = client.get("/api/online/series", params={"by": ""})
    assert _online(store) == {TRACE_ID.hex(): ["duplicate_tool_calls"]}
    assert "prodready_online_traces_scored_total 1.0" in metrics
    assert [(p["name"], p["group"], p["n"]) for p in series] == [("duplicate_tool_calls", None, 1)]
    assert no_dimension.status_code == 400
    store.close()


def test_a_trace_waits_for_its_root_span_until_max_wait(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    config = OnlineConfig(settle_seconds=0.02, max_wait_seconds=0.4, scorers=["loops"])
    worker = OnlineWorker(OnlineScorer(store, config), tick=0.02).start()
    orphan = write_trace(store, root=False, tools=("card_status",))
    started = time.monotonic()
    worker.offer([orphan])
    time.sleep(0.2)
    assert _online(store) == {}  # no root yet: waiting
    assert worker.wait_idle(5)
    assert time.monotonic() - started >= 0.4
    assert list(_online(store)) == [orphan]
    worker.stop()
    store.close()


def test_a_full_queue_drops_and_counts_without_blocking() -> None:
    store = Store("sqlite://")
    worker = OnlineWorker(OnlineScorer(store, OnlineConfig(queue_size=2)))  # never started
    started = time.perf_counter()
    for i in range(5):
        worker.offer([f"{i:032x}"])
    assert time.perf_counter() - started < 0.05
    assert worker.stats.dropped == 3
    store.close()


def test_score_series_buckets_online_score_means_by_release(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    t0 = time.time_ns()
    ids = [write_trace(store, release=r, tools=t) for r, t in
           [("r1", ("a", "a")), ("r1", ("b",)), ("r2", ("c",))]]  # fmt: skip
    OnlineScorer(store, OnlineConfig(scorers=["duplicate_tool_calls"])).score_traces(ids)
    points = score_series(store, t0 - 10**9, time.time_ns() + 1, 3600 * 10**9)
    got = {(p.group, p.name): (p.mean, p.n) for p in points}
    assert got == {
        ("r1", "duplicate_tool_calls"): (0.5, 2),
        ("r2", "duplicate_tool_calls"): (0.0, 1),  # the value counts duplicates
    }
    store.close()


def test_the_cli_scores_stored_traces_and_checks_rules(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/p.db"
    store = Store(url)
    write_trace(store)
    store.close()
    online = tmp_path / "online.yaml"
    online.write_text("scorers:\n  - loops\n  - latency_budget: {max_ms: 5000}\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - {name: lat, metric: 'score:latency_budget', op: '<', "
                     "threshold: 1, window: 1h}\n")  # fmt: skip
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli_app, ["--store", url, *args], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        return result.output

    summary = json.loads(
        run("monitor", "score", "--since", "1h", "--config", str(online), "--json")
    )
    assert (summary["traces_scored"], summary["scores_written"]) == (1, 2)
    assert json.loads(run("alerts", "check", "--rules", str(rules), "--json")) == []  # passing
    assert "lat" in run("alerts", "list")
    bad = runner.invoke(cli_app, ["--store", url, "monitor", "score", "--config", str(rules)])
    assert bad.exit_code == 2 and "rules" in bad.output
    online.write_text("scorers: [nope]\n")
    serve = runner.invoke(cli_app, ["--store", url, "serve", "--port", "48125"],
                          env={"PRODREADY_ONLINE_CONFIG": str(online)})  # fmt: skip
    assert serve.exit_code == 2 and f"{online}: no scorer 'nope'" in serve.output
