"""Candidates from production traces: pending until a human confirms (or rejects) them."""

from __future__ import annotations

import pytest

import prodready
from prodready.evaluation import Case, Expected
from prodready.evaluation.datasets import (
    CandidateNotFound,
    DatasetError,
    DatasetNotFound,
    add_from_trace,
    confirm_candidate,
    get_candidate,
    list_candidates,
    load_dataset,
    reject_candidate,
    save_dataset,
)
from prodready.store import Store
from prodready.testing import capture

EXPERT = [
    Case(id="pin", input={"question": "How do I reset my PIN?"}, expected=Expected(intent="card"))
]


@prodready.trace(kind="agent", name="support-agent")
def agent(question: str) -> str:
    with prodready.span("classify", kind="classifier") as s:
        s.intent("refund", 0.91)
    with prodready.span(
        "lookup_order", kind="tool", attributes={"gen_ai.tool.name": "lookup_order"}
    ):
        pass
    return "Refunds take 30 days."


def traced(store: Store, question: str = "How long do refunds take?") -> str:
    """Run the agent once under tracing into ``store``; the new trace's id."""
    with capture(store=store, release="agent@1.4") as cap:
        agent(question)
        return cap.trace().summary.trace_id


@pytest.fixture
def trace_id(store: Store) -> str:
    save_dataset(store, "support", EXPERT, created_by="ana")
    return traced(store)


def propose(store: Store, trace_id: str, **kw: object) -> str:
    options: dict[str, object] = {"added_by": "ops", "reason": "quoted 30 days; policy is 14"}
    candidate = add_from_trace(store, trace_id, "support", **(options | kw))  # type: ignore[arg-type]
    return candidate.id


def test_candidate_from_trace_takes_input_provenance_and_suggestions(
    store: Store, trace_id: str
) -> None:
    c = get_candidate(store, propose(store, trace_id))
    assert c.status == "pending" and c.dataset == "support" and c.created_by == "ops"
    assert c.case.input == {"question": "How long do refunds take?"}
    assert c.case.provenance == f"trace:{trace_id}" and c.case.id == f"trace-{trace_id[:12]}"
    assert c.case.reason == "quoted 30 days; policy is 14" and c.case.expected == Expected()
    assert c.suggested["reference"] == "Refunds take 30 days."
    assert (c.suggested["intent"], c.suggested["intent_confidence"]) == ("refund", 0.91)
    assert c.suggested["tools"] == ["lookup_order"] and c.suggested["release"] == "agent@1.4"


def test_candidate_does_not_join_the_dataset_until_confirmed(store: Store, trace_id: str) -> None:
    propose(store, trace_id)
    assert load_dataset(store, "support").version == 1
    assert [c.case.provenance for c in list_candidates(store, "support")] == [f"trace:{trace_id}"]


def test_confirm_creates_next_version_with_the_confirmed_answer(
    store: Store, trace_id: str
) -> None:
    cid = propose(store, trace_id)
    v2 = confirm_candidate(store, cid, reviewer="lead", expected=Expected(reference="14 days."))
    assert v2.version == 2 and v2.created_by == "lead" and cid in (v2.message or "")
    added = v2.cases[-1]
    assert added.expected.reference == "14 days." and added.provenance == f"trace:{trace_id}"
    assert added.added_by == "ops"
    c = get_candidate(store, cid)
    assert (c.status, c.reviewed_by, c.confirmed_version) == ("confirmed", "lead", 2)
    assert list_candidates(store, "support") == []


def test_expected_given_when_proposing_is_kept_at_confirmation(store: Store, trace_id: str) -> None:
    cid = propose(store, trace_id, expected=Expected(intent="refund", facts=["14 days"]))
    assert confirm_candidate(store, cid, reviewer="lead").cases[-1].expected.facts == ["14 days"]


def test_confirm_without_expected_answer_is_refused(store: Store, trace_id: str) -> None:
    cid = propose(store, trace_id)
    with pytest.raises(DatasetError, match="no expected behaviour"):
        confirm_candidate(store, cid, reviewer="lead")
    assert get_candidate(store, cid).status == "pending"


@pytest.mark.parametrize("reviewer", ["", "   "])
def test_confirm_by_nobody_is_refused(store: Store, trace_id: str, reviewer: str) -> None:
    cid = propose(store, trace_id)
    with pytest.raises(DatasetError, match="reviewer must name a person"):
        confirm_candidate(store, cid, reviewer=reviewer, expected=Expected(reference="x"))
    assert get_candidate(store, cid).status == "pending"


def test_confirm_refuses_an_input_the_dataset_already_has(store: Store, trace_id: str) -> None:
    cid = propose(store, trace_id)
    save_dataset(
        store, "support", [*EXPERT, Case(id="r", input={"question": "how long do refunds take"})]
    )
    with pytest.raises(DatasetError, match="already has this input, as case 'r'"):
        confirm_candidate(store, cid, reviewer="lead", expected=Expected(reference="14 days"))
    assert load_dataset(store, "support").version == 2


