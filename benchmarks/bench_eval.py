"""Evaluation runner against a fixed-latency model: prodready's evaluate() vs DeepEval, Inspect AI.

A local OpenAI-compatible model server (``prodready.testing.ScriptedModelServer``) answers
every chat request after ``L`` seconds. The system under test calls it once per case through
one shared ``httpx.AsyncClient`` and returns the text; a cheap check ("contains 'refund'")
scores each output. On the same synthetic bank-support cases and the same server, in one run:

- floor: ``asyncio.gather`` bounded by a semaphore of C around the same target, no framework;
- prodready: ``evaluate(target, cases, [contains(...)], store=Store(sqlite file),
  release="bench", concurrency=C)``, then the same call again (every output cached), then the
  same target through ``prodready.models.ModelClient`` (traced ``llm`` spans), then a target
  that returns at once (L = 0: the runner's own cost per case);
- DeepEval: its async end-to-end flow (``dataset.evals_iterator(async_config=AsyncConfig(
  max_concurrent=C))`` creating one task per golden around an ``@observe``-d app), and the
  flow its docs give for pre-computed outputs (gather bounded by C, then ``evaluate()``);
- Inspect AI: ``eval(Task(dataset, solver, scorer), model="openai-api/bench/bench",
  model_base_url=<server>, max_connections=C, max_samples=C, display="none")``, the solver
  either Inspect's own ``generate()`` (its OpenAI-compatible provider on the same server) or
  the same httpx target; the scorer is the same check. Logs go to a scratch directory.

Each framework's overhead is its wall time beyond the ideal n·k·L/C (k = 1 model call per
case: the check makes none), in seconds, per case and against prodready's.

    .venv/bin/python benchmarks/bench_eval.py            # 200 cases, L = 0.1 s, C = 10 and 20
    .venv/bin/python benchmarks/bench_eval.py --quick    # 50 cases, L = 0.05 s, one repetition

The server runs in this (parent) process, which does nothing else while measuring; every
system runs in a fresh worker process, so no framework shares its interpreter lock with the
server and none with another. Workers stop at marks around each timed phase so the parent can
read the server's request count (the cached re-run must make none).

DeepEval pins ``rich<15`` and ``click<8.4`` (prodready's venv has rich 15 and click 8.5), so it
lives in its own venv (default ``/tmp/bench-venv``, made on first use: ``--peer-python``
picks another interpreter). Its telemetry, update check, Confident AI trace posting and the
inspect prompt are off; Inspect AI (``pip install -e '.[bench]'``) runs in this venv with
every ``INSPECT_*`` variable dropped (no telemetry or API-key hooks) and its data directory
in the worker's scratch directory. Every worker runs with a dead HTTP(S) proxy (``NO_PROXY`` for
127.0.0.1): anything that would try to reach the internet fails at once instead of hanging.

Not a test: numbers depend on the machine and on what else runs on it; compare the ratios,
which are measured side by side in one run. See ``docs/performance-evaluation.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from _common import (
    RESULT_PREFIX,
    Report,
    Table,
    WorkerError,
    environment_line,
    failure,
    fmt,
    hard_exit,
    median,
    report_result,
    verdict,
)

SCRIPT = Path(__file__).resolve()
MARK_PREFIX = "BENCH-MARK "
DEEPEVAL_VERSION = "4.3.1"
DEFAULT_PEER_VENV = Path("/tmp/bench-venv")
REQUEST_TIMEOUT_S = 30.0
WORKER_TIMEOUT_S = 300.0
SETUP_TIMEOUT_S = 600.0

REPLY = (
    "Thanks for reaching out. If the payment was not yours, you can request a refund from "
    "the app under Payments > Help, and we will answer within two working days."
)
NEEDLE = "refund"
SYSTEM_PROMPT = "You are the support assistant of a retail bank. Answer in two sentences."

TEMPLATES = [
    "How do I get a refund for {}?",
    "I want my money back for {}.",
    "Can you reverse {}?",
    "Who do I contact about {}?",
    "Why was I charged for {}?",
    "How long does a refund take for {}?",
    "Is there a fee to dispute {}?",
    "What happens to my card after {}?",
    "Can I get a chargeback for {}?",
    "My partner noticed {}. What now?",
    "Please help, I have {} on my statement.",
    "Do you refund {} automatically?",
    "I think {} is fraud.",
    "How can I report {} from the app?",
    "Will {} affect my credit score?",
    "What documents do you need for {}?",
    "Can I cancel {} before it settles?",
    "The merchant refuses to help with {}.",
    "Is {} covered by purchase protection?",
    "How do I track my claim for {}?",
    "Can a branch help me with {}?",
    "I was abroad and saw {}.",
    "Does freezing my card stop {}?",
    "My refund for {} has not arrived.",
    "Explain the dispute process for {}.",
]
TOPICS = [
    "a card payment I don't recognise",
    "a double charge from a hotel",
    "a subscription I cancelled",
    "a cash withdrawal that gave no cash",
    "a transfer sent to the wrong account",
    "a foreign transaction fee",
    "an online order that never arrived",
    "a pending payment from a closed shop",
]


def case_inputs(n: int) -> list[str]:
    """``n`` distinct bank-support questions (25 phrasings x 8 topics, then numbered)."""
    base = [t.format(topic) for topic in TOPICS for t in TEMPLATES]
    return [base[i % len(base)] + ("" if i < len(base) else f" (#{i})") for i in range(n)]


def passes(output: str) -> bool:
    """The cheap check every framework runs: the folded output contains ``NEEDLE``."""
    return NEEDLE in " ".join(output.split()).lower()


# --- the system under test (identical code in every worker) --------------------------------


def make_target(client: Any, base_url: str) -> Callable[[str], Awaitable[str]]:
    """One chat completion per question through a shared ``httpx.AsyncClient``."""
    url = f"{base_url}/chat/completions"

    async def answer(question: str) -> str:
        response = await client.post(
            url,
            json={
                "model": "bench",
                "temperature": 0,
                "messages": [
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": question},
                ],
            },
        )
        response.raise_for_status()
        return str(response.json()["choices"][0]["message"]["content"])

    return answer


async def instant(question: str) -> str:
    """A target that answers at once (L = 0): what is left is the harness's own cost."""
    return REPLY


