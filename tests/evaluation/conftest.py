"""The gate-validity simulation runs in the background from the start of the session.

Its worker processes (tests/evaluation/gate_validity.py) take minutes of CPU. Started when
pytest has collected tests/evaluation/test_gate_validity.py, at low priority, they use the
CPU the rest of the suite leaves idle (tests waiting on servers, subprocesses and the
database); that module's tests run last and read the result.
"""

from __future__ import annotations

import pytest

from tests.evaluation import gate_validity as sim

_MODULE = "test_gate_validity.py"
_RUNNING = pytest.StashKey[sim.Simulation]()


def _is_gate_validity(item: pytest.Item) -> bool:
    return item.path.name == _MODULE and item.path.parent.name == "evaluation"


@pytest.hookimpl(trylast=True)  # after deselection (-k, -m) and other reorderings
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The gate-validity tests run last, giving their simulation the whole session."""
    last = [item for item in items if _is_gate_validity(item)]
    if last:
        items[:] = [item for item in items if not _is_gate_validity(item)] + last


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the simulation when a gate-validity test is going to run."""
    selected = [item for item in session.items if _is_gate_validity(item)]
    if not selected or session.config.option.collectonly:
        return
    module = selected[0].module  # type: ignore[attr-defined]
    session.config.stash[_RUNNING] = sim.Simulation(module.cells(), workers=2, nice=19)


def pytest_sessionfinish(session: pytest.Session) -> None:
    running = session.config.stash.get(_RUNNING, None)
    if running is not None:
        running.cancel()


@pytest.fixture(scope="session")
def gate_simulation(request: pytest.FixtureRequest) -> sim.Simulation | None:
    """The simulation started at collection, if any."""
    return request.config.stash.get(_RUNNING, None)