def test_confirm_twice_is_refused(store: Store, trace_id: str) -> None:
    cid = propose(store, trace_id)
    confirm_candidate(store, cid, reviewer="lead", expected=Expected(reference="14 days"))
    with pytest.raises(DatasetError, match="already confirmed by lead"):
        confirm_candidate(store, cid, reviewer="lead", expected=Expected(reference="14 days"))


def test_reject_keeps_the_candidate_out_of_the_dataset(store: Store, trace_id: str) -> None:
    cid = propose(store, trace_id)
    rejected = reject_candidate(store, cid, reviewer="lead", note="agent was right")
    assert (rejected.status, rejected.review_note) == ("rejected", "agent was right")
    assert load_dataset(store, "support").version == 1
    assert [c.id for c in list_candidates(store, status="rejected")] == [cid]
    with pytest.raises(DatasetError, match="already rejected"):
        confirm_candidate(store, cid, reviewer="lead", expected=Expected(reference="x"))


def test_proposal_needs_a_person_a_reason_and_an_existing_dataset(
    store: Store, trace_id: str
) -> None:
    with pytest.raises(DatasetError, match="added_by"):
        propose(store, trace_id, added_by=" ")
    with pytest.raises(DatasetError, match="reason"):
        propose(store, trace_id, reason="")
    with pytest.raises(DatasetNotFound, match="no dataset 'nope'"):
        add_from_trace(store, trace_id, "nope", added_by="ops", reason="r")


def test_same_trace_is_not_proposed_twice(store: Store, trace_id: str) -> None:
    cid = propose(store, trace_id)
    with pytest.raises(DatasetError, match=f"already pending as candidate {cid}"):
        propose(store, trace_id)


def test_trace_whose_input_is_already_a_case_is_refused(store: Store) -> None:
    save_dataset(store, "support", EXPERT)
    trace_id = traced(store, "How do I reset my PIN")
    with pytest.raises(DatasetError, match="already has this input, as case 'pin'"):
        propose(store, trace_id)


def test_unknown_trace_and_candidate_are_lookup_errors(store: Store, trace_id: str) -> None:
    with pytest.raises(LookupError, match="no trace"):
        propose(store, "f" * 32)
    with pytest.raises(CandidateNotFound, match="no candidate case 'nope'"):
        reject_candidate(store, "nope", reviewer="lead")


def test_text_input_and_root_name_fallback(store: Store) -> None:
    save_dataset(store, "support", [])
    with capture(store=store) as cap:
        with prodready.span("answer", kind="agent") as s:
            s.input("Where is my card?")
        with prodready.span("nightly-batch", kind="workflow"):
            pass
        ids = [t.trace_id for t in cap.traces()]
    inputs = {get_candidate(store, propose(store, tid)).case.input for tid in ids}
    assert inputs == {"Where is my card?", "nightly-batch"}


def test_suggested_expected_fills_reference_and_intent(store: Store, trace_id: str) -> None:
    c = get_candidate(store, propose(store, trace_id, expected=Expected(facts=["14 days"])))
    assert c.suggested_expected() == Expected(
        reference="Refunds take 30 days.", intent="refund", facts=["14 days"]
    )


def test_concurrent_confirmations_lose_no_case(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    save_dataset(store, "support", EXPERT)
    questions = [f"Question number {i} about {word}" for i, word in enumerate("abcdef")]
    ids = [propose(store, traced(store, q)) for q in questions]
    with ThreadPoolExecutor(len(ids)) as pool:
        list(
            pool.map(
                lambda cid: confirm_candidate(
                    store, cid, reviewer="lead", expected=Expected(reference="x")
                ),
                ids,
            )
        )
    latest = load_dataset(store, "support")
    assert latest.version == 1 + len(ids) and len(latest.cases) == 1 + len(ids)


def test_a_case_from_a_traced_call_records_that_its_input_is_the_calls_arguments(
    store: Store, trace_id: str
) -> None:
    case = get_candidate(store, propose(store, trace_id)).case
    assert (case.input, case.input_kind) == ({"question": "How long do refunds take?"}, "arguments")


def test_an_object_a_span_recorded_as_its_input_stays_one_value(store: Store) -> None:
    save_dataset(store, "support", [])
    with capture(store=store) as cap:
        with prodready.span("answer", kind="agent") as s:
            s.input({"question": "Where is my card?"})
        trace_id = cap.trace().summary.trace_id
    case = get_candidate(store, propose(store, trace_id)).case
    assert (case.input, case.input_kind) == ({"question": "Where is my card?"}, "value")


def test_arguments_cut_short_by_capture_are_refused(store: Store) -> None:
    save_dataset(store, "support", [])
    trace_id = traced(store, "refund " * 20_000)  # over the 100,000 characters captured
    with pytest.raises(DatasetError, match="arguments were cut at 100,000 characters"):
        propose(store, trace_id)
