"""Every dashboard template, read as text: nothing that would let span content out of its
escaping, nor anything the Content-Security-Policy would block."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

TEMPLATES = sorted(
    (p for p in (files("prodready.dashboard") / "templates").iterdir() if p.name.endswith(".html")),
    key=lambda p: p.name,
)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_keeps_escaping_and_the_csp(template: object) -> None:
    text = template.read_text()  # type: ignore[attr-defined]
    assert not re.search(r"\|\s*safe\b", text), "|safe would render span content as markup"
    assert "autoescape" not in text
    assert not re.search(r"\sstyle\s*=", text), "inline style: the CSP blocks it"
    assert not re.search(r"<style\b", text)
    assert not re.search(r"\son[a-z]+\s*=", text), "event-handler attribute: the CSP blocks it"
    for script in re.findall(r"<script\b[^>]*>", text):
        assert 'src="/ui/static/' in script, f"inline or foreign script: {script}"


def test_every_template_is_checked() -> None:
    assert len(TEMPLATES) >= 15
