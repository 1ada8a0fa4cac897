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

import json
from pathlib import Path
from typing import Any

import pytest

from prodready.evaluation import _review_tasks, _run_store, _types
from prodready.store import _logs, encode_json
from prodready.tracing._span import to_attribute
from prodready.vocabulary import canonical_json, content_hash, text_hash, to_json
from tests.vocabulary.golden_values import LOG_RECORDS, NATIVE, TEXTS, VALUES

GOLDEN: dict[str, Any] = json.loads((Path(__file__).parent / "canonical_golden.json").read_text())

SITES = {
    "store.encode_json": encode_json,
    "_run_store.dumps": _run_store.dumps,
    "_run_store.dumps(sort_keys=True)": lambda v: _run_store.dumps(v, sort_keys=True),
    "_span.to_attribute": to_attribute,
    "_types.content_hash": _types.content_hash,
    "_review_tasks._dumps": _review_tasks._dumps,
}

# (value, site) -> what it returns now, for values with no JSON form, and why it changed.
CHANGED: dict[tuple[str, str], Any] = {}


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
    assert _run_store.digest(TEXTS[name]) == golden["_run_store.digest"]
    assert _review_tasks.task_id_for(TEXTS[name]) == golden["_review_tasks.task_id_for"]


@pytest.mark.parametrize("name", list(LOG_RECORDS))
def test_span_log_record_keys_are_unchanged(name: str) -> None:
    assert _logs._row(LOG_RECORDS[name], 123)[2] == GOLDEN["log_records"][name]
