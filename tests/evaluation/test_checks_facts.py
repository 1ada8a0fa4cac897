"""What "normalised" means for required facts: each rule, found and not found."""

from __future__ import annotations

import pytest

from prodready.evaluation.scorers import match_facts


def found(fact: str, text: str) -> bool:
    return match_facts([fact], text) == ([fact], [])


@pytest.mark.parametrize(
    ("fact", "text"),
    [
        ("1000", "a limit of 1,000 today"),
        ("1,000", "a limit of 1000.00"),
        ("1234.5", "1.234,50 in total"),
        ("1.5 million", "1,500,000 customers"),
        ("5k", "5,000 points"),
        ("€25", "25 EUR"),
        ("€25", "EUR 25.00"),
        ("25 EUR", "twenty-five euros"),
        ("£10", "10 GBP"),
        ("5%", "5 percent"),
        ("5 percent", "5 per cent"),
        ("5 working days", "five working days"),
        ("5 working days", "5 business days"),
        ("2 days", "48 hours"),
        ("an hour", "60 minutes"),
        ("1 week", "7 days"),
        ("24h", "one day"),
        ("1 year", "12 months"),
        ("3-5 working days", "3 to 5 business days"),
        ("Card Replacement", "card\n  replacement"),
        ("25", "a fee of €25"),
    ],
)
def test_equivalent_forms_are_found(fact: str, text: str) -> None:
    assert found(fact, text)


@pytest.mark.parametrize(
    ("fact", "text"),
    [
        ("€25", "$25"),  # another currency
        ("€25", "a fee of 25"),  # the currency is part of the fact
        ("5 working days", "5 days"),  # working days are not calendar days
        ("2 days", "2 hours"),
        ("5%", "5.5%"),
        ("1000", "100"),
        ("refund in 5 days", "5 days for a refund"),  # order matters
    ],
)
def test_different_facts_are_not_found(fact: str, text: str) -> None:
    assert not found(fact, text)
