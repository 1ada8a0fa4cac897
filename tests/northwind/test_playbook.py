"""The agent's playbook: one grounded play per BANKING77 intent."""

from __future__ import annotations

import re

import pytest

from northwind.agent.playbook import HUMAN_INTENTS, PLAYS, TOOLS, Play
from northwind.bank import banking77_intents, load_policies
from northwind.bank._facts import FACTS

TOOL_TABLE = {
    ("card_status",): {
        "card_arrival",
        "card_delivery_estimate",
        "activate_my_card",
        "card_about_to_expire",
        "card_not_working",
        "contactless_not_working",
        "pin_blocked",
        "virtual_card_not_working",
    },
    ("card_status", "block_card"): {"lost_or_stolen_card", "compromised_card"},
    ("recent_transfer",): {
        "cancel_transfer",
        "declined_transfer",
        "failed_transfer",
        "pending_transfer",
        "transfer_fee_charged",
        "transfer_not_received_by_recipient",
        "balance_not_updated_after_bank_transfer",
    },
    ("recent_top_up",): {
        "pending_top_up",
        "top_up_failed",
        "top_up_reverted",
        "balance_not_updated_after_cheque_or_cash_deposit",
    },
    ("balance",): {"pending_card_payment", "pending_cash_withdrawal"},
    ("exchange_rate",): {"exchange_rate"},
}
HUMAN = {
    "compromised_card",
    "card_payment_not_recognised",
    "cash_withdrawal_not_recognised",
    "direct_debit_payment_not_recognised",
    "transaction_charged_twice",
    "wrong_amount_of_cash_received",
    "lost_or_stolen_phone",
    "unable_to_verify_identity",
}
POLICIES = {policy.id: policy for policy in load_policies()}
ALL_PLAYS = pytest.mark.parametrize("play", list(PLAYS.values()), ids=list(PLAYS))


def test_every_intent_has_exactly_one_play() -> None:
    assert set(PLAYS) == set(banking77_intents())
    assert all(intent == play.intent for intent, play in PLAYS.items())


@ALL_PLAYS
def test_the_document_lists_the_intent_and_has_the_sections(play: Play) -> None:
    policy = POLICIES[play.document]
    headings = re.findall(r"^## (.+)$", policy.body, flags=re.MULTILINE)
    assert play.intent in policy.intents
    assert play.sections
    assert set(play.sections) <= set(headings)


@ALL_PLAYS
def test_the_answer_quotes_known_facts_and_states_its_key_facts(play: Play) -> None:
    assert play.quoted_facts() <= set(FACTS)
    assert set(play.facts) <= play.quoted_facts()
    assert len(play.facts) <= 3
    assert all(value in play.render() for value in play.fact_values())


@ALL_PLAYS
def test_the_answer_states_no_number_or_amount_of_its_own(play: Play) -> None:
    template = re.sub(r"\{\w+\}", "", play.answer)
    assert not re.search(r"[0-9£€$%]", template)


@ALL_PLAYS
def test_the_answer_is_one_to_three_sentences(play: Play) -> None:
    sentences = re.findall(r"[.!?](?:\s|$)", play.render())
    assert 1 <= len(sentences) <= 3


@ALL_PLAYS
def test_tools_come_from_the_tool_list(play: Play) -> None:
    assert set(play.tools) <= set(TOOLS)


def test_tools_and_escalations_follow_the_table() -> None:
    tools = {intent: play.tools for intent, play in PLAYS.items() if play.tools}
    expected = {intent: key for key, intents in TOOL_TABLE.items() for intent in intents}
    assert tools == expected
    assert HUMAN_INTENTS == HUMAN


@pytest.mark.parametrize("intent", sorted(HUMAN - {"compromised_card"}))
def test_a_human_play_says_who_takes_over(intent: str) -> None:
    assert "colleague" in PLAYS[intent].answer
