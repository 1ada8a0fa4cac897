"""Northwind Bank's reviewed facts: every fee, limit and delay the policy documents state.

The policy documents (``policies/*.md``) are rendered from this module by
``python -m northwind.bank.render``; a fact lives here once, so two documents can never
quote two different fees for the same thing. Edit a fact here, re-render, and review the diff.
"""

from __future__ import annotations

from datetime import date
from typing import Final

EFFECTIVE_DATE: Final = date(2026, 1, 1)
VERSION: Final = "1.1"  # 1.1: where a new card's PIN is (cards-ordering-and-delivery)

# Currencies held, exchanged and sent; rates against GBP (units of the currency per 1 GBP).
# The core-banking database's exchange-rate table is built from this same table.
RATES_PER_GBP: Final[dict[str, str]] = {
    "GBP": "1",
    "EUR": "1.1700",
    "USD": "1.2700",
    "CHF": "1.1200",
    "PLN": "5.0500",
    "SEK": "13.400",
    "NOK": "13.600",
    "DKK": "8.7300",
    "CZK": "29.100",
    "HUF": "455.00",
    "RON": "5.8200",
    "JPY": "190.00",
    "CAD": "1.7300",
    "AUD": "1.9400",
}
COUNTRIES: Final = (
    "the United Kingdom, Ireland, France, Germany, Spain, Italy, Portugal, the Netherlands, "
    "Belgium, Austria, Poland, Sweden, Denmark, Norway, Switzerland and the Czech Republic"
)

FACTS: Final[dict[str, object]] = {
    # cards
    "card_delivery_days_uk": "3 to 5 working days",
    "card_delivery_days_abroad": "7 to 10 working days",
    "card_not_arrived_after_days": 10,
    "first_physical_card_fee": "free",
    "replacement_card_fee": "£5.00",
    "express_delivery_fee": "£9.99",
    "express_delivery_days": "1 to 2 working days",
    "spare_cards_max": 2,
    "spare_card_fee": "£5.00",
    "card_validity_years": 3,
    "expiry_reissue_days": 30,
    "card_network": "Visa",
    "virtual_cards_max": 5,
    "virtual_card_fee": "free",
    "disposable_cards_per_day": 3,
    "disposable_card_max_payment": "£1,000",
    "pin_attempts": 3,
    "contactless_limit": "£100",
    "contactless_reset_payments": 5,
    # card payments
    "card_payment_fee_gbp": "free",
    "pending_card_payment_days": 7,
    "refund_days": "5 to 10 working days",
    "chargeback_window_days": 120,
    "direct_debit_guarantee_months": 13,
    # cash
    "free_withdrawals_month": "£200",
    "withdrawal_fee_over": "2%",
    "withdrawal_min_fee": "£1.00",
    "atm_daily_limit": "£500",
    "pending_withdrawal_days": 3,
    "cash_dispute_days": 10,
    # top-ups
    "topup_card_fee_uk": "free",
    "topup_card_fee_other": "0.7%",
    "topup_bank_transfer_fee": "free",
    "topup_cash_fee": "£1.50",
    "topup_min": "£10",
    "topup_max_single": "£10,000",
    "topup_max_balance": "£50,000",
    "topup_max_month": "£30,000",
    "auto_topup_min_threshold": "£10",
    "pending_topup_minutes": 30,
    "bank_transfer_topup_days": "1 working day",
    "cash_deposit_days": "2 working days",
    "cheque_clearing_days": "3 working days",
    "verify_topup_amount_range": "between £0.01 and £1.99",
    # transfers
    "transfer_fee_domestic": "free",
    "transfer_fee_sepa": "£0.50",
    "transfer_fee_swift": "£5.00",
    "transfer_time_domestic": "within 2 hours",
    "transfer_time_sepa": "1 working day",
    "transfer_time_swift": "3 to 5 working days",
    "transfer_cancel_window_minutes": 30,
    "transfer_daily_limit": "£25,000",
    "transfer_trace_days": 5,
    "failed_transfer_return_days": 5,
    # exchange
    "exchange_fee_weekday": "0.5%",
    "exchange_fee_weekend": "1%",
    "exchange_free_month": "£1,000",
    "exchange_min": "£5",
    # account
    "age_min": 18,
    "passcode_digits": 6,
    "identity_check_days": "1 working day",
    "identity_attempts": 3,
    "source_of_funds_threshold": "£10,000",
    "closure_days": 5,
    "closure_fee": "free",
    "currencies_count": len(RATES_PER_GBP),
    "currencies": ", ".join(RATES_PER_GBP),
    "countries": COUNTRIES,
}
