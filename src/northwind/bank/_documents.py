"""The policy documents' sources: titles, owners, intents and text quoting ``_facts``.

``{name}`` in a body is replaced by ``FACTS[name]`` when rendering; an unknown name fails the
render, so a body cannot state a number that is not in the facts table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class DocumentSource:
    """One policy document before rendering."""

    id: str
    title: str
    owner: str
    intents: tuple[str, ...]
    body: str


DOCUMENTS: tuple[DocumentSource, ...] = (
    DocumentSource(
        id="cards-ordering-and-delivery",
        title="Ordering, delivering and activating cards",
        owner="Cards Operations",
        intents=(
            "card_arrival",
            "card_delivery_estimate",
            "order_physical_card",
            "get_physical_card",
            "getting_spare_card",
            "card_about_to_expire",
            "activate_my_card",
            "card_linking",
            "visa_or_mastercard",
        ),
        body="""\
## Ordering a physical card
Customers order a physical card in the app under Cards > Order physical card. The first
physical card is {first_physical_card_fee}; a replacement card costs {replacement_card_fee}.
All Northwind cards are {card_network} debit cards.

## Delivery
Standard delivery takes {card_delivery_days_uk} in the United Kingdom and
{card_delivery_days_abroad} to other supported countries. Express delivery costs
{express_delivery_fee} and takes {express_delivery_days}. The app shows the card's tracking
status. If a card has not arrived {card_not_arrived_after_days} working days after it was
ordered, the customer can report it as not received and we send a new one free of charge
and cancel the first.

## Spare cards
A customer may hold up to {spare_cards_max} spare physical cards on the same account; each
spare card costs {spare_card_fee}.

## Activation and linking
A new card is activated in the app under Cards > Activate by entering the last four digits
and the code printed on the letter, or by making a chip-and-PIN payment. A card found after
being reported lost cannot be linked again: it stays blocked and the replacement is used.

## PIN of a new card
The PIN is never sent by post or e-mail. Once the card is activated, the customer sees its
PIN in the app under Cards > Show PIN, after confirming the passcode.

## Expiry
Cards are valid for {card_validity_years} years. We send a replacement card automatically
{expiry_reissue_days} days before the expiry date, free of charge, to the address on file.
""",
    ),
    DocumentSource(
        id="cards-security-and-problems",
        title="Lost, stolen, blocked and faulty cards",
        owner="Cards Operations",
        intents=(
            "card_not_working",
            "contactless_not_working",
            "card_swallowed",
            "lost_or_stolen_card",
            "compromised_card",
            "lost_or_stolen_phone",
            "pin_blocked",
            "change_pin",
            "declined_card_payment",
            "card_acceptance",
            "apple_pay_or_google_pay",
        ),
        body="""\
## Lost, stolen or compromised cards
The customer blocks the card at once in the app (Cards > Block card) or by asking the
support agent, who blocks it with the block-card tool; blocking is immediate and can be
repeated safely. A replacement card costs {replacement_card_fee} and arrives in
{card_delivery_days_uk} in the United Kingdom. Payments the customer does not recognise are
disputed within {chargeback_window_days} days of the payment.

## Lost or stolen phone
The customer logs out of all devices from the web app and blocks their cards; the account
stays safe behind the {passcode_digits}-digit passcode. Support escalates to a human if the
customer cannot reach the web app.

## PIN
The PIN is blocked after {pin_attempts} wrong attempts. The customer unblocks it in the app
under Cards > Unblock PIN and then uses it at any ATM; the PIN can be changed at any ATM
that offers PIN services.

## Cards that do not work
A card that is declined or not working is first checked for being blocked, expired or not
yet activated. Contactless payments are limited to {contactless_limit} each; after
{contactless_reset_payments} contactless payments in a row the terminal asks for chip and
PIN once. A card retained by an ATM is blocked and replaced for {replacement_card_fee}.

## Acceptance and wallets
Northwind {card_network} cards are accepted wherever {card_network} is accepted. Apple Pay
and Google Pay are supported in every country we operate in ({countries}); the customer adds
the card from the app's Cards screen.
""",
    ),
    DocumentSource(
        id="virtual-and-disposable-cards",
        title="Virtual and disposable virtual cards",
        owner="Cards Operations",
        intents=(
            "getting_virtual_card",
            "get_disposable_virtual_card",
            "disposable_card_limits",
            "virtual_card_not_working",
        ),
        body="""\
## Virtual cards
A customer can hold up to {virtual_cards_max} virtual cards; they are {virtual_card_fee} and
ready to use as soon as they are created in the app (Cards > New virtual card).

## Disposable virtual cards
A disposable virtual card works for one online payment and is then replaced by new card
details. A customer may create up to {disposable_cards_per_day} disposable cards a day, and
one payment on a disposable card may be at most {disposable_card_max_payment}. Disposable
cards cannot be used for recurring payments, contactless payments or cash withdrawals.

