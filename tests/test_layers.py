"""The layers (issue 11, item 3): what ``lint-imports`` checks is wired into ``make test`` and
drawn in docs/architecture.md, the store runs without tracing, and the attribute names and
span kinds that moved to the vocabulary keep their old import paths.

``make lint`` runs ``lint-imports`` itself; these tests do not run it a second time.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SRC = ROOT / "src" / "prodready"
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["contracts"]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_make_test_runs_lint_imports() -> None:
    test = re.search(r"^test:(.*)$", MAKEFILE, re.M)
    assert test is not None and "lint" in test[1].split(), "`make test` must run `make lint`"
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert lint is not None and "$(BIN)/lint-imports" in lint[1].split()


def test_the_architecture_doc_draws_the_layers_the_contract_enforces() -> None:
    (layers,) = [c["layers"] for c in CONTRACTS if c["type"] == "layers"]
    drawing = DOC.split("```\nlayers, top to bottom\n", 1)[1].split("```", 1)[0]
    drawn = [re.split(r"\s{2,}", line.strip())[0] for line in drawing.strip().splitlines()]
    assert drawn == layers


def test_importing_the_store_loads_no_tracing() -> None:
    """The store reads attribute names and kinds from the vocabulary, not from tracing (which
    imports the store): so the server and the CLI can open a store without the SDK."""
    code = (
        "import sys, prodready.store; "
        "print(','.join(m for m in sys.modules if m.startswith('prodready.tracing')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", ["attributes", "kinds"])
def test_the_old_tracing_path_re_exports_the_vocabulary_module(name: str) -> None:
    moved = importlib.import_module(f"prodready.vocabulary.{name}")
    old = importlib.import_module(f"prodready.tracing.{name}")
    # isidentifier: pytest's assertion rewriting adds "@py_builtins" to modules
    public = {
        n
        for n, v in vars(moved).items()
        if n.isidentifier()
        and not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and getattr(v, "__module__", moved.__name__).startswith("prodready")
    }
    assert public <= set(moved.__all__), "a name missing from __all__ is lost at the old path"
    assert old.__all__ == moved.__all__
    for n in moved.__all__:
        assert getattr(old, n) is getattr(moved, n), n


def test_a_fresh_interpreter_imports_each_moved_module_first() -> None:
    """No import cycle, whichever path a program imports first."""
    for name in ("vocabulary.attributes", "vocabulary.kinds", "tracing.attributes"):
        code = f"import prodready.{name}"
        run = subprocess.run(
            [sys.executable, "-c", code], check=False, capture_output=True, text=True
        )
        assert run.returncode == 0, f"{name}: {run.stderr}"


def test_nothing_outside_the_store_touches_the_engine() -> None:
    """Issue 11, item 1: repositories go through ``store.db`` (begin, connect, transaction,
    insert_ignore, upsert, ping), so the engine, its dialect quirks and its errors stay in the
    store package. import-linter cannot see an attribute; the AST can."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if (SRC / "store") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lines = sorted(
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "engine"
        )
        found += [f"{path.relative_to(ROOT)}:{line}" for line in lines]
    assert not found, "`.engine` outside src/prodready/store/ (use store.db):\n" + "\n".join(found)


def test_the_sqlalchemy_contract_makes_no_exception() -> None:
    """Its three ``ignore_imports`` ended with issue 11 item 1 (docs/architecture.md): a module
    that needs a database error or the store's URL asks the store, not SQLAlchemy."""
    (contract,) = [c for c in CONTRACTS if c["id"] == "sqlalchemy"]
    assert contract.get("ignore_imports", []) == []


def test_nothing_outside_the_store_imports_its_schema() -> None:
    """docs/architecture.md: the core tables (``traces``, ``spans``, the span index...) are
    read and written by the store's repository only; other pillars call ``Store`` methods
    (monitoring's trace facts: ``Store.trace_facts``), never ``prodready.store.schema``."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if (SRC / "store") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            if "prodready.store.schema" in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    listed = "\n".join(found)
    assert not found, f"the store's schema imported outside src/prodready/store/:\n{listed}"


def test_the_reference_agent_uses_only_prodreadys_public_api() -> None:
    """Issue 13: northwind is prodready's reference user, so it imports what a user can:
    no module or name with a leading underscore from prodready. What it lacks is added to
    prodready's public API, not reached for inside it."""
    found = []
    for path in sorted((ROOT / "src" / "northwind").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "prodready" and any(p.startswith("_") for p in parts[1:]):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not found, "private prodready names imported by northwind:\n" + "\n".join(found)
