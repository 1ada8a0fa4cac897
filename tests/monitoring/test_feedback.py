"""End users' feedback: stored as scores of its trace, summarised by release and intent,
through the function, the API and the SDK; bad input refused naming the field."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import prodready
from prodready.evaluation.runs import trace_scores
from prodready.monitoring import (
    FeedbackError,
    FeedbackNotFound,
    feedback_summary,
    record_feedback,
)
from prodready.server import create_app
from prodready.store import Store
from tests.monitoring.conftest import write_trace
from tests.server.conftest import LiveServer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient


def _summary(store: Store) -> dict[tuple[str | None, ...], dict[str, object]]:
    groups = feedback_summary(store, 0, time.time_ns() + 1, by=("release", "intent"))
    return {tuple(g.key.values()): g.as_dict() for g in groups}


def test_feedback_is_stored_on_its_trace_and_summarised_by_release_and_intent(
    store: Store,
) -> None:
    t1 = write_trace(store, release="r1", intent="lost_card")
    t2 = write_trace(store, release="r2", intent="lost_card")
    t3 = write_trace(store, release="r1", intent="card_fees")
    record_feedback(store, trace_id=t1, csat=2, comment="it took ages", user_id="u1")
    record_feedback(store, trace_id=t1, thumb="down")
    record_feedback(store, trace_id=t2.upper(), csat=5, thumb="up", source="app")
    record_feedback(store, trace_id=t3, csat=4)

    got = _summary(store)
    assert got[("r1", "lost_card")] | {"key": None} == {
        "key": None, "n": 2, "csat_n": 1, "csat_mean": 2.0, "thumbs_n": 1,
        "thumbs_up_rate": 0.0, "comments": 1,
    }  # fmt: skip
    assert got[("r2", "lost_card")]["csat_mean"] == 5.0
    assert got[("r2", "lost_card")]["thumbs_up_rate"] == 1.0
    assert got[("r1", "card_fees")]["csat_mean"] == 4.0
    [csat] = [s for s in trace_scores(store, layers=["feedback"], trace_ids=[t1])
              if s.score.name == "csat"]  # fmt: skip
    assert (csat.score.value, csat.score.rationale, csat.score.author) == (
        2.0,
        "it took ages",
        "u1",
    )
    assert csat.score.passed is False


def test_session_feedback_is_stored_once_on_the_sessions_newest_trace(store: Store) -> None:
    now = time.time_ns()
    write_trace(store, session="s-1", start_ns=now - 10**9)
    newest = write_trace(store, session="s-1", start_ns=now)
    receipt = record_feedback(store, session_id="s-1", csat=1, user_id="u\x00")
    assert receipt.trace_id == newest
    [stored] = trace_scores(store, layers=["feedback"])
    assert stored.trace_id == newest
    assert stored.score.metadata == {"scope": "session", "session_id": "s-1", "user_id": "u\x00"}
    assert stored.score.author == "u\ufffd"  # PostgreSQL refuses NUL in text


def test_feedback_on_an_unknown_trace_or_session_is_not_found(store: Store) -> None:
    with pytest.raises(FeedbackNotFound, match="no trace"):
        record_feedback(store, trace_id="f" * 32, csat=3)
    with pytest.raises(FeedbackNotFound, match="no trace in session"):
        record_feedback(store, session_id="nobody", thumb="up")
    other = write_trace(store, session="s-2")
    with pytest.raises(FeedbackNotFound, match="not in session"):
        record_feedback(store, trace_id=other, session_id="s-3", csat=3)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"csat": 9}, "csat"),
        ({"csat": True}, "csat"),
        ({"thumb": "sideways"}, "thumb"),
        ({}, "csat"),
        ({"csat": 3, "trace_id": "not-hex"}, "trace_id"),
        ({"csat": 3, "trace_id": None}, "trace_id"),
    ],
)
def test_bad_feedback_is_refused_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    args = {"trace_id": "a" * 32, **kwargs}
    with pytest.raises(FeedbackError) as caught:
        record_feedback(Store("sqlite://"), **args)  # type: ignore[arg-type]
    assert caught.value.field == field


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    with TestClient(create_app(store, alert_interval=None)) as c:
        yield c
    store.close()


def test_feedback_posted_to_the_api_is_stored(client: TestClient) -> None:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    tid = write_trace(store, release="r9", intent="top_up")
    answer = client.post("/api/feedback", json={"trace_id": tid, "csat": 3, "comment": "meh"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["names"] == ["csat"]
    assert _summary(store)[("r9", "top_up")]["csat_mean"] == 3.0
    [group] = client.get("/api/feedback/summary", params={"since": "1h", "by": "intent"}).json()
    assert (group["key"], group["csat_mean"]) == ({"intent": "top_up"}, 3.0)
    assert client.get("/api/feedback/summary", params={"by": "mood"}).status_code == 400
    assert client.get("/api/feedback/summary", params={"since": "soon"}).status_code == 400


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"csat": 0}, 422, "csat"),
        ({"csat": "5"}, 422, "csat"),
        ({"thumb": "meh"}, 422, "thumb"),
        ({"csat": 3, "colour": "red"}, 422, "colour"),
        ({"csat": 3, "trace_id": None}, 400, "trace_id"),
        ({"csat": 3, "trace_id": "xyz"}, 400, "trace_id"),
        ({"csat": 3}, 404, "trace_id"),
    ],
)
def test_bad_feedback_gets_a_4xx_naming_the_field(
    client: TestClient, body: dict[str, object], status: int, field: str
) -> None:
    answer = client.post("/api/feedback", json={"trace_id": "b" * 32, **body})
    assert answer.status_code == status, answer.text
    assert field in answer.text


# --- the SDK --------------------------------------------------------------------------------


def test_the_sdk_writes_feedback_to_the_configured_store(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    prodready.configure(store=store, release="r1", otlp_endpoint=False)
    with prodready.span("answer", kind="agent") as span:
        tid = span.trace_id
    # the span may still be in the writer's queue: feedback() flushes and asks again
    assert prodready.feedback(trace_id=tid, thumb="up", user_id="u7") is True
    [stored] = trace_scores(store, layers=["feedback"], trace_ids=[tid])
    assert (stored.score.name, stored.score.value, stored.score.author) == ("thumbs", 1.0, "u7")
    with pytest.raises(ValueError, match="csat"):
        prodready.feedback(trace_id=tid, csat=9)
    prodready.shutdown()
    store.close()


def test_the_sdk_never_raises_when_feedback_cannot_be_stored(tmp_path: Path) -> None:
    assert prodready.feedback(trace_id="c" * 32, csat=4) is False  # nothing configured
    store = Store(f"sqlite:///{tmp_path}/p.db")
    prodready.configure(store=store, otlp_endpoint=False)
    assert prodready.feedback(trace_id="c" * 32, csat=4) is False  # no such trace
    assert prodready.feedback(trace_id="c" * 32, csat=4, server_url="http://127.0.0.1:9") is False
    prodready.shutdown()
    store.close()


def test_the_sdk_posts_feedback_to_a_server(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/p.db")
    tid = write_trace(store, release="r3", intent="refund")
    with LiveServer(store) as server:
        assert prodready.feedback(trace_id=tid, csat=5, server_url=server.url) is True
    assert _summary(store)[("r3", "refund")]["csat_mean"] == 5.0
    store.close()
