"""A scripted judge: answers prodready's judge prompts with verdicts chosen by rules.

The built-in judges (:mod:`prodready.evaluation.scorers.judges`) send a system message holding
the rubric and a user message of tagged sections (``<user_message>``, ``<reference_answer>``,
``<required_facts>``, ``<retrieved_context>``, ``<response>``), and read back a JSON verdict.
:class:`ScriptedJudge` reads those sections and answers the verdict of the first rule that
matches, so a suite can be run end to end (``prodready eval run``) without a real judge model:
give it to :class:`~prodready.testing.ScriptedModelServer`, or run
``prodready testing judge-server RULES``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson

from prodready.testing._model_server import ChatRequest, ScriptedReply

JUDGE_TAGS = ("user_message", "reference_answer", "required_facts", "retrieved_context",
              "response")  # fmt: skip
"""The sections of a judge prompt, as the built-in judges write them."""

VerdictLabel = Literal["pass", "fail"]
_JUDGES = ("correctness", "groundedness", "relevance", "safety", "custom")
_SECTION = re.compile(
    rf"<(?P<tag>{'|'.join(JUDGE_TAGS)})>\n(?P<body>.*?)\n</(?P=tag)>"
    rf"(?=\n\n<(?:{'|'.join(JUDGE_TAGS)})>\n|\Z)",
    re.DOTALL,
)
_CONDITIONS = frozenset(
    {"judge", *(f"{t}_{op}" for t in JUDGE_TAGS for op in ("contains", "matches"))}
)
_OUTCOME = frozenset({"verdict", "score", "reason"})


class JudgeRulesError(ValueError):
    """A rules file (or mapping) that cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class JudgePrompt:
    """What a judge asked: which judge (by its rubric) and the tagged sections."""

    judge: str
    """``correctness``, ``groundedness``, ``relevance``, ``safety``, or ``custom`` (a rubric
    passed with ``rubric=``)."""
    sections: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class JudgeRule:
    """One rule: when every condition holds, answer ``verdict``.

    ``contains`` maps a section tag to text it must contain (ignoring case); ``matches`` maps
    a tag to a regular expression it must match (``re.search``). A condition on a section the
    prompt lacks does not hold.
    """

    verdict: VerdictLabel
    score: float | None = None
    """Default 1.0 for pass, 0.0 for fail."""
    reason: str | None = None
    judge: str | None = None
    contains: Mapping[str, str] = field(default_factory=dict)
    matches: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    where: str = ""
    """Where the rule was written (``judge.yaml:7``), named in each verdict's reason."""

    def applies(self, prompt: JudgePrompt) -> bool:
        if self.judge is not None and self.judge != prompt.judge:
            return False
        for tag, text in self.contains.items():
            if tag not in prompt.sections or text.casefold() not in prompt.sections[tag].casefold():
                return False
        return all(
            tag in prompt.sections and pattern.search(prompt.sections[tag])
            for tag, pattern in self.matches.items()
        )