## A virtual card that does not work
A virtual card cannot be used at ATMs or for payments that need a physical card (some
hotels, car rentals and fuel pumps). If an online payment is declined, the customer checks
that the card is not frozen in the app and that the billing address matches the account.
""",
    ),
    DocumentSource(
        id="card-payments-and-refunds",
        title="Card payments, disputes and refunds",
        owner="Payments",
        intents=(
            "card_payment_fee_charged",
            "card_payment_not_recognised",
            "card_payment_wrong_exchange_rate",
            "pending_card_payment",
            "reverted_card_payment?",
            "transaction_charged_twice",
            "extra_charge_on_statement",
            "direct_debit_payment_not_recognised",
            "request_refund",
            "Refund_not_showing_up",
        ),
        body="""\
## Fees on card payments
Card payments in GBP are {card_payment_fee_gbp}. Card payments in another currency are
converted at our rate of the moment of payment and charged like an exchange in the app: on
weekdays they are free up to {exchange_free_month} a month (an allowance shared with
exchanges) and cost {exchange_fee_weekday} above it; at weekends they cost
{exchange_fee_weekend}. The fee is a separate line on the statement.

## Pending and reverted payments
A card payment stays pending until the merchant completes it, usually within
{pending_card_payment_days} days. A payment the merchant never completes is reverted
automatically and the amount returns to the balance. A payment that appears twice is often
a pending authorisation beside the completed payment: the pending one drops off within
{pending_card_payment_days} days.

## Payments the customer does not recognise
The customer first checks the merchant name in the app's transaction details. A payment still
not recognised is disputed within {chargeback_window_days} days, and the card is blocked and
replaced for {replacement_card_fee}. Direct debits not recognised are refunded under the
Direct Debit Guarantee; the customer must report them within {direct_debit_guarantee_months}
months.

## Refunds
Refunds are requested from the merchant. Once the merchant issues a refund it reaches the
balance in {refund_days}. A refund not shown after that is escalated with the merchant's
refund confirmation.
""",
    ),
    DocumentSource(
        id="cash-withdrawals",
        title="Cash withdrawals and ATMs",
        owner="Payments",
        intents=(
            "atm_support",
            "cash_withdrawal_charge",
            "cash_withdrawal_not_recognised",
            "declined_cash_withdrawal",
            "pending_cash_withdrawal",
            "wrong_amount_of_cash_received",
            "wrong_exchange_rate_for_cash_withdrawal",
        ),
        body="""\
## Fees and limits
Withdrawals are free up to {free_withdrawals_month} a month; above that each withdrawal costs
{withdrawal_fee_over} of the amount, at least {withdrawal_min_fee}. The ATM daily limit is
{atm_daily_limit}. Some ATM operators add their own charge, shown on the ATM's screen.

## Where
Northwind cards work at any ATM showing the {card_network} logo, in any country.

## Declined, pending and unrecognised withdrawals
A withdrawal is declined when the card is blocked, the PIN is blocked, the daily limit of
{atm_daily_limit} is reached or the balance is too low. A withdrawal stays pending for up to
{pending_withdrawal_days} working days until the ATM operator confirms it. A withdrawal the
customer does not recognise means the card may be compromised: block the card at once.

## Wrong amount or wrong rate
If the ATM dispensed less cash than was debited, the customer reports it within
{cash_dispute_days} days with the ATM's location and time; we investigate with the operator.
Withdrawals in another currency are converted at our exchange rate of the moment and charged
like an exchange ({exchange_fee_weekday} on weekdays above the {exchange_free_month} monthly
allowance, {exchange_fee_weekend} at weekends), besides any withdrawal fee; ATMs that
offer to convert for the customer use their own rate, which is why the customer should
always choose to be charged in the local currency.
""",
    ),
    DocumentSource(
        id="top-ups",
        title="Topping up the account",
        owner="Payments",
        intents=(
            "automatic_top_up",
            "pending_top_up",
            "top_up_by_bank_transfer_charge",
            "top_up_by_card_charge",
            "top_up_by_cash_or_cheque",
            "top_up_failed",
            "top_up_limits",
            "top_up_reverted",
            "topping_up_by_card",
            "verify_top_up",
            "balance_not_updated_after_cheque_or_cash_deposit",
        ),
        body="""\
## Fees
Top-ups by UK debit card are {topup_card_fee_uk}; by other cards they cost
{topup_card_fee_other}. Top-ups by bank transfer are {topup_bank_transfer_fee}. Cash or
cheque top-ups at partner post offices cost {topup_cash_fee} each.

## Limits
The smallest top-up is {topup_min} and the largest single top-up is {topup_max_single}. Top-ups
are limited to {topup_max_month} a month, and the balance may not exceed {topup_max_balance}.

