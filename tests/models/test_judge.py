"""Reading a judge's verdict out of a model reply."""

from __future__ import annotations

import pytest

from prodready.models import JudgeParseError, parse_verdict


def test_plain_json_verdict() -> None:
    v = parse_verdict('{"verdict": "PASS", "score": 0.8, "reason": "matches"}')
    assert (v.verdict, v.score, v.reason) == ("pass", 0.8, "matches")


def test_verdict_inside_a_code_fence_or_prose() -> None:
    fenced = 'Here you go:\n```json\n{"verdict": "fail", "score": 0, "reason": "wrong"}\n```'
    assert parse_verdict(fenced).verdict == "fail"
    assert parse_verdict('Sure! {"verdict": "pass"} Hope that helps').score == 1.0


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("I think it passes", "no JSON object"),
        ('{"verdict": "pass", }', "invalid"),
        ('{"verdict": "maybe"}', '"verdict" must be'),
        ('{"verdict": "pass", "score": 7}', '"score" must be'),
        ('{"verdict": "pass", "score": "high"}', '"score" must be'),
    ],
)
def test_unreadable_replies_say_what_is_wrong(reply: str, error: str) -> None:
    with pytest.raises(JudgeParseError, match=error):
        parse_verdict(reply)
