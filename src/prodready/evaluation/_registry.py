"""The scorer registry: factories that record how each scorer was made, so it can be rebuilt.

A scorer is built by a factory decorated with :func:`scorer`::

    @scorer(layer="check")
    def contains(text: str, *, case_sensitive: bool = False) -> ScoreFn:
        def score(case: Case, result: CaseResult) -> Verdict:
            found = ...
            return Verdict(1.0 if found else 0.0, passed=found, rationale=...)
        return score

    contains("refund")          # a Scorer; .spec == ScorerSpec(name="contains", args={...})

The inner function returns a :class:`Verdict` (sync or async); the registry turns it into a
full :class:`Score` stamped with layer, scorer name, version and creation arguments. A
scorer that raises yields a ``Score`` with ``value=None`` and ``error`` set — never a pass.
Third-party scorers register through the ``prodready.scorers`` entry-point group; the
built-ins (:data:`DEFAULT_PLUGINS`) load on the same path, so a fresh interpreter can rebuild
any stored score without importing a scorers module first.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, ParamSpec, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from prodready.evaluation._types import Case, CaseResult, Layer, Score

log = logging.getLogger("prodready.evaluation")

P = ParamSpec("P")
ENTRY_POINT_GROUP = "prodready.scorers"
DEFAULT_PLUGINS: tuple[str, ...] = ("prodready.evaluation.scorers",)
"""The built-in scorers' modules, loaded before the entry-point plugins (as simonw/llm loads
its ``DEFAULT_PLUGINS``), so a plugin may replace a built-in by registering its name."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a scorer function returns; the registry adds who scored and how."""

    value: float | None
    passed: bool | None = None
    rationale: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


ScoreFn = Callable[[Case, CaseResult], "Verdict | Awaitable[Verdict]"]


class ScorerSpec(BaseModel):
    """How a scorer was made: enough to rebuild it."""

    model_config = ConfigDict(frozen=True)

    scorer: str
    version: str
    layer: Layer
    name: str
    """The name its scores carry (defaults to ``scorer``; pass ``name=`` to any factory)."""
    args: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Scorer(Protocol):
    """Anything with a ``spec`` that scores a case result (sync or async)."""

    spec: ScorerSpec

    def __call__(self, case: Case, result: CaseResult) -> Score | Awaitable[Score]: ...


class BoundScorer:
    """A scorer made by a registered factory: calls the inner function, returns a ``Score``."""

    __slots__ = ("_fn", "spec")

    def __init__(self, spec: ScorerSpec, fn: ScoreFn) -> None:
        self.spec = spec
        self._fn = fn

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.spec.args.items())
        return f"{self.spec.scorer}({args})"

    async def __call__(self, case: Case, result: CaseResult) -> Score:
        try:
            verdict = self._fn(case, result)
            if inspect.isawaitable(verdict):
                verdict = await verdict
        except Exception as exc:
            log.debug("scorer %s failed on case %s", self.spec.name, case.id, exc_info=True)
            return self.make(Verdict(None), error=f"{type(exc).__name__}: {exc}")
        return self.make(verdict)

    def make(self, verdict: Verdict, *, error: str | None = None) -> Score:
        """The ``Score`` for ``verdict``, stamped with this scorer's identity."""
        s = self.spec
        return Score(
            name=s.name,
            value=verdict.value,
            passed=verdict.passed if error is None else None,
            rationale=verdict.rationale,
            layer=s.layer,
            scorer=s.scorer,
            version=s.version,
            args=s.args,
            error=error,
            metadata=verdict.metadata,
        )


@dataclass(frozen=True, slots=True)
class _Registered:
    factory: Callable[..., BoundScorer]
    layer: Layer
    version: str


_REGISTRY: dict[str, _Registered] = {}
_PLUGINS: dict[str, bool] = {"loaded": False}


def scorer(
    *, layer: Layer, version: str = "1", name: str | None = None
) -> Callable[[Callable[P, ScoreFn]], Callable[P, BoundScorer]]:
    """Register a scorer factory (see the module docstring).

    Args:
        layer: ``check``, ``judge``, ``behaviour``, ``human`` or ``online``.
        version: bump it when the scorer's logic changes, so cached scores are not reused.
        name: registry name (default: the factory's name).

    Every factory also accepts ``name=`` (the name its scores carry), recorded in the spec.
    """

    def register(factory: Callable[P, ScoreFn]) -> Callable[P, BoundScorer]:
        registry_name = name or factory.__name__
        signature = inspect.signature(factory)

        @functools.wraps(factory)
        def build(*args: P.args, **kwargs: P.kwargs) -> BoundScorer:
            label = kwargs.pop("name", None)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            spec = ScorerSpec(
                scorer=registry_name,
                version=version,
                layer=layer,
                name=str(label) if label is not None else registry_name,
                args=dict(bound.arguments),
            )
            return BoundScorer(spec, factory(*bound.args, **bound.kwargs))

        if registry_name in _REGISTRY and _REGISTRY[registry_name].factory is not build:
            log.debug("scorer %r registered again; the newest wins", registry_name)
        _REGISTRY[registry_name] = _Registered(build, layer, version)
        return build

    return register


def registered_scorers() -> dict[str, Layer]:
    """Every registered scorer name and its layer (plugins included)."""
    _load_plugins()
    return {n: r.layer for n, r in sorted(_REGISTRY.items())}


def rebuild_scorer(spec: ScorerSpec | Score) -> BoundScorer:
    """Make the scorer described by a spec or by a stored score, with the same arguments.

    Raises:
        KeyError: no scorer of that name is registered.
        ValueError: the registered version differs (the stored score came from other logic).
    """
    _load_plugins()
    name = spec.scorer
    if name not in _REGISTRY:
        raise KeyError(f"no scorer named {name!r} is registered")
    registered = _REGISTRY[name]
    if registered.version != spec.version:
        raise ValueError(
            f"scorer {name!r} is at version {registered.version}, the score was made by "
            f"version {spec.version}"
        )
    label = spec.name if spec.name != name else None
    kwargs = dict(spec.args)
    if label is not None:
        kwargs["name"] = label
    return registered.factory(**kwargs)


def _load_plugins() -> None:
    if _PLUGINS["loaded"]:
        return
    for module in DEFAULT_PLUGINS:
        importlib.import_module(module)  # a built-in that fails to import is our bug: raise
    _PLUGINS["loaded"] = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()  # importing the module registers its scorers
        except Exception:
            log.warning("could not load scorer plugin %s", ep.name, exc_info=True)