## Timing
Card top-ups usually complete at once and stay pending for at most
{pending_topup_minutes} minutes. Bank-transfer top-ups arrive within
{bank_transfer_topup_days}; cash deposits within {cash_deposit_days}; cheques clear within
{cheque_clearing_days}.

## Automatic top-up
Automatic top-up adds a chosen amount whenever the balance falls below a threshold of at
least {auto_topup_min_threshold}; it is set up in the app under Account > Auto top-up.

## Failed, reverted and verification top-ups
A top-up fails when the card issuer declines it; no fee is charged. A top-up is reverted when
the issuer later withdraws its approval, and the amount is taken off the balance again.
The first top-up from a new card may need verification: we charge a small amount
{verify_topup_amount_range} to the card, which the customer enters in the app; the charge
is refunded.
""",
    ),
    DocumentSource(
        id="transfers",
        title="Sending and receiving transfers",
        owner="Payments",
        intents=(
            "cancel_transfer",
            "declined_transfer",
            "failed_transfer",
            "pending_transfer",
            "transfer_fee_charged",
            "transfer_into_account",
            "transfer_not_received_by_recipient",
            "transfer_timing",
            "beneficiary_not_allowed",
            "receiving_money",
            "balance_not_updated_after_bank_transfer",
        ),
        body="""\
## Fees
Transfers in GBP within the United Kingdom are {transfer_fee_domestic}. SEPA transfers in EUR
cost {transfer_fee_sepa}; international (SWIFT) transfers cost {transfer_fee_swift}.

## Timing
UK transfers arrive {transfer_time_domestic}, SEPA transfers within {transfer_time_sepa} and
SWIFT transfers within {transfer_time_swift}. Transfers may be held for a security check, in
which case they show as pending. The daily limit for outgoing transfers is
{transfer_daily_limit}.

## Cancelling
A transfer can be cancelled in the app within {transfer_cancel_window_minutes} minutes of
being sent, while it is still pending; after that it can no longer be recalled.

## Declined, failed and missing transfers
A transfer is declined when the balance is too low, the daily limit is reached or the
beneficiary cannot be added (some beneficiaries are not allowed for regulatory reasons;
support cannot override that). A failed transfer is returned to the balance within
{failed_transfer_return_days} working days. A recipient who has not received a completed
transfer after {transfer_trace_days} working days is given the transfer's reference; after
that support opens a trace.

## Receiving money
Customers receive money with the account number and sort code shown in the app, or the IBAN
for EUR. Incoming UK transfers show on the balance {transfer_time_domestic}; a balance not
updated after that is checked with the transfer-status tool.
""",
    ),
    DocumentSource(
        id="currencies-and-exchange",
        title="Currencies, exchange and countries",
        owner="Treasury",
        intents=(
            "exchange_rate",
            "exchange_charge",
            "exchange_via_app",
            "fiat_currency_support",
            "supported_cards_and_currencies",
            "country_support",
        ),
        body="""\
## Currencies
Accounts hold and exchange {currencies_count} currencies: {currencies}. Cryptocurrencies are
not supported.

## Exchange rates and fees
Exchanges in the app use our rate of the moment. On weekdays exchanges are free up to
{exchange_free_month} a month and cost {exchange_fee_weekday} above it; at weekends every
exchange costs {exchange_fee_weekend}. Card payments and cash withdrawals in another
currency share the same allowance and fees. The smallest exchange is {exchange_min}.

## Exchanging in the app
The customer opens Accounts > Exchange, picks the two currencies and the amount, and confirms;
the exchange is immediate.

## Countries
Accounts are open to residents of {countries}. Top-ups are accepted from {card_network} and
Mastercard debit and credit cards issued in those countries.
""",
    ),
    DocumentSource(
        id="account-and-identity",
        title="Account, identity checks and closing the account",
        owner="Compliance",
        intents=(
            "age_limit",
            "edit_personal_details",
            "passcode_forgotten",
            "terminate_account",
            "unable_to_verify_identity",
            "verify_my_identity",
            "verify_source_of_funds",
            "why_verify_identity",
        ),
        body="""\
## Who can open an account
Customers must be at least {age_min} years old and resident in a supported country.

## Identity checks
The law requires us to verify every customer's identity before the account is used. The
customer uploads a photo ID and a selfie in the app; checks finish within
{identity_check_days}. After {identity_attempts} failed attempts the case is escalated to a
human reviewer. Customers who top up more than {source_of_funds_threshold} are asked to
show the source of funds (payslips, a bank statement or a sale contract).

## Personal details and passcode
Name, address and phone number are changed in the app under Profile; a change of name needs a
new identity check. A forgotten {passcode_digits}-digit passcode is reset from the login screen
with a code sent by text message.

## Closing the account
Closing the account is {closure_fee}. The customer moves the balance out first; the account
closes within {closure_days} working days, and its cards are blocked at once.
""",
    ),
)
