"""The OpenTelemetry internals native spans read hold on the installed version, loudly.

``_native`` and ``_convert`` probe each internal once and, when one is missing, fall back to
the public API without a word: spans stay correct but slower (or ignore the provider's span
limits). This test turns such a fallback into a failure naming the probe, so an
OpenTelemetry upgrade that moves an internal is caught here and not in users' latency.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import opentelemetry.sdk.trace
import pytest
from packaging.requirements import Requirement

from prodready.tracing import _convert, _native

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def test_no_probe_falls_back_on_the_installed_opentelemetry() -> None:
    fallen = [name for name, holds in _native.otel_internals().items() if not holds]
    packages = ("opentelemetry-api", "opentelemetry-sdk")
    versions = {p: importlib.metadata.version(p) for p in packages}
    assert not fallen, (
        f"OpenTelemetry {versions} changed internals prodready's native spans read; these "
        f"probes fall back to the slow public path: {fallen}. Adapt tracing/_native.py or "
        "_convert.py, or keep pyproject.toml's OpenTelemetry range below this version."
    )


@pytest.mark.parametrize("package", ["opentelemetry-api", "opentelemetry-sdk"])
def test_installed_opentelemetry_is_in_the_pinned_range(package: str) -> None:
    """The probes passed on the installed version; the pin must include it (and CI's)."""
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    (pin,) = [r for r in map(Requirement, deps) if r.name == package]
    assert any(s.operator == "<" for s in pin.specifier), f"{pin} has no upper bound"
    installed = importlib.metadata.version(package)
    assert pin.specifier.contains(installed), f"{package} {installed} is outside {pin}"


@pytest.mark.parametrize(
    ("module", "flag", "off", "probe"),
    [
        (_native, "SPAN_KEY", "", "opentelemetry.trace.propagation._SPAN_KEY"),
        (
            _native,
            "CURRENT_CONTEXT",
            None,
            "opentelemetry.context._RUNTIME_CONTEXT._current_context",
        ),
        (_native, "_CONTEXT_IS_TUPLE", False, "opentelemetry.trace.SpanContext is a 6-tuple"),
        (_convert, "_PRIVATE_FIELDS", False, "opentelemetry.sdk.trace.ReadableSpan private fields"),
    ],
)
def test_a_probe_that_fell_back_is_reported_by_name(
    monkeypatch: pytest.MonkeyPatch, module: Any, flag: str, off: object, probe: str
) -> None:
    monkeypatch.setattr(module, flag, off)
    report = _native.otel_internals()
    assert [name for name, holds in report.items() if not holds] == [probe]


def test_sdk_tracer_internals_that_moved_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    class Provider:  # an SDK laid out differently: no private fields where they were
        def __init__(self, **_: Any) -> None:
            pass

        def get_tracer(self, name: str) -> SimpleNamespace:
            return SimpleNamespace(span_limits=None)

    monkeypatch.setattr(opentelemetry.sdk.trace, "TracerProvider", Provider)
    fallen = {name for name, holds in _native.otel_internals().items() if not holds}
    assert fallen == {
        "opentelemetry.sdk.trace.Tracer._span_limits",
        "opentelemetry.sdk.trace.Tracer._instrumentation_scope",
        "opentelemetry.sdk.trace.TracerProvider._active_span_processor._span_processors",
    }


def test_the_probes_recomputed_now_agree() -> None:
    """The module-level flags are computed at import; computing them again gives the same."""
    assert _native._span_key() == _native.SPAN_KEY
    assert _native._context_var() is _native.CURRENT_CONTEXT
    assert _native._context_is_tuple() is _native._CONTEXT_IS_TUPLE
    assert _convert._private_fields_present() is _convert._PRIVATE_FIELDS
