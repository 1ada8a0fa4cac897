"""Nothing is exported by accident: each public package's API is exactly its __all__."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

PUBLIC = [
    "prodready",
    "prodready.tracing",
    "prodready.tracing.conventions",
    "prodready.tracing.llm",
    "prodready.vocabulary",
    "prodready.store",
    "prodready.evaluation",
    "prodready.evaluation.datasets",
    "prodready.evaluation.criteria",
    "prodready.evaluation.gate",
    "prodready.evaluation.stats",
    "prodready.evaluation.facts",
    "prodready.evaluation.calibration",
    "prodready.models",
    "prodready.evaluation.scorers",
    "prodready.evaluation.reports",
    "prodready.evaluation.runner",
    "prodready.evaluation.suite",
    "prodready.evaluation.compare",
    "prodready.evaluation.review",
    "prodready.evaluation.pytest_plugin",
    "prodready.data",
    "prodready.data.pii",
    "prodready.store.filters",
    "prodready.tasks",
    "prodready.monitoring",
    "prodready.testing",
    "prodready.server",
]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_names_are_exactly_all(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and n != "TYPE_CHECKING"
        and not isinstance(v, types.ModuleType)
        and getattr(v, "__module__", name).startswith("prodready")
    }
    assert public <= set(module.__all__), f"exported by accident: {public - set(module.__all__)}"
    assert all(hasattr(module, n) for n in module.__all__)


def test_top_level_api() -> None:
    import prodready

    assert set(prodready.__all__) == {
        "__version__",
        "configure",
        "context",
        "feedback",
        "flush",
        "shutdown",
        "span",
        "trace",
    }


def test_the_store_exports_what_users_need_not_the_span_writers_plumbing() -> None:
    """Issue 11, item 3: prepare_span, PreparedSpan, encode_json and TRACE_ATTRIBUTE_KEYS are
    the SDK writer's contract with the store (prodready.store.writing), not public API."""
    import prodready.store as store

    assert set(store.__all__) == {
        "DEFAULT_URL",
        "MODEL_KINDS",
        "UNAVAILABLE_ERRORS",
        "URL_ENV",
        "Database",
        "DatabaseError",
        "Facets",
        "LLMTotals",
        "Span",
        "SpanLog",
        "SpanLogRecord",
        "SpanNode",
        "SpanRecord",
        "SpanStats",
        "SpanStatus",
        "Store",
        "StoreError",
        "StoreInfo",
        "Timeseries",
        "TimeseriesBucket",
        "TimeseriesQuery",
        "Trace",
        "TraceFacts",
        "TraceQuery",
        "TraceStats",
        "TraceStatus",
        "TraceSummary",
        "TraceTotals",
        "llm_totals",
        "redact_url",
        "resolve_url",
        "sqlite_path",
    }


def test_evaluation_exports_one_name_per_concept_of_the_one_call_api() -> None:
    """``from prodready.evaluation import ...`` reaches the call, the suite, the criteria, the
    gate and the report types: the same objects their own modules define."""
    import prodready.evaluation as evaluation
    from prodready.evaluation import criteria, gate, runner, suite

    where = {
        "evaluate": None,
        "evaluate_sync": None,
        "Evaluation": None,
        "EvalRun": runner,
        "Suite": suite,
        "Criteria": criteria,
        "load_criteria": criteria,
        "evaluate_gate": gate,
        "GateReport": gate,
        "MetricResult": gate,
    }
    assert set(where) <= set(evaluation.__all__)
    for name, module in where.items():
        if module is not None:
            assert getattr(evaluation, name) is getattr(module, name), name


def test_import_prodready_stays_light() -> None:
    """The SDK runs in users' processes: no server, CLI or heavy optional imports."""
    code = (
        "import sys, prodready; heavy = [m for m in ('fastapi', 'uvicorn', 'typer', "
        "'rich', 'psycopg', 'google.protobuf', 'numpy', 'torch') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", [*PUBLIC, "prodready.cli", "prodready.server.app"])
def test_each_public_module_imports_first_in_a_fresh_interpreter(name: str) -> None:
    """No import cycle whichever module a program imports first."""
    code = f"import {name}"
    run = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
