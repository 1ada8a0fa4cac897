"""The golden set's reference answers: what a senior support agent would write per intent.

Written from the policy documents, independently of the playbook's answers, and quoting the
bank's facts by name (``{replacement_card_fee}``) so a change of fact re-renders them. Each
states at least the facts its intent's play names as required. For tool intents the golden
set appends the sentence the tool's result adds (``northwind.agent.tools.describe``).
"""

from __future__ import annotations

from typing import Final

from northwind.bank._facts import FACTS

__all__ = ["REFERENCES", "reference"]

REFERENCES: Final[dict[str, str]] = {
    # cards-ordering-and-delivery
    "card_arrival": (
        "Cards usually reach UK addresses in {card_delivery_days_uk} (other supported "
        "countries: {card_delivery_days_abroad}), and you can follow the delivery in the app. "
        "Should it still be missing {card_not_arrived_after_days} working days after the "
        "order, tell us it never arrived from the app: we cancel that card and post a new one "
        "at no cost."
    ),
    "card_delivery_estimate": (
        "Expect your card within {card_delivery_days_uk} at a UK address, or "
        "{card_delivery_days_abroad} elsewhere in our supported countries. If you need it "
        "sooner, express delivery gets it to you in {express_delivery_days} for "
        "{express_delivery_fee}."
    ),
    "order_physical_card": (
        "Go to Cards > Order physical card in the app. The first physical card costs nothing "
        "({first_physical_card_fee}), later replacements are {replacement_card_fee}, and a "
        "standard UK delivery takes {card_delivery_days_uk}."
    ),
    "get_physical_card": (
        "We don't post PINs: activate the card in the app (Cards > Activate, with its last "
        "four digits and the code from the letter) and the PIN appears under Cards > Show PIN "
        "once you confirm your passcode. No physical card yet? Order one from Cards > Order "
        "physical card; the first one is {first_physical_card_fee}."
    ),
    "getting_spare_card": (
        "Each account can have at most {spare_cards_max} spare physical cards, at "
        "{spare_card_fee} per card, ordered from Cards > Order physical card in the app."
    ),
    "card_about_to_expire": (
        "There is nothing you need to do: a card lasts {card_validity_years} years, and "
        "{expiry_reissue_days} days before it expires we post a free replacement to the "
        "address we hold for you."
    ),
    "activate_my_card": (
        "Open Cards > Activate in the app and enter the card's last four digits together with "
        "the code from the letter that came with it. A chip-and-PIN payment also activates it."
    ),
    "card_linking": (
        "Once a card has been reported lost it stays blocked for good, so a card you find "
        "again cannot be put back on the account; please use the replacement. New cards are "
        "added to the app by activating them under Cards > Activate."
    ),
    "visa_or_mastercard": (
        "We only issue {card_network} debit cards, so every Northwind card you receive will be "
        "a {card_network} card."
    ),
    # cards-security-and-problems
    "card_not_working": (
        "When a card stops working, it is most often blocked, expired or still waiting to be "
        "activated. Entering a wrong PIN {pin_attempts} times blocks the PIN, which you can "
        "undo yourself under Cards > Unblock PIN in the app."
    ),
    "contactless_not_working": (
        "Each contactless payment can be at most {contactless_limit}, and every "
        "{contactless_reset_payments} contactless payments in a row the terminal will ask you "
        "once to insert the card and type your PIN. If nothing works at all, the card may be "
        "blocked, expired or not activated yet."
    ),
    "card_swallowed": (
        "When an ATM keeps a card we block it and send you a replacement, which costs "
        "{replacement_card_fee} and takes {card_delivery_days_uk} to reach a UK address."
    ),
    "lost_or_stolen_card": (
        "A blocked card cannot be used for any new payment, and the block takes effect "
        "straight away. We can send a replacement for {replacement_card_fee}, delivered in "
        "{card_delivery_days_uk} in the UK; any payment you don't recognise can be disputed up "
        "to {chargeback_window_days} days after it was made."
    ),
    "compromised_card": (
        "Your card is now blocked so no one can make new payments with it, and our fraud team "
        "will be in touch to review the transactions you don't recognise with you. A new card "
        "costs {replacement_card_fee}."
    ),
    "lost_or_stolen_phone": (
        "I'm handing you over to our support team, who will help you lock down the account. "
        "In the meantime, sign in to the web app, log out every device and block your cards; "
        "without your {passcode_digits}-digit passcode nobody can get into the account."
    ),
    "pin_blocked": (
        "{pin_attempts} wrong PIN entries block the PIN. Unblock it in the app from Cards > "
        "Unblock PIN, and it will work again at any cash machine."
    ),
    "change_pin": (
        "PIN changes are made at any ATM with PIN services. If the PIN was blocked by "
        "{pin_attempts} wrong tries, first unblock it in the app (Cards > Unblock PIN)."
    ),
    "declined_card_payment": (
        "Declined payments are most often down to the card being blocked, expired or not yet "
        "activated. For contactless, a single payment is capped at {contactless_limit}, and "
        "after {contactless_reset_payments} tapped payments in a row you'll be asked for chip "
        "and PIN once."
    ),
    "card_acceptance": (
        "You can pay with your card anywhere that takes {card_network}, and you can also add "
        "it to Apple Pay or Google Pay from the Cards screen of the app."
    ),
    "apple_pay_or_google_pay": (
        "Both Apple Pay and Google Pay work with Northwind cards in all the countries we "
        "serve ({countries}); add the card from the Cards screen in the app."
    ),
    # virtual-and-disposable-cards
    "getting_virtual_card": (
        "Create one under Cards > New virtual card in the app: virtual cards are "
        "{virtual_card_fee}, usable immediately, and you can have as many as "
        "{virtual_cards_max}."
    ),
    "get_disposable_virtual_card": (
        "A disposable virtual card is good for a single online purchase, after which it gets "
        "fresh card details. You may make up to {disposable_cards_per_day} of them per day, "
        "and each payment on one is capped at {disposable_card_max_payment}."
    ),
    "disposable_card_limits": (
        "The limits are {disposable_cards_per_day} disposable cards per day and "
        "{disposable_card_max_payment} per payment. They can't be used for subscriptions or "
        "other recurring payments, contactless or ATM withdrawals."
    ),
    "virtual_card_not_working": (
        "Virtual cards don't work at cash machines or where a physical card is needed, such as "
        "some hotels, car hire firms and fuel pumps. For a declined online payment, make sure "
        "the card isn't frozen in the app and the billing address is the one on your account."
    ),
    # card-payments-and-refunds
    "card_payment_fee_charged": (
        "Paying by card in GBP is {card_payment_fee_gbp}. Payments in a foreign currency "
        "are treated as an exchange: free on weekdays within {exchange_free_month} a month, "
        "then {exchange_fee_weekday}, and {exchange_fee_weekend} at the weekend; the fee "
        "appears on its own line of the statement."
    ),
    "card_payment_not_recognised": (
        "I'm passing this to our disputes team, who will look at the payment with you. While "
        "you wait, look up the merchant's name in the transaction details in the app; if you "
        "still don't recognise it, it can be disputed up to {chargeback_window_days} days "
        "after the payment, and the card will be blocked and replaced ({replacement_card_fee})."
    ),
    "card_payment_wrong_exchange_rate": (
        "Foreign-currency card payments use our exchange rate at the time you paid, plus the "
        "exchange fee: nothing on weekdays within {exchange_free_month} a month, "
        "{exchange_fee_weekday} beyond it, and {exchange_fee_weekend} at weekends. That fee is "
        "listed separately on your statement."
    ),
    "pending_card_payment": (
        "A card payment remains pending until the merchant finalises it, which normally "
        "happens within {pending_card_payment_days} days; if they never do, it is reversed and "
        "the money goes back into your balance."
    ),
    "reverted_card_payment?": (
        "A reverted payment is one the merchant never completed, so it was undone "
        "automatically and the money went back to your balance. Merchants normally complete "
        "payments within {pending_card_payment_days} days."
    ),
    "transaction_charged_twice": (
        "I'm handing this to our payments team to check both charges with you. Often the "
        "second entry is just a pending authorisation next to the completed payment, and it "
        "disappears within {pending_card_payment_days} days."
    ),
    "extra_charge_on_statement": (
        "GBP card payments are {card_payment_fee_gbp}; an extra line on your statement is "
        "usually the exchange fee on a payment in another currency, which is "
        "{exchange_fee_weekday} on weekdays above the {exchange_free_month} monthly free "
        "allowance and {exchange_fee_weekend} at weekends."
    ),
    "direct_debit_payment_not_recognised": (
        "Our payments team will take this over and investigate the direct debit with you. "
        "Under the Direct Debit Guarantee you get your money back for a direct debit you "
        "don't recognise, as long as it is reported within {direct_debit_guarantee_months} "
        "months."
    ),
    "request_refund": (
        "Refunds come from the merchant, so please ask them for it. After they send it, the "
        "money takes {refund_days} to show on your balance."
    ),
    "Refund_not_showing_up": (
        "Refunds take {refund_days} to reach your balance once the merchant has sent them. If "
        "yours is later than that, send us the merchant's refund confirmation and we'll "
        "escalate it."
    ),
    # cash-withdrawals
    "atm_support": (
        "Any cash machine displaying the {card_network} logo takes your card, anywhere in the "
        "world. The first {free_withdrawals_month} each month is free, and you can withdraw up "
        "to {atm_daily_limit} a day."
    ),
    "cash_withdrawal_charge": (
        "You can take out {free_withdrawals_month} a month for free. Beyond that, each "
        "withdrawal is charged {withdrawal_fee_over} of the amount with a minimum of "
        "{withdrawal_min_fee}, and some ATM operators charge their own fee, which the machine "
        "shows you."
    ),
    "cash_withdrawal_not_recognised": (
        "Our fraud team will take over and review the withdrawal with you. As your card may "
        "have been compromised, block it in the app straight away."
    ),
    "declined_cash_withdrawal": (
        "Cash machines decline a withdrawal if the card or its PIN is blocked, if you've hit "
        "the {atm_daily_limit} daily limit, or if there isn't enough money in the account."
    ),
    "pending_cash_withdrawal": (
        "Withdrawals show as pending until the ATM operator confirms them, which takes up to "
        "{pending_withdrawal_days} working days."
    ),
    "wrong_amount_of_cash_received": (
        "I'm passing this to our payments team, who will take it up with the ATM's operator. "
        "Keep a note of where the machine was and when you used it; short-dispensed cash has "
        "to be reported within {cash_dispute_days} days."
    ),
    "wrong_exchange_rate_for_cash_withdrawal": (
        "Cash taken out in another currency is converted at our rate at that moment, with the "
        "usual exchange fee on top of any withdrawal fee: {exchange_fee_weekday} on weekdays "
        "once you pass {exchange_free_month} in a month, and {exchange_fee_weekend} at "
        "weekends. Decline the ATM's offer to convert for you, as it applies its own rate."
    ),
    # top-ups
    "automatic_top_up": (
        "Turn on Account > Auto top-up in the app and pick an amount: we add it every time "
        "your balance drops below the threshold you set, which must be at least "
        "{auto_topup_min_threshold}."
    ),
    "pending_top_up": (
        "Top-ups by card normally go through straight away and are never pending for more "
        "than {pending_topup_minutes} minutes; top-ups by bank transfer take up to "
        "{bank_transfer_topup_days}."
    ),
    "top_up_by_bank_transfer_charge": (
        "There is no charge ({topup_bank_transfer_fee}) for topping up by bank transfer, and "
        "the money arrives within {bank_transfer_topup_days}."
    ),
    "top_up_by_card_charge": (
        "Topping up with a UK debit card is {topup_card_fee_uk}; any other card costs "
        "{topup_card_fee_other} of the top-up."
    ),
    "top_up_by_cash_or_cheque": (
        "Partner post offices take cash and cheques for {topup_cash_fee} per top-up. Cash "
        "shows on your balance within {cash_deposit_days}; a cheque takes "
        "{cheque_clearing_days} to clear."
    ),
    "top_up_failed": (
        "Top-ups fail when the bank that issued your card turns them down, and we don't charge "
        "anything for a failed attempt."
    ),
    "top_up_limits": (
        "Each top-up must be at least {topup_min} and at most {topup_max_single}, with a "
        "ceiling of {topup_max_month} per month; your balance can't go above "
        "{topup_max_balance}."
    ),
    "top_up_reverted": (
        "A reverted top-up means your card's issuer took back its approval after the money "
        "had arrived, so the same amount has been removed from your balance."
    ),
    "topping_up_by_card": (
        "Card top-ups are normally instant: {topup_card_fee_uk} with a UK debit card and "
        "{topup_card_fee_other} with any other card. A new card may first need verifying: we "
        "take a small charge {verify_topup_amount_range}, you type that amount into the app, "
        "and the charge is refunded."
    ),
    "verify_top_up": (
        "To verify a new card, we make a small charge {verify_topup_amount_range} on it; find "
        "that amount on the card's statement and type it into the app. We refund the charge "
        "afterwards."
    ),
    "balance_not_updated_after_cheque_or_cash_deposit": (
        "Cash paid in takes up to {cash_deposit_days} to appear on your balance, and a cheque "
        "takes {cheque_clearing_days} to clear."
    ),
    # transfers
    "cancel_transfer": (
        "You can cancel a transfer yourself in the app for {transfer_cancel_window_minutes} "
        "minutes after sending it, as long as it is still pending; once that window has "
        "passed we can't recall it."
    ),
    "declined_transfer": (
        "Transfers are declined if there isn't enough money in the account, if the "
        "{transfer_daily_limit} daily limit on outgoing transfers is reached, or if the "
        "beneficiary can't be added."
    ),
    "failed_transfer": (
        "When a transfer fails, the money comes back to your balance within "
        "{failed_transfer_return_days} working days."
    ),
    "pending_transfer": (
        "A transfer shows as pending while it's held for a security check. Normally UK "
        "transfers take {transfer_time_domestic}, SEPA transfers up to {transfer_time_sepa} "
        "and SWIFT transfers {transfer_time_swift}."
    ),
    "transfer_fee_charged": (
        "UK transfers in GBP are {transfer_fee_domestic}, but a SEPA transfer in EUR costs "
        "{transfer_fee_sepa} and an international SWIFT transfer {transfer_fee_swift}."
    ),
    "transfer_into_account": (
        "Send the money to the account number and sort code you'll find in the app (or your "
        "IBAN for euros); a UK transfer reaches your balance {transfer_time_domestic}."
    ),
    "transfer_not_received_by_recipient": (
        "SEPA transfers take up to {transfer_time_sepa} and SWIFT transfers "
        "{transfer_time_swift} (UK ones {transfer_time_domestic}). If a completed transfer "
        "still hasn't reached the recipient after {transfer_trace_days} working days, we give "
        "them its reference, and if it is still missing we open a trace."
    ),
    "transfer_timing": (
        "Within the UK, transfers arrive {transfer_time_domestic}; SEPA transfers take up to "
        "{transfer_time_sepa}, and international SWIFT transfers {transfer_time_swift}. A "
        "transfer held for a security check shows as pending in the meantime."
    ),
    "beneficiary_not_allowed": (
        "For regulatory reasons some beneficiaries can't be added, so transfers to them are "
        "declined, and support isn't able to override that."
    ),
    "receiving_money": (
        "Share the account number and sort code from the app, or your IBAN for payments in "
        "euros. Money sent from a UK account shows on your balance {transfer_time_domestic}."
    ),
    "balance_not_updated_after_bank_transfer": (
        "A UK transfer to you should appear on your balance {transfer_time_domestic}; SEPA "
        "transfers can take {transfer_time_sepa} and SWIFT transfers {transfer_time_swift}."
    ),
    # currencies-and-exchange
    "exchange_rate": (
        "We exchange at our live rate. Weekday exchanges are free up to {exchange_free_month} "
        "per month and {exchange_fee_weekday} beyond that; at weekends all exchanges cost "
        "{exchange_fee_weekend}."
    ),
    "exchange_charge": (
        "On weekdays there is no fee on the first {exchange_free_month} you exchange each "
        "month and {exchange_fee_weekday} after that; at weekends the fee is "
        "{exchange_fee_weekend}. Foreign-currency card payments and cash withdrawals count "
        "towards the same allowance."
    ),
    "exchange_via_app": (
        "Exchanges are made in the app under Accounts > Exchange: choose the two currencies "
        "and the amount, confirm, "
        "and the money is exchanged instantly. The minimum is {exchange_min}."
    ),
    "fiat_currency_support": (
        "We support {currencies_count} currencies for holding and exchanging: {currencies}. "
        "We don't offer cryptocurrencies."
    ),
    "supported_cards_and_currencies": (
        "You can top up with {card_network} or Mastercard debit and credit cards from the "
        "countries we operate in, and hold and exchange {currencies_count} currencies: "
        "{currencies}."
    ),
    "country_support": (
        "You can open an account if you live in one of these countries: {countries}. Top-ups "
        "can come from {card_network} and Mastercard cards issued there."
    ),
    # account-and-identity
    "age_limit": (
        "Account holders have to be {age_min} or older and live in one of the countries we support."
    ),
    "edit_personal_details": (
        "Update your name, address or phone number under Profile in the app; a new name also "
        "means a fresh identity check."
    ),
    "passcode_forgotten": (
        "On the login screen, choose to reset your {passcode_digits}-digit passcode; we text "
        "you a code to do it."
    ),
    "terminate_account": (
        "There is no charge ({closure_fee}) to close the account. Transfer your money out "
        "first; closure then takes up to {closure_days} working days, and the cards stop "
        "working immediately."
    ),
    "unable_to_verify_identity": (
        "I'm referring your identity check to our compliance team for a manual review, which "
        "is what we do after {identity_attempts} unsuccessful attempts. The account can't be "
        "used until your identity is verified, as the law requires."
    ),
    "verify_my_identity": (
        "In the app, upload a photo ID and a selfie; we complete the check within "
        "{identity_check_days}."
    ),
    "verify_source_of_funds": (
        "Once your top-ups go above {source_of_funds_threshold} we need evidence of where the "
        "money comes from, such as payslips, a bank statement or a sale contract."
    ),
    "why_verify_identity": (
        "We are legally required to confirm who every customer is before the account can be "
        "used. It takes a photo ID and a selfie uploaded in the app, and we finish the check "
        "within {identity_check_days}."
    ),
}


def reference(intent: str) -> str:
    """The reference answer for ``intent``, with each ``{fact}`` replaced by its value."""
    return REFERENCES[intent].format_map(FACTS)
