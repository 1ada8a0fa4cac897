"""Northwind Bank's core-banking database (SQLite) and the agent's tools over it.

``build_bank`` writes synthetic customers, cards, transfers, top-ups and transactions drawn
from one seeded random generator and a fixed calendar, so the same seed gives the same data.
:class:`Bank` is the agent's view of it: one typed method per tool.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from northwind.bank._facts import FACTS, RATES_PER_GBP

CardStatusName = Literal["active", "blocked", "ordered", "expired"]
TransferStatusName = Literal["pending", "completed", "failed", "cancelled", "declined"]
TopUpStatusName = Literal["pending", "completed", "failed", "reverted"]

_EPOCH = datetime(2025, 1, 1, 9, 0, 0)
TODAY = date(2026, 1, 1)
"""The database's "now": delivery estimates, expiries and ages count from it."""
_TODAY = TODAY

_SCHEMA = """
CREATE TABLE customers (
    customer_id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
    country TEXT NOT NULL, currency TEXT NOT NULL, opened_on TEXT NOT NULL);
CREATE TABLE cards (
    card_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    kind TEXT NOT NULL, last4 TEXT NOT NULL, status TEXT NOT NULL,
    ordered_on TEXT NOT NULL, expected_delivery TEXT, expires_on TEXT NOT NULL);
CREATE INDEX cards_customer ON cards(customer_id);
CREATE TABLE transfers (
    transfer_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    amount_cents INTEGER NOT NULL, currency TEXT NOT NULL, beneficiary TEXT NOT NULL,
    scheme TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    expected_by TEXT NOT NULL, fee_cents INTEGER NOT NULL);
CREATE TABLE top_ups (
    top_up_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    amount_cents INTEGER NOT NULL, currency TEXT NOT NULL, method TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, fee_cents INTEGER NOT NULL);
CREATE TABLE transactions (
    transaction_id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(customer_id),
    card_id TEXT REFERENCES cards(card_id), kind TEXT NOT NULL,
    amount_cents INTEGER NOT NULL, currency TEXT NOT NULL, description TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX transactions_customer ON transactions(customer_id);
CREATE TABLE exchange_rates (
    from_currency TEXT NOT NULL, to_currency TEXT NOT NULL, rate TEXT NOT NULL,
    PRIMARY KEY (from_currency, to_currency));
"""

_FIRST = (
    "Alex", "Sam", "Maria", "John", "Aisha", "Tom", "Olga", "Li", "Priya", "Lucas",
    "Emma", "Noah", "Sofia", "Omar", "Hannah", "Jakub", "Ines", "Kenji", "Chloe", "Mateo",
)  # fmt: skip
_LAST = (
    "Smith", "Jones", "Garcia", "Novak", "Khan", "Brown", "Rossi", "Schmidt", "Silva",
    "Dubois", "Nowak", "Murphy", "Larsen", "Tanaka", "Walker", "Costa", "Berg", "Patel",
)  # fmt: skip
_COUNTRIES = (("GB", "GBP"),) * 6 + (
    ("IE", "EUR"), ("FR", "EUR"), ("DE", "EUR"), ("ES", "EUR"), ("PL", "PLN"), ("SE", "SEK"),
)  # fmt: skip
_MERCHANTS = (
    "Tesco", "Amazon", "Pret A Manger", "Uber", "Spotify", "Shell", "IKEA", "Ryanair",
    "Boots", "Deliveroo", "Netflix", "Lidl", "Zara", "Trainline",
)  # fmt: skip


def _fact_cents(name: str) -> int:
    """A fee from the facts table ("free" or "£1,234.56") in pence."""
    text = str(FACTS[name])
    return 0 if text == "free" else int(Decimal(text.lstrip("£").replace(",", "")) * 100)


def _in_currency(pence: int, currency: str) -> int:
    """A GBP amount in pence as minor units of ``currency`` at the fixed rate."""
    return int((pence * Decimal(RATES_PER_GBP[currency])).to_integral_value())


# The fees charged in the database are the policy documents' fees (in GBP; a fee on a
# transfer or top-up in another currency is charged in that currency at the fixed rate).
_FEE = {
    "domestic": _fact_cents("transfer_fee_domestic"),
    "sepa": _fact_cents("transfer_fee_sepa"),
    "swift": _fact_cents("transfer_fee_swift"),
}
_TOP_UP_FEE = {
    "card": _fact_cents("topup_card_fee_uk"),
    "bank_transfer": _fact_cents("topup_bank_transfer_fee"),
    "cash_or_cheque": _fact_cents("topup_cash_fee"),
}
_DAYS = {"domestic": 0, "sepa": 1, "swift": 5}


