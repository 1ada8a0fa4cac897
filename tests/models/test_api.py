"""prodready.models exports exactly its __all__, and importing prodready does not load it."""

from __future__ import annotations

import subprocess
import sys
import types

import prodready.models


def test_public_names_are_exactly_all() -> None:
    public = {
        n
        for n, v in vars(prodready.models).items()
        if not n.startswith("_")
        and not isinstance(v, types.ModuleType)
        and getattr(v, "__module__", "prodready").startswith("prodready")
    }
    assert public <= set(prodready.models.__all__), public - set(prodready.models.__all__)
    assert all(hasattr(prodready.models, n) for n in prodready.models.__all__)


def test_import_prodready_does_not_load_the_http_client() -> None:
    code = "import sys, prodready; print('httpx' in sys.modules, 'prodready.models' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
