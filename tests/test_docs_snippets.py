"""Every Python block in README.md and docs/*.md stays true to the code, even the ones that
are excerpts rather than whole programs (their names stand for your own agent, dataset, ids).

Each block compiles; its ``prodready`` imports resolve; each call to a prodready function or
class it names takes the arguments written; and a block of signatures (``def f(...) -> T``)
lists exactly the real parameters, kinds and defaults. The worked examples are run whole by
the ``test_*_docs.py`` tests beside each package; docs/criteria.md (under rewrite, with its own
test) and the benchmark pages (docs/performance*.md) are left out here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
LEFT_OUT = re.compile(r"performance.*|criteria")
PAGES = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").glob("*.md") if not LEFT_OUT.match(p.stem)),
]
Param = tuple[str, Any, Any]  # name, kind, default
STUB_MODULES = {"runner.md": "prodready.evaluation.runner", "server.md": "prodready.server"}


def python_blocks(page: Path) -> list[tuple[str, str]]:
    """(``page:line``, code) for each fenced Python block."""
    text = page.read_text(encoding="utf-8")
    return [
        (f"{page.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 2}", m[1])
        for m in re.finditer(r"^```python[^\n]*\n(.*?)^```$", text, re.M | re.S)
    ]


BLOCKS = [block for page in PAGES for block in python_blocks(page)]


def is_stub(where: str, code: str) -> bool:
    """A block of signatures: on a page that documents an API that way, only ``def`` lines."""
    page = Path(where.split(":", maxsplit=1)[0]).name
    return page in STUB_MODULES and re.match(r"(?:async )?def ", code) is not None


CODE = [b for b in BLOCKS if not is_stub(*b)]
STUBS = [b for b in BLOCKS if is_stub(*b)]


def prodready_imports(tree: ast.AST) -> dict[str, Any]:
    """The block's ``prodready`` imports, executed: the names they bind."""
    namespace: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if (module or "").split(".")[0] == "prodready":
                exec(compile(ast.Module([node], []), "<docs>", "exec"), namespace)
    return namespace


def resolve(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """What ``a.b.c`` names, if ``a`` is an imported name; else None."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = resolve(node.value, namespace)
        return getattr(owner, node.attr) if owner is not None else None
    return None


@pytest.mark.parametrize("where,code", CODE, ids=[w for w, _ in CODE])
def test_block_compiles_and_its_prodready_names_exist(where: str, code: str) -> None:
    prodready_imports(ast.parse(code, where))


@pytest.mark.parametrize("where,code", CODE, ids=[w for w, _ in CODE])
def test_calls_to_prodready_take_the_arguments_written(where: str, code: str) -> None:
    tree = ast.parse(code, where)
    namespace = prodready_imports(tree)
    assigned = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}  # fmt: skip
    namespace = {k: v for k, v in namespace.items() if k not in assigned}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        target = resolve(call.func, namespace)
        if target is None or any(isinstance(a, ast.Starred) for a in call.args):
            continue
        keywords = {k.arg: None for k in call.keywords if k.arg is not None}
        if hasattr(target, "__wrapped__"):  # a registered scorer factory: every one takes name=
            keywords.pop("name", None)
        try:
            inspect.signature(target).bind_partial(*[None] * len(call.args), **keywords)
        except TypeError as exc:
            pytest.fail(f"{where}: line {call.lineno}: {ast.unparse(call)[:80]}: {exc}")


def stub_functions(code: str, where: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef | str]:
    """Each ``def`` of a signature block, parsed; one written in words stays text."""
    chunks = re.split(r"\n(?=(?:async )?def )", code.strip())
    defs: list[ast.FunctionDef | ast.AsyncFunctionDef | str] = []
    for chunk in chunks:
        source = re.sub(r"\s*#[^\n]*", "", chunk).rstrip()
        source = source if source.endswith(": ...") else source + ": ..."
        try:
            node = ast.parse(source, where).body[0]
        except SyntaxError:
            defs.append(chunk)
            continue
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        defs.append(node)
    return defs


def documented(node: ast.FunctionDef | ast.AsyncFunctionDef, module: Any) -> list[Param]:
    """(name, kind, default) per parameter, defaults evaluated in the module's namespace."""
    args, kinds = node.args, inspect.Parameter
    rows: list[Param] = []
    positional = [*args.posonlyargs, *args.args]
    defaults = [inspect.Parameter.empty] * (len(positional) - len(args.defaults))
    defaults += [eval(ast.unparse(d), vars(module)) for d in args.defaults]
    for i, (a, default) in enumerate(zip(positional, defaults, strict=True)):
        kind = kinds.POSITIONAL_ONLY if i < len(args.posonlyargs) else kinds.POSITIONAL_OR_KEYWORD
        rows.append((a.arg, kind, default))
    if args.vararg:
        rows.append((args.vararg.arg, kinds.VAR_POSITIONAL, kinds.empty))
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        default = kinds.empty if d is None else eval(ast.unparse(d), vars(module))
        rows.append((a.arg, kinds.KEYWORD_ONLY, default))
    if args.kwarg:
        rows.append((args.kwarg.arg, kinds.VAR_KEYWORD, kinds.empty))
    return rows


@pytest.mark.parametrize("where,code", STUBS, ids=[w for w, _ in STUBS])
def test_documented_signatures_are_the_real_ones(where: str, code: str) -> None:
    module = importlib.import_module(
        STUB_MODULES[where.rsplit("/", maxsplit=1)[-1].split(":", maxsplit=1)[0]]
    )
    for node in stub_functions(code, where):
        if isinstance(node, str):  # "def evaluate_sync(...same arguments...)"
            name = re.match(r"def (\w+)\(\.\.\.same arguments\.\.\.\)", node)
            assert name, f"{where}: cannot read {node!r}"
            sync, like = (inspect.signature(getattr(module, n)) for n in (name[1], "evaluate"))
            assert list(sync.parameters.values()) == list(like.parameters.values()), name[1]
            continue
        function = getattr(module, node.name)
        real = [
            (p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()
        ]
        assert documented(node, module) == real, f"{where}: {node.name}"
        assert inspect.iscoroutinefunction(function) == isinstance(node, ast.AsyncFunctionDef)


def test_the_pages_have_the_blocks_these_tests_read() -> None:
    assert len(CODE) >= 30 and len(STUBS) == 2
