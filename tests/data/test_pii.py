"""PII detectors: valid identifiers are found, lookalikes with bad checksums are not."""

from __future__ import annotations

import pytest

import prodready
from prodready.data import detect_pii, iban_valid, luhn_valid, pii_redactor, redact_pii
from prodready.testing import capture


def kinds(text: str) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in detect_pii(text)]


def test_luhn_and_iban_checksums() -> None:
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and iban_valid("de89370400440532013000")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")
    assert not iban_valid("GB82 WEST 1234 5698 7654 3")  # GB IBANs have 22 characters


def test_card_numbers_need_a_valid_luhn_digit() -> None:
    assert kinds("card 4111 1111 1111 1111.") == [("card", "4111 1111 1111 1111")]
    assert kinds("card 5555-5555-5555-4444 exp 2027") == [("card", "5555-5555-5555-4444")]
    assert kinds("card 4111 1111 1111 1112") == []


def test_ibans_need_the_country_length_and_mod_97() -> None:
    assert kinds("pay GB82 WEST 1234 5698 7654 32 today") == [
        ("iban", "GB82 WEST 1234 5698 7654 32")
    ]
    assert kinds("pay GB82 WEST 1234 5698 7654 33 today") == []


def test_emails_and_phone_numbers() -> None:
    text = "ana.b+x@example.co.uk, +44 20 7946 0958, (415) 555-2671, 020 7946 0958"
    assert [k for k, _ in kinds(text)] == ["email", "phone", "phone", "phone"]


@pytest.mark.parametrize(
    "text",
    [
        "paid 1,000.00 EUR on 2024-01-15",
        "meeting 01.02.2024 10:30",
        "order 0001234567 ref 20240115",
        "version 1.4.0, 99.9% uptime, +5 points",
    ],
)
def test_amounts_dates_and_ids_are_not_phone_numbers(text: str) -> None:
    assert kinds(text) == []


def test_national_ids_follow_their_rules() -> None:
    assert kinds("NINO AB 12 34 56 C") == [("nino", "AB 12 34 56 C")]
    assert kinds("NINO QQ123456C GB123456A") == []  # Q first, GB prefix: never issued
    assert kinds("SSN 536-22-1234") == [("ssn", "536-22-1234")]
    assert kinds("SSN 666-22-1234 900-22-1234 536-00-1234") == []
    assert kinds("DNI 12345678Z NIE X1234567L") == [
        ("es_dni", "12345678Z"),
        ("es_dni", "X1234567L"),
    ]
    assert kinds("DNI 12345678A") == []  # wrong mod-23 letter


def test_redact_pii_replaces_each_match() -> None:
    text = "card 4111 1111 1111 1111, mail ana@example.com"
    assert redact_pii(text) == "card [card], mail [email]"
    assert (
        redact_pii(text, ["email"], replacement="<{kind}>")
        == "card 4111 1111 1111 1111, mail <email>"
    )


def test_pii_redactor_keeps_pii_out_of_stored_traces() -> None:
    with capture(redact=pii_redactor()) as cap:
        with prodready.span("reply", kind="agent") as s:
            s.output("Your IBAN GB82 WEST 1234 5698 7654 32 is verified")
            s.set("tags", ["ana@example.com", "vip"])
    attributes = cap.trace().spans[0].attributes
    assert attributes["prodready.output"] == "Your IBAN [iban] is verified"
    assert attributes["tags"] == ["[email]", "vip"]
