"""End users' feedback on the agent's answers: CSAT 1-5, thumbs, free text.

Feedback is stored as scores (layer ``feedback``, no run) on the trace it is about:

- ``csat``: the rating 1-5 as the value; passed when 4 or 5 (satisfied, by CSAT's usual rule);
- ``thumbs``: 1.0 up, 0.0 down; passed when up;
- ``comment``: only when the user left text and no rating (value ``None``); otherwise the
  text is the rationale of the rating's score.

Feedback on a *session* (a conversation) is stored on the session's newest trace, with
``session_id`` and ``scope: "session"`` in the metadata: one vote stays one score (linking
it to every turn would count it once per turn), the session view finds it through any of
its traces, and the release and intent it is grouped by are those of the answer the user
saw last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from prodready.evaluation import Score
from prodready.evaluation.runs import record_trace_scores, trace_scores
from prodready.monitoring._facts import DIMENSIONS, Dimension, trace_facts
from prodready.store import Store, TraceQuery

FEEDBACK_LAYER: Final = "feedback"
SCORER: Final = "feedback"
CSAT: Final = "csat"
THUMBS: Final = "thumbs"
COMMENT: Final = "comment"
NAMES: Final = (CSAT, THUMBS, COMMENT)
MAX_COMMENT_CHARS: Final = 10_000
MAX_ID_CHARS: Final = 500

Thumb = Literal["up", "down"]
_TRACE_ID = re.compile(r"[0-9a-fA-F]{32}")


class FeedbackError(ValueError):
    """Feedback that cannot be stored as given; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class FeedbackNotFound(LookupError):
    """The trace or session the feedback is about is not in the store."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class FeedbackReceipt:
    """What :func:`record_feedback` stored."""

    trace_id: str
    """The trace the scores are on (a session's newest, for session feedback)."""
    score_ids: list[str]
    names: list[str]


def check_feedback(
    *,
    trace_id: str | None,
    session_id: str | None,
    csat: Any,
    thumb: Any,
    comment: Any,
    user_id: Any = None,
    source: Any = None,
) -> None:
    """Validate feedback arguments without touching a store.

    Raises:
        FeedbackError: naming the bad field.
    """
    if trace_id is None and session_id is None:
        raise FeedbackError("trace_id", "give trace_id or session_id")
    if trace_id is not None and not (isinstance(trace_id, str) and _TRACE_ID.fullmatch(trace_id)):
        raise FeedbackError("trace_id", f"expected 32 hex characters, got {trace_id!r}")
    for name, value in (("session_id", session_id), ("user_id", user_id), ("source", source)):
        if value is not None and not (isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS):
            raise FeedbackError(name, f"expected text of 1 to {MAX_ID_CHARS} characters")
    if csat is None and thumb is None and comment is None:
        raise FeedbackError("csat", "give csat, thumb or comment")
    if csat is not None and (
        isinstance(csat, bool) or not isinstance(csat, int) or not 1 <= csat <= 5
    ):
        raise FeedbackError("csat", f"expected a whole number from 1 to 5, got {csat!r}")
    if thumb is not None and thumb not in ("up", "down"):
        raise FeedbackError("thumb", f"expected 'up' or 'down', got {thumb!r}")
    if comment is not None and not (isinstance(comment, str) and len(comment) <= MAX_COMMENT_CHARS):
        raise FeedbackError("comment", f"expected text of at most {MAX_COMMENT_CHARS} characters")


def record_feedback(
    store: Store,
    *,
    trace_id: str | None = None,
    session_id: str | None = None,
    csat: int | None = None,
    thumb: Thumb | None = None,
    comment: str | None = None,
    user_id: str | None = None,
    source: str | None = None,
    now_ns: int | None = None,
) -> FeedbackReceipt:
    """Store an end user's feedback on a trace, or on a session's newest trace.

    Args:
        store: where the trace is, and the scores go.
        trace_id: the answer the feedback is about (32 hex characters).
        session_id: or the conversation (when both are given, the trace must be in it).
        csat: satisfaction 1 (very unsatisfied) to 5 (very satisfied).
        thumb: ``"up"`` or ``"down"``.
        comment: the user's free text (at most 10,000 characters).
        user_id: who gave it (stored as the scores' author).
        source: where it came from (``"web"``, ``"app"``, ``"survey"``...).
        now_ns: when it was given (default now).

    Returns:
        The trace the scores are on, their ids and names.

    Raises:
        FeedbackError: a bad argument (its ``field`` names it).
        FeedbackNotFound: no such trace, or no trace in that session.
    """
    check_feedback(trace_id=trace_id, session_id=session_id, csat=csat, thumb=thumb,
                   comment=comment, user_id=user_id, source=source)  # fmt: skip
    target = _target(store, trace_id, session_id)
    metadata: dict[str, Any] = {"scope": "session" if trace_id is None else "trace"}
    for key, value in (("session_id", session_id), ("user_id", user_id), ("source", source)):
        if value is not None:
            metadata[key] = value
    author = user_id.replace("\x00", "\ufffd") if user_id is not None else None  # PostgreSQL
    made = _scores(csat, thumb, comment, author=author, metadata=metadata)
    ids = record_trace_scores(store, [(target, s) for s in made], created_at_ns=now_ns)
    return FeedbackReceipt(trace_id=target, score_ids=ids, names=[s.name for s in made])


def _target(store: Store, trace_id: str | None, session_id: str | None) -> str:
    if trace_id is not None:
        found = store.find_trace_ids(trace_id.lower(), limit=1)
        if not found:
            raise FeedbackNotFound("trace_id", f"no trace {trace_id.lower()}")
        if session_id is not None:
            facts = trace_facts(store, found, spans_needed=False)[found[0]]
            if facts.session_id != session_id:
                raise FeedbackNotFound(
                    "session_id", f"trace {found[0]} is not in session {session_id!r}"
                )
        return found[0]
    newest = store.list_traces(TraceQuery(session_id=session_id, limit=1))
    if not newest:
        raise FeedbackNotFound("session_id", f"no trace in session {session_id!r}")
    return newest[0].trace_id


def _scores(
    csat: int | None, thumb: str | None, comment: str | None, *, author: str | None,
    metadata: dict[str, Any],
) -> list[Score]:  # fmt: skip
    def score(name: str, value: float | None, passed: bool | None, text: str | None) -> Score:
        return Score(name=name, value=value, passed=passed, rationale=text, layer=FEEDBACK_LAYER,
                     scorer=SCORER, version="1", author=author, metadata=metadata)  # fmt: skip

    made = []
    if csat is not None:
        made.append(score(CSAT, float(csat), csat >= 4, comment))
    if thumb is not None:
        made.append(score(THUMBS, 1.0 if thumb == "up" else 0.0, thumb == "up",
                          comment if csat is None else None))  # fmt: skip
    if not made:
        made.append(score(COMMENT, None, None, comment))
    return made


# --- reading --------------------------------------------------------------------------------


@dataclass(slots=True)
class FeedbackGroup:
    """Feedback of one group (one release, one intent...) over a time range."""

    key: dict[str, str | None]
    """The group's value of each ``by`` dimension (``None``: traces without one)."""
    n: int = 0
    """Feedback scores of any kind (csat, thumbs, comments)."""
    csat_n: int = 0
    csat_mean: float | None = None
    thumbs_n: int = 0
    thumbs_up_rate: float | None = None
    comments: int = 0
    _csat_sum: float = field(default=0.0, repr=False)
    _up: int = field(default=0, repr=False)

    def add(self, score: Score) -> None:
        self.n += 1
        if score.rationale:
            self.comments += 1
        if score.value is None:
            return
        if score.name == CSAT:
            self.csat_n += 1
            self._csat_sum += score.value
            self.csat_mean = self._csat_sum / self.csat_n
        elif score.name == THUMBS:
            self.thumbs_n += 1
            self._up += score.value >= 0.5
            self.thumbs_up_rate = self._up / self.thumbs_n

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the key and the figures."""
        return {"key": self.key, "n": self.n, "csat_n": self.csat_n, "csat_mean": self.csat_mean,
                "thumbs_n": self.thumbs_n, "thumbs_up_rate": self.thumbs_up_rate,
                "comments": self.comments}  # fmt: skip


def feedback_summary(
    store: Store,
    since_ns: int,
    until_ns: int,
    by: Sequence[Dimension] = ("release", "intent"),
) -> list[FeedbackGroup]:
    """Mean CSAT, how many ratings, and the thumbs-up rate per group of the feedback given in
    ``[since_ns, until_ns)``, largest group first.

    ``by`` names the dimensions to group by (``release``, ``environment``, ``intent``,
    ``tool``; empty: one group). A trace's intent is its ``prodready.intent.name`` (a
    classifier span's first); feedback on a trace that called several tools counts in each
    tool's group.

    Raises:
        ValueError: an unknown dimension.
    """
    for d in by:
        if d not in DIMENSIONS:
            raise ValueError(f"by: unknown dimension {d!r}; one of {', '.join(DIMENSIONS)}")
    found = trace_scores(store, layers=[FEEDBACK_LAYER], since_ns=since_ns, until_ns=until_ns)
    needs_spans = any(d in ("intent", "tool") for d in by)
    facts = trace_facts(store, [f.trace_id for f in found if f.trace_id], spans_needed=needs_spans)
    groups: dict[tuple[str | None, ...], FeedbackGroup] = {}
    for f in found:
        fact = facts.get(f.trace_id or "")
        for key in _keys(fact, by):
            group = groups.get(key)
            if group is None:
                group = groups[key] = FeedbackGroup(key=dict(zip(by, key, strict=True)))
            group.add(f.score)
    return sorted(groups.values(), key=lambda g: (-g.n, [str(v) for v in g.key.values()]))


def _keys(fact: Any, by: Sequence[Dimension]) -> list[tuple[str | None, ...]]:
    keys: list[tuple[str | None, ...]] = [()]
    for d in by:
        values = fact.values(d) if fact is not None else (None,)
        keys = [(*k, v) for k in keys for v in values]
    return keys
