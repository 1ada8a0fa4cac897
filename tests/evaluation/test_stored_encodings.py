"""The evaluation pillar's stored keys and bodies, held to what the store already holds.

Each expected value below was recorded from the code before it moved to
``prodready.vocabulary.canonical`` (commit 7b3dbf8: ``orjson.dumps(..., OPT_SORT_KEYS)`` in
the datasets repository, candidates, duplicates and behaviour scorers; the run store's own
``dumps``/``digest``). Case bodies and their hashes, cache keys and scorer identities are
stored: if one of these changes, existing datasets stop deduplicating and cached outputs,
scores and verdicts stop being found.
"""

from __future__ import annotations

from prodready.evaluation._registry import ScorerSpec
from prodready.evaluation._types import Case, Expected
from prodready.evaluation.datasets import _candidates, _dupes
from prodready.evaluation.datasets import _store as datasets_store
from prodready.evaluation.datasets._models import CandidateCase
from prodready.evaluation.runs import _store as runs_store
from prodready.evaluation.scorers.behaviour import normalise_arguments
from prodready.vocabulary.canonical import text_hash, to_json

REFUND = Case(
    id="refund-1",
    input="Can I get a refund? é",
    expected=Expected(reference="Yes, within 30 days.", facts=["30 days"]),
    tags=["billing"],
    provenance="trace:abc",
)
LOOKUP = Case(
    id="lookup",
    input={"order": 42, "note": "ünïcode", "nested": {"b": [1, 2.5, None], "a": True}},
    input_kind="arguments",
)

REFUND_BODY = (
    '{"added_by":null,"expected":{"custom":{},"escalation":null,"facts":["30 days"],'
    '"intent":null,"reference":"Yes, within 30 days.","tools":null},"id":"refund-1",'
    '"input":"Can I get a refund? é","provenance":"trace:abc","reason":null,"split":"dev",'
    '"tags":["billing"]}'
)
LOOKUP_BODY = (
    '{"added_by":null,"expected":{"custom":{},"escalation":null,"facts":[],"intent":null,'
    '"reference":null,"tools":null},"id":"lookup","input":{"nested":{"a":true,'
    '"b":[1,2.5,null]},"note":"ünïcode","order":42},"input_kind":"arguments",'
    '"provenance":"expert","reason":null,"split":"dev","tags":[]}'
)


def test_case_bodies_and_their_hashes_are_unchanged() -> None:
    assert datasets_store.case_body(REFUND) == (
        "sha256:f577290289c280fed1ac6821c84cedb2cd031989e5ad80a876a4ef99bc0a84b0",
        REFUND_BODY,
    )
    assert datasets_store.case_body(LOOKUP) == (
        "sha256:1ad5d80c1064ebe26e945aea2185c0a8317d8e7ad7eeb62da2f7c2887ff676f3",
        LOOKUP_BODY,
    )
    # The hash is of exactly the stored text.
    for case in (REFUND, LOOKUP):
        digest, body = datasets_store.case_body(case)
        assert digest == text_hash(body)


def test_runner_cache_keys_are_unchanged() -> None:
    a, b, c, d = ("sha256:" + ch * 64 for ch in "abcd")
    assert runs_store.output_key(a, "v1.2", 0) == (
        "sha256:bbeb8770bba1fd8288f625c0b8abc3a10d03dfb7b5a0a7de7f29905bce2e21ed"
    )
    assert runs_store.score_key(b, "v1", 1, c, d, "0af7651916cd43dd8448eb211c80319c") == (
        "sha256:6bf549ced64af673850b7ab0a4031d74f3ae90074b57266c0da7680bc0593dd4"
    )
    assert runs_store.score_key(b, None, 0, "x", "y", None) == (
        "sha256:43130f916129159fccf9d729d443e883209fd0a6a37356ca4e16c85c9c2fd0e1"
    )
    spec = ScorerSpec(
        scorer="contains",
        version="1",
        layer="check",
        name="mentions_refund",
        args={"text": "refund", "case_sensitive": False, "z": [1, {"b": 2, "a": 1}]},
    )
    assert runs_store.scorer_identity(spec) == (
        "sha256:172183b5210275a3b956c8fa48552080f2b06eeb3a5ec8c2e45ce3dfdc787985"
    )


def test_cached_output_text_keeps_key_order() -> None:
    # The runner writes a cached output with to_json, keys in insertion order, as before.
    value = {
        "output": {"z": 1, "a": "é"},
        "output_hash": "sha256:e",
        "trace_id": None,
        "latency_ms": 1.5,
    }
    assert to_json(value) == (
        '{"output":{"z":1,"a":"é"},"output_hash":"sha256:e","trace_id":null,"latency_ms":1.5}'
    )


def test_candidate_body_is_unchanged() -> None:
    candidate = CandidateCase(
        id="c0ffee",
        dataset="support",
        case=REFUND,
        status="pending",
        suggested={"trace_status": "ok", "release": "v2", "tools": ["lookup"]},
        created_at_ns=1,
        created_by="ana",
    )
    assert _candidates._body(candidate) == (
        '{"case":' + REFUND_BODY + ',"confirmed_version":null,"review_note":null,'
        '"suggested":{"release":"v2","tools":["lookup"],"trace_status":"ok"}}'
    )


def test_duplicate_and_argument_keys_are_unchanged() -> None:
    assert _dupes.input_key({"Q": "Hello, World!", "n": [1, "A  b"]}) == (
        '{"Q":"hello world","n":[1,"a b"]}'
    )
    arguments = {"Amount": "1.00", "to": " Alice  Smith ", "request_id": "x", "items": [1e0, 2]}
    assert normalise_arguments(arguments) == ('{"Amount":"1","items":["1","2"],"to":"alice smith"}')
