"""docs/tasks.md: the API example runs as written and leaves the task decided."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prodready.store import Store
from prodready.tasks import TaskQueue

DOC = Path(__file__).parents[2] / "docs" / "tasks.md"


def test_the_api_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # Store() is a file in the working directory
    monkeypatch.delenv("PRODREADY_STORE_URL", raising=False)
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"## API\n\n```python\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]
    namespace: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    namespace["queue"].db.close()  # type: ignore[attr-defined]
    with Store() as store:
        (task,) = TaskQueue(store).list()
    assert (task.status, task.decision, task.resolved_by, task.attempts) == (
        "done", "approve", "ana", 1,
    )  # fmt: skip
    assert task.resolution == {"note": "known customer"} and task.lease_expires_at_ns


def test_the_page_is_linked_from_the_readme() -> None:
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "(docs/tasks.md)" in readme
