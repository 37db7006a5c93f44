"""The rules of Pleo's expense types: their labels, what each is booked against, which may be vendor bills."""
from exports.items import BookingRefused
from exports.plans import BookingContext


TYPE_LABELS = {
    "card_purchase": "card purchase",
    "card_invoice": "card-paid invoice",
    "out_of_pocket": "out-of-pocket expense",
    "mileage": "mileage allowance",
    "per_diem": "per diem allowance",
    "external_reimbursement": "reimbursement outside Pleo",
    "direct_reimbursement": "reimbursement through Pleo",
    "invoice": "supplier invoice",
    "invoice_payment": "invoice payment",
    "chargeback": "chargeback",
    "refund": "refund",
    "cashback": "cashback",
    "atm_withdrawal": "ATM withdrawal",
    "wallet_topup": "Wallet top-up",
    "wallet_unload": "Wallet unload",
    "personal_spend": "personal spend",
    "fee": "fee",
}
# Lines booked on their category, counter line on the Wallet (money left or came back through the card).
WALLET_TYPES = frozenset({
    "card_purchase", "card_invoice", "fee", "atm_withdrawal", "personal_spend", "refund", "chargeback", "cashback",
})


# Lines booked on their category, counter line on what the company owes the employee.
EMPLOYEE_TYPES = frozenset({"out_of_pocket", "mileage", "per_diem"})


# Types whose lines carry a category; the others are moves between configured accounts.
CATEGORY_TYPES = WALLET_TYPES | EMPLOYEE_TYPES | {"invoice"}


# Vendor bills only for purchases (a fee or a transfer as a bill would invent a supplier debt), plus the
# refund of a purchase as a vendor credit note. Kept equal to mappings.choices.VENDOR_BILL_ITEM_TYPES + refund.
BILLABLE_TYPES = frozenset({"card_purchase", "card_invoice", "out_of_pocket", "mileage", "per_diem", "invoice",
                            "refund"})


CARD_PAID_BILL_TYPES = frozenset({"card_purchase", "card_invoice", "refund"})
# §6.4: top-ups and unloads are always journal entries.
ALWAYS_ENTRY_TYPES = frozenset({"wallet_topup", "wallet_unload"})


# Where a negative amount may mean "money back" rather than a broken payload (§13 Q2: Pleo's examples are
# positive; if Pleo ever signs these, the direction still comes from the type, so the magnitude is booked).
REFUND_LIKE_TYPES = frozenset({"refund", "chargeback", "cashback"})


REFUND_LIKE_SUB_TYPES = frozenset({"reimbursement_to_employee_refund", "reimbursement_to_company",
                                    "invoice_payment_returned"})
SETTING_NAMES = {
    "wallet_account_id": "the Pleo Wallet account",
    "out_of_pocket_account_id": "the out-of-pocket account",
    "reimbursement_contra_account_id": "the contra account for reimbursements outside Pleo",
    "payables_account_id": "the payables account",
    "topup_bank_account_id": "the bank account top-ups come from",
    "card_journal_id": "the card-expense journal",
    "bill_journal_id": "the vendor-bill journal",
}
FOLLOW_PLEO_METHODS = {"journal": "entry", "none": "entry", "accounts_payable": "bill", None: "entry"}


def required_setting(context: BookingContext, setting: str, label: str) -> int:
    value = getattr(context, setting)
    if not value:
        raise BookingRefused(
            f"Set {SETTING_NAMES[setting]} in the booking settings: the {label} is booked on it.",
            "missing_configuration",
        )
    return value