class UnknownIdError(LookupError):
    """A tool was asked about an id (customer, card, transfer, top-up, currency) that does
    not exist; ``kind`` and ``id`` say which."""

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"unknown {kind} {id!r}")

    def __reduce__(self) -> tuple[type[UnknownIdError], tuple[str, str]]:
        return (type(self), (self.kind, self.id))


def build_bank(path: str | Path, seed: int = 0, customers: int = 500) -> Path:
    """Write a fresh core-banking database at ``path`` (replacing any file there).

    Everything is drawn from ``random.Random(seed)`` over a fixed calendar, so the same
    ``seed`` and ``customers`` give the same rows. Returns the path.
    """
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    try:
        con.executescript(_SCHEMA)
        with con:
            _fill(con, rng, customers)
        con.execute("VACUUM")
    finally:
        con.close()
    return path


def _at(rng: random.Random, days: int = 365) -> datetime:
    return _EPOCH + timedelta(seconds=rng.randrange(days * 86400))


def _card_row(
    rng: random.Random, card_id: str, customer_id: str, kind: str, country: str
) -> tuple[str, str, str, str, str, str, str | None, str]:
    # Virtual cards are ready at once (policy): only physical ones can be on order.
    weights = (80, 6, 10 if kind == "physical" else 0, 4)
    status = rng.choices(("active", "blocked", "ordered", "expired"), weights)[0]
    if status == "expired":
        expires = _TODAY - timedelta(rng.randint(1, 60))
        ordered = expires.replace(year=expires.year - 3)
    else:
        ordered = _TODAY - timedelta(rng.randint(0, 12)) if status == "ordered" else _at(rng).date()
        expires = ordered.replace(year=ordered.year + 3, day=1)
    delivery = (
        (ordered + timedelta(days=5 if country == "GB" else 10)).isoformat()
        if kind == "physical"
        else None
    )
    last4 = f"{rng.randrange(10000):04d}"
    return (card_id, customer_id, kind, last4, status, ordered.isoformat(), delivery,
            expires.isoformat())  # fmt: skip


def _fill(con: sqlite3.Connection, rng: random.Random, n: int) -> None:
    rates = [
        (
            a,
            b,
            str(
                (Decimal(RATES_PER_GBP[b]) / Decimal(RATES_PER_GBP[a])).quantize(
                    Decimal("0.000001")
                )
            ),
        )
        for a in RATES_PER_GBP
        for b in RATES_PER_GBP
    ]
    con.executemany("INSERT INTO exchange_rates VALUES (?, ?, ?)", rates)
    card_no = transfer_no = top_up_no = 0
    txs: list[tuple[str, str | None, str, int, str, str, str, str]] = []
    for c in range(1, n + 1):
        customer_id = f"C{c:05d}"
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        country, currency = rng.choice(_COUNTRIES)
        opened = _at(rng, 180).date()
        con.execute(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
            (customer_id, f"{first} {last}", f"{first}.{last}{c}@example.com".lower(),
             country, currency, opened.isoformat()),
        )  # fmt: skip
        cards: list[str] = []
        for kind in ["physical"] + ["virtual"] * rng.randint(0, 2):
            card_no += 1
            card_id = f"K{card_no:06d}"
            row = _card_row(rng, card_id, customer_id, kind, country)
            con.execute("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            status = row[4]
            if status in ("active", "blocked"):
                cards.append(card_id)

        for _ in range(rng.randint(1, 3)):
            top_up_no += 1
            at = _at(rng)
            method = rng.choices(("card", "bank_transfer", "cash_or_cheque"), (6, 3, 1))[0]
            amount = rng.randrange(2_000, 150_000, 100)
            status = rng.choices(("completed", "pending", "failed", "reverted"), (85, 5, 6, 4))[0]
            fee = _in_currency(_TOP_UP_FEE[method], currency)
            con.execute(
                "INSERT INTO top_ups VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (f"T{top_up_no:06d}", customer_id, amount, currency, method, status,
                 at.isoformat(sep=" "), fee),
            )  # fmt: skip
            if status in ("completed", "pending"):
                txs.append(
                    (
                        customer_id,
                        None,
                        "top_up",
                        amount - fee,
                        currency,
                        f"Top-up by {method}",
                        status,
                        at.isoformat(sep=" "),
                    )
                )
        for _ in range(rng.randint(0, 8) if cards else 0):
            at = _at(rng)
            kind = rng.choices(("card_payment", "cash_withdrawal"), (5, 1))[0]
            cents = (
                rng.randrange(150, 12_000)
                if kind == "card_payment"
                else rng.randrange(2_000, 20_000, 1_000)
            )
            desc = rng.choice(_MERCHANTS) if kind == "card_payment" else "ATM withdrawal"
            status = rng.choices(("completed", "pending", "reverted"), (88, 9, 3))[0]
            txs.append(
                (
                    customer_id,
                    rng.choice(cards),
                    kind,
                    -cents,
                    currency,
                    desc,
                    status,
                    at.isoformat(sep=" "),
                )
            )
        for _ in range(rng.randint(0, 3)):
            transfer_no += 1
            at = _at(rng)
            scheme = rng.choices(("domestic", "sepa", "swift"), (6, 3, 1))[0]
            cur = {"domestic": currency, "sepa": "EUR", "swift": "USD"}[scheme]
            amount = rng.randrange(1_000, 80_000, 100)
            fee = _in_currency(_FEE[scheme], cur)
            status = rng.choices(
                ("completed", "pending", "failed", "cancelled", "declined"), (78, 8, 5, 5, 4)
            )[0]
            expected = (
                at + timedelta(hours=2)
                if scheme == "domestic"
                else at + timedelta(days=_DAYS[scheme])
            )
            con.execute(
                "INSERT INTO transfers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (f"R{transfer_no:06d}", customer_id, amount, cur,
                 f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", scheme, status,
                 at.isoformat(sep=" "), expected.isoformat(sep=" "), fee),
            )  # fmt: skip
            if status in ("completed", "pending"):
                rate = Decimal(RATES_PER_GBP[currency]) / Decimal(RATES_PER_GBP[cur])
                debit = int(((amount + fee) * rate).to_integral_value())
                txs.append(
                    (
                        customer_id,
                        None,
                        "transfer",
                        -debit,
                        currency,
                        f"Transfer {cur} {amount / 100:.2f}",
                        status,
                        at.isoformat(sep=" "),
                    )
                )

    txs.sort(key=lambda t: (t[7], t[0]))
    con.executemany(
        "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(f"X{i:07d}", *t) for i, t in enumerate(txs, start=1)],
    )


