"""Locating criteria-file problems: YAML nodes keep their marks, pydantic errors get lines."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]
FieldsAt = Callable[[Loc], Sequence[str]]
"""The keys allowed at a location, for "did you mean" hints."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CriteriaIssue:
    """One problem in a criteria file, at a 1-based line and column."""

    source: str
    line: int
    column: int
    path: str
    """Dotted path to the offending key (``metrics.correctness.target``); empty for syntax."""
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.source}:{self.line}: {where}{self.message}"


def compose(text: str, source: str) -> tuple[yaml.Node | None, list[CriteriaIssue]]:
    """The YAML node tree (``None`` if there is none) and any duplicate-key problems."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_issue(exc, text, source)]
    if root is None:
        message = "the file is empty: expected a mapping with 'version' and 'metrics'"
        return None, [CriteriaIssue(source=source, line=1, column=1, path="", message=message)]
    return root, list(_duplicates(root, (), source))


def issues_from(
    exc: ValidationError,
    root: yaml.Node,
    source: str,
    fields_at: FieldsAt | None = None,
) -> list[CriteriaIssue]:
    """Each pydantic error, located at the key or value it is about."""
    issues = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if error["type"] == "missing":
            loc = loc[:-1]
        line, column = _locate(root, loc)
        issues.append(
            CriteriaIssue(
                source=source,
                line=line,
                column=column,
                path=_dotted(loc),
                message=_message(error, fields_at),
            )
        )
    return issues


def _syntax_issue(exc: yaml.MarkedYAMLError, text: str, source: str) -> CriteriaIssue:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = exc.problem or exc.context or "invalid YAML"
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if ">" in here and '">' not in here and "'>" not in here:
        message += " (quote comparisons that start with '>': target: \">= 0.85\")"
    elif exc.problem and exc.context:
        message += f" ({exc.context})"
    return CriteriaIssue(source=source, line=line, column=column, path="", message=message)


def _duplicates(node: yaml.Node, path: Loc, source: str) -> Iterator[CriteriaIssue]:
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            if name in first:
                yield CriteriaIssue(
                    source=source,
                    line=key.start_mark.line + 1,
                    column=key.start_mark.column + 1,
                    path=_dotted((*path, name)),
                    message=f"duplicate key {name!r} (first at line {first[name]})",
                )
            else:
                first[name] = key.start_mark.line + 1
            yield from _duplicates(value, (*path, name), source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicates(item, (*path, i), source)


def _locate(root: yaml.Node, loc: Loc) -> tuple[int, int]:
    """Line and column of the deepest node along ``loc``: a key's own line for mappings and
    lists (so ``correctness:`` rather than its first field), the value's for scalars."""
    node, mark = root, root.start_mark
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        key, node = child
        mark = node.start_mark if isinstance(node, yaml.ScalarNode) or key is None else key
    return mark.line + 1, mark.column + 1


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Mark | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in reversed(node.value):  # the last duplicate is the one loaded
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key.start_mark, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: ErrorDetails, fields_at: FieldsAt | None) -> str:
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    loc = tuple(error["loc"])
    if kind == "missing":
        return f"missing required key {loc[-1]!r}"
    if kind == "extra_forbidden":
        return _unknown_key(str(loc[-1]), fields_at(loc[:-1]) if fields_at else ())
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"expected {ctx['expected']}, got {got!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {got!r}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return f"expected a number, got {got!r}"
    if kind == "too_short" and loc == ("metrics",):
        return "needs at least one metric"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = f">= {ctx['ge']:g}" if "ge" in ctx else f"<= {ctx['le']:g}"
        return f"expected a number {bound}, got {got!r}"
    msg = error["msg"]
    return f"{msg[:1].lower()}{msg[1:]}, got {got!r}"


def _unknown_key(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    if allowed:
        return f"unknown key {key!r} (allowed: {', '.join(allowed)})"
    return f"unknown key {key!r}"
