"""Judge calibration: how well a judge agrees with human labels, and whether it may gate.

>>> cal = calibrate(judge_scores, human_scores)     # paired by case id (or position)
>>> cal.kappa, cal.agreement, cal.confusion
>>> cal.passes(floor=0.6)
>>> save_calibration(store, "correctness", cal)     # gates read load_calibrations(store)

Cohen's kappa corrects raw agreement for the agreement two raters would reach by chance
given how often each says pass: ``kappa = (p_o - p_e) / (1 - p_e)``. It is undefined
(``None``) when chance agreement is certain — both raters said the same single label for
every case — since such a sample cannot show the judge tells pass from fail.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from prodready import store as _stores
from prodready.evaluation import _cache, _types

DEFAULT_KAPPA_FLOOR = 0.6
"""Below this Cohen's kappa a judge's scores may not gate (Landis & Koch: "substantial")."""

_CACHE_KIND = "calibration"

Label = _types.Score | bool
Labels = Sequence[Label] | Mapping[str, Label]


class Calibration(BaseModel):
    """Agreement of a judge with human labels on the same cases (pass = positive)."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    """The score name the judge produces (``correctness``...)."""
    judge: str | None = None
    """The judge's identity (model, rubric hash, parser) the labels were compared with."""
    n: int
    agreement: float
    kappa: float | None
    tp: int
    """Judge pass, human pass."""
    fp: int
    """Judge pass, human fail."""
    fn: int
    """Judge fail, human pass."""
    tn: int
    """Judge fail, human fail."""
    skipped: int = 0
    """Pairs left out: a label missing on one side, or a score with no verdict."""
    created_at_ns: int | None = None

    @property
    def confusion(self) -> dict[str, dict[str, int]]:
        """``{judge label: {human label: count}}``."""
        return {
            "pass": {"pass": self.tp, "fail": self.fp},
            "fail": {"pass": self.fn, "fail": self.tn},
        }

    def passes(self, floor: float = DEFAULT_KAPPA_FLOOR) -> bool:
        """Whether the judge may gate: kappa defined and at least ``floor``.

        An undefined kappa never passes: when judge and humans gave every case the same
        single label, the sample cannot show that the judge tells pass from fail (a judge
        that passes everything would score the same).
        """
        return self.kappa is not None and self.kappa >= floor

    def describe(self) -> str:
        """One line: ``kappa 0.62 on 50 cases (agreement 0.88)``, or, when kappa is
        undefined, ``kappa undefined: judge and humans all 'pass' on 12 cases``."""
        if self.kappa is None:
            label = "pass" if self.tp else "fail"
            return f"kappa undefined: judge and humans all {label!r} on {self.n} cases"
        return f"kappa {self.kappa:.2f} on {self.n} cases (agreement {self.agreement:.2f})"


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float | None:
    """Cohen's kappa of a 2x2 table; ``None`` when chance agreement is 1 (or no pairs)."""
    n = tp + fp + fn + tn
    # In integers, so that a table meant to give 0.4 gives 0.4, not 0.39999999999999997.
    chance = (tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)
    if n == 0 or chance == n * n:
        return None
    return (n * (tp + tn) - chance) / (n * n - chance)


def calibrate(judge: Labels, human: Labels, *, name: str | None = None) -> Calibration:
    """Compare judge verdicts with human labels.

    Args:
        judge: the judge's scores or booleans.
        human: the human labels, same shape.
            Mappings pair by key (a case id or trace id). Sequences of scores pair by
            ``metadata["case_id"]`` (or ``"trace_id"``) when every score has one, otherwise
            by position, as do sequences of booleans (then both must be equally long).
        name: the score name (default: the judge scores' name).

    Raises:
        ValueError: sequences of different lengths with nothing to pair them by, or no pair
            with a verdict on both sides.
    """
    pairs = _pairs(judge, human)
    tp = fp = fn = tn = skipped = 0
    for j, h in pairs:
        jv, hv = _passed(j), _passed(h)
        if jv is None or hv is None:
            skipped += 1
            continue
        tp += jv and hv
        fp += jv and not hv
        fn += (not jv) and hv
        tn += not (jv or hv)
    n = tp + fp + fn + tn
    if n == 0:
        raise ValueError("no pair has a verdict from both the judge and a human")
    scores = [j for j, _ in pairs if isinstance(j, _types.Score)]
    return Calibration(
        name=name or (scores[0].name if scores else None),
        judge=_identity(scores[0]) if scores else None,
        n=n,
        agreement=(tp + tn) / n,
        kappa=cohen_kappa(tp, fp, fn, tn),
        tp=tp, fp=fp, fn=fn, tn=tn,
        skipped=skipped + len(judge) - len(pairs),
    )  # fmt: skip


