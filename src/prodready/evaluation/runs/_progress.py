"""The runner's progress bar: cases done, cases per second, errors, running cost and ETA."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from prodready.evaluation._types import CaseResult

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class RunProgress:
    """A Rich progress bar on stderr; does nothing when disabled or stderr is not a terminal.

    Rich renders from its own thread a few times a second, so :meth:`advance` only updates
    counters and costs the event loop next to nothing.
    """

    def __init__(self, *, enabled: bool, total: int, done: int, label: str) -> None:
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._errors = 0
        self._cost = 0.0
        if enabled:
            self._bar, self._task = _make_bar(total, done, label)

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, typ: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, result: CaseResult) -> None:
        """Count one finished case run."""
        if self._bar is None or self._task is None:
            return
        self._errors += result.error is not None
        if not result.cached:
            self._cost += result.cost_usd or 0.0
        self._bar.update(self._task, advance=1, errors=self._errors, cost=self._cost)


def _make_bar(total: int, done: int, label: str) -> tuple[Progress | None, TaskID | None]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
    )
    from rich.text import Text

    console = Console(stderr=True)
    if not console.is_terminal:
        return None, None

    def rate(task: Task) -> float | None:
        # Rich's own speed estimate jumps when cases finish in bursts: use the session's mean.
        done = task.completed - task.fields["resumed"]
        elapsed = task.elapsed
        return done / elapsed if done > 0 and elapsed else None

    class Speed(ProgressColumn):
        def render(self, task: Task) -> Text:
            r = rate(task)
            return Text(f"{r:.1f} cases/s" if r else "- cases/s", style="cyan")

    class Eta(ProgressColumn):
        def render(self, task: Task) -> Text:
            r = rate(task)
            if r is None or task.total is None:
                return Text("ETA -:--:--", style="cyan")
            left = int((task.total - task.completed) / r)
            return Text(f"ETA {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}", style="cyan")

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Speed(),
        TextColumn("errors {task.fields[errors]}"),
        TextColumn("${task.fields[cost]:.4f}"),
        Eta(),
        console=console,
    )
    fields: dict[str, Any] = {"errors": 0, "cost": 0.0, "resumed": done}
    task = bar.add_task(label, total=total, completed=done, **fields)
    return bar, task
