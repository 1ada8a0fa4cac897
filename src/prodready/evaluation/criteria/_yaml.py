"""Locating criteria-file problems: YAML nodes keep their marks, pydantic errors get lines."""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

MAX_DEPTH = 50
"""The deepest nesting a criteria file may have, aliases expanded (a real one has four)."""
MAX_NODES = 10_000
"""The most YAML nodes a criteria file may hold, aliases expanded (a real one, hundreds)."""

Loc = tuple[str | int, ...]
FieldsAt = Callable[[Loc], Sequence[str]]
"""The keys allowed at a location, for "did you mean" hints."""


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 80


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


def load(text: str, source: str) -> tuple[yaml.Node | None, Any, list[CriteriaIssue]]:
    """The YAML node tree (``None`` if there is none), the value it holds, and any
    duplicate-key problems; a file that cannot be read is one located problem."""
    try:
        loader = _BoundedLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML forbids, such as NUL
        return None, None, [_reader_issue(exc, text, source)]
    try:
        root = loader.get_single_node()
        if root is None:
            message = "the file is empty: expected a mapping with 'version' and 'metrics'"
            return (
                None,
                None,
                [CriteriaIssue(source=source, line=1, column=1, path="", message=message)],
            )
        # Before constructing: merge keys (<<) rewrite the mappings they appear in.
        issues = list(_duplicates(root, (), source, set()))
        return root, loader.construct_document(root), issues
    except yaml.MarkedYAMLError as exc:
        return None, None, [_syntax_issue(exc, text, source)]
    finally:
        loader.dispose()


def not_utf8(raw: bytes, exc: UnicodeDecodeError, source: str) -> CriteriaIssue:
    """The problem of a file that is not UTF-8, at the first byte that is not."""
    line_start = raw.rfind(b"\n", 0, exc.start) + 1
    return CriteriaIssue(
        source=source,
        line=raw.count(b"\n", 0, exc.start) + 1,
        column=exc.start - line_start + 1,
        path="",
        message=f"not UTF-8 (byte {exc.start}); save it as UTF-8",
    )


def short_repr(value: object) -> str:
    """``repr`` cut to a readable length: an error never echoes a huge value whole."""
    return _SHORT.repr(value)


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


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with two limits PyYAML lacks, hand-written for that reason.

    Its composer recurses once per level, so thousands of levels exhaust the stack; and an
    alias shares its anchor's node, so nine aliases of nine aliases of ... (the "billion
    laughs", a few hundred bytes) is a billion nodes to every walk that follows. Each node's
    size and height are counted with its aliases expanded, and a file past either limit is
    refused where it crosses it; an alias inside its own anchor is refused too.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._open: set[str] = set()  # anchors whose node is still being composed
        self._measure: dict[int, tuple[int, int]] = {}  # id(node) -> (size, height)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise _bounded(f"alias *{event.anchor} is inside its own anchor", event.start_mark)
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise _bounded(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        anchor = getattr(event, "anchor", None)
        self._depth += 1
        if anchor:
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)
        if node is not None:
            self._check(node)
        return node

    def _check(self, node: yaml.Node) -> None:
        children = [self._measure[id(c)] for c in _children(node)]
        size = 1 + sum(s for s, _ in children)
        height = 1 + max((h for _, h in children), default=0)
        if size > MAX_NODES:
            message = f"more than {MAX_NODES} YAML nodes here, each alias counted as a full copy"
            raise _bounded(message, node.start_mark)
        if height > MAX_DEPTH:
            raise _bounded(
                f"nested deeper than {MAX_DEPTH} levels through aliases", node.start_mark
            )
        self._measure[id(node)] = (size, height)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _bounded(message: str, mark: object) -> yaml.composer.ComposerError:
    located = mark if isinstance(mark, yaml.Mark) else None  # the pure-Python loader's marks
    return yaml.composer.ComposerError(None, None, message, located)


def _reader_issue(exc: yaml.reader.ReaderError, text: str, source: str) -> CriteriaIssue:
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    message = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
    return CriteriaIssue(source=source, line=line, column=column, path="", message=message)


def _syntax_issue(exc: yaml.MarkedYAMLError, text: str, source: str) -> CriteriaIssue:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = exc.problem or exc.context or "invalid YAML"
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if ">" in here and '">' not in here and "'>" not in here:
        message += " (quote comparisons that start with '>': target: \">= 0.85\")"
    elif isinstance(exc, yaml.constructor.ConstructorError):
        message += " (a criteria file takes plain values, without tags)"
    elif exc.problem and exc.context:
        message += f" ({exc.context})"
    return CriteriaIssue(source=source, line=line, column=column, path="", message=message)


def _duplicates(node: yaml.Node, path: Loc, source: str, seen: set[int]) -> Iterator[CriteriaIssue]:
    """Repeated keys, each shared (aliased) node checked once."""
    if id(node) in seen:
        return
    seen.add(id(node))
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
            yield from _duplicates(value, (*path, name), source, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicates(item, (*path, i), source, seen)


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
        return f"expected {ctx['expected']}, got {short_repr(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {short_repr(got)}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type"):
        return f"expected a number, got {short_repr(got)}"
    if kind == "too_short" and loc == ("metrics",):
        return "needs at least one metric"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = f">= {ctx['ge']:g}" if "ge" in ctx else f"<= {ctx['le']:g}"
        return f"expected a number {bound}, got {short_repr(got)}"
    msg = error["msg"]
    return f"{msg[:1].lower()}{msg[1:]}, got {short_repr(got)}"


def _unknown_key(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    if allowed:
        return f"unknown key {key!r} (allowed: {', '.join(allowed)})"
    return f"unknown key {key!r}"
