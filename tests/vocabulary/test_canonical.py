"""One canonical JSON and content hash (prodready.vocabulary.canonical), held to the hashes
databases already store.

``canonical_golden.json`` was recorded (by running each function on ``golden_values``) from
the five spellings as they were before they were unified: ``store.encode_json``,
``_run_store.dumps``/``digest``, ``_span.to_attribute`` (``_json_default``),
``_types.content_hash`` and ``_review_tasks.task_id_for`` (and ``_dumps``), plus the
``span_logs`` record hash. Every JSON value must encode and hash exactly as recorded there;
for other values the few deliberate differences are listed in ``CHANGED`` with the reason.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from prodready import vocabulary
from prodready.evaluation import _types
from prodready.evaluation.review import _tasks as _review_tasks
from prodready.store import _logs
from prodready.store.writing import encode_json
from prodready.tracing._span import to_attribute
from prodready.vocabulary import canonical_json, content_hash, text_hash, to_json
from tests.vocabulary.golden_values import LOG_RECORDS, NATIVE, OTHER, TEXTS, VALUES

GOLDEN: dict[str, Any] = json.loads((Path(__file__).parent / "canonical_golden.json").read_text())

SITES = {
    "store.encode_json": encode_json,
    # The run store's own dumps is gone: it writes outputs, configs and key material with
    # to_json itself (tests/evaluation/test_stored_encodings.py holds its keys to their hashes).
    "_run_store.dumps": to_json,
    "_run_store.dumps(sort_keys=True)": lambda v: to_json(v, sort_keys=True),
    "_span.to_attribute": to_attribute,
    "_types.content_hash": _types.content_hash,
    "_review_tasks._dumps": _review_tasks._dumps,
}

# What changed, for values with no JSON form only: (value, site) -> the golden output that
# site now returns. Converted: the store's JSON and review payloads wrote sets, models,
# array-likes and namedtuples as their str; now as the run store always did (model_dump,
# tolist, _asdict, sorted sets). Cleaned: text no database takes (lone surrogates), integers
# beyond 64 bits and tuple keys made spans drop the attribute and review payloads raise, and
# the run store store the whole value's str; now they are cleaned as the store always did.
_CONVERTED = ["set", "frozenset_in_list", "model", "model_in_dict", "array_like", "namedtuple"]
_CLEANED = ["big_int", "big_int_in_dict", "lone_surrogate", "lone_surrogate_in_dict", "tuple_key"]
CHANGED: dict[tuple[str, str], Any] = {
    **{
        (name, site): GOLDEN["values"][name][like]
        for name in _CONVERTED
        for site, like in [
            ("store.encode_json", "_run_store.dumps"),
            ("_review_tasks._dumps", "_run_store.dumps(sort_keys=True)"),
        ]
    },
    **{
        (name, site): GOLDEN["values"][name]["store.encode_json"]
        for name in _CLEANED
        for site in SITES
        if site not in ("store.encode_json", "_types.content_hash")
        and not (site == "_span.to_attribute" and name in ("big_int", "lone_surrogate"))
        and not (site.startswith("_run_store") and name in ("big_int", "lone_surrogate"))
    },
}


def _outcome(site: str, value: Any) -> Any:
    try:
        out = SITES[site](value)
    except Exception as exc:
        return {"error": type(exc).__name__}
    if site == "_span.to_attribute" and not isinstance(out, str):
        return {"value": json.loads(json.dumps(out))}  # a primitive or a list, as recorded
    return out


@pytest.mark.parametrize("name", list(VALUES))
@pytest.mark.parametrize("site", list(SITES))
def test_each_site_returns_what_it_stored_before(site: str, name: str) -> None:
    expected = CHANGED.get((name, site), GOLDEN["values"][name][site])
    assert _outcome(site, VALUES[name]) == expected


@pytest.mark.parametrize("name", list(NATIVE))
def test_canonical_functions_reproduce_every_stored_form_of_json_values(name: str) -> None:
    value, golden = NATIVE[name], GOLDEN["values"][name]
    assert content_hash(value) == golden["_types.content_hash"]
    assert text_hash(canonical_json(value)) == golden["_types.content_hash"]
    assert canonical_json(value) == golden["_run_store.dumps(sort_keys=True)"]
    assert to_json(value, sort_keys=True) == golden["_run_store.dumps(sort_keys=True)"]
    assert to_json(value, sort_keys=True) == golden["_review_tasks._dumps"]
    assert to_json(value) == golden["_run_store.dumps"]
    assert to_json(value, replace_nul=True) == golden["store.encode_json"]


@pytest.mark.parametrize("name", list(TEXTS))
def test_text_hashes_and_review_task_ids_are_unchanged(name: str) -> None:
    golden = GOLDEN["texts"][name]
    assert text_hash(TEXTS[name]) == golden["_run_store.digest"]
    assert text_hash(TEXTS[name].encode()) == golden["_run_store.digest"]
    assert _review_tasks.task_id_for(TEXTS[name]) == golden["_review_tasks.task_id_for"]


@pytest.mark.parametrize("name", list(LOG_RECORDS))
def test_span_log_record_keys_are_unchanged(name: str) -> None:
    assert _logs._row(LOG_RECORDS[name], 123)[2] == GOLDEN["log_records"][name]


class Unprintable:
    def __str__(self) -> str:
        raise ValueError("no text")

    __repr__ = __str__


class BadModel:
    def model_dump(self) -> dict[str, Any]:
        raise RuntimeError("broken")

    def __str__(self) -> str:
        return "bad-model"


def test_to_json_never_raises() -> None:
    cycle: list[Any] = [1]
    cycle.append(cycle)
    assert to_json(cycle) == '"[1, [...]]"'
    assert to_json({"u": Unprintable()}) == '{"u":"<Unprintable>"}'
    assert to_json({"u": Unprintable()}, fallback="repr") == '{"u":"<Unprintable>"}'
    assert to_json(BadModel()) == '"bad-model"'  # a converter that raises: the fallback
    assert to_json({"a\ud800": {"b\x00": 2**70}}) == '{"a?":{"b\\u0000":"1180591620717411303424"}}'


def test_to_json_fallback_is_str_or_repr() -> None:
    value = {"p": OTHER["plain"], "s": "text"}
    assert to_json(value) == '{"p":"plain-str","s":"text"}'
    assert to_json(value, fallback="repr") == '{"p":"Plain()","s":"text"}'


def test_replace_nul_only_when_asked() -> None:
    assert to_json({"k": "a\x00"}) == '{"k":"a\\u0000"}'
    assert to_json({"k": "a\x00"}, replace_nul=True) == '{"k":"a\ufffd"}'


@pytest.mark.parametrize("name", ["set", "model", "plain", "big_int", "lone_surrogate"])
def test_content_hash_refuses_what_is_not_json(name: str) -> None:
    """A hash of str() of an object could change every run (memory addresses)."""
    with pytest.raises(TypeError):
        content_hash(OTHER[name])
    with pytest.raises(TypeError):
        canonical_json(OTHER[name])


def test_vocabulary_imports_nothing_else_from_prodready() -> None:
    """The bottom layer: everything may import it, it imports no other prodready package."""
    root = Path(vocabulary.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            for name in names:
                assert (
                    not name.startswith("prodready")
                    or name.startswith("prodready.vocabulary")
                    or name == "prodready._lazy"  # its names load on first use
                ), f"{path.name} imports {name}"


def test_vocabulary_exports_exactly_its_all() -> None:
    # isidentifier: pytest's assertion rewriting adds "@py_builtins" to prodready's modules
    names = [n for n in dir(vocabulary) if n.isidentifier() and not n.startswith("_")]
    public = set(names) - {"canonical", "attributes", "kinds", "TYPE_CHECKING"}  # not names
    assert public == set(vocabulary.__all__)
