"""The Python examples in docs/scorers.md run, in order, as written; the python_check one in
the module it names, and the entry-point group is the registry's."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).parents[2] / "docs" / "scorers.md"
BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.S)


def examples() -> list[str]:
    return [m["code"] for m in BLOCK.finditer(DOC.read_text()) if "not run" not in m["before"]]


def test_docs_have_runnable_examples() -> None:
    assert len(examples()) >= 4


@pytest.mark.parametrize("index", range(len(examples())))
def test_docs_example_runs(index: int) -> None:
    exec(compile(examples()[index], f"{DOC}:example{index + 1}", "exec"), {"__name__": "docs"})


def test_the_python_check_example_runs_in_the_module_its_comment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It needs an importable module: the comment's ``mymodule``, which imports python_check."""
    text = DOC.read_text()
    code = text.split("<!-- not run: python_check", 1)[1].split("```python\n", 1)[1]
    code = code.split("```", 1)[0]
    module = "from prodready.evaluation.scorers import python_check\n\n" + code
    (tmp_path / "mymodule.py").write_text(module, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    check = importlib.import_module("mymodule").check
    assert check.spec.args["fn"] == "mymodule:refund_has_deadline"
    assert check.spec.args["version"].startswith("sha256:") and check.spec.args["threshold"] is None
    sys.modules.pop("mymodule")


def test_the_entry_point_group_is_the_one_the_registry_loads() -> None:
    from prodready.evaluation._registry import ENTRY_POINT_GROUP

    toml = DOC.read_text().split("```toml\n", 1)[1].split("```", 1)[0]
    assert toml.splitlines()[0] == f'[project.entry-points."{ENTRY_POINT_GROUP}"]'