# --- worker side ---------------------------------------------------------------------------


@dataclass
class Spec:
    """What a worker measures (passed as JSON on its command line)."""

    base_url: str
    n: int
    latency: float
    concurrency: int
    repeats: int
    warmup: int
    audit_network: bool = False


def mark(phase: str, edge: str) -> None:
    """Tell the parent where we are (and this process's CPU time so far), then wait until it
    has read the server's request count and lets us go on."""
    out: TextIO = sys.__stdout__ or sys.stdout
    out.write(f"\n{MARK_PREFIX}{phase}:{edge} {time.process_time():.6f}\n")
    out.flush()
    (sys.__stdin__ or sys.stdin).readline()


async def bounded_gather(
    target: Callable[[str], Awaitable[str]], inputs: Sequence[str], concurrency: int
) -> list[str]:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(question: str) -> str:
        async with semaphore:
            return await target(question)

    return list(await asyncio.gather(*(one(q) for q in inputs)))


def dist_versions(names: Sequence[str]) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


async def floor_worker(spec: Spec) -> dict[str, Any]:
    """No framework: gather bounded by C around the target, then the check inline."""
    import httpx

    inputs = case_inputs(spec.n)
    walls: list[float] = []
    passed: list[int] = []
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as client:
        target = make_target(client, spec.base_url)
        await bounded_gather(target, case_inputs(spec.warmup), spec.concurrency)
        for rep in range(spec.repeats):
            mark(f"floor.{rep}", "start")
            started = time.perf_counter()
            outputs = await bounded_gather(target, inputs, spec.concurrency)
            ok = sum(passes(o) for o in outputs)
            walls.append(time.perf_counter() - started)
            mark(f"floor.{rep}", "end")
            passed.append(ok)
    return {"walls": {"floor": walls}, "passed": {"floor": passed}}


async def prodready_worker(spec: Spec) -> dict[str, Any]:
    import httpx

    from prodready.evaluation import Case
    from prodready.evaluation.runner import EvalRun, evaluate
    from prodready.evaluation.scorers import contains
    from prodready.models import ModelClient
    from prodready.store import Store

    cases = [Case(id=f"bank-{i:03d}", input=q) for i, q in enumerate(case_inputs(spec.n))]
    warm = [Case(id=f"warm-{i:03d}", input=q) for i, q in enumerate(case_inputs(spec.warmup))]
    scorers = [contains(NEEDLE)]
    walls: dict[str, list[float]] = {}
    checks: dict[str, list[dict[str, int]]] = {}
    store_open_s: list[float] = []
    tmp = tempfile.mkdtemp(prefix="bench-eval-")
    serial = iter(range(1_000_000))

    def new_store() -> Store:
        started = time.perf_counter()
        store = Store(f"sqlite:///{tmp}/b{next(serial)}.db")
        store_open_s.append(time.perf_counter() - started)
        return store

    async def timed(
        phase: str, target: Callable[[str], Awaitable[str]], store: Store, data: list[Case]
    ) -> EvalRun:
        warm_up = phase.startswith("warm")
        if not warm_up:
            mark(phase, "start")
        started = time.perf_counter()
        run = await evaluate(
            target,
            data,
            scorers,
            store=store,
            release="bench",
            concurrency=spec.concurrency,
            progress=False,
        )
        wall = time.perf_counter() - started
        if not warm_up:
            mark(phase, "end")
        walls.setdefault(phase.split(".", maxsplit=1)[0], []).append(wall)
        checks.setdefault(phase.split(".", maxsplit=1)[0], []).append(
            {
                "results": len(run.results),
                "errors": run.totals.errors,
                "cached": run.totals.cached,
                "passed": sum(bool(s.passed) for s in run.scores_named("contains")),
            }
        )
        return run

    model = ModelClient(spec.base_url, model="scripted:bench", timeout=REQUEST_TIMEOUT_S)

    async def via_model_client(question: str) -> str:
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": question},
        ]
        return (await model.complete(messages)).text

    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S) as client:
        target = make_target(client, spec.base_url)
        for phase, fn in (("warm", target), ("warm-mc", via_model_client), ("warm-0", instant)):
            store = new_store()
            await timed(f"{phase}.0", fn, store, warm)
            store.close()
        for rep in range(spec.repeats):
            store = new_store()
            await timed(f"first.{rep}", target, store, cases)
            await timed(f"cached.{rep}", target, store, cases)  # same release, same cases
            store.close()
        for rep in range(spec.repeats):
            store = new_store()
            await timed(f"model-client.{rep}", via_model_client, store, cases)
            store.close()
        for rep in range(spec.repeats):
            store = new_store()
            await timed(f"instant.{rep}", instant, store, cases)
            store.close()
        for rep in range(spec.repeats):  # one case: the fixed cost of a run
            store = new_store()
            await timed(f"instant-1.{rep}", instant, store, cases[:1])
            store.close()
    await model.aclose()
    for name in ("warm", "warm-mc", "warm-0"):
        walls.pop(name, None)
        checks.pop(name, None)
    return {"walls": walls, "checks": checks, "store_open_s": store_open_s}


PEER_ENV = {
    "DEEPEVAL_TELEMETRY_OPT_OUT": "YES",
    "DEEPEVAL_UPDATE_WARNING_OPT_IN": "NO",
    "DEEPEVAL_NO_INSPECT_PROMPT": "1",
    "DEEPEVAL_DISABLE_DOTENV": "1",
    "CONFIDENT_TRACING_ENABLED": "NO",
}
"""DeepEval without telemetry, update check, .env loading, trace posting or TUI prompt."""


def inspect_env(scratch: str) -> dict[str, str]:
    """Inspect with a dummy key for its ``bench`` service and its data (sample buffers, trace
    files) in the worker's scratch directory. Every other ``INSPECT_*`` variable is dropped, so
    no telemetry or API-key hook (``INSPECT_TELEMETRY``, ``INSPECT_API_KEY_OVERRIDE``) loads."""
    return {"BENCH_API_KEY": "unused", "XDG_DATA_HOME": scratch, "XDG_CACHE_HOME": scratch}


