"""Span trees as indented outlines, so a test can state the shape it expects."""

from __future__ import annotations

import difflib
import textwrap

from prodready.store import Trace


def render_tree(trace: Trace, *, kinds: bool = True) -> str:
    """One line per span, indented two spaces per level: ``name [kind]``."""
    lines = []
    for root in trace.tree():
        for depth, span in root.walk():
            suffix = f" [{span.kind}]" if kinds else ""
            lines.append("  " * depth + span.name + suffix)
    return "\n".join(lines)


def assert_tree(trace: Trace, expected: str) -> None:
    """Assert that ``trace`` has exactly the shape of ``expected``.

    ``expected`` is an outline like ``render_tree`` prints; the common indentation is removed
    and ``[kind]`` may be left out on any line to match a span of any kind.

    Raises:
        AssertionError: with a diff of the expected and actual outlines.
    """
    want = [line for line in textwrap.dedent(expected).strip("\n").splitlines() if line.strip()]
    got = render_tree(trace).splitlines()
    got_cmp = [g if "[" in w else g.rsplit(" [", 1)[0] for w, g in zip(want, got, strict=False)]
    got_cmp += got[len(want) :]
    if [w.rstrip() for w in want] != got_cmp:
        diff = "\n".join(difflib.unified_diff(want, got, "expected", "actual", lineterm=""))
        raise AssertionError(f"span tree differs:\n{diff}")