@dataclass(frozen=True, kw_only=True)
class CardStatus:
    """A card as the agent sees it."""

    card_id: str
    customer_id: str
    kind: Literal["physical", "virtual"]
    last4: str
    status: CardStatusName
    ordered_on: date
    expected_delivery: date | None
    expires_on: date


@dataclass(frozen=True, kw_only=True)
class TransferStatus:
    """An outgoing transfer's state."""

    transfer_id: str
    customer_id: str
    amount: Decimal
    currency: str
    beneficiary: str
    scheme: Literal["domestic", "sepa", "swift"]
    status: TransferStatusName
    created_at: datetime
    expected_by: datetime
    fee: Decimal


@dataclass(frozen=True, kw_only=True)
class TopUpStatus:
    """A top-up's state."""

    top_up_id: str
    customer_id: str
    amount: Decimal
    currency: str
    method: Literal["card", "bank_transfer", "cash_or_cheque"]
    status: TopUpStatusName
    created_at: datetime
    fee: Decimal


@dataclass(frozen=True, kw_only=True)
class Balance:
    """A customer's balance: completed transactions, and pending ones apart."""

    customer_id: str
    currency: str
    available: Decimal
    pending: Decimal


def _money(cents: int) -> Decimal:
    return Decimal(cents) / 100