NETWORK_GUARD = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
}
"""A dead proxy for anything but the local server: a stray internet call fails at once."""


def deepeval_worker(spec: Spec) -> dict[str, Any]:
    os.environ.update(PEER_ENV)
    import httpx
    from deepeval.dataset import EvaluationDataset, Golden
    from deepeval.evaluate import evaluate
    from deepeval.evaluate.configs import AsyncConfig, CacheConfig, DisplayConfig
    from deepeval.metrics import BaseMetric
    from deepeval.test_case import LLMTestCase
    from deepeval.tracing import observe, update_current_trace

    counts = {"measured": 0, "passed": 0}

    class Contains(BaseMetric):  # type: ignore[misc, no-untyped-call, unused-ignore]
        """The same cheap check as prodready's contains(), as a DeepEval metric."""

        def __init__(self, threshold: float = 0.5) -> None:
            self.cutoff = threshold
            self.threshold = threshold
            self.async_mode = True
            self.include_reason = False
            self.strict_mode = False
            self.evaluation_model = None

        def measure(self, test_case: Any, *args: Any, **kwargs: Any) -> float:
            ok = passes(test_case.actual_output or "")
            score = 1.0 if ok else 0.0
            self.score = score
            self.success = score >= self.cutoff
            self.reason = None
            counts["measured"] += 1
            counts["passed"] += ok
            return score

        async def a_measure(self, test_case: Any, *args: Any, **kwargs: Any) -> float:
            return self.measure(test_case)

        def is_successful(self) -> bool:
            return bool(self.success)

        @property
        def __name__(self) -> str:
            return "Contains"

    def metrics() -> list[BaseMetric]:
        return [Contains()]

    loop = asyncio.new_event_loop()  # DeepEval runs everything on the thread's default loop
    asyncio.set_event_loop(loop)
    client = httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S)
    target = make_target(client, spec.base_url)
    display = DisplayConfig(show_indicator=False, print_results=False)
    asynchronous = AsyncConfig(run_async=True, max_concurrent=spec.concurrency)
    # DeepEval's default CacheConfig(write_cache=True) rewrites and fsyncs its whole test-run
    # cache after every test case, which grows quadratically with the run; nothing reads the
    # cache here, so it is off (DeepEval's fastest setting) except in one run as shipped.
    no_cache = CacheConfig(write_cache=False)

    def traced(fn: Callable[[str], Awaitable[str]]) -> Callable[[str], Coroutine[Any, Any, str]]:
        """The app as DeepEval wants it: an @observe-d coroutine that sets the trace's I/O."""

        async def app(question: str) -> str:
            output = await fn(question)
            update_current_trace(input=question, output=output)
            return output

        observed: Callable[[str], Coroutine[Any, Any, str]] = observe()(app)
        return observed

    app, app_instant = traced(target), traced(instant)

    def iterate(
        inputs: list[str], fn: Callable[[str], Coroutine[Any, Any, str]], cache: Any = no_cache
    ) -> float:
        dataset = EvaluationDataset(goldens=[Golden(input=q) for q in inputs])
        started = time.perf_counter()
        for golden in dataset.evals_iterator(
            metrics=metrics(),
            async_config=asynchronous,
            display_config=display,
            cache_config=cache,
        ):
            task = asyncio.create_task(fn(golden.input))  # DeepEval's documented async loop
            dataset.evaluate(task)
        return time.perf_counter() - started

    def gather_then_evaluate(inputs: list[str]) -> tuple[float, float]:
        started = time.perf_counter()
        outputs = loop.run_until_complete(bounded_gather(target, inputs, spec.concurrency))
        generated = time.perf_counter()
        test_cases = [
            LLMTestCase(input=q, actual_output=o) for q, o in zip(inputs, outputs, strict=True)
        ]
        evaluate(
            test_cases,
            metrics=metrics(),
            async_config=asynchronous,
            display_config=display,
            cache_config=no_cache,
        )
        return generated - started, time.perf_counter() - generated

    walls: dict[str, list[float]] = {}
    scored: dict[str, list[dict[str, int]]] = {}

    def record(phase: str, wall: float) -> None:
        walls.setdefault(phase, []).append(wall)
        scored.setdefault(phase, []).append(dict(counts))
        counts.update(measured=0, passed=0)

    inputs = case_inputs(spec.n)
    warm = case_inputs(spec.warmup)
    iterate(warm, app)
    gather_then_evaluate(warm)
    iterate(warm, app_instant)
    counts.update(measured=0, passed=0)
    for rep in range(spec.repeats):
        mark(f"iterator.{rep}", "start")
        wall = iterate(inputs, app)
        mark(f"iterator.{rep}", "end")
        record("iterator", wall)
    for rep in range(spec.repeats):
        mark(f"gather.{rep}", "start")
        generate_s, evaluate_s = gather_then_evaluate(inputs)
        mark(f"gather.{rep}", "end")
        record("gather+evaluate", generate_s + evaluate_s)
        walls.setdefault("gather", []).append(generate_s)
        walls.setdefault("evaluate", []).append(evaluate_s)
    for rep in range(spec.repeats):
        mark(f"instant.{rep}", "start")
        wall = iterate(inputs, app_instant)
        mark(f"instant.{rep}", "end")
        record("instant", wall)
    for rep in range(spec.repeats):  # one case: the fixed cost of a run
        mark(f"instant-1.{rep}", "start")
        wall = iterate(inputs[:1], app_instant)
        mark(f"instant-1.{rep}", "end")
        record("instant-1", wall)
    mark("iterator-defaults.0", "start")  # last: it leaves its cache file behind
    wall = iterate(inputs, app, CacheConfig())
    mark("iterator-defaults.0", "end")
    record("iterator-defaults", wall)
    return {"walls": walls, "checks": scored}


INSPECT_MODEL = "openai-api/bench/bench"
"""Inspect's OpenAI-compatible provider: service ``bench`` (key from ``BENCH_API_KEY``)."""


