"""``northwind demo`` (what ``make demo`` runs): the reference agent's case study, end to end.

1. Build the bank and train (or load) the intent classifier.
2. Run the golden set through the agent, score it and gate it on ``criteria.yaml``: the
   scorecard, with intervals.
3. Replay the incident: the core-banking API turns flaky, and release 1.0.0's client, which
   retried lookups without an idempotency key, makes three database calls per question. The
   behavioural layer catches the repeated calls and the gate fails; release 1.1.0's
   idempotent, cached lookup passes it on the same flaky API.
4. Serve a day of production traffic: the questions the classifier is unsure of are handed to
   humans, and the largest cluster of them lands in the review queue as candidate cases.
5. Say where to look: ``prodready serve`` and its pages.

Everything goes to one prodready store (``.northwind/prodready.db`` by default).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from northwind.agent import Agent, CoreBanking, PolicyIndex, Tools
from northwind.bank import Bank, build_bank
from northwind.golden import (
    GOLDEN_DATASET,
    calibrate_scorer,
    golden_texts,
    load_golden,
    save_golden,
)
from northwind.intents import IntentClassifier, read_csv
from northwind.intents._data import TRAINING_SPLIT
from northwind.intents._model import dev_split
from prodready import tracing
from prodready.data import pii_redactor
from prodready.evaluation import Evaluation, Scorer, evaluate_sync
from prodready.evaluation.datasets import add_from_trace
from prodready.evaluation.review import queue_candidates
from prodready.evaluation.scorers import (
    duplicate_tool_calls,
    escalation,
    expected_tools,
    required_facts,
    semantic_similarity,
)
from prodready.store import Store

__all__ = ["CRITERIA", "DemoResult", "run_demo", "scorers"]

CRITERIA = Path(__file__).with_name("criteria.yaml")
"""Northwind's success criteria."""

FIRST_RELEASE = "northwind@1.0.0"
FIXED_RELEASE = "northwind@1.1.0"
REVIEW_DATASET = GOLDEN_DATASET
FLAKY_DELAY = 0.001
"""Seconds a lost answer keeps the agent waiting (its client's timeout, scaled down)."""
FLAKY_BACKOFF = 0.001
"""First retry wait of the replay's client, in seconds (it doubles, with jitter)."""


def scorers(*, similarity: str = "minilm") -> list[Scorer]:
    """The scorers Northwind's criteria read: correctness (non-LLM semantic similarity),
    required facts, escalation, duplicate tool calls and expected tools."""
    return [
        semantic_similarity(method=similarity),  # type: ignore[arg-type]
        required_facts(),
        escalation(),
        duplicate_tool_calls(),
        expected_tools(),
    ]


@dataclass
class DemoResult:
    """What the demo found, for tests and for the closing summary."""

    golden: Evaluation
    flaky: Evaluation
    fixed: Evaluation
    queries_per_question: tuple[float, float]
    """Database queries per question that needs the bank, on the flaky API: release 1.0.0,
    then 1.1.0."""
    review_tasks: int
    cluster: tuple[str, ...] | None
    """The intents of the low-confidence cluster sent to review, sorted."""


