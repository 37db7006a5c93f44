"""A journal entry or vendor bill as the booking plans it, and the values Odoo creates it from.

The booking speaks of accounts, amounts, taxes and analytic shares; only this module knows that Odoo
calls a vendor bill an `in_invoice`, its lines `invoice_line_ids` and a line's taxes `tax_ids`.
Amounts stay Decimals here; they become JSON numbers at the edge (`jsonable`).
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum



class MoveKind(StrEnum):
    """What the portal books; the values are Odoo's `move_type`."""

    JOURNAL_ENTRY = "entry"
    VENDOR_BILL = "in_invoice"
    VENDOR_CREDIT_NOTE = "in_refund"

    @property
    def words(self) -> str:
        return {"entry": "journal entry", "in_invoice": "vendor bill", "in_refund": "vendor credit note"}[self.value]


@dataclass(frozen=True)
class EntryLine:
    """A journal entry's line: `amount` in the company currency on the side `debit` says."""

    label: str
    account_id: int
    amount: Decimal
    debit: bool
    # A foreign purchase (recordings 38/39): the amount in the supplier's currency beside it, in `currency_id`.
    amount_in_currency: Decimal | None = None
    currency_id: int | None = None
    tax_ids: tuple[int, ...] = ()
    analytic: Mapping[str, float] | None = None  # analytic account id -> percentage


@dataclass(frozen=True)
class BillLine:
    """A vendor bill's line: one of `price`, in the bill's currency (VAT included when its tax says so)."""

    label: str
    account_id: int
    price: Decimal
    tax_ids: tuple[int, ...] = ()
    analytic: Mapping[str, float] | None = None


@dataclass(frozen=True)
class MoveDraft:
    kind: MoveKind
    journal_id: int
    date: date
    reference: str  # Odoo's `ref`: the exactly-once key
    lines: tuple[EntryLine, ...] | tuple[BillLine, ...]
    currency_id: int | None = None  # a bill in the supplier's currency
    invoice_date: date | None = None
    due_date: date | None = None
    payment_reference: str = ""  # a bill's invoice number; on an invoice payment, the number it pays
    narration: str = ""


def create_values(draft: MoveDraft, *, partner_id: int | None, counter_account_id: int) -> dict:
    """The move's create values as JSON, as sent and as the export record keeps them."""
    return jsonable(move_values(draft, partner_id=partner_id, counter_account_id=counter_account_id))


def move_values(draft: MoveDraft, *, partner_id: int | None, counter_account_id: int) -> dict:
    """The move's create values, amounts as Decimals: the partner on the bill, or on an entry's counter line."""
    values = {"move_type": draft.kind.value, "journal_id": draft.journal_id, "date": draft.date.isoformat(),
              "ref": draft.reference}
    if draft.kind == MoveKind.JOURNAL_ENTRY:
        values["line_ids"] = [(0, 0, _entry_line_values(line, partner_id if line.account_id == counter_account_id
                                                        else None)) for line in draft.lines]
    else:
        values["invoice_date"] = draft.invoice_date.isoformat()
        values["invoice_line_ids"] = [(0, 0, _bill_line_values(line)) for line in draft.lines]
        if partner_id:
            values["partner_id"] = partner_id
        if draft.currency_id is not None:
            values["currency_id"] = draft.currency_id
        if draft.due_date is not None:
            values["invoice_date_due"] = draft.due_date.isoformat()
    if draft.payment_reference:
        values["payment_reference"] = draft.payment_reference
    if draft.narration:
        values["narration"] = draft.narration
    return values


def _entry_line_values(line: EntryLine, partner_id: int | None) -> dict:
    zero = Decimal(0)
    values = {"name": line.label, "account_id": line.account_id,
              "debit": line.amount if line.debit else zero, "credit": zero if line.debit else line.amount}
    if partner_id:
        values["partner_id"] = partner_id
    if line.amount_in_currency is not None:
        # Company amounts in debit/credit, the supplier's beside them, signed like the balance (debit positive).
        values["currency_id"] = line.currency_id
        values["amount_currency"] = line.amount_in_currency if line.debit else -line.amount_in_currency
    if line.tax_ids:
        values["tax_ids"] = [(6, 0, list(line.tax_ids))]
    if line.analytic:
        values["analytic_distribution"] = dict(line.analytic)
    return values


def _bill_line_values(line: BillLine) -> dict:
    # tax_ids always, empty without a tax: Odoo 16 puts the company's default purchase tax on a bill line
    # sent without them (v16/107 to 111).
    values = {"name": line.label, "account_id": line.account_id, "quantity": 1, "price_unit": line.price,
              "tax_ids": [(6, 0, list(line.tax_ids))]}
    if line.analytic:
        values["analytic_distribution"] = dict(line.analytic)
    return values


def wallet_payment_draft(*, reference: str, journal_id: int, date: date, payable_account_id: int,
                         wallet_account_id: int, amount: Decimal,
                         currency_id: int | None = None, amount_currency: Decimal | None = None,
                         into_wallet: bool = False) -> MoveDraft:
    """The journal entry paying a bill from the Wallet: payables debited, the Wallet credited; the other way
    round (`into_wallet`) for a vendor credit note, money back into the Wallet. A bill in the supplier's
    currency is paid in it, so bill and payment reconcile in both currencies. The vendor goes on the payables
    line, the counter line of `create_values`."""
    foreign = currency_id is not None
    payable = EntryLine(reference, payable_account_id, amount, debit=not into_wallet,
                        amount_in_currency=amount_currency if foreign else None, currency_id=currency_id)
    wallet = EntryLine(reference, wallet_account_id, amount, debit=into_wallet)
    return MoveDraft(MoveKind.JOURNAL_ENTRY, journal_id, date, reference, (payable, wallet))


def jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