def inspect_worker(spec: Spec) -> dict[str, Any]:
    """Inspect AI's ``eval()`` on one task per run: the model, or the shared target, then the
    same cheap check as a ``@scorer``; logs go to the worker's scratch directory."""
    import httpx
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import ModelOutput
    from inspect_ai.scorer import CORRECT, INCORRECT, Score, accuracy, scorer
    from inspect_ai.solver import generate, solver, system_message

    @scorer(metrics=[accuracy()])
    def contains_needle() -> Any:
        async def score(state: Any, target: Any) -> Score:
            return Score(value=CORRECT if passes(state.output.completion) else INCORRECT)

        return score

    @solver
    def call_target(target: Callable[[str], Awaitable[str]]) -> Any:
        """The system under test as an Inspect solver: its reply becomes the output."""

        async def solve(state: Any, generate: Any) -> Any:
            state.output = ModelOutput.from_content(
                model="bench", content=await target(state.input_text)
            )
            state.messages.append(state.output.message)
            return state

        return solve

    clients: dict[int, Any] = {}

    async def per_loop_target(question: str) -> str:
        """``make_target`` on one client per event loop: each ``eval()`` runs a new loop."""
        loop = id(asyncio.get_running_loop())
        if loop not in clients:
            clients.clear()  # the previous run's loop is closed; its sockets go with it
            client = httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S)
            clients[loop] = make_target(client, spec.base_url)
        return await clients[loop](question)

    solvers = {  # variant: (solver, eval() options beyond the shared ones)
        "generate": (lambda: [system_message(SYSTEM_PROMPT), generate()], {}),
        "httpx": (lambda: call_target(per_loop_target), {}),
        # Every sample still in the .eval log, without the live sample buffer (a SQLite file
        # written as the samples run, for `inspect view`): Inspect's cheapest complete log.
        "httpx-no-realtime": (lambda: call_target(per_loop_target), {"log_realtime": False}),
        "instant": (lambda: call_target(instant), {}),
    }
    log_dir = tempfile.mkdtemp(prefix="inspect-logs-", dir=os.getcwd())

    def run_eval(variant: str, inputs: list[str]) -> tuple[float, dict[str, int]]:
        samples = [Sample(input=q, id=f"bank-{i:03d}") for i, q in enumerate(inputs)]
        make_solver, options = solvers[variant]
        task = Task(dataset=MemoryDataset(samples), solver=make_solver(), scorer=contains_needle())
        started = time.perf_counter()
        logs = inspect_eval(
            task, model=INSPECT_MODEL, model_base_url=spec.base_url, display="none",
            log_dir=log_dir, max_connections=spec.concurrency, max_samples=spec.concurrency,
            max_tasks=1, temperature=0, **options,
        )  # fmt: skip
        wall = time.perf_counter() - started
        done = logs[0].samples or []
        return wall, {
            "results": len(done),
            "errors": sum(s.error is not None for s in done) + (logs[0].status != "success"),
            "passed": sum(all(v.value == CORRECT for v in (s.scores or {}).values()) for s in done),
        }

    walls: dict[str, list[float]] = {}
    checks: dict[str, list[dict[str, int]]] = {}
    for variant in solvers:
        run_eval(variant, case_inputs(spec.warmup))
    inputs = case_inputs(spec.n)
    for variant, data in (*[(v, inputs) for v in solvers], ("instant-1", inputs[:1])):
        for rep in range(spec.repeats):
            mark(f"{variant}.{rep}", "start")
            wall, check = run_eval(variant.removesuffix("-1"), data)
            mark(f"{variant}.{rep}", "end")
            walls.setdefault(variant, []).append(wall)
            checks.setdefault(variant, []).append(check)
    return {"walls": walls, "checks": checks}


def watch_network(event: str, args: tuple[Any, ...], seen: set[str]) -> None:
    """An audit hook: every address a socket of this process connects to or looks up."""
    if event == "socket.connect":
        seen.add(f"connect {args[1]}")
    elif event == "socket.getaddrinfo":
        seen.add(f"getaddrinfo {args[0]}:{args[1]}")


def worker(system: str, spec: Spec) -> None:
    started = time.perf_counter()
    network: set[str] = set()
    if spec.audit_network:  # off when timing matters: the hook sees every audited event
        sys.addaudithook(lambda event, args: watch_network(event, args, network))
    if system == "floor":
        result = asyncio.run(floor_worker(spec))
        result["versions"] = dist_versions(["httpx"])
    elif system == "prodready":
        result = asyncio.run(prodready_worker(spec))
        result["versions"] = dist_versions(["prodready", "httpx", "opentelemetry-sdk"])
    elif system == "deepeval":
        result = deepeval_worker(spec)
        result["versions"] = dist_versions(["deepeval", "httpx", "opentelemetry-sdk"])
    elif system == "inspect":
        result = inspect_worker(spec)
        result["versions"] = dist_versions(["inspect-ai", "openai", "httpx", "httpx2"])
    else:
        raise SystemExit(f"unknown system {system!r}")
    result["worker_s"] = time.perf_counter() - started
    if spec.audit_network:
        from urllib.parse import urlsplit

        server = urlsplit(spec.base_url)
        ours = f"connect ('{server.hostname}', {server.port})"
        result["network"] = sorted(network)
        result["network_foreign"] = sorted(a for a in network if a != ours)
    report_result(result)
    hard_exit(0)  # peers' atexit hooks (trace workers, flushes) must not hold the run up


# --- parent side ---------------------------------------------------------------------------


@dataclass
class Plan:
    n: int
    latency: float
    concurrencies: list[int]
    repeats: int
    warmup: int
    audit_network: bool = False


FULL = Plan(n=200, latency=0.1, concurrencies=[10, 20], repeats=5, warmup=20)
QUICK = Plan(n=50, latency=0.05, concurrencies=[10, 20], repeats=1, warmup=10)


