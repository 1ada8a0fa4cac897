"""Render the policy documents from the reviewed facts: ``python -m northwind.bank.render``.

``--check`` renders in memory and exits 1 if a file on disk differs (the tests do the same).
"""

from __future__ import annotations

import sys
from pathlib import Path

from northwind.bank._documents import DOCUMENTS, DocumentSource
from northwind.bank._facts import EFFECTIVE_DATE, FACTS, VERSION

POLICY_DIR = Path(__file__).parent / "policies"


def render_document(source: DocumentSource) -> str:
    """One document's Markdown: YAML front matter, a title, the body with its facts filled in."""
    intents = "".join(f"  - {intent!r}\n" for intent in source.intents)
    body = source.body.format_map(FACTS)
    return (
        "---\n"
        f"id: {source.id}\n"
        f'version: "{VERSION}"\n'
        f"effective_date: {EFFECTIVE_DATE.isoformat()}\n"
        f"owner: {source.owner}\n"
        f"intents:\n{intents}"
        "---\n"
        f"# {source.title}\n\n"
        f"{body}"
    )


def rendered() -> dict[str, str]:
    """File name -> Markdown, for every document."""
    return {f"{source.id}.md": render_document(source) for source in DOCUMENTS}


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) every policy document; return the exit code."""
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for name, text in rendered().items():
        path = POLICY_DIR / name
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale policy documents (run python -m northwind.bank.render):", *stale)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