def run_demo(
    workdir: Path = Path(".northwind"),
    *,
    retrain: bool = False,
    similarity: str = "minilm",
    traffic: int | None = None,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Run the whole story; returns what it found. ``traffic`` caps the production queries."""
    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "prodready.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)  # each demo tells the story from an empty store
    store = Store(f"sqlite:///{db.resolve()}")
    tracing.configure(store=store, redact=pii_redactor(), service_name="northwind")

    say(_head("1. The bank and the intent classifier"))
    bank_path = build_bank(workdir / "bank.sqlite", seed=0, customers=500)
    say(f"built the core-banking database: {bank_path} (500 customers, seed 0)")
    classifier = _classifier(workdir, retrain=retrain, say=say)
    index = PolicyIndex()
    dataset = save_golden(store)
    cases = load_golden()
    say(
        f"golden set: {len(cases)} cases over {len({c.expected.intent for c in cases})} intents, "
        f"saved as dataset {dataset.name!r} version {dataset.version}"
    )

    say(_head("2. The golden set, scored against the criteria"))
    api = CoreBanking(Bank(bank_path))
    agent = Agent(
        classifier=classifier,
        tools=Tools(api, idempotent=False),
        index=index,
        release=FIRST_RELEASE,
    )
    correctness, *_ = checks = scorers(similarity=similarity)
    golden = _evaluate(agent, dataset, store, FIRST_RELEASE, "golden", checks)
    say(golden.render_text())
    say(f"database queries: {api.queries} for {len(cases)} questions")
    calibration = asyncio.run(calibrate_scorer(correctness, store=store))
    say(
        f"correctness scorer vs the authors' labels on {calibration.n} candidate answers: "
        f"agreement {calibration.agreement:.1%}, Cohen's kappa {calibration.kappa:.2f} "
        f"(a judge may gate from 0.6; golden/LABELS.md says how the answers were chosen)"
    )

    say(_head("3. Incident: the core-banking API turns flaky"))
    asking = sum(1 for c in cases if c.expected.tools)

    def on_flaky_api(idempotent: bool, release: str) -> tuple[Evaluation, int]:
        build_bank(bank_path, seed=0, customers=500)  # block_card changed it: start clean
        flaky_api = CoreBanking(Bank(bank_path), timeouts=2, delay=FLAKY_DELAY)
        tools = Tools(flaky_api, idempotent=idempotent, backoff=FLAKY_BACKOFF)
        agent = Agent(classifier=classifier, tools=tools, index=index, release=release)
        return _evaluate(agent, dataset, store, release, "flaky-api", checks), flaky_api.queries

    flaky, queries = on_flaky_api(False, FIRST_RELEASE)
    before = queries / asking
    say(
        f"Release {FIRST_RELEASE} on a core-banking API that loses its first two answers to "
        f"each request: {queries} database queries for the {asking} questions that "
        f"need the bank ({before:.1f} per question). Its client retried each timeout with a new "
        "request, and every request ran the query again."
    )
    say(_worst_duplicates(flaky))
    say(flaky.render_text())

    fixed, queries = on_flaky_api(True, FIXED_RELEASE)
    after = queries / asking
    say(
        f"The fix, release {FIXED_RELEASE}: one idempotency key per lookup, shared by its "
        "retries, so the API answers a retry from its response store; read-only lookups "
        f"cached for 30 s. Same flaky API: {queries} database queries for {asking} "
        f"questions ({after:.1f} per question)."
    )
    say(fixed.render_text())

    say(_head("4. A day of production traffic: what the agent was unsure of"))
    build_bank(bank_path, seed=0, customers=500)
    agent = Agent(classifier=classifier, bank=Bank(bank_path), index=index, release=FIXED_RELEASE)
    tasks, cluster = _production(agent, store, traffic, say)

    say(_head("5. Where to look"))
    tracing.flush()
    say(
        f"Everything above is in {db}. Open it in the dashboard:\n\n"
        f"    prodready --store sqlite:///{db} serve\n\n"
        "  /ui/evaluations   the three runs, their scorecards, and the flaky run compared with\n"
        f"                    the fix (duplicate calls per question {_mean(flaky):.2f} -> "
        f"{_mean(fixed):.2f})\n"
        "  /ui/traces        every question as a trace: guardrails, intent, escalation,\n"
        "                    retrieval, each tool attempt and the core-banking queries\n"
        "  /ui/review        the low-confidence cluster, waiting for a human to confirm\n"
        "  /ui/datasets      the golden set, its versions and the new candidate cases\n"
        f"\ndemo finished in {time.perf_counter() - started:.0f} s"
    )
    return DemoResult(golden, flaky, fixed, (before, after), tasks, cluster)


def _head(text: str) -> str:
    return f"\n{'=' * 78}\n{text}\n{'=' * 78}"


def _classifier(workdir: Path, *, retrain: bool, say: Callable[[str], None]) -> IntentClassifier:
    path = workdir / "intents.joblib"
    if path.is_file() and not retrain:
        try:
            classifier = IntentClassifier.load(path)
        except Exception as exc:  # a model saved by another version of the code: train anew
            say(f"intent classifier: cannot load {path} ({exc}); training a new one")
        else:
            say(f"intent classifier: loaded {path}")
            return classifier
    say("intent classifier: training on BANKING77's training split, less the development split")
    train, _ = dev_split(read_csv(TRAINING_SPLIT), dev_fraction=0.1, seed=0)
    classifier = IntentClassifier.train(train)
    classifier.save(path)
    say(f"  trained in {classifier.train_seconds:.0f} s -> {path}")
    return classifier


def _evaluate(
    agent: Agent,
    dataset: Any,
    store: Store,
    release: str,
    name: str,
    checks: list[Scorer],
) -> Evaluation:
    return evaluate_sync(
        agent,
        dataset,
        checks,
        criteria=CRITERIA,
        store=store,
        release=release,
        name=name,
        concurrency=1,  # latency is measured per question, one at a time
        cache=False,
        progress=False,
    )


def _mean(run: Evaluation) -> float:
    values = [
        s.value
        for r in run.run.results
        for s in r.scores
        if s.name == "duplicate_tool_calls" and s.value is not None
    ]
    return sum(values) / len(values) if values else 0.0


def _worst_duplicates(run: Evaluation) -> str:
    for result in run.run.results:
        for score in result.scores:
            if score.name == "duplicate_tool_calls" and score.passed is False:
                return f"e.g. case {result.case_id}: {score.rationale}"
    return "no repeated calls found"


def _production(
    agent: Agent, store: Store, limit: int | None, say: Callable[[str], None]
) -> tuple[int, tuple[str, ...] | None]:
    """Run the development split's queries that are not golden cases as a day's traffic;
    cluster the low-confidence hand-overs by the classifier's two top intents and propose the
    largest cluster as candidate cases for review."""
    _, dev = dev_split(read_csv(TRAINING_SPLIT), dev_fraction=0.1, seed=0)
    golden = golden_texts()
    queries = [t for t in dev.texts if t not in golden][:limit]
    customers = [f"C{(i * 37) % 500 + 1:05d}" for i in range(len(queries))]
    unsure: list[tuple[str, str, tuple[str, str]]] = []
    for text, customer in zip(queries, customers, strict=True):
        reply = agent.reply(text, customer, session=f"prod-{customer}")
        low = reply.confidence is not None and reply.confidence < agent.threshold
        if reply.escalated and low and reply.intent and reply.alternatives:
            pair = (reply.intent, next(iter(reply.alternatives)))
            unsure.append((reply.trace_id or "", text, pair))
    tracing.flush()
    escalated = len(unsure)
    say(
        f"{len(queries)} questions; {escalated} handed to a human for low intent confidence "
        f"({escalated / max(1, len(queries)):.1%})"
    )
    if not unsure:
        return 0, None
    groups = _confusions([pair for _, _, pair in unsure])
    top = max(groups, key=lambda g: (sum(1 for _, _, p in unsure if p[0] in g), sorted(g)))
    members = [(trace, text) for trace, text, p in unsure if p[0] in top]
    names = ", ".join(sorted(top))
    say(f"largest cluster: {len(members)} questions the classifier could not tell among {names}")
    for _, text in members[:4]:
        say(f"  - {text}")
    for trace, _ in members:
        add_from_trace(
            store,
            trace,
            REVIEW_DATASET,
            added_by="northwind demo",
            reason=f"low intent confidence among {names}",
            tags=["low-confidence", *sorted(top)],
        )
    tasks = queue_candidates(store, REVIEW_DATASET)
    say(
        f"{len(tasks)} candidate case(s) queued for review: a human confirms each one's intent "
        "and expected answer before it joins the golden set"
    )
    return len(tasks), tuple(sorted(top))


def _confusions(pairs: list[tuple[str, str]]) -> list[set[str]]:
    """Intents linked by being each other's runner-up, as connected groups (union-find)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[str, set[str]] = {}
    for x in list(parent):
        groups.setdefault(root(x), set()).add(x)
    return list(groups.values())