@dataclass
class Measured:
    """One worker's report, plus the server's request count per timed phase."""

    system: str
    concurrency: int
    data: dict[str, Any] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds the worker process (all its threads) used in each timed phase."""
    server_cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds the parent (the model server, essentially) used in each timed phase."""
    error: str | None = None

    def walls(self, phase: str) -> list[float]:
        return list(self.data.get("walls", {}).get(phase, []))

    def wall(self, phase: str) -> float:
        return median(self.walls(phase))

    def calls_of(self, prefix: str) -> list[int]:
        return [v for k, v in sorted(self.calls.items()) if k.split(".")[0] == prefix]

    def cpu_of(self, prefix: str) -> float:
        return median([v for k, v in self.cpu.items() if k.split(".")[0] == prefix])

    def server_cpu_of(self, prefix: str) -> float:
        return median([v for k, v in self.server_cpu.items() if k.split(".")[0] == prefix])


class Worker:
    """One measuring process. It stops at every mark until :meth:`ack`; the parent notes the
    server's request count there and decides which worker runs its next phase."""

    def __init__(self, python: str, system: str, spec: Spec, server: Any) -> None:
        # A scratch working directory: DeepEval writes ./.deepeval/, Inspect its logs.
        self._cwd = tempfile.TemporaryDirectory(prefix="bench-cwd-")
        env = os.environ | NETWORK_GUARD | {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
        for key in ("OPENAI_API_KEY", "CONFIDENT_API_KEY", "PRODREADY_JUDGE_API_KEY"):
            env.pop(key, None)
        if system == "deepeval":
            env |= PEER_ENV
        if system == "inspect":
            env = {k: v for k, v in env.items() if not k.startswith("INSPECT_")}
            env |= inspect_env(self._cwd.name)
        self.system = system
        self.server = server
        self.measured = Measured(system, spec.concurrency)
        self.seen: dict[str, int] = {}
        self.seen_cpu: dict[str, tuple[float, float]] = {}  # label: (worker, parent) CPU s
        self._held: str | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in finish()
        cmd = [python, str(SCRIPT), "--worker", system, "--spec", json.dumps(asdict(spec))]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, env=env, cwd=self._cwd.name, bufsize=1,
        )  # fmt: skip
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def next_mark(self, timeout: float = WORKER_TIMEOUT_S) -> str | None:
        """Wait for the next mark (noting the server's count there); None when it is done."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise WorkerError(f"{self.system}: no progress for {timeout:.0f}s") from None
            if line is None:
                return None
            if MARK_PREFIX in line:
                label, _, cpu = line.partition(MARK_PREFIX)[2].strip().partition(" ")
                self.seen[label] = self.server.calls
                self.seen_cpu[label] = (float(cpu), time.process_time())
                self._held = label
                return label
            if RESULT_PREFIX in line:
                self.measured.data = json.loads(line.partition(RESULT_PREFIX)[2])

    def ack(self) -> None:
        """Let the worker go on; a phase starts counting from here (others ran meanwhile)."""
        assert self.proc.stdin is not None
        if self._held is not None and self._held.endswith(":start"):
            self.seen[self._held] = self.server.calls
            self.seen_cpu[self._held] = (self.seen_cpu[self._held][0], time.process_time())
        self._held = None
        self.proc.stdin.write("ok\n")
        self.proc.stdin.flush()

    def finish(self) -> Measured:
        """Reap the process (killing it if it still runs) and return what it measured."""
        try:
            if self.proc.poll() is None and self.measured.error is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=30)
            if self.proc.poll() is None:
                self.proc.kill()  # only the worker this object started
                self.proc.wait()
            if not self.measured.data and self.measured.error is None:
                self._stderr.seek(0)
                tail = "\n".join(self._stderr.read().strip().splitlines()[-15:])
                self.measured.error = f"{self.system}: exit {self.proc.returncode}, no result"
                print(f"[bench_eval] {self.measured.error}\n{tail}", file=sys.stderr)
        finally:
            self._stderr.close()
            self._cwd.cleanup()
        for key, start in self.seen.items():
            phase, _, edge = key.rpartition(":")
            if edge == "start" and f"{phase}:end" in self.seen:
                self.measured.calls[phase] = self.seen[f"{phase}:end"] - start
                (ours_0, parent_0), (ours_1, parent_1) = (
                    self.seen_cpu[key], self.seen_cpu[f"{phase}:end"]
                )  # fmt: skip
                self.measured.cpu[phase] = ours_1 - ours_0
                self.measured.server_cpu[phase] = parent_1 - parent_0
        return self.measured


def run_interleaved(
    systems: Sequence[tuple[str, str]], spec: Spec, server: Any
) -> dict[str, Measured]:
    """Warm every worker up in turn, then run their timed phases round-robin.

    Only one worker runs at a time, and load from elsewhere on the machine drifts over all
    systems alike instead of over whichever ran last.
    """
    workers: list[Worker] = []
    waiting: list[Worker] = []
    try:
        for system, python in systems:
            print(f"[bench_eval] C={spec.concurrency}: {system} warm-up", file=sys.stderr)
            worker = Worker(python, system, spec, server)
            workers.append(worker)
            try:
                if worker.next_mark() is not None:  # held at its first timed phase
                    waiting.append(worker)
            except WorkerError as exc:
                worker.measured.error = failure(exc)
        while waiting:
            for worker in list(waiting):
                try:
                    worker.ack()  # run the phase ...
                    if worker.next_mark() is None:
                        raise WorkerError(f"{worker.system}: exited inside a timed phase")
                    worker.ack()  # ... and whatever it does up to its next phase
                    if worker.next_mark() is None:
                        waiting.remove(worker)
                except (WorkerError, OSError) as exc:
                    worker.measured.error = failure(exc)
                    waiting.remove(worker)
    finally:
        measured = {w.system: w.finish() for w in workers}
    return measured


def ensure_peer(python: str | None, setup: bool) -> tuple[str | None, str]:
    """An interpreter with DeepEval and httpx importable, or None and why not."""
    from importlib.metadata import version

    candidate = Path(python) if python else DEFAULT_PEER_VENV / "bin" / "python"
    probe = [str(candidate), "-c", "import deepeval, httpx; print(deepeval.__version__)"]
    env = os.environ | NETWORK_GUARD | PEER_ENV

    def works() -> str | None:
        try:
            proc = subprocess.run(
                probe, capture_output=True, text=True, timeout=120, env=env, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    found = works() if candidate.exists() else None
    if found:
        return str(candidate), f"DeepEval {found} in {candidate}"
    if python or not setup:
        return None, f"DeepEval is not importable with {candidate}"
    note = f"[bench_eval] creating {DEFAULT_PEER_VENV} (deepeval {DEEPEVAL_VERSION})"
    print(note, file=sys.stderr)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [base, "-m", "venv", str(DEFAULT_PEER_VENV)],
        [str(candidate), "-m", "pip", "install", "-q", f"deepeval=={DEEPEVAL_VERSION}",
         f"httpx=={version('httpx')}"],
    ]  # fmt: skip
    for step in steps:
        try:
            proc = subprocess.run(
                step, capture_output=True, text=True, timeout=SETUP_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            return None, f"setting up {DEFAULT_PEER_VENV} timed out: {' '.join(step)}"
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return None, f"setting up {DEFAULT_PEER_VENV} failed: {' / '.join(tail)}"
    found = works()
    if not found:
        return None, f"DeepEval still not importable with {candidate}"
    return str(candidate), f"DeepEval {found} in {candidate} (venv made by this run)"


def inspect_available() -> tuple[bool, str]:
    """Whether Inspect AI and the OpenAI SDK its provider needs import in this venv."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = f"inspect-ai {version('inspect-ai')}, openai {version('openai')}"
    except PackageNotFoundError:
        return False, "Inspect AI not installed here: pip install -e '.[bench]'"
    return True, f"Inspect AI in this venv ({found})"


