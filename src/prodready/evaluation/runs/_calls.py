"""How the runner calls the target with a case: its input as the one argument, or, for a case
whose ``input_kind`` is ``arguments``, the call's arguments by parameter name.

``@prodready.trace`` records a call's arguments by name (``{"question": ...}``); a case made
from such a trace replays them through the target's signature, the inverse of
``Signature.bind``: positional-only parameters go by position, ``*args`` and ``**kwargs``
are spread, the rest go by name.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from prodready.evaluation._types import Case

Call = tuple[tuple[Any, ...], dict[str, Any]]
"""Positional and keyword arguments of one target call."""

_SHOWN = 10


class TargetCalls:
    """Turns cases into calls of one target."""

    __slots__ = ("_name", "_signature")

    def __init__(self, target: Callable[..., Any]) -> None:
        try:
            self._signature: inspect.Signature | None = inspect.signature(target)
        except (TypeError, ValueError):  # a builtin or C callable: pass arguments by name
            self._signature = None
        self._name = getattr(target, "__name__", None) or type(target).__name__

    def of(self, case: Case) -> Call:
        """The call for ``case``.

        Raises:
            ValueError: the case's arguments do not fit the target's parameters.
        """
        if case.input_kind == "value":
            return (case.input,), {}
        assert isinstance(case.input, dict)  # Case validates it
        sig = self._signature
        if sig is None:
            return (), dict(case.input)
        unknown = [name for name in case.input if name not in sig.parameters]
        if unknown:
            names = ", ".join(repr(n) for n in unknown)
            takes = ", ".join(sig.parameters) or "none"
            raise ValueError(
                f"case {case.id!r}: {self._name}() has no parameter {names} (it takes: {takes})"
            )
        recorded = {n: case.input[n] for n in sig.parameters if n in case.input}
        bound = inspect.BoundArguments(sig, OrderedDict(recorded))
        args, kwargs = bound.args, bound.kwargs
        try:
            sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise ValueError(f"case {case.id!r}: {self._name}() cannot take them: {exc}") from None
        return args, kwargs

    def check(self, cases: Sequence[Case]) -> None:
        """Refuse, before anything runs, cases whose arguments do not fit the target.

        Raises:
            ValueError: naming each such case (the first ten) and why.
        """
        problems = []
        for case in cases:
            try:
                self.of(case)
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
            raise ValueError(
                f"{len(problems)} case(s) whose arguments the target cannot take: "
                + "; ".join(problems[:_SHOWN])
                + more
            )
