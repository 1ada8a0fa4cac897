"""Evaluation data for the dashboard's tests and screenshots: a dataset with two versions,
two gated runs of two releases on it (the newer regresses some cases), candidate cases from
production traces, and review tasks (low scores and candidates).

Every run is a real :func:`evaluate_sync` of a small deterministic agent, so each case has
a trace in the store; runs are gated with real criteria (the gate records them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prodready.evaluation import Case, CaseResult, Expected, ScoreFn, Verdict, scorer
from prodready.evaluation.criteria import parse_criteria
from prodready.evaluation.datasets import add_from_trace, load_dataset, save_dataset
from prodready.evaluation.review import queue_candidates, queue_low_scores
from prodready.evaluation.runner import EvalRun, evaluate_sync
from prodready.evaluation.suite import gate_run
from prodready.store import Store
from tests.dashboard.seed import PAYLOAD, seed_traces, trace_id

DATASET = "support"
QUESTIONS = {
    "card-arrival": ("When will my new card arrive?", "within 5 business days"),
    "lost-card": ("I lost my card, what do I do?", "block the card in the app"),
    "transfer": ("My transfer has not arrived", "transfers take up to 1 business day"),
    "top-up": ("Why did my top up fail?", "the card issuer declined the top up"),
    "fx": ("What exchange rate do you use?", "the interbank rate plus 0.5%"),
    "fees": ("Do you charge fees abroad?", "no fees in the EEA"),
    "pin": ("How do I change my PIN?", "at any ATM"),
    "refund": ("Can I get a refund for a double charge?", "refunds take 5 to 10 days"),
    "limits": ("What is my daily limit?", "2,000 EUR a day"),
    "close": ("How do I close my account?", "from the profile page"),
    "hostile": (f"{PAYLOAD} is my question", PAYLOAD),
    "statement": ("Where is my statement?", "under Documents"),
}
REGRESSED = ("fx", "pin", "refund")
"""Cases the newer release answers wrongly."""
IMPROVED = ("close",)
"""A case only the newer release gets right."""

CRITERIA = """
version: 1
metrics:
  correctness: {source: correctness, aggregate: rate, target: ">= 0.8", gate: point}
  politeness: {source: politeness, aggregate: mean, gate: report}
"""


@scorer(layer="check", name="seed_correctness")
def seed_correctness() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        reference = case.expected.reference or ""
        ok = reference.lower() in str(result.output).lower()
        why = "states the reference answer" if ok else f"does not say {reference!r}"
        return Verdict(1.0 if ok else 0.0, passed=ok, rationale=why)

    return score


@scorer(layer="check", name="seed_politeness")
def seed_politeness() -> ScoreFn:
    def score(case: Case, result: CaseResult) -> Verdict:
        text = str(result.output)
        warmth = 0.8 if text.startswith("Happy to help") else 0.45
        value = round(warmth + len(text) % 7 / 40, 3)  # a spread, as a real tone score has
        return Verdict(value, passed=None, rationale=f"tone {value:.2f}")

    return score


def cases() -> list[Case]:
    return [
        Case(id=cid, input=q, expected=Expected(reference=ref), tags=[cid.split("-")[0]])
        for cid, (q, ref) in QUESTIONS.items()
    ]


def agent(release: str):  # type: ignore[no-untyped-def]
    """A deterministic agent: right on every case but its release's wrong ones."""
    answers = {q: ref for q, ref in QUESTIONS.values()}
    wrong = {QUESTIONS[c][0] for c in (REGRESSED if release == "v1.5.0" else IMPROVED)}

    def answer(question: str) -> str:
        if question in wrong:
            return "Please contact support."
        return f"Happy to help: {answers[question]}."

    return answer


@dataclass
class Seeded:
    """What :func:`seed_eval` made."""

    base: EvalRun
    head: EvalRun
    candidates: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)


def seed_runs(store: Store) -> tuple[EvalRun, EvalRun]:
    """Dataset ``support`` v1 and v2, and a gated run of v1.4.0 then of v1.5.0 on v2."""
    data = cases()
    save_dataset(store, DATASET, data[:-1], created_by="ana", message="first cases")
    v2 = save_dataset(store, DATASET, data, created_by="ana", message="add statement")
    criteria = parse_criteria(CRITERIA)
    runs = []
    for release in ("v1.4.0", "v1.5.0"):
        run = evaluate_sync(
            agent(release),
            v2,
            [seed_correctness(name="correctness"), seed_politeness(name="politeness")],  # type: ignore[call-arg]
            store=store,
            release=release,
            name=f"support {release}",
            progress=False,
            cache=False,
        )
        gate_run(store, run, criteria)
        runs.append(run)
    return runs[0], runs[1]


def seed_candidates(store: Store, traces: list[int]) -> list[str]:
    """Candidate cases for ``support`` from the seeded production traces numbered ``traces``."""
    out = []
    for i in traces:
        c = add_from_trace(
            store,
            trace_id(i),
            DATASET,
            added_by="support-lead",
            reason=f"customer complaint #{i}",
        )
        out.append(c.id)
    return out


def seed_eval(store: Store) -> Seeded:
    """Runs, candidates (two) and review tasks (the head's low scores and the candidates).

    Needs the traces of :func:`tests.dashboard.seed.seed_traces` (seeded here if missing).
    """
    if store.get_trace(trace_id(1)) is None:
        seed_traces(store)
    base, head = seed_runs(store)
    candidates = seed_candidates(store, [3, 4])
    tasks = queue_low_scores(store, head, names=["correctness"])
    tasks += queue_candidates(store, DATASET)
    return Seeded(base, head, candidates, [t.id for t in tasks])


def seed_eval_all(store: Store) -> dict[str, str]:
    """Everything the evaluation pages show; the page of each screenshot, by name."""
    seeded = seed_eval(store)
    version = load_dataset(store, DATASET).version
    return {
        "evaluations": "/ui/evaluations",
        "run": f"/ui/evaluations/{seeded.head.run_id}",
        "compare": f"/ui/evaluations/compare?base={seeded.base.run_id}&head={seeded.head.run_id}",
        "datasets": "/ui/datasets",
        "dataset": f"/ui/datasets/{DATASET}?version={version}",
        "review": "/ui/review",
    }