class ScriptedJudge:
    """A :class:`~prodready.testing.ScriptedModelServer` script that plays a judge model.

    >>> judge = ScriptedJudge([JudgeRule(verdict="fail", contains={"response": "colleague"})])
    >>> with ScriptedModelServer(judge) as server:
    ...     scorer = correctness(client=server.client())

    Args:
        rules: tried in order; the first whose conditions all hold gives the verdict.
        default: the verdict when no rule matches.
    """

    def __init__(self, rules: Sequence[JudgeRule] = (), *, default: VerdictLabel = "pass"):
        self.rules = list(rules)
        self.default = JudgeRule(verdict=default, where="default")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ScriptedJudge:
        """Rules from a YAML (or JSON) file: ``default:`` and a list of ``rules:``.

        Each rule has ``verdict`` (``pass``/``fail``), optional ``score`` and ``reason``, and
        conditions: ``judge`` (``correctness``, ``groundedness``, ``relevance``, ``safety``,
        ``custom``), ``<tag>_contains`` and ``<tag>_matches`` for the tags in
        :data:`JUDGE_TAGS` (``response_contains: "I do not know"``).

        Raises:
            JudgeRulesError: the file is missing, unreadable or malformed; the message names
                the file, the line and the field.
        """
        import yaml

        where = os.fspath(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise JudgeRulesError(f"{where}: cannot read the judge rules: {exc}") from None
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise JudgeRulesError(f"{where}{line}: not valid YAML: {exc}") from None
        return cls._from_data(data, node, where)

    @classmethod
    def _from_data(cls, data: Any, node: Any, where: str) -> ScriptedJudge:
        if not isinstance(data, dict):
            raise JudgeRulesError(f"{where}: expected a mapping with 'rules:' and 'default:'")
        unknown = sorted(set(data) - {"rules", "default"})
        if unknown:
            line = _line(node, unknown[0])
            raise JudgeRulesError(
                f"{where}:{line}: unknown key {unknown[0]!r} (known: default, rules)"
            )
        default = data.get("default", "pass")
        if default not in ("pass", "fail"):
            line = _line(node, "default")
            raise JudgeRulesError(f"{where}:{line}: default must be pass or fail, got {default!r}")
        rules = data.get("rules") or []
        if not isinstance(rules, list):
            raise JudgeRulesError(f"{where}:{_line(node, 'rules')}: rules must be a list")
        rule_nodes = _value(node, "rules")
        built = [
            _rule(rule, rule_nodes.value[i] if rule_nodes is not None else None, where, i)
            for i, rule in enumerate(rules)
        ]
        return cls(built, default=default)

    def decide(self, prompt: JudgePrompt) -> JudgeRule:
        """The first rule that applies to ``prompt``, else the default."""
        return next((r for r in self.rules if r.applies(prompt)), self.default)

    def __call__(self, request: ChatRequest) -> ScriptedReply:
        """The verdict for one chat request, as the judge's JSON reply."""
        prompt = read_judge_prompt(request)
        if prompt is None:
            tags = ", ".join(f"<{t}>" for t in JUDGE_TAGS)
            message = f"not a prodready judge prompt: the user message has none of {tags}"
            return ScriptedReply(content=message, status=400)
        rule = self.decide(prompt)
        score = rule.score if rule.score is not None else float(rule.verdict == "pass")
        reason = rule.reason or f"scripted {rule.verdict} ({rule.where})"
        body = {"verdict": rule.verdict, "score": score, "reason": reason}
        return ScriptedReply(content=orjson.dumps(body).decode())


def read_judge_prompt(request: ChatRequest) -> JudgePrompt | None:
    """The judge and the tagged sections of a judge request, or ``None`` if it is not one."""
    from prodready.evaluation.scorers.judges import RUBRICS

    system = "\n".join(str(m.get("content", "")) for m in request.messages
                       if m.get("role") == "system")  # fmt: skip
    user = next((str(m.get("content", "")) for m in request.messages if m.get("role") == "user"),
                "")  # fmt: skip
    sections = {m["tag"]: m["body"] for m in _SECTION.finditer(user)}
    if not sections:
        return None
    judge = next((kind for kind, rubric in RUBRICS.items() if rubric in system), "custom")
    return JudgePrompt(judge=judge, sections=sections)


def _rule(data: Any, node: Any, where: str, index: int) -> JudgeRule:
    line = node.start_mark.line + 1 if node is not None else "?"

    def problem(message: str, key: str | None = None) -> JudgeRulesError:
        at = line if key is None else _line(node, key)
        field = "" if key is None else f" {key}:"
        return JudgeRulesError(f"{where}:{at}: rule {index + 1}:{field} {message}")

    if not isinstance(data, dict):
        raise problem("expected a mapping of conditions and a verdict")
    for key in data:
        if key not in _CONDITIONS | _OUTCOME:
            raise problem(
                f"unknown key {key!r} (known: verdict, score, reason, judge, <tag>_contains, "
                f"<tag>_matches; tags: {', '.join(JUDGE_TAGS)})"
            )
    if "verdict" not in data:
        raise problem("needs a verdict (pass or fail)")
    verdict = data["verdict"]
    if verdict not in ("pass", "fail"):
        raise problem(f"must be pass or fail, got {verdict!r}", "verdict")
    score = data.get("score")
    if score is not None and not _unit(score):
        raise problem(f"must be a number from 0 to 1, got {score!r}", "score")
    judge = data.get("judge")
    if judge is not None and judge not in _JUDGES:
        raise problem(f"must be one of {', '.join(_JUDGES)}, got {judge!r}", "judge")
    contains: dict[str, str] = {}
    matches: dict[str, re.Pattern[str]] = {}
    for key, value in data.items():
        tag, _, op = key.rpartition("_")
        if op not in ("contains", "matches"):
            continue
        if not isinstance(value, str) or not value:
            raise problem(f"must be non-empty text, got {value!r}", key)
        if op == "contains":
            contains[tag] = value
            continue
        try:
            matches[tag] = re.compile(value)
        except re.error as exc:
            raise problem(f"not a regular expression: {exc}", key) from None
    reason = data.get("reason")
    return JudgeRule(
        verdict=verdict,
        score=None if score is None else float(score),
        reason=None if reason is None else str(reason),
        judge=judge,
        contains=contains,
        matches=matches,
        where=f"{Path(where).name}:{line}",
    )


def _unit(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _value(node: Any, key: str) -> Any:
    for k, v in getattr(node, "value", None) or []:
        if getattr(k, "value", None) == key:
            return v
    return None


def _line(node: Any, key: str) -> int | str:
    for k, _ in getattr(node, "value", None) or []:
        if getattr(k, "value", None) == key:
            return int(k.start_mark.line) + 1
    return "?"
