"""prodready.tasks on SQLite and PostgreSQL: create, claim with a lease, resolve once, expire.

Time is injected (``now_ns``): leases and deadlines lapse without sleeping.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from prodready.store import Store
from prodready.tasks import (
    SYSTEM,
    HumanTask,
    TaskClaimed,
    TaskClosed,
    TaskError,
    TaskNotFound,
    TaskQueue,
    UnknownDecision,
)

S = 1_000_000_000  # one second in ns
T0 = 1_800_000_000 * S
MINUTE = timedelta(minutes=1)


@pytest.fixture
def queue(store: Store) -> TaskQueue:
    return TaskQueue(store)


def _escalation(queue: TaskQueue, key: str = "run-1:refund", **kw: object) -> HumanTask:
    args: dict[str, object] = {
        "kind": "escalation",
        "title": "refund over 500 EUR?",
        "key": key,
        "reason": "amount above the agent's limit",
        "score": 0.42,
        "trace_id": "ab" * 16,
        "payload": {"amount": 612.5, "customer": "c-9"},
        "decisions": ["approve", "deny"],
        "due_in": timedelta(hours=1),
        "default_action": "deny",
        "now_ns": T0,
    }
    args.update(kw)
    return queue.create(**args)  # type: ignore[arg-type]


def test_a_task_is_created_claimed_and_decided_once(queue: TaskQueue) -> None:
    task = _escalation(queue)
    assert (task.status, task.attempts, task.decisions) == ("open", 0, ("approve", "deny"))
    assert task.due_at_ns == T0 + 3600 * S and task.payload["amount"] == 612.5
    assert queue.get(task.id[:8]) == task

    claimed = queue.claim(task.id, "ana", lease=MINUTE, now_ns=T0 + S)
    assert (claimed.status, claimed.claimed_by, claimed.attempts) == ("claimed", "ana", 1)
    assert claimed.lease_expires_at_ns == T0 + 61 * S
    assert claimed.lease_holder(T0 + 2 * S) == "ana"

    done = queue.resolve(task.id, "approve", by="ana", detail={"note": "known"}, now_ns=T0 + 9 * S)
    assert (done.status, done.decision, done.resolved_by) == ("done", "approve", "ana")
    assert (done.resolution, done.resolved_at_ns) == ({"note": "known"}, T0 + 9 * S)
    assert not done.is_pending and not done.is_overdue(T0 + 7200 * S)


def test_creating_with_the_same_key_returns_the_stored_task(queue: TaskQueue) -> None:
    first = _escalation(queue)
    queue.claim(first.id, "ana", now_ns=T0)
    again = _escalation(queue, title="another title", now_ns=T0 + 5 * S)
    assert again.id == first.id and again.title == first.title and again.status == "claimed"
    assert len(queue.list()) == 1
    assert _escalation(queue, key="run-1:other").id != first.id
    assert queue.put([TaskQueue.new(kind="k", title="t", key="run-1:refund")]) == []


def test_a_second_decision_is_refused_and_changes_nothing(queue: TaskQueue) -> None:
    task = _escalation(queue)
    first = queue.resolve(task.id, "deny", by="ana", detail={"why": "too much"}, now_ns=T0)
    with pytest.raises(TaskClosed, match=r"already done by ana \(deny\)"):
        queue.resolve(task.id, "approve", by="bob", now_ns=T0 + S)
    with pytest.raises(TaskClosed):
        queue.resolve(task.id, "deny", by="ana", now_ns=T0 + S)
    with pytest.raises(TaskClosed):
        queue.claim(task.id, "bob", now_ns=T0 + S)
    assert queue.get(task.id) == first


def test_an_unknown_decision_is_refused_and_changes_nothing(queue: TaskQueue) -> None:
    task = _escalation(queue)
    with pytest.raises(UnknownDecision, match=r"'maybe' is not a decision .*'approve', 'deny'"):
        queue.resolve(task.id, "maybe", by="ana", now_ns=T0)
    with pytest.raises(UnknownDecision, match="non-empty"):
        queue.resolve(task.id, " ", by="ana", now_ns=T0)
    assert queue.get(task.id) == task
    free = queue.create(kind="note", title="any decision", now_ns=T0)  # decisions=None: any
    assert queue.resolve(free.id, "whatever", by="ana", now_ns=T0).decision == "whatever"


def test_bad_arguments_are_refused_with_what_is_wrong(queue: TaskQueue) -> None:
    with pytest.raises(TaskError, match="kind and a title"):
        queue.create(kind=" ", title="t")
    with pytest.raises(TaskError, match="default action 'wait' is not one of"):
        queue.create(kind="k", title="t", decisions=["a", "b"], default_action="wait")
    with pytest.raises(TaskError, match="at least one"):
        queue.create(kind="k", title="t", decisions=[])
    with pytest.raises(TaskError, match="repeat"):
        queue.create(kind="k", title="t", decisions=["a", "a"])
    with pytest.raises(TaskError, match="not the string"):
        queue.create(kind="k", title="t", decisions="ab")
    with pytest.raises(TaskError, match="due_in cannot be negative"):
        queue.create(kind="k", title="t", due_in=timedelta(seconds=-1))
    task = queue.create(kind="k", title="t")
    with pytest.raises(TaskError, match="lease must be positive"):
        queue.claim(task.id, "ana", lease=0)
    with pytest.raises(TaskError, match="name of who"):
        queue.claim(task.id, "  ")
    with pytest.raises(TaskError, match="name of who"):
        queue.resolve(task.id, "ok", by="")
    with pytest.raises(TaskNotFound, match="no task 'ffffffffff'"):
        queue.get("ffffffffff")
    with pytest.raises(TaskError, match="unknown task status"):
        queue.list(status="pending")  # type: ignore[arg-type]
    assert queue.get(task.id).status == "open"


def test_an_expired_lease_lets_another_worker_claim(queue: TaskQueue) -> None:
    task = _escalation(queue)
    queue.claim(task.id, "ana", lease=MINUTE, now_ns=T0)
    with pytest.raises(TaskClaimed, match="claimed by ana until"):
        queue.claim(task.id, "bob", lease=MINUTE, now_ns=T0 + 30 * S)
    with pytest.raises(TaskClaimed, match="claimed by ana"):
        queue.resolve(task.id, "approve", by="bob", now_ns=T0 + 30 * S)
    assert queue.claim_next("bob", now_ns=T0 + 30 * S) is None

    bobs = queue.claim(task.id, "bob", lease=MINUTE, now_ns=T0 + 61 * S)
    assert (bobs.claimed_by, bobs.attempts, bobs.lease_expires_at_ns) == ("bob", 2, T0 + 121 * S)
    with pytest.raises(TaskClaimed, match="claimed by bob"):
        queue.resolve(task.id, "deny", by="ana", now_ns=T0 + 62 * S)
    with pytest.raises(TaskClaimed, match="claimed by bob"):
        queue.renew(task.id, "ana", now_ns=T0 + 62 * S)
    assert queue.get(task.id) == bobs

    # a lapsed lease nobody took: anyone may decide
    done = queue.resolve(task.id, "deny", by="ana", now_ns=T0 + 200 * S)
    assert (done.decision, done.resolved_by) == ("deny", "ana")


def test_renew_and_release(queue: TaskQueue) -> None:
    task = _escalation(queue)
    queue.claim(task.id, "ana", lease=MINUTE, now_ns=T0)
    renewed = queue.renew(task.id, "ana", lease=timedelta(minutes=5), now_ns=T0 + 50 * S)
    assert renewed.lease_expires_at_ns == T0 + 350 * S and renewed.attempts == 1
    with pytest.raises(TaskClaimed):
        queue.claim(task.id, "bob", now_ns=T0 + 100 * S)  # the renewal holds bob off
    with pytest.raises(TaskClaimed, match="claimed by ana until"):
        queue.release(task.id, "bob", now_ns=T0 + 100 * S)
    with pytest.raises(TaskClaimed, match="not claimed by bob"):
        queue.renew(task.id, "bob", now_ns=T0 + 400 * S)  # ana's lapsed lease is still hers
    released = queue.release(task.id, "ana", now_ns=T0 + 100 * S)
    assert (released.status, released.claimed_by, released.lease_expires_at_ns) == (
        "open",
        None,
        None,
    )
    assert queue.claim(task.id, "bob", now_ns=T0 + 101 * S).claimed_by == "bob"
    queue.resolve(task.id, "approve", by="bob", now_ns=T0 + 102 * S)
    with pytest.raises(TaskClosed):
        queue.release(task.id, "bob")
    with pytest.raises(TaskClosed):
        queue.renew(task.id, "bob")


def test_override_lease_decides_a_task_someone_holds(queue: TaskQueue) -> None:
    task = _escalation(queue)
    queue.claim(task.id, "ana", lease=MINUTE, now_ns=T0)
    done = queue.resolve(task.id, "deny", by="ops", now_ns=T0 + S, override_lease=True)
    assert (done.status, done.resolved_by, done.claimed_by) == ("done", "ops", "ana")


def test_claim_next_takes_the_oldest_free_task_of_a_kind(queue: TaskQueue) -> None:
    old = queue.create(kind="review", title="old", now_ns=T0)
    late = queue.create(kind="review", title="overdue", due_in=MINUTE, now_ns=T0 + S)
    new = queue.create(kind="review", title="new", now_ns=T0 + 2 * S)
    other = queue.create(kind="escalation", title="other kind", now_ns=T0 + 3 * S)
    now = T0 + 120 * S  # `late` is past its deadline: its default action is due, not a worker
    first = queue.claim_next("ana", kind="review", lease=MINUTE, now_ns=now)
    second = queue.claim_next("bob", kind="review", lease=MINUTE, now_ns=now)
    assert (first and first.id, second and second.id) == (old.id, new.id)
    assert queue.claim_next("cy", kind="review", now_ns=now) is None
    assert queue.claim_next("cy", now_ns=now) == queue.get(other.id)
    # ana's lease lapses: her task is free again
    again = queue.claim_next("dee", kind="review", now_ns=now + 61 * S)
    assert again is not None and (again.id, again.claimed_by, again.attempts) == (old.id, "dee", 2)
    assert queue.get(late.id).status == "open"


def test_list_filters(queue: TaskQueue) -> None:
    a = queue.create(kind="review", title="a", run_id="r1", now_ns=T0)
    b = queue.create(kind="review", title="b", due_in=MINUTE, now_ns=T0 + S)
    c = queue.create(kind="escalation", title="c", now_ns=T0 + 2 * S)
    queue.claim(a.id, "ana", lease=MINUTE, now_ns=T0)
    queue.resolve(c.id, "ok", by="ana", now_ns=T0)
    now = T0 + 30 * S

    def ids(**kw: object) -> list[str]:
        kw.setdefault("now_ns", now)
        return [t.title for t in queue.list(**kw)]  # type: ignore[arg-type]

    assert ids() == ["a", "b", "c"]
    assert ids(status="open") == ["b"]
    assert ids(status=("open", "claimed")) == ["a", "b"]
    assert ids(kind="review", limit=1) == ["a"]
    assert ids(run_id="r1") == ["a"]
    assert ids(claimed=True) == ["a"]
    assert ids(claimed=False) == ["b"]
    assert ids(overdue=True) == [] and ids(overdue=True, now_ns=T0 + 61 * S) == ["b"]
    assert ids(claimed=False, now_ns=T0 + 61 * S) == ["a", "b"]  # ana's lease lapsed
    assert ids(overdue=False, now_ns=T0 + 61 * S) == ["a", "c"]
    assert [t.id for t in queue.overdue(T0 + 61 * S)] == [b.id]


def test_the_default_action_is_taken_once_on_the_deadline(queue: TaskQueue) -> None:
    task = _escalation(queue)
    held = queue.create(kind="review", title="claimed", due_in=MINUTE, now_ns=T0)
    queue.claim(held.id, "ana", lease=timedelta(hours=2), now_ns=T0)
    assert queue.expire_overdue(T0 + 59 * S) == []
    expired = queue.expire_overdue(T0 + 3600 * S)
    assert {t.id for t in expired} == {task.id, held.id}  # a claim does not hold off a deadline
    mine = queue.get(task.id)
    assert (mine.status, mine.decision, mine.resolved_by) == ("expired", "deny", SYSTEM)
    assert mine.resolution == {"action": "deny", "due": "2027-01-15T09:00:00+00:00"}
    assert queue.get(held.id).decision is None  # no default action: it just expires
    assert queue.expire_overdue(T0 + 7200 * S) == []
    with pytest.raises(TaskClosed, match="already expired by system"):
        queue.resolve(task.id, "approve", by="ana", now_ns=T0 + 7200 * S)
    annotated = queue.annotate(task.id, {"applied": True})
    assert annotated.resolution == {
        "action": "deny",
        "due": mine.resolution["due"],
        "applied": True,
    }
    with pytest.raises(TaskError, match="nothing to annotate"):
        queue.annotate(queue.create(kind="k", title="t").id, {"x": 1})


def test_work_in_the_resolving_transaction_rolls_back_with_it(queue: TaskQueue) -> None:
    task = _escalation(queue)

    def fails(_conn: object, resolved: HumanTask) -> None:
        assert resolved.status == "done"
        raise RuntimeError("the label could not be stored")

    with pytest.raises(RuntimeError):
        queue.resolve(task.id, "deny", by="ana", now_ns=T0, in_transaction=fails)
    assert queue.get(task.id) == task
    seen: list[str] = []
    queue.resolve(task.id, "deny", by="ana", in_transaction=lambda _c, t: seen.append(t.status))
    assert seen == ["done"]


def test_workers_claiming_at_once_never_share_a_task(queue: TaskQueue) -> None:
    tasks = [queue.create(kind="review", title=f"t{i}", now_ns=T0 + i) for i in range(30)]
    got: dict[str, list[str]] = {}
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        mine = got.setdefault(name, [])
        try:
            start.wait()
            while (task := queue.claim_next(name, kind="review", lease=MINUTE)) is not None:
                mine.append(task.id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    claims = Counter(i for ids in got.values() for i in ids)
    assert claims == Counter({t.id: 1 for t in tasks})
    stored = queue.list(status="claimed")
    assert {t.id: t.claimed_by for t in stored} == {
        i: name for name, ids in got.items() for i in ids
    }
    assert all(t.attempts == 1 for t in stored)


def test_expirers_racing_take_each_default_action_once(queue: TaskQueue) -> None:
    tasks = [_escalation(queue, key=f"k{i}", due_in=MINUTE) for i in range(20)]
    results: list[list[HumanTask]] = []
    start = threading.Barrier(4)

    def expire() -> None:
        start.wait()
        results.append(queue.expire_overdue(T0 + 120 * S))

    threads = [threading.Thread(target=expire) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    expired = Counter(t.id for batch in results for t in batch)
    assert expired == Counter({t.id: 1 for t in tasks})
    assert {t.status for t in queue.list()} == {"expired"}


def test_a_human_and_an_expirer_racing_one_wins(queue: TaskQueue) -> None:
    tasks = [_escalation(queue, key=f"k{i}", due_in=MINUTE) for i in range(20)]
    won: list[str] = []
    start = threading.Barrier(2)
    late = T0 + 120 * S

    def human() -> None:
        start.wait()
        for t in tasks:
            try:
                queue.resolve(t.id, "approve", by="ana", now_ns=late)
                won.append(t.id)
            except TaskClosed:
                pass

    expirer_won: list[HumanTask] = []
    thread = threading.Thread(target=human)
    thread.start()
    start.wait()
    expirer_won += queue.expire_overdue(late)
    thread.join(60)
    assert sorted(won + [t.id for t in expirer_won]) == sorted(t.id for t in tasks)
    for t in queue.list():
        assert (t.status, t.decision) in {("done", "approve"), ("expired", "deny")}


def test_wait_returns_once_decided_or_at_the_timeout(queue: TaskQueue) -> None:
    task = _escalation(queue)
    assert queue.wait(task.id, timeout=0.05, interval=0.01).status == "open"
    timer = threading.Timer(0.1, lambda: queue.resolve(task.id, "approve", by="ana"))
    timer.start()
    done = queue.wait(task.id, timeout=30, interval=0.02)
    timer.join()
    assert (done.status, done.decision) == ("done", "approve")
    with pytest.raises(TaskError, match="interval > 0"):
        queue.wait(task.id, timeout=1, interval=0)


def test_tasks_outlive_the_store_that_made_them(store_url: str) -> None:
    first = Store(store_url)
    try:
        queue = TaskQueue(first)
        task = _escalation(queue)
        open_one = queue.create(kind="review", title="still open", now_ns=T0)
        queue.claim(task.id, "ana", lease=MINUTE, now_ns=T0)
        done = queue.resolve(task.id, "approve", by="ana", detail={"n": 1}, now_ns=T0 + S)
    finally:
        first.close()
    with Store(store_url) as again:
        reopened = TaskQueue(again)
        assert reopened.get(task.id) == done
        assert reopened.get(open_one.id) == open_one
        assert reopened.claim_next("bob", now_ns=T0 + 2 * S) == reopened.get(open_one.id)