def _pairs(judge: Labels, human: Labels) -> list[tuple[Label, Label]]:
    if isinstance(judge, Mapping) or isinstance(human, Mapping):
        if not (isinstance(judge, Mapping) and isinstance(human, Mapping)):
            raise ValueError("pass both judge and human labels as mappings, or neither")
        return [(judge[k], human[k]) for k in judge if k in human]
    keyed_j, keyed_h = _keyed(judge), _keyed(human)
    if keyed_j is not None and keyed_h is not None:
        return _pairs(keyed_j, keyed_h)
    if len(judge) != len(human):
        raise ValueError(
            f"{len(judge)} judge labels and {len(human)} human labels, with no case_id or "
            "trace_id in the scores' metadata to pair them by"
        )
    return list(zip(judge, human, strict=True))


def _keyed(labels: Sequence[Label]) -> dict[str, Label] | None:
    out: dict[str, Label] = {}
    for label in labels:
        if not isinstance(label, _types.Score):
            return None
        key = label.metadata.get("case_id") or label.metadata.get("trace_id")
        if not key:
            return None
        out[str(key)] = label
    return out


def _passed(label: Label) -> bool | None:
    if isinstance(label, bool):
        return label
    if label.error is not None:
        return None
    return label.passed


def _identity(score: _types.Score) -> str | None:
    judge = score.args.get("judge") or score.metadata.get("judge")
    if isinstance(judge, dict):
        judge = judge.get("id")
    return str(judge) if judge else None


# --- persistence: the latest calibration per score name and judge ----------------------------


def save_calibration(store: _stores.Store, name: str, calibration: Calibration) -> Calibration:
    """Store ``calibration`` as the latest for score ``name`` and its judge identity.

    Kept in the eval cache (:class:`prodready.evaluation._cache.EvalCache`, kind
    ``calibration``), one row per (name, judge), so a gate can read it with
    :func:`load_calibrations`. Returns what was stored (stamped with
    name and time).
    """
    stamped = calibration.model_copy(update={"name": name, "created_at_ns": time.time_ns()})
    key = _types.content_hash({"calibration": name, "judge": stamped.judge})
    _cache.EvalCache(store).put(
        key, _CACHE_KIND, stamped.model_dump_json(), created_at_ns=stamped.created_at_ns
    )
    return stamped


def load_calibration(
    store: _stores.Store, name: str, *, judge: str | None = None
) -> Calibration | None:
    """The latest calibration of score ``name`` (of that judge identity, if given)."""
    found = [c for c in _all(store) if c.name == name and (judge is None or c.judge == judge)]
    return max(found, key=lambda c: c.created_at_ns or 0) if found else None


def load_calibrations(store: _stores.Store) -> dict[str, float | None]:
    """The latest kappa per score name, whatever the judge identity (``None``: undefined)."""
    return {name: c.kappa for name, c in latest_calibrations(store).items()}


def latest_calibrations(store: _stores.Store) -> dict[str, Calibration]:
    """The latest calibration per score name, whatever the judge identity (what gates read)."""
    latest: dict[str, Calibration] = {}
    for c in sorted(_all(store), key=lambda c: c.created_at_ns or 0):
        if c.name is not None:
            latest[c.name] = c
    return dict(sorted(latest.items()))


def _all(store: _stores.Store) -> list[Calibration]:
    return [Calibration.model_validate_json(v) for v in _cache.EvalCache(store).values(_CACHE_KIND)]


__all__ = [
    "DEFAULT_KAPPA_FLOOR",
    "Calibration",
    "calibrate",
    "cohen_kappa",
    "latest_calibrations",
    "load_calibration",
    "load_calibrations",
    "save_calibration",
]
