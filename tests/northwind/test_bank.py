"""Northwind Bank: policy documents, the deterministic core-banking database, the tools."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from northwind.bank import (
    Bank,
    PolicyError,
    UnknownIdError,
    banking77_intents,
    build_bank,
    load_policies,
    render,
)
from northwind.bank._cli import app as bank_app
from northwind.bank._facts import FACTS
from northwind.cli import app as northwind_app


@pytest.fixture(scope="module")
def bank_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bank(tmp_path_factory.mktemp("bank") / "bank.sqlite", seed=0, customers=60)


def _dump(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path, bank_path: Path) -> None:
    again = build_bank(tmp_path / "again.sqlite", seed=0, customers=60)
    assert _dump(again) == _dump(bank_path)
    assert again.read_bytes() == bank_path.read_bytes()
    other = build_bank(tmp_path / "other.sqlite", seed=1, customers=60)
    assert _dump(other) != _dump(bank_path)


def test_every_intent_is_covered_and_documents_are_current() -> None:
    policies = load_policies()
    covered = {intent for policy in policies for intent in policy.intents}
    assert set(banking77_intents()) - covered == set()
    assert len(banking77_intents()) == 77
    assert all(p.version and p.owner and p.title for p in policies)
    # The shipped files are exactly what the facts table renders (one fee per thing).
    for name, text in render.rendered().items():
        assert (render.POLICY_DIR / name).read_text(encoding="utf-8") == text, name
    assert str(FACTS["replacement_card_fee"]) in next(
        p.body for p in policies if p.id == "cards-security-and-problems"
    )


GOOD = (
    "---\nid: x\nversion: '1'\neffective_date: 2026-01-01\nowner: Ops\n"
    "intents:\n  - {}\n---\n# T\nbody\n"
)


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (GOOD.format("card_arrival").replace("owner: Ops\n", ""), ":1:", "'owner'"),
        (GOOD.format("no_such_intent"), ":7:", "unknown intent 'no_such_intent'"),
        (GOOD.format("card_arrival").replace("2026-01-01", "soon"), ":4:", "effective_date"),
        (GOOD.format("card_arrival").replace("owner: Ops", "owner: [a"), ":6:", "invalid YAML"),
        ("# no front matter\n", ":1:", "starts with '---'"),
    ],
)
def test_front_matter_errors_name_file_and_line(
    tmp_path: Path, text: str, where: str, says: str
) -> None:
    (tmp_path / "ok.md").write_text(GOOD.format("card_arrival"))
    (tmp_path / "bad.md").write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'bad.md'}{where}"), message
    assert says in message


def test_tools_on_known_and_unknown_ids(bank_path: Path) -> None:
    bank = Bank(bank_path)
    cards = bank.card_status("C00001")
    assert cards and all(card.customer_id == "C00001" for card in cards)
    balance = bank.balance("C00001")
    con = sqlite3.connect(bank_path)
    completed = con.execute(
        "SELECT SUM(amount_cents) FROM transactions WHERE customer_id = 'C00001'"
        " AND status = 'completed'"
    ).fetchone()[0]
    transfer_id, top_up_id = con.execute(
        "SELECT (SELECT MIN(transfer_id) FROM transfers), (SELECT MIN(top_up_id) FROM top_ups)"
    ).fetchone()
    con.close()
    assert balance.available == Decimal(completed) / 100
    transfer = bank.transfer_status(transfer_id)
    assert transfer.transfer_id == transfer_id and transfer.expected_by > transfer.created_at
    assert bank.top_up_status(top_up_id).top_up_id == top_up_id
    # The database charges the policy documents' fees.
    con = sqlite3.connect(bank_path)
    cash_top_up, swift = con.execute(
        "SELECT (SELECT MIN(top_up_id) FROM top_ups"
        "  WHERE method = 'cash_or_cheque' AND currency = 'GBP'),"
        " (SELECT MIN(transfer_id) FROM transfers WHERE scheme = 'swift')"
    ).fetchone()
    con.close()
    assert f"£{bank.top_up_status(cash_top_up).fee:.2f}" == FACTS["topup_cash_fee"]
    usd_fee = bank.transfer_status(swift).fee  # USD, the policy's GBP fee at the fixed rate
    assert usd_fee == Decimal(str(FACTS["transfer_fee_swift"])[1:]) * Decimal("1.27")
    assert bank.exchange_rate("GBP", "EUR") == Decimal("1.17")
    assert bank.exchange_rate("eur", "EUR") == 1
    for call, arg, kind in [
        (bank.card_status, "C99999", "customer"),
        (bank.balance, "nobody", "customer"),
        (bank.block_card, "K999999", "card"),
        (bank.transfer_status, "R999999", "transfer"),
        (bank.top_up_status, "T999999", "top-up"),
    ]:
        with pytest.raises(UnknownIdError, match=f"unknown {kind} '{arg}'"):
            call(arg)
    with pytest.raises(UnknownIdError, match="unknown currency 'BTC'"):
        bank.exchange_rate("GBP", "BTC")


def test_block_card_is_idempotent(tmp_path: Path) -> None:
    path = build_bank(tmp_path / "bank.sqlite", seed=3, customers=5)
    bank = Bank(path)
    card = next(c for c in bank.card_status("C00001") if c.status != "blocked")
    first = bank.block_card(card.card_id)
    assert first.status == "blocked"
    after_first = _dump(path)
    assert bank.block_card(card.card_id) == first
    assert _dump(path) == after_first
    assert [c.status for c in bank.card_status("C00001") if c.card_id == card.card_id] == [
        "blocked"
    ]


def test_cli_build_and_policies(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "cli.sqlite"
    result = runner.invoke(
        bank_app, ["build", "--path", str(path), "--seed", "2", "--customers", "4"]
    )
    assert result.exit_code == 0, result.output
    assert Bank(path).balance("C00004").customer_id == "C00004"
    result = runner.invoke(northwind_app, ["bank", "policies"])
    assert result.exit_code == 0, result.output
    assert "cover 77 of 77 intents" in result.output
    assert "card_arrival" in result.output


def test_recent_transfer_and_top_up_are_the_customers_latest(bank_path: Path) -> None:
    bank = Bank(bank_path)
    with sqlite3.connect(bank.path) as con:
        customer, newest = con.execute(
            "SELECT customer_id, transfer_id FROM transfers ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        payer = con.execute("SELECT customer_id FROM top_ups LIMIT 1").fetchone()[0]
        idle = con.execute(
            "SELECT customer_id FROM customers WHERE customer_id NOT IN"
            " (SELECT customer_id FROM transfers) LIMIT 1"
        ).fetchone()[0]
    con.close()
    latest = bank.recent_transfer(customer)
    assert latest is not None and latest.transfer_id == newest
    top_up = bank.recent_top_up(payer)
    assert top_up is not None and top_up.customer_id == payer
    assert bank.recent_transfer(idle) is None
    with pytest.raises(UnknownIdError):
        bank.recent_transfer("C99999")
