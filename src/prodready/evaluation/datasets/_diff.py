"""What changed between two dataset versions: cases added, removed, and changed field by field."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from prodready.evaluation._types import Case, DatasetVersion

_VALUE_WIDTH = 120
_ABSENT = object()


class FieldChange(BaseModel):
    """One field of a case that differs; nested fields are dotted (``expected.reference``)."""

    model_config = ConfigDict(frozen=True)

    field: str
    before: Any = None
    after: Any = None


class CaseChange(BaseModel):
    """A case present in both versions whose content differs."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    changes: list[FieldChange]


class DatasetDiff(BaseModel):
    """How version ``b`` differs from version ``a``. ``str()`` renders it for people."""

    model_config = ConfigDict(frozen=True)

    a: str
    """``name@version`` of the old side."""
    b: str
    a_hash: str
    b_hash: str
    added: list[str] = Field(default_factory=list)
    """Ids of cases only in ``b``, in ``b``'s order."""
    removed: list[str] = Field(default_factory=list)
    """Ids of cases only in ``a``, in ``a``'s order."""
    changed: list[CaseChange] = Field(default_factory=list)
    unchanged: int = 0
    reordered: bool = False
    """Whether the cases both versions share are in a different order."""

    @property
    def empty(self) -> bool:
        """No case was added, removed or changed (the order may still differ)."""
        return not (self.added or self.removed or self.changed)

    def render(self) -> str:
        """A readable summary: a header, counts, then ``+ id``, ``- id``, ``~ id`` lines."""
        lines = [
            f"{self.a} -> {self.b}  ({_short(self.a_hash)} -> {_short(self.b_hash)})",
            f"{len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.changed)} changed, {self.unchanged} unchanged"
            + ("; shared cases reordered" if self.reordered else ""),
        ]
        lines.extend(f"+ {cid}" for cid in self.added)
        lines.extend(f"- {cid}" for cid in self.removed)
        for case in self.changed:
            lines.append(f"~ {case.case_id}")
            lines.extend(
                f"    {c.field}: {_show(c.before)} -> {_show(c.after)}" for c in case.changes
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def _short(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    return f"{algorithm}:{hexdigest[:12]}" if hexdigest else digest[:16]


def _show(value: Any) -> str:
    text = "(none)" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def diff_datasets(a: DatasetVersion, b: DatasetVersion) -> DatasetDiff:
    """Compare two dataset versions (usually of one dataset), matching cases by id.

    A changed case lists every differing field; nested mappings are compared key by key
    (``expected.reference``, ``expected.custom.max_turns``, ``input.account``); lists are
    compared whole.
    """
    old = {c.id: c for c in a.cases}
    new = {c.id: c for c in b.cases}
    changed = []
    for cid, case in new.items():
        if cid in old and old[cid] != case:
            changed.append(CaseChange(case_id=cid, changes=_field_changes(old[cid], case)))
    shared_old = [cid for cid in old if cid in new]
    shared_new = [cid for cid in new if cid in old]
    return DatasetDiff(
        a=f"{a.name}@v{a.version}",
        b=f"{b.name}@v{b.version}",
        a_hash=a.content_hash,
        b_hash=b.content_hash,
        added=[cid for cid in new if cid not in old],
        removed=[cid for cid in old if cid not in new],
        changed=changed,
        unchanged=len(shared_new) - len(changed),
        reordered=shared_old != shared_new,
    )


def _field_changes(a: Case, b: Case) -> list[FieldChange]:
    before = _flatten(a.model_dump(mode="json"))
    after = _flatten(b.model_dump(mode="json"))
    fields = list(before) + [f for f in after if f not in before]
    return [
        FieldChange(field=f, before=before.get(f), after=after.get(f))
        for f in fields
        if before.get(f, _ABSENT) != after.get(f, _ABSENT)
    ]


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict):  # an empty mapping adds nothing to compare
            out.update(_flatten(item, path + "."))
        else:
            out[path] = item
    return out