def measure_all(
    plan: Plan, peer_python: str | None, with_inspect: bool = False
) -> tuple[dict[tuple[str, int], Measured], int]:
    from prodready.testing import ScriptedModelServer

    results: dict[tuple[str, int], Measured] = {}
    server = ScriptedModelServer([REPLY], cycle=True, latency_s=plan.latency).start()
    try:
        for concurrency in plan.concurrencies:
            spec = Spec(
                base_url=server.base_url,
                n=plan.n,
                latency=plan.latency,
                concurrency=concurrency,
                repeats=plan.repeats,
                warmup=plan.warmup,
                audit_network=plan.audit_network,
            )
            systems = [("floor", sys.executable), ("prodready", sys.executable)]
            if peer_python is not None:
                systems.append(("deepeval", peer_python))
            if with_inspect:
                systems.append(("inspect", sys.executable))
            for system, measured in run_interleaved(systems, spec, server).items():
                results[(system, concurrency)] = measured
        total_calls = server.calls
    finally:
        server.stop()
    return results, total_calls


# --- tables --------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f"{min(values):.2f}-{max(values):.2f}"


def calls_text(values: list[int]) -> str:
    if not values:
        return "n/a"
    return str(values[0]) if len(set(values)) == 1 else "/".join(map(str, values))


ROWS = [  # (system, phase, label)
    ("floor", "floor", "no framework: gather + semaphore(C)"),
    ("prodready", "first", "prodready evaluate(), httpx target"),
    ("prodready", "cached", "prodready evaluate() re-run (cached)"),
    ("prodready", "model-client", "prodready evaluate(), ModelClient target"),
    ("deepeval", "iterator", "DeepEval evals_iterator (async tasks)"),
    ("deepeval", "gather+evaluate", "DeepEval gather(C) + evaluate()"),
    ("deepeval", "iterator-defaults", "DeepEval evals_iterator, default CacheConfig"),
    ("inspect", "generate", "Inspect AI eval(), generate() via openai-api provider"),
    ("inspect", "httpx", "Inspect AI eval(), httpx target in a solver"),
    ("inspect", "httpx-no-realtime", "Inspect AI eval(), httpx target, log_realtime=False"),
]
CALL_PHASE = {"first": "first", "cached": "cached", "model-client": "model-client",
              "floor": "floor", "iterator": "iterator", "gather+evaluate": "gather",
              "iterator-defaults": "iterator-defaults", "generate": "generate",
              "httpx": "httpx", "httpx-no-realtime": "httpx-no-realtime"}  # fmt: skip
MAIN_PHASES = ("first", "floor", "iterator", "generate")
"""The row that stands for a system that failed."""
SEQUENTIAL_CALLS = 1
"""Model calls one case makes in turn in every system: the target's; the check makes none."""


def wall_table(plan: Plan, results: dict[tuple[str, int], Measured]) -> Table:
    table = Table(
        ["system", "C", "wall s (median)", "min-max", "ideal s", "wall / ideal",
         "slot overhead ms/case", "CPU ms/case", "server calls", "prodready / this"],
        title=f"{plan.n} cases, model latency L = {plan.latency:g} s "
        f"(ideal = n·L/C; slot overhead = wall·C/n - L)",
    )  # fmt: skip
    for concurrency in plan.concurrencies:
        ideal = plan.n * plan.latency / concurrency
        ours = results.get(("prodready", concurrency))
        ours_wall = ours.wall("first") if ours and not ours.error else float("nan")
        for system, phase, label in ROWS:
            measured = results.get((system, concurrency))
            if measured is None:
                continue
            if measured.error:
                if phase in MAIN_PHASES:
                    table.add(label, concurrency, "n/a", *[""] * 6, measured.error)
                continue
            wall = measured.wall(phase)
            if not measured.walls(phase):
                continue
            slot_ms = (wall * concurrency / plan.n - plan.latency) * 1000
            cmp = "" if system == "prodready" else f"{ours_wall / wall:.3f}"
            table.add(
                label, concurrency, fmt(wall, 3), spread(measured.walls(phase)), fmt(ideal, 2),
                f"{wall / ideal:.3f}", "" if phase == "cached" else fmt(slot_ms, 2),
                fmt(measured.cpu_of(CALL_PHASE[phase]) / plan.n * 1000, 2),
                calls_text(measured.calls_of(CALL_PHASE[phase])), cmp,
            )  # fmt: skip
            if phase == "gather+evaluate":
                table.add(
                    "… of which gather / evaluate()", concurrency,
                    f"{measured.wall('gather'):.3f} / {measured.wall('evaluate'):.3f}",
                    *[""] * 7,
                )  # fmt: skip
    return table


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}" if reference > 0 else "n/a"