class Bank:
    """The agent's tools over a core-banking database built by :func:`build_bank`.

    Each call opens its own short connection, so one ``Bank`` may be shared across threads.
    Unknown ids raise :class:`UnknownIdError`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no bank database at {self.path} (run: northwind bank build)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One transaction on a connection that is closed afterwards (sqlite3's own
        ``with connection`` commits or rolls back but leaves it open)."""
        con = sqlite3.connect(self.path)
        con.row_factory = sqlite3.Row
        try:
            with con:
                yield con
        finally:
            con.close()

    def _customer_currency(self, con: sqlite3.Connection, customer_id: str) -> str:
        row = con.execute(
            "SELECT currency FROM customers WHERE customer_id = ?", (customer_id,)
        ).fetchone()
        if row is None:
            raise UnknownIdError("customer", customer_id)
        return str(row["currency"])

    @staticmethod
    def _card(row: sqlite3.Row) -> CardStatus:
        return CardStatus(
            card_id=row["card_id"],
            customer_id=row["customer_id"],
            kind=row["kind"],
            last4=row["last4"],
            status=row["status"],
            ordered_on=date.fromisoformat(row["ordered_on"]),
            expected_delivery=(
                date.fromisoformat(row["expected_delivery"]) if row["expected_delivery"] else None
            ),
            expires_on=date.fromisoformat(row["expires_on"]),
        )

    def card_status(self, customer_id: str) -> list[CardStatus]:
        """The customer's cards, in the order they were issued."""
        with self._connect() as con:
            self._customer_currency(con, customer_id)
            rows = con.execute(
                "SELECT * FROM cards WHERE customer_id = ? ORDER BY card_id", (customer_id,)
            ).fetchall()
        return [self._card(row) for row in rows]

    def block_card(self, card_id: str) -> CardStatus:
        """Block a card and return it; blocking a blocked card changes nothing (idempotent)."""
        with self._connect() as con:
            con.execute(
                "UPDATE cards SET status = 'blocked' WHERE card_id = ? AND status != 'blocked'",
                (card_id,),
            )
            row = con.execute("SELECT * FROM cards WHERE card_id = ?", (card_id,)).fetchone()
        if row is None:
            raise UnknownIdError("card", card_id)
        return self._card(row)

    @staticmethod
    def _transfer(row: sqlite3.Row) -> TransferStatus:
        return TransferStatus(
            transfer_id=row["transfer_id"],
            customer_id=row["customer_id"],
            amount=_money(row["amount_cents"]),
            currency=row["currency"],
            beneficiary=row["beneficiary"],
            scheme=row["scheme"],
            status=row["status"],
            created_at=datetime.fromisoformat(row["created_at"]),
            expected_by=datetime.fromisoformat(row["expected_by"]),
            fee=_money(row["fee_cents"]),
        )

    @staticmethod
    def _top_up(row: sqlite3.Row) -> TopUpStatus:
        return TopUpStatus(
            top_up_id=row["top_up_id"],
            customer_id=row["customer_id"],
            amount=_money(row["amount_cents"]),
            currency=row["currency"],
            method=row["method"],
            status=row["status"],
            created_at=datetime.fromisoformat(row["created_at"]),
            fee=_money(row["fee_cents"]),
        )

    def transfer_status(self, transfer_id: str) -> TransferStatus:
        """An outgoing transfer's status, amount, scheme, fee and expected arrival."""
        with self._connect() as con:
            row = con.execute(
                "SELECT * FROM transfers WHERE transfer_id = ?", (transfer_id,)
            ).fetchone()
        if row is None:
            raise UnknownIdError("transfer", transfer_id)
        return self._transfer(row)

    def recent_transfer(self, customer_id: str) -> TransferStatus | None:
        """The customer's latest outgoing transfer, or ``None`` if they have made none."""
        row = self._latest("transfers", "transfer_id", customer_id)
        return None if row is None else self._transfer(row)

    def _latest(self, table: str, key: str, customer_id: str) -> sqlite3.Row | None:
        """The customer's newest row of ``table`` (``transfers`` or ``top_ups``)."""
        with self._connect() as con:
            self._customer_currency(con, customer_id)
            row: sqlite3.Row | None = con.execute(
                f"SELECT * FROM {table} WHERE customer_id = ?"  # table and key: our literals
                f" ORDER BY created_at DESC, {key} DESC LIMIT 1",
                (customer_id,),
            ).fetchone()
        return row

    def top_up_status(self, top_up_id: str) -> TopUpStatus:
        """A top-up's status, amount, method and fee."""
        with self._connect() as con:
            row = con.execute("SELECT * FROM top_ups WHERE top_up_id = ?", (top_up_id,)).fetchone()
        if row is None:
            raise UnknownIdError("top-up", top_up_id)
        return self._top_up(row)

    def recent_top_up(self, customer_id: str) -> TopUpStatus | None:
        """The customer's latest top-up, or ``None`` if they have made none."""
        row = self._latest("top_ups", "top_up_id", customer_id)
        return None if row is None else self._top_up(row)

    def balance(self, customer_id: str) -> Balance:
        """The customer's available balance (completed transactions) and pending amount."""
        with self._connect() as con:
            currency = self._customer_currency(con, customer_id)
            row = con.execute(
                "SELECT COALESCE(SUM(CASE WHEN status = 'completed' THEN amount_cents END), 0),"
                " COALESCE(SUM(CASE WHEN status = 'pending' THEN amount_cents END), 0)"
                " FROM transactions WHERE customer_id = ?",
                (customer_id,),
            ).fetchone()
        return Balance(
            customer_id=customer_id,
            currency=currency,
            available=_money(row[0]),
            pending=_money(row[1]),
        )

    def exchange_rate(self, from_currency: str, to_currency: str) -> Decimal:
        """Units of ``to_currency`` per unit of ``from_currency``, from the fixed rate table."""
        with self._connect() as con:
            row = con.execute(
                "SELECT rate FROM exchange_rates WHERE from_currency = ? AND to_currency = ?",
                (from_currency.upper(), to_currency.upper()),
            ).fetchone()
        if row is None:
            known = set(RATES_PER_GBP)
            bad = from_currency if from_currency.upper() not in known else to_currency
            raise UnknownIdError("currency", bad)
        return Decimal(row["rate"])
