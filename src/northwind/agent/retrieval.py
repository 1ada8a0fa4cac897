"""Policy retrieval, simple and local: the policy documents' sections ranked by TF-IDF
similarity to the question, with the sections the intent's play rests on first.

The data pillar will replace this with its versioned index; the pipeline only needs
:meth:`PolicyIndex.search` and the :class:`Passage` it returns (document id, version, content
hash, section and text), which is what a retrieval span records.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from northwind.agent.playbook import PLAYS
from northwind.bank import Policy, load_policies
from northwind.intents._model import _require

__all__ = ["Passage", "PolicyIndex"]


@dataclass(frozen=True)
class Passage:
    """One section of a policy document."""

    document: str
    version: str
    section: str
    text: str
    score: float = 0.0

    @property
    def id(self) -> str:
        """``document#section-slug``."""
        return f"{self.document}#{_slug(self.section)}"

    @property
    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.text.encode()).hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _sections(policy: Policy) -> list[Passage]:
    out = []
    for block in re.split(r"^## ", policy.body, flags=re.MULTILINE)[1:]:
        heading, _, text = block.partition("\n")
        body = " ".join(text.split())
        out.append(Passage(policy.id, policy.version, heading.strip(), body))
    return out


class PolicyIndex:
    """Every section of the policy documents, searchable.

    Raises:
        MissingDependencyError: scikit-learn (the ``northwind`` extra) is not installed.
    """

    def __init__(self, policies: Sequence[Policy] | None = None) -> None:
        text = _require("sklearn.feature_extraction.text")
        self.passages = [p for policy in policies or load_policies() for p in _sections(policy)]
        self._by_key = {(p.document, p.section): i for i, p in enumerate(self.passages)}
        self._vectorizer = text.TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        self._matrix: Any = self._vectorizer.fit_transform(
            [f"{p.section}. {p.text}" for p in self.passages]
        )

    def search(self, query: str, *, intent: str | None = None, k: int = 2) -> list[Passage]:
        """The sections for ``query``: the intent's play's sections first (in the play's order,
        each scored 1 + its similarity), then the most similar others up to ``k`` in all."""
        similarity = (self._matrix @ self._vectorizer.transform([query]).T).toarray().ravel()
        lead: list[int] = []
        play = PLAYS.get(intent) if intent else None
        for section in play.sections if play is not None else ():
            index = self._by_key.get((play.document, section)) if play is not None else None
            if index is not None and index not in lead:
                lead.append(index)
        rest = [int(i) for i in similarity.argsort()[::-1] if int(i) not in lead]
        found = [_scored(self.passages[i], 1.0 + float(similarity[i])) for i in lead]
        found += [_scored(self.passages[i], float(similarity[i])) for i in rest[: k - len(lead)]]
        return found


def _scored(passage: Passage, score: float) -> Passage:
    return Passage(passage.document, passage.version, passage.section, passage.text, score)