def overhead_table(plan: Plan, results: dict[tuple[str, int], Measured]) -> Table:
    """Each framework's time beyond the ideal, in seconds, per case and against prodready's."""
    table = Table(
        ["system", "C", "model calls / case", "wall s", "ideal s", "overhead s (wall - ideal)",
         "overhead ms/case", "wall ÷ prodready's", "overhead ÷ prodready's"],
        title=f"Overhead beyond the ideal: ideal = n·k·L/C with n = {plan.n}, "
        f"k = {SEQUENTIAL_CALLS} sequential model call per case, L = {plan.latency:g} s (medians)",
    )  # fmt: skip
    for concurrency in plan.concurrencies:
        ideal = plan.n * SEQUENTIAL_CALLS * plan.latency / concurrency
        ours = results.get(("prodready", concurrency))
        ours_wall = ours.wall("first") if ours and not ours.error else float("nan")
        for system, phase, label in ROWS:
            measured = results.get((system, concurrency))
            if phase == "cached" or measured is None or measured.error:
                continue
            if not measured.walls(phase):
                continue
            wall = measured.wall(phase)
            calls = median([float(c) for c in measured.calls_of(CALL_PHASE[phase])])
            table.add(
                label, concurrency, f"{calls / plan.n:.2f}", fmt(wall, 3), fmt(ideal, 2),
                fmt(wall - ideal, 3), fmt((wall - ideal) / plan.n * 1000, 2),
                ratio(wall, ours_wall), ratio(wall - ideal, ours_wall - ideal),
            )  # fmt: skip
    return table


def instant_table(plan: Plan, results: dict[tuple[str, int], Measured]) -> Table:
    table = Table(
        ["system (target returns at once: L = 0, no server)", "C", f"wall s, {plan.n} cases",
         "wall s, 1 case", "ms per case (wall / n)", "marginal ms per case", "CPU ms/case"],
        title="Harness cost with no model time (medians)",
    )  # fmt: skip
    for concurrency in plan.concurrencies:
        for system, label in (
            ("prodready", "prodready evaluate(): trace, score, SQLite rows per case"),
            ("deepeval", "DeepEval evals_iterator, write_cache off"),
            ("inspect", "Inspect AI eval(): solver, scorer, .eval log per run"),
        ):
            measured = results.get((system, concurrency))
            if measured is None or measured.error or not measured.walls("instant"):
                continue
            wall, one = measured.wall("instant"), measured.wall("instant-1")
            table.add(
                label, concurrency, fmt(wall, 3), fmt(one, 3), fmt(wall / plan.n * 1000, 2),
                fmt((wall - one) / (plan.n - 1) * 1000, 2),
                fmt(measured.cpu_of("instant") / plan.n * 1000, 2),
            )  # fmt: skip
        peer = results.get(("deepeval", concurrency))
        if peer is not None and not peer.error and peer.walls("evaluate"):
            wall = peer.wall("evaluate")
            label = "DeepEval evaluate() on ready outputs, write_cache off"
            table.add(label, concurrency, fmt(wall, 3), "", fmt(wall / plan.n * 1000, 2), "", "")
    return table


def targets_table(plan: Plan, results: dict[tuple[str, int], Measured]) -> Table:
    table = Table(["target", "C", "measured", "target", "result"], title="Targets (issue #3)")
    for concurrency in plan.concurrencies:
        ours = results.get(("prodready", concurrency))
        if ours is None or ours.error:
            table.add("prodready measured", concurrency, "n/a", "", ours.error if ours else "")
            continue
        ideal = plan.n * plan.latency / concurrency
        ratio = ours.wall("first") / ideal
        table.add("wall / ideal", concurrency, f"{ratio:.3f}", "<= 1.10", verdict(ratio <= 1.10))
        floor = results.get(("floor", concurrency))
        if floor is not None and not floor.error:
            ratio = ours.wall("first") / floor.wall("floor")
            table.add("wall / no-framework floor (info)", concurrency, f"{ratio:.3f}", "", "")
            serial = (ours.wall("first") - floor.wall("floor")) / plan.n * 1000
            label = "(wall - floor wall) / n, ms per case (info)"
            table.add(label, concurrency, fmt(serial, 2), "", "")
            cpu = (ours.cpu_of("first") - floor.cpu_of("floor")) / plan.n * 1000
            label = "runner CPU per case with the HTTP target, beyond the floor's (info)"
            table.add(label, concurrency, f"{cpu:.2f} ms", "", "")
        per_case = ours.wall("instant") / plan.n * 1000
        table.add(
            "runner overhead, L = 0 (ms per case)", concurrency, fmt(per_case, 2), "<= 2",
            verdict(per_case <= 2.0),
        )  # fmt: skip
        speedups = [f / c for f, c in zip(ours.walls("first"), ours.walls("cached"), strict=True)]
        speedup = median(speedups)
        cached_calls = ours.calls_of("cached")
        no_calls = bool(cached_calls) and not any(cached_calls)
        checks = ours.data.get("checks", {}).get("cached", [])
        all_cached = all(c["cached"] == plan.n for c in checks)
        table.add(
            "cached re-run speed-up (0 server calls, all cached)", concurrency,
            f"{speedup:.1f}x, calls {calls_text(cached_calls)}", ">= 20x, 0 calls",
            verdict(speedup >= 20 and no_calls and all_cached),
        )  # fmt: skip
    return table


