"""The server package: light to import, clear when its extra is missing, strict arguments."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import prodready.server
from prodready.server import create_app, serve
from prodready.store import Store


def test_importing_prodready_and_the_server_package_does_not_import_fastapi() -> None:
    code = (
        "import sys, prodready, prodready.server, prodready.store.filters; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'google.protobuf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module", ["fastapi", "opentelemetry.proto.collector.trace.v1.trace_service_pb2"]
)
def test_create_app_without_the_server_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ImportError, match=r'pip install "prodready\[server\]"'):
        create_app(store_url="sqlite://")


def test_serve_without_uvicorn_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(ImportError, match=r"needs uvicorn: pip install"):
        serve(store_url="sqlite://")


def test_create_app_rejects_a_store_and_a_url_together(store: Store) -> None:
    with pytest.raises(ValueError, match="not both"):
        create_app(store, store_url="sqlite://")


def test_create_app_rejects_a_non_positive_body_limit(store: Store) -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        create_app(store, max_body_bytes=0)


def test_public_api_is_exactly_all() -> None:
    module = prodready.server
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and getattr(v, "__module__", module.__name__).startswith("prodready")
    }
    assert public == set(module.__all__)
