"""What the agent does for each of BANKING77's 77 intents: the policy it answers from, the
tools it calls, whether a human must take over, and its grounded answer.

An answer is a template that quotes the bank's reviewed facts by name (``{topup_cash_fee}``,
``northwind.bank._facts.FACTS``), like the policy documents do: an answer cannot state a fee
the policy documents do not. ``facts`` names the facts the answer must state; the golden set's
required facts are their rendered values.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Final

from northwind.bank._facts import FACTS

__all__ = ["HUMAN_INTENTS", "PLAYS", "TOOLS", "Play"]

TOOLS: Final = (
    "card_status",
    "block_card",
    "recent_transfer",
    "recent_top_up",
    "balance",
    "exchange_rate",
)
"""The core-banking tools the agent may call (``northwind.agent.tools``)."""


@dataclass(frozen=True, kw_only=True)
class Play:
    """One intent's play."""

    intent: str
    document: str
    """The id of the policy document that answers it."""
    sections: tuple[str, ...]
    """Headings (``## ...``) of that document's sections the answer rests on, most relevant
    first."""
    answer: str
    """The grounded answer: plain sentences quoting ``{fact_name}`` from ``FACTS``."""
    facts: tuple[str, ...] = ()
    """Names of the facts the answer must state (each quoted in ``answer``)."""
    tools: tuple[str, ...] = ()
    """Tools called, in order (names from :data:`TOOLS`)."""
    human: bool = False
    """A human must take over: the agent escalates (after any containing tool call)."""

    def render(self) -> str:
        """The answer with each ``{fact}`` replaced by its value."""
        return self.answer.format_map(FACTS)

    def fact_values(self) -> list[str]:
        """The rendered values of :attr:`facts`, as the answer states them."""
        return [str(FACTS[name]) for name in self.facts]

    def quoted_facts(self) -> set[str]:
        """The fact names ``answer`` quotes."""
        return {field for _, field, _, _ in Formatter().parse(self.answer) if field}


def _plays(*plays: Play) -> dict[str, Play]:
    return {play.intent: play for play in plays}