def server_note(plan: Plan, results: dict[tuple[str, int], Measured]) -> str:
    """What the model server itself costs: it shares the machine's cores with the harness."""
    parts = []
    for concurrency in plan.concurrencies:
        floor = results.get(("floor", concurrency))
        if floor is not None and not floor.error and floor.server_cpu:
            per_request = floor.server_cpu_of("floor") / plan.n * 1000
            parts.append(f"{per_request:.2f} ms at C={concurrency}")
    used = ", ".join(parts) or "n/a"
    return (
        f"CPU ms/case: CPU time of the harness process (all threads) per case. The model "
        f"server (this process) uses {used} of CPU per request; both share "
        f"{os.cpu_count()} cores with whatever else runs."
    )


def network_notes(results: dict[tuple[str, int], Measured]) -> list[str]:
    """With --audit-network: where each worker's sockets went (only the model server is ok)."""
    notes = []
    for (system, concurrency), measured in sorted(results.items()):
        seen = measured.data.get("network")
        if seen is None:
            continue
        foreign = measured.data.get("network_foreign", [])
        warning = f"WARNING, not the model server: {', '.join(foreign)}; " if foreign else ""
        notes.append(f"network audit {system} C={concurrency}: {warning}{', '.join(seen)}")
    return notes


def sanity_notes(plan: Plan, results: dict[tuple[str, int], Measured]) -> list[str]:
    """Every timed run must have called the server once per case and scored every case."""
    notes = []
    for (system, concurrency), measured in sorted(results.items()):
        if measured.error:
            continue
        for phase, calls in measured.calls.items():
            kind = phase.split(".")[0]
            want = 0 if kind in ("cached", "instant", "instant-1") else plan.n
            if calls != want:
                notes.append(f"WARNING {system} C={concurrency} {phase}: {calls} server calls, "
                             f"expected {want}")  # fmt: skip
        for kind, checks in measured.data.get("checks", {}).items():
            for check in checks:
                want = 1 if kind == "instant-1" else plan.n
                scored = check.get("results", check.get("measured"))
                if scored != want or check.get("errors", 0) or check.get("passed") != want:
                    notes.append(f"WARNING {system} C={concurrency} {kind}: {check}")
        for passed in measured.data.get("passed", {}).get("floor", []):
            if passed != plan.n:
                notes.append(f"WARNING floor C={concurrency}: {passed}/{plan.n} passed")
    return notes


def run(
    quick: bool = False,
    *,
    n: int | None = None,
    latency: float | None = None,
    concurrencies: list[int] | None = None,
    repeats: int | None = None,
    peer_python: str | None = None,
    peer: bool = True,
    setup_peer: bool = True,
    with_inspect: bool = True,
    audit_network: bool = False,
) -> Report:
    started = time.perf_counter()
    base = QUICK if quick else FULL
    plan = Plan(
        n=n or base.n,
        latency=base.latency if latency is None else latency,
        concurrencies=concurrencies or base.concurrencies,
        repeats=repeats or base.repeats,
        warmup=base.warmup,
        audit_network=audit_network,
    )
    peer_note = "DeepEval not run (--no-peer or --no-deepeval)"
    python = None
    if peer:
        python, peer_note = ensure_peer(peer_python, setup_peer)
    inspect_note = "Inspect AI not run (--no-peer or --no-inspect)"
    if with_inspect:
        with_inspect, inspect_note = inspect_available()
    results, total_calls = measure_all(plan, python, with_inspect)
    report = Report(
        "Evaluation runner: prodready evaluate() vs DeepEval and Inspect AI, fixed-latency model"
    )
    report.tables += [
        wall_table(plan, results),
        overhead_table(plan, results),
        instant_table(plan, results),
        targets_table(plan, results),
    ]
    used: dict[str, str] = {}
    for (system, _), measured in results.items():
        for key, value in measured.data.get("versions", {}).items():
            used[f"{key} ({system})" if key in ("python", "httpx") else key] = value
    report.notes += [
        environment_line(),
        "versions: " + ", ".join(f"{k} {v}" for k, v in sorted(used.items())),
        peer_note,
        inspect_note,
        f"each system in a fresh worker process per C: {plan.warmup}-case warm-up, then "
        f"{plan.repeats} timed repetition(s); the figure is the median. Server requests in "
        f"total: {total_calls}.",
        "wall / ideal = 1 + slot overhead / L, and slot overhead ≈ C·c, c being the time the "
        "event loop is busy per case (client, runner): the C cases of a wave return together "
        "and are handled in turn. So wall / ideal <= 1.10 needs c <= L / (10·C): "
        + ", ".join(f"{plan.latency / (10 * c) * 1000:.2f} ms at C={c}" for c in plan.concurrencies)
        + " (see docs/performance-evaluation.md).",
        server_note(plan, results),
        *sanity_notes(plan, results),
        *network_notes(results),
        *[f"{s} C={c} failed: {m.error}" for (s, c), m in results.items() if m.error],
    ]
    report.elapsed_s = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 cases, L = 0.05 s, 1 repetition")
    parser.add_argument("--cases", type=int, help="cases per run (default 200)")
    parser.add_argument("--latency", type=float, help="model latency L in seconds (default 0.1)")
    parser.add_argument("--concurrency", type=int, nargs="+", help="C values (default 10 20)")
    parser.add_argument("--repeats", type=int, help="timed repetitions per system (default 5)")
    parser.add_argument("--peer-python", help="interpreter with deepeval (default /tmp/bench-venv)")
    parser.add_argument("--no-peer", action="store_true", help="skip DeepEval and Inspect AI")
    parser.add_argument("--no-deepeval", action="store_true", help="skip DeepEval")
    parser.add_argument("--no-inspect", action="store_true", help="skip Inspect AI")
    parser.add_argument("--no-peer-setup", action="store_true", help="never create the venv")
    parser.add_argument(
        "--audit-network",
        action="store_true",
        help="list every address each worker's sockets reach (an audit hook: slows workers)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, Spec(**json.loads(args.spec)))
        return 0
    report = run(
        args.quick,
        n=args.cases,
        latency=args.latency,
        concurrencies=args.concurrency,
        repeats=args.repeats,
        peer_python=args.peer_python,
        peer=not (args.no_peer or args.no_deepeval),
        setup_peer=not args.no_peer_setup,
        with_inspect=not (args.no_peer or args.no_inspect),
        audit_network=args.audit_network,
    )
    print(report.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
