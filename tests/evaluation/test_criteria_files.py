"""Criteria files that are not well-formed YAML, or are built to exhaust the reader: each is
a located CriteriaError, quickly, never another exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodready.evaluation.criteria import CriteriaError, load_criteria, parse_criteria

GOOD = "version: 1\nmetrics:\n  c: {source: c, target: '>= 0.5'}\n"


def laughs(levels: int = 10) -> str:
    """The "billion laughs": each level is nine aliases of the one before (563 bytes)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + GOOD.replace("}", f", description: *l{levels - 1}}}")


def errors_of(text: str) -> list[str]:
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(text, source="criteria.yaml")
    return str(caught.value).splitlines()


@pytest.mark.timeout(10)
def test_a_billion_laughs_is_refused_at_the_line_its_aliases_blow_up() -> None:
    (error,) = errors_of(laughs())
    assert error.startswith("criteria.yaml:5: ") and "each alias counted as a full copy" in error


@pytest.mark.timeout(10)
def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    (error,) = errors_of("version: 1\nmetrics:\n  c: &a {source: c, description: [*a]}\n")
    assert error.startswith("criteria.yaml:3: ") and "*a" in error


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ("{a: ", "}")])
def test_nesting_thousands_deep_is_refused_at_its_line(opening: str, closing: str) -> None:
    text = f"version: 1\nmetrics:\n  c:\n    {opening * 5000}1{closing * 5000}\n"
    (error,) = errors_of(text)
    assert error.startswith("criteria.yaml:4: ") and "nested deeper than" in error


@pytest.mark.parametrize("tag", ["!foo", "!!python/object/apply:os.system"])
def test_an_unknown_or_unsafe_tag_is_a_located_error(tag: str) -> None:
    (error,) = errors_of(f"version: 1\nmetrics:\n  c: {tag} [x]\n")
    assert error.startswith("criteria.yaml:3: ") and tag.lstrip("!") in error


def test_a_nul_character_is_a_located_error() -> None:
    (error,) = errors_of(GOOD + "# x\x00\n")
    assert error.startswith("criteria.yaml:4: ") and "#x0000" in error


def test_invalid_utf8_names_the_file_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "criteria.yaml"
    path.write_bytes(GOOD.encode() + b"# caf\xe9\n")
    with pytest.raises(CriteriaError) as caught:
        load_criteria(path)
    assert str(caught.value) == f"{path}:4: not UTF-8 (byte {len(GOOD) + 5}); save it as UTF-8"


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "criteria.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert list(load_criteria(path).metrics) == ["c"]


def test_shared_anchors_and_merge_keys_still_work() -> None:
    text = """\
version: 1
common: &common {source: correctness, aggregate: rate}
metrics:
  a: {<<: *common, target: ">= 0.8"}
  b: {<<: *common, gate: non_inferior, margin: 0.02}
"""
    with pytest.raises(CriteriaError) as caught:  # 'common' is not a criteria key
        parse_criteria(text, source="criteria.yaml")
    assert str(caught.value).startswith("criteria.yaml:2: common: unknown key 'common'")


def test_a_duplicate_key_in_a_shared_anchor_is_reported_once() -> None:
    text = "version: 1\nmetrics:\n  a: &m {source: a, source: b, target: '>= 0.5'}\n  b: *m\n"
    assert errors_of(text) == ["criteria.yaml:3: metrics.a.source: duplicate key 'source' "
                               "(first at line 3)"]  # fmt: skip


def test_a_huge_value_is_not_echoed_whole() -> None:
    (error,) = errors_of(GOOD.replace("'>= 0.5'", "'" + "x" * 1_000_000 + "'"))
    assert error.startswith("criteria.yaml:3: metrics.c.target: ") and len(error) < 300