PLAYS: Final[dict[str, Play]] = _plays(
    # --- cards-ordering-and-delivery ---------------------------------------------------------
    Play(
        intent="card_arrival",
        document="cards-ordering-and-delivery",
        sections=("Delivery",),
        answer=(
            "Standard delivery takes {card_delivery_days_uk} in the United Kingdom and "
            "{card_delivery_days_abroad} to other supported countries; the app shows your "
            "card's tracking status. If your card has not arrived {card_not_arrived_after_days} "
            "working days after you ordered it, report it as not received in the app and we "
            "will send a new one free of charge."
        ),
        facts=("card_delivery_days_uk", "card_not_arrived_after_days"),
        tools=("card_status",),
    ),
    Play(
        intent="card_delivery_estimate",
        document="cards-ordering-and-delivery",
        sections=("Delivery",),
        answer=(
            "Standard delivery takes {card_delivery_days_uk} in the United Kingdom and "
            "{card_delivery_days_abroad} to other supported countries. Express delivery takes "
            "{express_delivery_days} and costs {express_delivery_fee}, and the app shows your "
            "card's tracking status."
        ),
        facts=("card_delivery_days_uk", "card_delivery_days_abroad", "express_delivery_days"),
        tools=("card_status",),
    ),
    Play(
        intent="order_physical_card",
        document="cards-ordering-and-delivery",
        sections=("Ordering a physical card", "Delivery"),
        answer=(
            "You can order a physical card in the app under Cards > Order physical card. Your "
            "first physical card is {first_physical_card_fee} and a replacement costs "
            "{replacement_card_fee}; standard delivery takes {card_delivery_days_uk} in the "
            "United Kingdom."
        ),
        facts=("first_physical_card_fee", "replacement_card_fee", "card_delivery_days_uk"),
    ),
    Play(
        intent="get_physical_card",
        document="cards-ordering-and-delivery",
        sections=("PIN of a new card", "Activation and linking", "Ordering a physical card"),
        answer=(
            "Your PIN is never sent by post: once your card is activated, you can see it in "
            "the app under Cards > Show PIN after entering your passcode. To activate the card, "
            "go to Cards > Activate and enter its last four digits and the code on the letter; "
            "if you have no physical card yet, order one under Cards > Order physical card "
            "(the first one is {first_physical_card_fee})."
        ),
        facts=("first_physical_card_fee",),
    ),
    Play(
        intent="getting_spare_card",
        document="cards-ordering-and-delivery",
        sections=("Spare cards", "Ordering a physical card"),
        answer=(
            "You can hold up to {spare_cards_max} spare physical cards on the same account, "
            "and each spare card costs {spare_card_fee}. Physical cards are ordered in the app "
            "under Cards > Order physical card."
        ),
        facts=("spare_cards_max", "spare_card_fee"),
    ),
    Play(
        intent="card_about_to_expire",
        document="cards-ordering-and-delivery",
        sections=("Expiry",),
        answer=(
            "Cards are valid for {card_validity_years} years. We send you a replacement card "
            "automatically {expiry_reissue_days} days before the expiry date, free of charge, "
            "to the address on file."
        ),
        facts=("card_validity_years", "expiry_reissue_days"),
        tools=("card_status",),
    ),
    Play(
        intent="activate_my_card",
        document="cards-ordering-and-delivery",
        sections=("Activation and linking",),
        answer=(
            "You can activate your new card in the app under Cards > Activate by entering its "
            "last four digits and the code printed on the letter, or by making a chip-and-PIN "
            "payment with it."
        ),
        tools=("card_status",),
    ),
    Play(
        intent="card_linking",
        document="cards-ordering-and-delivery",
        sections=("Activation and linking",),
        answer=(
            "A card that was reported lost cannot be linked to your account again, even once "
            "you find it: it stays blocked and you use its replacement instead. A new card is "
            "added by activating it in the app under Cards > Activate."
        ),
    ),
    Play(
        intent="visa_or_mastercard",
        document="cards-ordering-and-delivery",
        sections=("Ordering a physical card",),
        answer=(
            "All Northwind cards are {card_network} debit cards, so there is no other card "
            "network to choose from."
        ),
        facts=("card_network",),
    ),
    # --- cards-security-and-problems ---------------------------------------------------------
    Play(
        intent="card_not_working",
        document="cards-security-and-problems",
        sections=("Cards that do not work", "PIN"),
        answer=(
            "A card that is declined or not working is usually blocked, expired or not yet "
            "activated, so those are the first things to check. If your PIN was blocked after "
            "{pin_attempts} wrong attempts, you can unblock it in the app under Cards > "
            "Unblock PIN."
        ),
        facts=("pin_attempts",),
        tools=("card_status",),
    ),
    Play(
        intent="contactless_not_working",
        document="cards-security-and-problems",
        sections=("Cards that do not work",),
        answer=(
            "Contactless payments are limited to {contactless_limit} each, and after "
            "{contactless_reset_payments} contactless payments in a row the terminal asks for "
            "chip and PIN once. If the card does not work at all, check that it is not blocked, "
            "expired or not yet activated."
        ),
        facts=("contactless_limit", "contactless_reset_payments"),
        tools=("card_status",),
    ),
    Play(
        intent="card_swallowed",
        document="cards-security-and-problems",
        sections=("Cards that do not work", "Lost, stolen or compromised cards"),
        answer=(
            "A card retained by an ATM is blocked and replaced for {replacement_card_fee}. The "
            "replacement arrives in {card_delivery_days_uk} in the United Kingdom."
        ),
        facts=("replacement_card_fee", "card_delivery_days_uk"),
    ),
    Play(
        intent="lost_or_stolen_card",
        document="cards-security-and-problems",
        sections=("Lost, stolen or compromised cards",),
        answer=(
            "Blocking your card is immediate and stops any new payments with it. A replacement "
            "card costs {replacement_card_fee} and arrives in {card_delivery_days_uk} in the "
            "United Kingdom, and you can dispute any payment you do not recognise within "
            "{chargeback_window_days} days of the payment."
        ),
        facts=("replacement_card_fee", "card_delivery_days_uk", "chargeback_window_days"),
        tools=("card_status", "block_card"),
    ),
    Play(
        intent="compromised_card",
        document="cards-security-and-problems",
        sections=("Lost, stolen or compromised cards",),
        answer=(
            "I have blocked your card so that no new payments can be made with it. A member of "
            "our fraud team will contact you to go through the payments you do not recognise; a "
            "replacement card costs {replacement_card_fee}."
        ),
        facts=("replacement_card_fee",),
        tools=("card_status", "block_card"),
        human=True,
    ),
    Play(
        intent="lost_or_stolen_phone",
        document="cards-security-and-problems",
        sections=("Lost or stolen phone",),
        answer=(
            "A colleague from our support team will take over to help you secure your account. "
            "Meanwhile, log out of all devices from the web app and block your cards there; "
            "your account stays protected by your {passcode_digits}-digit passcode."
        ),
        facts=("passcode_digits",),
        human=True,
    ),
    Play(
        intent="pin_blocked",
        document="cards-security-and-problems",
        sections=("PIN",),
        answer=(
            "Your PIN is blocked after {pin_attempts} wrong attempts. You can unblock it in the "
            "app under Cards > Unblock PIN and then use it again at any ATM."
        ),
        facts=("pin_attempts",),
        tools=("card_status",),
    ),
    Play(
        intent="change_pin",
        document="cards-security-and-problems",
        sections=("PIN",),
        answer=(
            "You can change your PIN at any ATM that offers PIN services. If your PIN is "
            "blocked after {pin_attempts} wrong attempts, unblock it first in the app under "
            "Cards > Unblock PIN."
        ),
        facts=("pin_attempts",),
    ),
    Play(
        intent="declined_card_payment",
        document="cards-security-and-problems",
        sections=("Cards that do not work",),
        answer=(
            "A card payment is usually declined because the card is blocked, expired or not yet "
            "activated, so those are the first things to check. Contactless payments are "
            "limited to {contactless_limit} each, and after {contactless_reset_payments} in a "
            "row the terminal asks for chip and PIN once."
        ),
        facts=("contactless_limit",),
    ),
    Play(
        intent="card_acceptance",
        document="cards-security-and-problems",
        sections=("Acceptance and wallets",),
        answer=(
            "Northwind {card_network} cards are accepted wherever {card_network} is accepted. "
            "You can also add your card to Apple Pay or Google Pay from the app's Cards screen."
        ),
        facts=("card_network",),
    ),
    Play(
        intent="apple_pay_or_google_pay",
        document="cards-security-and-problems",
        sections=("Acceptance and wallets",),
        answer=(
            "Apple Pay and Google Pay are supported in every country we operate in: "
            "{countries}. You add your card to them from the app's Cards screen."
        ),
    ),
    # --- virtual-and-disposable-cards --------------------------------------------------------
    Play(
        intent="getting_virtual_card",
        document="virtual-and-disposable-cards",
        sections=("Virtual cards",),
        answer=(
            "You can create a virtual card in the app under Cards > New virtual card; it is "
            "{virtual_card_fee} and ready to use as soon as it is created. You can hold up to "
            "{virtual_cards_max} virtual cards."
        ),
        facts=("virtual_card_fee", "virtual_cards_max"),
    ),
    Play(
        intent="get_disposable_virtual_card",
        document="virtual-and-disposable-cards",
        sections=("Disposable virtual cards",),
        answer=(
            "A disposable virtual card works for one online payment and is then replaced by new "
            "card details. You can create up to {disposable_cards_per_day} disposable cards a "
            "day, and one payment on a disposable card may be at most "
            "{disposable_card_max_payment}."
        ),
        facts=("disposable_cards_per_day", "disposable_card_max_payment"),
    ),
    Play(
        intent="disposable_card_limits",
        document="virtual-and-disposable-cards",
        sections=("Disposable virtual cards",),
        answer=(
            "You can create up to {disposable_cards_per_day} disposable virtual cards a day, "
            "and one payment on a disposable card may be at most {disposable_card_max_payment}. "
            "Disposable cards cannot be used for recurring payments, contactless payments or "
            "cash withdrawals."
        ),
        facts=("disposable_cards_per_day", "disposable_card_max_payment"),
    ),
    Play(
        intent="virtual_card_not_working",
        document="virtual-and-disposable-cards",
        sections=("A virtual card that does not work",),
        answer=(
            "A virtual card cannot be used at ATMs or for payments that need a physical card, "
            "such as some hotels, car rentals and fuel pumps. If an online payment was declined, "
            "check in the app that the card is not frozen and that the billing address matches "
            "your account's address."
        ),
        tools=("card_status",),
    ),
    # --- card-payments-and-refunds -----------------------------------------------------------
    Play(
        intent="card_payment_fee_charged",
        document="card-payments-and-refunds",
        sections=("Fees on card payments",),
        answer=(
            "Card payments in GBP are {card_payment_fee_gbp}. A card payment in another currency "
            "is charged like an exchange: on weekdays it is free up to {exchange_free_month} a "
            "month and costs {exchange_fee_weekday} above that, at weekends it costs "
            "{exchange_fee_weekend}, and the fee shows as a separate line on your statement."
        ),
        facts=("exchange_free_month", "exchange_fee_weekday", "exchange_fee_weekend"),
    ),
    Play(
        intent="card_payment_not_recognised",
        document="card-payments-and-refunds",
        sections=("Payments the customer does not recognise",),
        answer=(
            "A colleague from our disputes team will take over and go through the payment with "
            "you. Meanwhile, check the merchant name in the payment's details in the app; a "
            "payment you still do not recognise can be disputed within "
            "{chargeback_window_days} days, and your card is then blocked and replaced for "
            "{replacement_card_fee}."
        ),
        facts=("chargeback_window_days", "replacement_card_fee"),
        human=True,
    ),
    Play(
        intent="card_payment_wrong_exchange_rate",
        document="card-payments-and-refunds",
        sections=("Fees on card payments",),
        answer=(
            "A card payment in another currency is converted at our rate of the moment of "
            "payment and charged like an exchange: on weekdays it is free up to "
            "{exchange_free_month} a month and costs {exchange_fee_weekday} above that, and at "
            "weekends it costs {exchange_fee_weekend}. The fee shows as a separate line on your "
            "statement."
        ),
        facts=("exchange_free_month", "exchange_fee_weekday", "exchange_fee_weekend"),
    ),
    Play(
        intent="pending_card_payment",
        document="card-payments-and-refunds",
        sections=("Pending and reverted payments",),
        answer=(
            "A card payment stays pending until the merchant completes it, usually within "
            "{pending_card_payment_days} days. If the merchant never completes it, the payment "
            "is reverted automatically and the amount returns to your balance."
        ),
        facts=("pending_card_payment_days",),
        tools=("balance",),
    ),
    Play(
        intent="reverted_card_payment?",
        document="card-payments-and-refunds",
        sections=("Pending and reverted payments",),
        answer=(
            "A card payment is reverted automatically when the merchant never completes it, and "
            "the amount returns to your balance. Merchants usually complete a payment within "
            "{pending_card_payment_days} days, and it stays pending until then."
        ),
        facts=("pending_card_payment_days",),
    ),
    Play(
        intent="transaction_charged_twice",
        document="card-payments-and-refunds",
        sections=("Pending and reverted payments", "Payments the customer does not recognise"),
        answer=(
            "A colleague from our payments team will take over and check both payments with "
            "you. Meanwhile, note that a payment that appears twice is often a pending "
            "authorisation beside the completed payment, and the pending one drops off within "
            "{pending_card_payment_days} days."
        ),
        facts=("pending_card_payment_days",),
        human=True,
    ),
    Play(
        intent="extra_charge_on_statement",
        document="card-payments-and-refunds",
        sections=("Fees on card payments",),
        answer=(
            "Card payments in GBP are {card_payment_fee_gbp}, but a payment in another currency "
            "is charged like an exchange and its fee shows as a separate line on your "
            "statement: on weekdays it is free up to {exchange_free_month} a month and costs "
            "{exchange_fee_weekday} above that, and at weekends it costs {exchange_fee_weekend}."
        ),
        facts=("exchange_fee_weekday", "exchange_fee_weekend"),
    ),
    Play(
        intent="direct_debit_payment_not_recognised",
        document="card-payments-and-refunds",
        sections=("Payments the customer does not recognise",),
        answer=(
            "A colleague from our payments team will take over and look into the direct debit "
            "with you. Direct debits you do not recognise are refunded under the Direct Debit "
            "Guarantee, provided you report them within {direct_debit_guarantee_months} months."
        ),
        facts=("direct_debit_guarantee_months",),
        human=True,
    ),
    Play(
        intent="request_refund",
        document="card-payments-and-refunds",
        sections=("Refunds",),
        answer=(
            "Refunds are requested from the merchant you paid, so please contact them first. "
            "Once the merchant issues the refund, it reaches your balance in {refund_days}."
        ),
        facts=("refund_days",),
    ),
    Play(
        intent="Refund_not_showing_up",
        document="card-payments-and-refunds",
        sections=("Refunds",),
        answer=(
            "Once a merchant issues a refund, it reaches your balance in {refund_days}. If it "
            "has still not shown after that, we escalate it with the merchant's refund "
            "confirmation, so please have that to hand."
        ),
        facts=("refund_days",),
    ),
    # --- cash-withdrawals --------------------------------------------------------------------
    Play(
        intent="atm_support",
        document="cash-withdrawals",
        sections=("Where", "Fees and limits"),
        answer=(
            "Your Northwind card works at any ATM showing the {card_network} logo, in any "
            "country. Withdrawals are free up to {free_withdrawals_month} a month, and the ATM "
            "daily limit is {atm_daily_limit}."
        ),
        facts=("card_network", "free_withdrawals_month", "atm_daily_limit"),
    ),
    Play(
        intent="cash_withdrawal_charge",
        document="cash-withdrawals",
        sections=("Fees and limits",),
        answer=(
            "Withdrawals are free up to {free_withdrawals_month} a month; above that each "
            "withdrawal costs {withdrawal_fee_over} of the amount, at least "
            "{withdrawal_min_fee}. Some ATM operators also add their own charge, which is shown "
            "on the ATM's screen."
        ),
        facts=("free_withdrawals_month", "withdrawal_fee_over", "withdrawal_min_fee"),
    ),
    Play(
        intent="cash_withdrawal_not_recognised",
        document="cash-withdrawals",
        sections=("Declined, pending and unrecognised withdrawals",),
        answer=(
            "A colleague from our fraud team will take over and go through the withdrawal with "
            "you. A withdrawal you do not recognise means your card may be compromised, so "
            "please block your card in the app at once."
        ),
        human=True,
    ),
    Play(
        intent="declined_cash_withdrawal",
        document="cash-withdrawals",
        sections=("Declined, pending and unrecognised withdrawals",),
        answer=(
            "A withdrawal is declined when the card is blocked, the PIN is blocked, the daily "
            "limit of {atm_daily_limit} has been reached or the balance is too low."
        ),
        facts=("atm_daily_limit",),
    ),
    Play(
        intent="pending_cash_withdrawal",
        document="cash-withdrawals",
        sections=("Declined, pending and unrecognised withdrawals",),
        answer=(
            "A cash withdrawal stays pending for up to {pending_withdrawal_days} working days, "
            "until the ATM operator confirms it."
        ),
        facts=("pending_withdrawal_days",),
        tools=("balance",),
    ),
    Play(
        intent="wrong_amount_of_cash_received",
        document="cash-withdrawals",
        sections=("Wrong amount or wrong rate",),
        answer=(
            "A colleague from our payments team will take over and investigate with the ATM "
            "operator. Meanwhile, please note the ATM's location and the time of the "
            "withdrawal: a shortfall must be reported within {cash_dispute_days} days."
        ),
        facts=("cash_dispute_days",),
        human=True,
    ),
    Play(
        intent="wrong_exchange_rate_for_cash_withdrawal",
        document="cash-withdrawals",
        sections=("Wrong amount or wrong rate",),
        answer=(
            "Withdrawals in another currency are converted at our exchange rate of the moment "
            "and charged like an exchange ({exchange_fee_weekday} on weekdays above the "
            "{exchange_free_month} monthly allowance, {exchange_fee_weekend} at weekends), "
            "besides any withdrawal fee. ATMs that offer to convert for you use their own rate, "
            "so always choose to be charged in the local currency."
        ),
        facts=("exchange_fee_weekday", "exchange_free_month", "exchange_fee_weekend"),
    ),
    # --- top-ups -----------------------------------------------------------------------------
    Play(
        intent="automatic_top_up",
        document="top-ups",
        sections=("Automatic top-up",),
        answer=(
            "Automatic top-up adds an amount you choose whenever your balance falls below a "
            "threshold of at least {auto_topup_min_threshold}. You set it up in the app under "
            "Account > Auto top-up."
        ),
        facts=("auto_topup_min_threshold",),
    ),
    Play(
        intent="pending_top_up",
        document="top-ups",
        sections=("Timing",),
        answer=(
            "Card top-ups usually complete at once and stay pending for at most "
            "{pending_topup_minutes} minutes. Bank-transfer top-ups arrive within "
            "{bank_transfer_topup_days}."
        ),
        facts=("pending_topup_minutes", "bank_transfer_topup_days"),
        tools=("recent_top_up",),
    ),
    Play(
        intent="top_up_by_bank_transfer_charge",
        document="top-ups",
        sections=("Fees", "Timing"),
        answer=(
            "Top-ups by bank transfer are {topup_bank_transfer_fee}, and they arrive within "
            "{bank_transfer_topup_days}."
        ),
        facts=("topup_bank_transfer_fee", "bank_transfer_topup_days"),
    ),
    Play(
        intent="top_up_by_card_charge",
        document="top-ups",
        sections=("Fees",),
        answer=(
            "Top-ups by UK debit card are {topup_card_fee_uk}; top-ups by other cards cost "
            "{topup_card_fee_other}."
        ),
        facts=("topup_card_fee_uk", "topup_card_fee_other"),
    ),
    Play(
        intent="top_up_by_cash_or_cheque",
        document="top-ups",
        sections=("Fees", "Timing"),
        answer=(
            "You can top up with cash or a cheque at a partner post office for {topup_cash_fee} "
            "each time. Cash deposits reach your balance within {cash_deposit_days}, and cheques "
            "clear within {cheque_clearing_days}."
        ),
        facts=("topup_cash_fee", "cash_deposit_days", "cheque_clearing_days"),
    ),
    Play(
        intent="top_up_failed",
        document="top-ups",
        sections=("Failed, reverted and verification top-ups",),
        answer=(
            "A top-up fails when your card issuer declines it, and no fee is charged for a "
            "failed top-up."
        ),
        tools=("recent_top_up",),
    ),
    Play(
        intent="top_up_limits",
        document="top-ups",
        sections=("Limits",),
        answer=(
            "The smallest top-up is {topup_min} and the largest single top-up is "
            "{topup_max_single}. Top-ups are limited to {topup_max_month} a month, and your "
            "balance may not exceed {topup_max_balance}."
        ),
        facts=("topup_min", "topup_max_single", "topup_max_month"),
    ),
    Play(
        intent="top_up_reverted",
        document="top-ups",
        sections=("Failed, reverted and verification top-ups",),
        answer=(
            "A top-up is reverted when your card issuer withdraws its approval after the top-up "
            "went through, and the amount is then taken off your balance again."
        ),
        tools=("recent_top_up",),
    ),
    Play(
        intent="topping_up_by_card",
        document="top-ups",
        sections=("Fees", "Timing", "Failed, reverted and verification top-ups"),
        answer=(
            "Top-ups by UK debit card are {topup_card_fee_uk} and by other cards cost "
            "{topup_card_fee_other}; card top-ups usually complete at once. The first top-up "
            "from a new card may need verification: we charge a small amount "
            "{verify_topup_amount_range} to the card, which you enter in the app, and refund it."
        ),
        facts=("topup_card_fee_uk", "topup_card_fee_other"),
    ),
    Play(
        intent="verify_top_up",
        document="top-ups",
        sections=("Failed, reverted and verification top-ups",),
        answer=(
            "The first top-up from a new card may need verification: we charge a small amount "
            "{verify_topup_amount_range} to that card, and you enter that amount in the app. "
            "The charge is refunded."
        ),
        facts=("verify_topup_amount_range",),
    ),
    Play(
        intent="balance_not_updated_after_cheque_or_cash_deposit",
        document="top-ups",
        sections=("Timing",),
        answer=(
            "Cash deposits reach your balance within {cash_deposit_days}, and cheques clear "
            "within {cheque_clearing_days}."
        ),
        facts=("cash_deposit_days", "cheque_clearing_days"),
        tools=("recent_top_up",),
    ),
    # --- transfers ---------------------------------------------------------------------------
    Play(
        intent="cancel_transfer",
        document="transfers",
        sections=("Cancelling",),
        answer=(
            "A transfer can be cancelled in the app within {transfer_cancel_window_minutes} "
            "minutes of being sent, while it is still pending. After that it can no longer be "
            "recalled."
        ),
        facts=("transfer_cancel_window_minutes",),
        tools=("recent_transfer",),
    ),
    Play(
        intent="declined_transfer",
        document="transfers",
        sections=("Declined, failed and missing transfers", "Timing"),
        answer=(
            "A transfer is declined when the balance is too low, the daily limit of "
            "{transfer_daily_limit} for outgoing transfers has been reached, or the beneficiary "
            "cannot be added."
        ),
        facts=("transfer_daily_limit",),
        tools=("recent_transfer",),
    ),
    Play(
        intent="failed_transfer",
        document="transfers",
        sections=("Declined, failed and missing transfers",),
        answer=(
            "The money from a failed transfer is returned to your balance within "
            "{failed_transfer_return_days} working days."
        ),
        facts=("failed_transfer_return_days",),
        tools=("recent_transfer",),
    ),
    Play(
        intent="pending_transfer",
        document="transfers",
        sections=("Timing",),
        answer=(
            "Transfers may be held for a security check, in which case they show as pending. "
            "UK transfers arrive {transfer_time_domestic}, SEPA transfers within "
            "{transfer_time_sepa} and SWIFT transfers within {transfer_time_swift}."
        ),
        facts=("transfer_time_domestic", "transfer_time_sepa", "transfer_time_swift"),
        tools=("recent_transfer",),
    ),
    Play(
        intent="transfer_fee_charged",
        document="transfers",
        sections=("Fees",),
        answer=(
            "Transfers in GBP within the United Kingdom are {transfer_fee_domestic}. SEPA "
            "transfers in EUR cost {transfer_fee_sepa} and international (SWIFT) transfers cost "
            "{transfer_fee_swift}."
        ),
        facts=("transfer_fee_domestic", "transfer_fee_sepa", "transfer_fee_swift"),
        tools=("recent_transfer",),
    ),
    Play(
        intent="transfer_into_account",
        document="transfers",
        sections=("Receiving money",),
        answer=(
            "To transfer money into your account, use the account number and sort code shown in "
            "the app, or your IBAN for EUR. Incoming UK transfers show on your balance "
            "{transfer_time_domestic}."
        ),
        facts=("transfer_time_domestic",),
    ),
    Play(
        intent="transfer_not_received_by_recipient",
        document="transfers",
        sections=("Declined, failed and missing transfers", "Timing"),
        answer=(
            "UK transfers arrive {transfer_time_domestic}, SEPA transfers within "
            "{transfer_time_sepa} and SWIFT transfers within {transfer_time_swift}. If your "
            "recipient has not received a completed transfer after {transfer_trace_days} "
            "working days, we give them the transfer's reference, and after that we open a "
            "trace."
        ),
        facts=("transfer_time_sepa", "transfer_time_swift", "transfer_trace_days"),
        tools=("recent_transfer",),
    ),
    Play(
        intent="transfer_timing",
        document="transfers",
        sections=("Timing",),
        answer=(
            "UK transfers arrive {transfer_time_domestic}, SEPA transfers within "
            "{transfer_time_sepa} and international (SWIFT) transfers within "
            "{transfer_time_swift}. Transfers may be held for a security check, in which case "
            "they show as pending."
        ),
        facts=("transfer_time_domestic", "transfer_time_sepa", "transfer_time_swift"),
    ),
    Play(
        intent="beneficiary_not_allowed",
        document="transfers",
        sections=("Declined, failed and missing transfers",),
        answer=(
            "Some beneficiaries cannot be added for regulatory reasons, and a transfer to them "
            "is declined; support cannot override that."
        ),
    ),
    Play(
        intent="receiving_money",
        document="transfers",
        sections=("Receiving money",),
        answer=(
            "To receive money, give the sender your account number and sort code shown in the "
            "app, or your IBAN for EUR. Incoming UK transfers show on your balance "
            "{transfer_time_domestic}."
        ),
        facts=("transfer_time_domestic",),
    ),
    Play(
        intent="balance_not_updated_after_bank_transfer",
        document="transfers",
        sections=("Receiving money", "Timing"),
        answer=(
            "Incoming UK transfers show on your balance {transfer_time_domestic}; SEPA "
            "transfers arrive within {transfer_time_sepa} and SWIFT transfers within "
            "{transfer_time_swift}."
        ),
        facts=("transfer_time_domestic", "transfer_time_sepa", "transfer_time_swift"),
        tools=("recent_transfer",),
    ),
    # --- currencies-and-exchange -------------------------------------------------------------
    Play(
        intent="exchange_rate",
        document="currencies-and-exchange",
        sections=("Exchange rates and fees",),
        answer=(
            "Exchanges use our rate of the moment. On weekdays exchanges are free up to "
            "{exchange_free_month} a month and cost {exchange_fee_weekday} above that; at "
            "weekends every exchange costs {exchange_fee_weekend}."
        ),
        facts=("exchange_free_month", "exchange_fee_weekday", "exchange_fee_weekend"),
        tools=("exchange_rate",),
    ),
    Play(
        intent="exchange_charge",
        document="currencies-and-exchange",
        sections=("Exchange rates and fees",),
        answer=(
            "On weekdays exchanges are free up to {exchange_free_month} a month and cost "
            "{exchange_fee_weekday} above that; at weekends every exchange costs "
            "{exchange_fee_weekend}. Card payments and cash withdrawals in another currency "
            "share the same allowance and fees."
        ),
        facts=("exchange_free_month", "exchange_fee_weekday", "exchange_fee_weekend"),
    ),
    Play(
        intent="exchange_via_app",
        document="currencies-and-exchange",
        sections=("Exchanging in the app", "Exchange rates and fees"),
        answer=(
            "In the app, open Accounts > Exchange, pick the two currencies and the amount, and "
            "confirm; the exchange is immediate. The smallest exchange is {exchange_min}."
        ),
        facts=("exchange_min",),
    ),
    Play(
        intent="fiat_currency_support",
        document="currencies-and-exchange",
        sections=("Currencies",),
        answer=(
            "Your account can hold and exchange {currencies_count} currencies: {currencies}. "
            "Cryptocurrencies are not supported."
        ),
        facts=("currencies_count", "currencies"),
    ),
    Play(
        intent="supported_cards_and_currencies",
        document="currencies-and-exchange",
        sections=("Countries", "Currencies"),
        answer=(
            "Top-ups are accepted from {card_network} and Mastercard debit and credit cards "
            "issued in the countries we serve. Your account can hold and exchange "
            "{currencies_count} currencies: {currencies}."
        ),
        facts=("card_network", "currencies_count"),
    ),
    Play(
        intent="country_support",
        document="currencies-and-exchange",
        sections=("Countries",),
        answer=(
            "Northwind accounts are open to residents of {countries}. Top-ups are accepted from "
            "{card_network} and Mastercard cards issued in those countries."
        ),
        facts=("countries",),
    ),
    # --- account-and-identity ----------------------------------------------------------------
    Play(
        intent="age_limit",
        document="account-and-identity",
        sections=("Who can open an account",),
        answer=(
            "To open an account you must be at least {age_min} years old and resident in a "
            "supported country."
        ),
        facts=("age_min",),
    ),
    Play(
        intent="edit_personal_details",
        document="account-and-identity",
        sections=("Personal details and passcode",),
        answer=(
            "You can change your name, address and phone number in the app under Profile. A "
            "change of name needs a new identity check."
        ),
    ),
    Play(
        intent="passcode_forgotten",
        document="account-and-identity",
        sections=("Personal details and passcode",),
        answer=(
            "You can reset a forgotten {passcode_digits}-digit passcode from the login screen, "
            "with a code we send you by text message."
        ),
        facts=("passcode_digits",),
    ),
    Play(
        intent="terminate_account",
        document="account-and-identity",
        sections=("Closing the account",),
        answer=(
            "Closing your account is {closure_fee}. Move your balance out first; the account "
            "then closes within {closure_days} working days, and its cards are blocked at once."
        ),
        facts=("closure_fee", "closure_days"),
    ),
    Play(
        intent="unable_to_verify_identity",
        document="account-and-identity",
        sections=("Identity checks",),
        answer=(
            "A colleague from our compliance team will take over and review your identity check "
            "by hand, as we do after {identity_attempts} failed attempts. Until the check "
            "passes the account cannot be used yet, since the law requires us to verify every "
            "customer's identity first."
        ),
        facts=("identity_attempts",),
        human=True,
    ),
    Play(
        intent="verify_my_identity",
        document="account-and-identity",
        sections=("Identity checks",),
        answer=(
            "To verify your identity, upload a photo ID and a selfie in the app; the check "
            "finishes within {identity_check_days}."
        ),
        facts=("identity_check_days",),
    ),
    Play(
        intent="verify_source_of_funds",
        document="account-and-identity",
        sections=("Identity checks",),
        answer=(
            "If you top up more than {source_of_funds_threshold}, we ask you to show the source "
            "of the funds, for example with payslips, a bank statement or a sale contract."
        ),
        facts=("source_of_funds_threshold",),
    ),
    Play(
        intent="why_verify_identity",
        document="account-and-identity",
        sections=("Identity checks",),
        answer=(
            "The law requires us to verify every customer's identity before the account is "
            "used. You upload a photo ID and a selfie in the app, and the check finishes within "
            "{identity_check_days}."
        ),
        facts=("identity_check_days",),
    ),
)

HUMAN_INTENTS: Final = frozenset(intent for intent, play in PLAYS.items() if play.human)
"""Intents a human must take over."""
