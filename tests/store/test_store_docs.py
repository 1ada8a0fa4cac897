"""docs/store.md: the overview example runs as written on a store at the default path, with
the ids and time it names taken from that store."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from prodready.store import Store
from tests.cli.factories import MIN, T1, T2, support_trace

DOC = (Path(__file__).parents[2] / "docs" / "store.md").read_text(encoding="utf-8")


def test_the_overview_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRODREADY_STORE_URL", raising=False)
    now = time.time_ns()
    with Store("sqlite:///.prodready/prodready.db") as store:
        store.write_spans(support_trace(T1, now - 10 * MIN))
        store.write_spans(support_trace(T2, now - 40 * 24 * 60 * MIN, release="agent@2"))
    example = re.search(r"^```python\n(.*?)^```$", DOC, re.M | re.S)
    assert example is not None
    names: dict[str, Any] = {"trace_id": T1, "id1": T1, "id2": T2, "t0": now - 60 * MIN}
    exec(compile(example[1], "docs/store.md", "exec"), names)
    names["store"].close()
    with Store("sqlite:///.prodready/prodready.db") as store:  # delete_older_than(30) ran
        assert [s.trace_id for s in store.list_traces()] == [T1]
