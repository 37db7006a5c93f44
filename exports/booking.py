"""The booking builder: one Pleo export item -> the exact Odoo record the export would create.

Pure: no HTTP, no database, no clock. The pipeline (exports.services), the preview, the dry run and the
property tests call `booking_plan(item, context)` with a `BookingContext` the pipeline builds from the
client's settings and mappings, and get a `MovePlan` (create it), a `SkipPlan` (record it as skipped)
or a `BookingRefused` (fail the item in Pleo with `failure_reason_type` and `str(exc)`).

Money: every amount is a Decimal rounded to its currency (integrations.pleo.contract), never a float.
`MovePlan.values` holds Decimals too; the pipeline turns them into JSON numbers at the very edge, when
it sends the create (exports.services._jsonable), so nothing here rounds through binary floats.

Booking rules (pleo-api README §6, odoo-contract README; each choice where the contract is silent is
commented where it is made):
- Amounts are Pleo's wallet-currency amounts (§6.6). Per line: paid = lineAmount; VAT = tax.amount;
  for inclusive and exclusive codes the expense line is paid − VAT (the net) and Odoo adds the VAT as
  a tax line; for reverse-charge codes the expense line is the amount paid, and Odoo adds +VAT and −VAT.
- A journal entry balances AT CREATE: the counter line is the nets plus the VAT Odoo will compute
  (`odoo_vat_estimate`), because Odoo refuses an unbalanced entry without tax and silently adds a
  suspense "Automatic Balancing Line" to one with tax (recordings 81/94). The pipeline then writes the
  tax lines to Pleo's VAT and the counter line to Pleo's total (recordings 82-86).
- A vendor bill is in the supplier's currency with Pleo's prices; Odoo converts it at its own rate, so the
  pipeline then sets each line's company amount to what Pleo settled (`line_amounts`, recordings 101-106)
  and the tax lines to Pleo's VAT; Odoo moves the payables line with them.
- Directions come from `type`/`subType` (contract.export_item_direction), never from a sign (§13 Q2).
"""
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from integrations.errors import PortalError
from integrations.pleo.contract import (
    ITEM_FAILURE_REASON_TYPES,
    currency_decimals,
    export_item_direction,
    invoice_payment_invoice_number,
    money_to_decimal,
    optional_enum,
)
from integrations.pleo.errors import PleoServerError

logger = logging.getLogger(__name__)

__all__ = [
    "CategoryTarget",
    "TaxTarget",
    "BookingContext",
    "PartnerNeed",
    "PaymentPlan",
    "MovePlan",
    "SkipPlan",
    "BookingRefused",
    "booking_plan",
    "item_booking_date",
    "item_reference",
    "item_record_facts",
    "export_items_for_entries",
    "clean_text",
    "BOOKABLE_YEARS",
    "TYPE_LABELS",
    "BILLABLE_TYPES",
    "REFUND_LIKE_TYPES",
]


# ------------------------------------------------------------------------------------------- interface


@dataclass(frozen=True)
class CategoryTarget:
    odoo_account_id: int
    label: str  # "6810 Office supplies", for the summary and the preview
    default_tax_id: int | None = None


@dataclass(frozen=True)
class TaxTarget:
    odoo_tax_id: int
    name: str
    rate: Decimal  # Odoo's rate as a fraction: 21 % is Decimal("0.21")
    price_include: bool
    reverse: bool


@dataclass(frozen=True)
class BookingContext:
    company_currency: str  # ISO code of the Odoo company's currency
    currency_ids: Mapping[str, int]  # active Odoo currencies by ISO code
    wallet_account_id: int | None
    out_of_pocket_account_id: int | None
    reimbursement_contra_account_id: int | None
    payables_account_id: int | None
    topup_bank_account_id: int | None
    card_journal_id: int | None
    bill_journal_id: int | None
    kind_modes: Mapping[str, str]  # item type -> "journal_entry" | "vendor_bill" | "follow_pleo" | "disabled"
    post_states: Mapping[str, str]  # item type -> "draft" | "posted"
    receipts: Mapping[str, bool]  # item type -> attach receipts
    categories: Mapping[str, CategoryTarget]  # Pleo account id (line account.id) -> Odoo account
    taxes: Mapping[str, TaxTarget]  # Pleo tax code id (line tax.id) -> Odoo tax
    tags: Mapping[str, int]  # Pleo tag id -> Odoo analytic account id
    analytic_account_ids: frozenset[int]  # analytic accounts that exist in Odoo


@dataclass(frozen=True)
class PartnerNeed:
    """A contact the pipeline finds (by VAT, else by name) or creates, then puts on the move (bills) or
    on the counter line (entries)."""

    role: Literal["supplier", "employee", "vendor"]
    name: str
    vat: str = ""
    country: str = ""
    code: str = ""


@dataclass(frozen=True)
class PaymentPlan:
    """A vendor bill paid from the Pleo Wallet: a payment entry in `journal_id` between the payables and the
    Wallet account, reconciled with the bill (recordings 45-47). For an `in_invoice` it debits payables and
    credits the Wallet; for an `in_refund` (money back into the Wallet) the other way round."""

    journal_id: int
    payables_account_id: int
    wallet_account_id: int
    amount: Decimal
    # A bill in the supplier's currency is paid in it too, so bill and payment reconcile in both currencies
    # without an exchange difference: the payables line carries the bill's currency and amount.
    currency_id: int | None = None
    amount_currency: Decimal | None = None


@dataclass(frozen=True)
class MovePlan:
    accounting_entry_id: str
    item_type: str
    reference: str  # Odoo `ref`; the exactly-once key
    move_type: str  # "entry" | "in_invoice" | "in_refund"
    values: dict  # account.move create values without partner ids; Decimals, converted by the pipeline
    partner: PartnerNeed | None
    counter_account_id: int
    expected_total: Decimal  # what Pleo charged, company currency
    expected_vat: Decimal  # Pleo's VAT: the sum of tax.amount in the wallet currency
    odoo_vat_estimate: Decimal  # the VAT Odoo adds at create, net of reverse-charge pairs
    post: bool
    payment: PaymentPlan | None
    files: tuple[dict, ...]
    summary: str
    supplier_total: Decimal = Decimal(0)  # what Pleo charged in the supplier's currency
    supplier_currency: str = ""
    # A bill in the supplier's currency: each invoice line's amount in the company currency, as Pleo settled it.
    line_amounts: tuple[Decimal, ...] = ()


@dataclass(frozen=True)
class SkipPlan:
    accounting_entry_id: str
    item_type: str
    reason: str


class BookingRefused(PortalError):
    """The item cannot be booked as it stands. `str(exc)` names the missing piece in the bookkeeper's words;
    `failure_reason_type` is the ExportJobItemFailureReasonType Pleo shows (pleo-api README §5.4)."""

    def __init__(self, message: str, failure_reason_type: str, extra: dict | None = None):
        if failure_reason_type not in ITEM_FAILURE_REASON_TYPES:
            raise ValueError(f"{failure_reason_type!r} is not a Pleo item failure reason type.")
        # Reasons quote Pleo's text (category and tag names): cleaned, so a NUL cannot reach PostgreSQL.
        super().__init__(clean_text(message, REASON_MAX), extra)
        self.failure_reason_type = failure_reason_type


# ------------------------------------------------------------------------------------------ type rules

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
_WALLET_TYPES = frozenset({
    "card_purchase", "card_invoice", "fee", "atm_withdrawal", "personal_spend", "refund", "chargeback", "cashback",
})
# Lines booked on their category, counter line on what the company owes the employee.
_EMPLOYEE_TYPES = frozenset({"out_of_pocket", "mileage", "per_diem"})
# Types whose lines carry a category; the others are moves between configured accounts.
_CATEGORY_TYPES = _WALLET_TYPES | _EMPLOYEE_TYPES | {"invoice"}
# Vendor bills only for purchases (a fee or a transfer as a bill would invent a supplier debt), plus the
# refund of a purchase as a vendor credit note. Kept equal to mappings.choices.VENDOR_BILL_ITEM_TYPES + refund.
BILLABLE_TYPES = frozenset({"card_purchase", "card_invoice", "out_of_pocket", "mileage", "per_diem", "invoice",
                            "refund"})
_CARD_PAID_BILL_TYPES = frozenset({"card_purchase", "card_invoice", "refund"})
# §6.4: top-ups and unloads are always journal entries.
_ALWAYS_ENTRY_TYPES = frozenset({"wallet_topup", "wallet_unload"})
# Where a negative amount may mean "money back" rather than a broken payload (§13 Q2: Pleo's examples are
# positive; if Pleo ever signs these, the direction still comes from the type, so the magnitude is booked).
REFUND_LIKE_TYPES = frozenset({"refund", "chargeback", "cashback"})
_REFUND_LIKE_SUB_TYPES = frozenset({"reimbursement_to_employee_refund", "reimbursement_to_company",
                                    "invoice_payment_returned"})

_SETTING_NAMES = {
    "wallet_account_id": "the Pleo Wallet account",
    "out_of_pocket_account_id": "the out-of-pocket account",
    "reimbursement_contra_account_id": "the contra account for reimbursements outside Pleo",
    "payables_account_id": "the payables account",
    "topup_bank_account_id": "the bank account top-ups come from",
    "card_journal_id": "the card-expense journal",
    "bill_journal_id": "the vendor-bill journal",
}
_FOLLOW_PLEO_METHODS = {"journal": "entry", "none": "entry", "accounts_payable": "bill", None: "entry"}


# Text Pleo's users typed goes to Odoo cleaned: PostgreSQL (Odoo's and ours) refuses NUL, and other control
# characters (escape codes, carriage returns) garble Odoo's lists. Odoo's char fields have no size limit, but a
# label of thousands of characters makes the journal unreadable, so labels are cut; the export record keeps
# Pleo's text whole in its pleo_payload.
_CONTROL_CHARACTERS = re.compile(r"(?:\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x1f\x7f-\x9f])+")  # terminal colour codes too
LABEL_MAX = 256  # a journal item's label
NAME_MAX = 128  # a contact's name, a payment reference
NARRATION_MAX = 4000  # the move's internal note
REASON_MAX = 1000  # what Pleo keeps of a failure reason (pleo-api §5.3 step 7)
# The contract's `date` has no range and Odoo takes any year, but an expense dated before Pleo existed or
# generations ahead is a typing or system error: booked, it would sit in a period nobody looks at (or be moved
# to the first open day by the lock-date policy, hiding the error). Such items are refused with the date named.
BOOKABLE_YEARS = range(2000, 2100)
# Amounts travel to Odoo as JSON numbers (doubles), which carry 15 significant digits exactly; an amount with
# more digits in the currency's smallest unit would be booked rounded, and no real expense is that large.
_MAX_MINOR_UNITS = 10**15
# Where the contract has an object or a list, a payload with anything else is refused naming the field, instead
# of failing on it somewhere in the middle of the booking.
_OBJECT_FIELDS = ("amount", "supplier", "vendor", "user", "team", "additionalInformation", "bookkeeping", "_links")
_TEXT_FIELDS = {"": ("accountingEntryId", "type", "subType", "date", "note"),
                "supplier": ("name", "taxIdentifier", "country", "code"),
                "vendor": ("name", "taxRegistrationNumber", "country", "code"),
                "user": ("name", "code")}
_LINE_OBJECT_FIELDS = ("lineAmount", "netAmount", "tax", "account")
# NUL cannot be stored in PostgreSQL text or jsonb; the kept payload shows it as the symbol for NUL.
_NUL_SYMBOL = "\u2400"


def clean_text(value, limit: int) -> str:
    """`value` as one line of text without control characters, at most `limit` characters (cut with "…")."""
    text = " ".join(_CONTROL_CHARACTERS.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _kind_of(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else "something else"


def _wrong_type(field: str, value, expected: str) -> BookingRefused:
    return BookingRefused(f"Pleo sent the field “{field}” as {_kind_of(value)} where the contract has {expected}; "
                          "the expense was not booked.", "validation_failure")


def _shape_check(item) -> None:
    """Refuse, naming the field, a payload whose objects, lists and texts are not of the contract's types."""
    if not isinstance(item, dict):
        raise BookingRefused("Pleo sent this export item as something other than an object; it was not booked.",
                             "validation_failure")
    for name in _OBJECT_FIELDS:
        if item.get(name) is not None and not isinstance(item[name], dict):
            raise _wrong_type(name, item[name], "an object")
    for parent, names in _TEXT_FIELDS.items():
        record = (item.get(parent) or {}) if parent else item
        for name in names:
            if record.get(name) is not None and not isinstance(record[name], str):
                raise _wrong_type(f"{parent}.{name}" if parent else name, record[name], "text")
    for name in ("accountingEntryLines", "files"):
        if item.get(name) is not None and not isinstance(item[name], list):
            raise _wrong_type(name, item[name], "a list")
    for n, file in enumerate(item.get("files") or []):
        if file is None:
            continue  # the contract's file entries are nullable
        if not isinstance(file, dict) or not isinstance(file.get("url"), str):
            raise _wrong_type(f"files[{n}]", file, "an object with a url")
        if file.get("type") is not None and not isinstance(file["type"], str):
            raise _wrong_type(f"files[{n}].type", file["type"], "text")
        if file.get("size") is not None and (isinstance(file["size"], bool) or not isinstance(file["size"], int)):
            raise _wrong_type(f"files[{n}].size", file["size"], "a whole number")
    for n, line in enumerate(item.get("accountingEntryLines") or []):
        if not isinstance(line, dict):
            raise _wrong_type(f"accountingEntryLines[{n}]", line, "an object")
        for name in _LINE_OBJECT_FIELDS:
            if line.get(name) is not None and not isinstance(line[name], dict):
                raise _wrong_type(f"accountingEntryLines[{n}].{name}", line[name], "an object")
        if line.get("tags") is not None and not (isinstance(line["tags"], list)
                                                 and all(isinstance(tag, dict) for tag in line["tags"])):
            raise _wrong_type(f"accountingEntryLines[{n}].tags", line["tags"], "a list of tags")
    info = item.get("additionalInformation") or {}
    if info.get("invoiceInformation") is not None and not isinstance(info["invoiceInformation"], dict):
        raise _wrong_type("additionalInformation.invoiceInformation", info["invoiceInformation"], "an object")
    for name in ("attendees", "reconciledEntries"):
        if info.get(name) is not None and not isinstance(info[name], list):
            raise _wrong_type(f"additionalInformation.{name}", info[name], "a list")


def export_items_for_entries(items: list, entry_ids: list[str]) -> list[dict]:
    """The export item of each open entry of a job, in the job's order.

    An entry Pleo sent no readable item for (none at all, or one without its accountingEntryId) gets a bare
    `{"accountingEntryId": id}`, which `booking_plan` refuses with a reason, so the entry is reported to Pleo as
    failed instead of staying in the job. Items of other entries, and second copies, are left out."""
    by_id = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("accountingEntryId"), str):
            by_id.setdefault(item["accountingEntryId"], item)
    return [by_id.get(entry_id) or {"accountingEntryId": entry_id} for entry_id in entry_ids]


def _storable(value):
    """`value` with every NUL (in keys and texts) replaced by the symbol for NUL, for a JSON field."""
    if isinstance(value, str):
        return value.replace("\x00", _NUL_SYMBOL)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _fact_amount(money) -> Decimal | None:
    try:
        amount = money_to_decimal(money) if isinstance(money, dict) else None
    except PleoServerError:
        return None
    # The record's column holds 18 digits with 3 decimals; an amount that does not fit is left blank.
    return amount if amount is not None and abs(amount) < 10**15 else None


def item_record_facts(item: dict) -> dict:
    """What the export record shows of an item, and the payload it keeps.

    Read leniently, because every item gets its record, also one `booking_plan` refuses: a fact that does not
    fit its column is left blank or cleaned, and nothing here raises."""
    shaped = isinstance(item, dict)
    original, item = item, item if shaped else {}

    def obj(value) -> dict:
        return value if isinstance(value, dict) else {}

    amount = obj(obj(item.get("amount")).get("inWalletCurrency"))
    vat = Decimal(0)
    for line in item.get("accountingEntryLines") if isinstance(item.get("accountingEntryLines"), list) else []:
        vat += _fact_amount(obj(obj(obj(line).get("tax")).get("amount")).get("inWalletCurrency")) or 0
    supplier = obj(item.get("supplier")).get("name") or obj(item.get("vendor")).get("name") or ""
    currency = amount.get("currency")
    return {
        "kind": clean_text(item.get("type") or "", 40),
        "entry_date": item_booking_date(item),
        "supplier": clean_text(supplier, 300),
        "spender": clean_text(obj(item.get("user")).get("name") or "", 300),
        "description": clean_text(item.get("note") or "", 10_000),
        "amount": _fact_amount(amount),
        "currency": currency if isinstance(currency, str) and len(currency) == 3 else "",
        "vat_amount": vat if abs(vat) < 10**15 else None,
        "pleo_payload": _storable(item) if shaped else {"unreadable": clean_text(original, 1000)},
    }


# --------------------------------------------------------------------------------------------- helpers


def item_booking_date(item: dict) -> date | None:
    """The move date: the calendar date of `date` as Pleo wrote it, without converting time zones.

    §13 Q4: `date` is a date-time, "the date when the export item was book kept"; Pleo writes calendar dates
    as midnight UTC ("2025-03-04T00:00:00Z"). Converting to the company's time zone would move every
    expense of a client west of UTC to the day before, so the date part as written is the safest reading.
    None when Pleo sent no readable date."""
    raw = item.get("date")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw).date()
    except ValueError:
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            return None


def _bookable_date(raw, what: str, field: str) -> date | None:
    """A date of the item (None when missing or unreadable), refused when outside BOOKABLE_YEARS."""
    found = item_booking_date({"date": raw})
    if found is not None and found.year not in BOOKABLE_YEARS:
        raise BookingRefused(
            f"Pleo dates {what} {found.isoformat()} (field “{field}”); the portal books dates from "
            f"{BOOKABLE_YEARS.start} to {BOOKABLE_YEARS.stop - 1} only and takes this one for a mistake. Correct "
            "the date in Pleo and export again.", "validation_failure")
    return found


def item_reference(item: dict) -> str:
    """Odoo `ref` of the item's record: Pleo's reconciliation id (the docs map it to the reference) and the
    accounting entry id (unique per entry), e.g. "PLEO-1000042-6f0e…". Only these two stable ids go in, so
    the same entry always gets the same reference and the pipeline can find what an earlier run booked."""
    reconciliation_id = clean_text((item.get("additionalInformation") or {}).get("reconciliationId") or "", 64)
    entry_id = str(item.get("accountingEntryId") or "")
    return f"PLEO-{reconciliation_id}-{entry_id}" if reconciliation_id else f"PLEO-{entry_id}"


def _round(amount: Decimal, currency: str) -> Decimal:
    # Odoo rounds tax half-up to the currency's rounding (float_round, per line: recording 80).
    return amount.quantize(Decimal(1).scaleb(-currency_decimals(currency)), rounding=ROUND_HALF_UP)


def _money(money: dict | None, what: str, field: str) -> tuple[Decimal, str]:
    """A MoneyModel as (amount, currency); refused, naming Pleo's field, when it is missing or absurd."""
    if not isinstance(money, dict):
        raise BookingRefused(f"Pleo sent no {what} (field “{field}”); the expense cannot be booked.",
                             "validation_failure")
    try:
        amount = money_to_decimal(money)
    except PleoServerError as exc:
        raise BookingRefused(f"{exc} (field “{field}”)", "validation_failure") from None
    currency = money["currency"]
    if abs(amount).scaleb(currency_decimals(currency)) >= _MAX_MINOR_UNITS:
        raise BookingRefused(f"Pleo sent {amount} {currency} as the {what} (field “{field}”): more than Odoo can "
                             "store to the cent, so it is taken for an error and not booked.", "validation_failure")
    return amount, currency


def _category_name(account: dict) -> str:
    name = f"Category “{clean_text(account.get('name') or account.get('id'), NAME_MAX)}”"
    return f"{name} ({clean_text(account['code'], NAME_MAX)})" if account.get("code") else name


def _required(context: BookingContext, setting: str, label: str) -> int:
    value = getattr(context, setting)
    if not value:
        raise BookingRefused(
            f"Set {_SETTING_NAMES[setting]} in the booking settings: the {label} is booked on it.",
            "missing_configuration",
        )
    return value


def _sign_of(value: Decimal) -> int:
    return (value > 0) - (value < 0)


# ------------------------------------------------------------------------------------------ the lines


@dataclass(frozen=True)
class _Line:
    """One Pleo line, as magnitudes in the wallet (`w`) and supplier (`s`) currency."""

    pleo: dict
    paid_w: Decimal
    paid_s: Decimal
    vat_w: Decimal  # Pleo's tax.amount; 0 without tax
    vat_s: Decimal
    tax_type: str | None  # Pleo's tax.type
    tax: TaxTarget | None

    @property
    def net_w(self) -> Decimal:
        # Reverse charge: the VAT was not paid, the expense is the amount paid. Otherwise paid minus VAT.
        return self.paid_w if self.tax_type in (None, "reverse") else self.paid_w - self.vat_w

    @property
    def net_s(self) -> Decimal:
        return self.paid_s if self.tax_type in (None, "reverse") else self.paid_s - self.vat_s


@dataclass(frozen=True)
class _Amounts:
    wallet_currency: str
    supplier_currency: str
    total_w: Decimal  # magnitude
    total_s: Decimal
    lines: tuple[_Line, ...]


def _amounts(item: dict, context: BookingContext, label: str, *, refund_like: bool, taxed: bool) -> _Amounts:
    """Read and check Pleo's figures: currency, sign, zero, and lines adding up to the amount."""
    amount = item.get("amount") or {}
    total_w, wallet = _money(amount.get("inWalletCurrency"), "amount in the wallet currency", "amount.inWalletCurrency")
    if wallet != context.company_currency:
        # Multi-currency wallets need one Wallet account per currency and a rate policy: a later feature.
        raise BookingRefused(
            f"This {label} was paid from a {wallet} Wallet but the Odoo company books in "
            f"{context.company_currency}; Wallets in another currency than the company's are not exported yet.",
            "validation_failure",
        )
    if amount.get("inSupplierCurrency"):
        total_s, supplier = _money(amount["inSupplierCurrency"], "amount in the supplier's currency",
                                   "amount.inSupplierCurrency")
    else:
        total_s, supplier = total_w, wallet
    if total_w == 0:
        raise BookingRefused(f"This {label} has an amount of 0 {wallet}; there is nothing to book.",
                             "validation_failure")
    sign = _sign_of(total_w)
    if sign < 0 and not refund_like:
        raise BookingRefused(
            f"Pleo sent a negative amount ({total_w} {wallet}) for a {label}; only refunds, chargebacks, cashback "
            "and reversed reimbursements or payments may be negative.", "validation_failure")
    raw_lines = item.get("accountingEntryLines") or []
    if not raw_lines:
        raise BookingRefused(f"This {label} has no lines in Pleo (field “accountingEntryLines”); there is nothing "
                             "to book.", "validation_failure")
    lines, sum_w = [], Decimal(0)
    for n, raw in enumerate(raw_lines):
        field = f"accountingEntryLines[{n}]"
        paid_w, line_wallet = _money((raw.get("lineAmount") or {}).get("inWalletCurrency"), "line amount",
                                     f"{field}.lineAmount.inWalletCurrency")
        if line_wallet != wallet:
            raise BookingRefused(f"A line of this {label} is in {line_wallet}, the expense in {wallet}; "
                                 "the portal does not guess which is right.", "validation_failure")
        sum_w += paid_w
        if _sign_of(paid_w) not in (0, sign):
            raise BookingRefused(f"The lines of this {label} mix positive and negative amounts; "
                                 "the portal does not guess which way the money went.", "validation_failure")
        supplier_money = (raw.get("lineAmount") or {}).get("inSupplierCurrency")
        paid_s = _money(supplier_money, "line amount", f"{field}.lineAmount.inSupplierCurrency")[0] \
            if supplier_money else paid_w
        tax = raw.get("tax") if taxed else None
        vat_w = vat_s = Decimal(0)
        tax_type = None
        if raw.get("tax") and not taxed:
            vat = _money((raw["tax"].get("amount") or {}).get("inWalletCurrency"), "VAT amount",
                         f"{field}.tax.amount.inWalletCurrency")[0]
            if vat:
                # A payment or transfer carries no VAT; booking it would count the purchase's VAT twice.
                raise BookingRefused(f"Pleo sent VAT ({vat} {wallet}) on a {label}, which moves money and "
                                     "carries no VAT; the portal does not book it.", "validation_failure")
        if tax:
            tax_type = tax.get("type")
            if tax_type not in ("inclusive", "exclusive", "reverse"):
                raise BookingRefused(f"Pleo sent a tax of unknown type {tax_type!r} (field “{field}.tax.type”).",
                                     "validation_failure")
            vat_w = _money((tax.get("amount") or {}).get("inWalletCurrency"), "VAT amount",
                           f"{field}.tax.amount.inWalletCurrency")[0]
            supplier_vat = (tax.get("amount") or {}).get("inSupplierCurrency")
            vat_s = _money(supplier_vat, "VAT amount", f"{field}.tax.amount.inSupplierCurrency")[0] \
                if supplier_vat else vat_w
            if tax_type == "reverse":
                # §13 Q1: for reverse charge netAmount must be the amount paid (VAT due on top, not paid);
                # if Pleo's figures say otherwise the reading is wrong and nothing is booked on a guess.
                net_w = _money((raw.get("netAmount") or {}).get("inWalletCurrency"), "net amount",
                               f"{field}.netAmount.inWalletCurrency")[0]
                if net_w != paid_w:
                    raise BookingRefused(
                        f"A reverse-charge line of this {label} has line amount {paid_w} {wallet} but net amount "
                        f"{net_w} {wallet}; the portal books reverse charge only when they agree.",
                        "validation_failure")
        lines.append(_Line(pleo=raw, paid_w=abs(paid_w), paid_s=abs(paid_s), vat_w=abs(vat_w), vat_s=abs(vat_s),
                           tax_type=tax_type, tax=None))
        if tax_type in ("inclusive", "exclusive") and abs(vat_w) > abs(paid_w):
            raise BookingRefused(f"A line of this {label} has more VAT ({vat_w}) than its amount ({paid_w}).",
                                 "validation_failure")
    if sum_w != total_w:
        raise BookingRefused(
            f"The lines of this {label} add up to {sum_w} {wallet} but its amount is {total_w} {wallet} (fields "
            "“accountingEntryLines[].lineAmount” and “amount”); it was not booked.", "validation_failure")
    return _Amounts(wallet, supplier, abs(total_w), abs(total_s), tuple(lines))


def _with_taxes(amounts: _Amounts, context: BookingContext) -> _Amounts:
    """Attach each line's mapped Odoo tax; an unmapped or mismatched tax code refuses the item."""
    lines = []
    for line in amounts.lines:
        tax = line.pleo.get("tax")
        target = None
        if line.tax_type is not None:
            target = context.taxes.get(str(tax.get("id")))
            code = tax.get("code") or tax.get("id")
            if target is None:
                rate = Decimal(str(tax.get("rate") or 0)) * 100
                raise BookingRefused(
                    f"Pleo tax code “{code}” ({rate.normalize():f} %) is not mapped to an Odoo tax. Map it under "
                    "Mappings → Tax mappings (or run the tax sync), then retry the record.", "tax_code_unknown")
            if target.reverse != (line.tax_type == "reverse"):
                kind = "is reverse charge" if line.tax_type == "reverse" else "is not reverse charge"
                raise BookingRefused(
                    f"Pleo tax code “{code}” {kind} but its Odoo tax “{target.name}” "
                    f"{'is not' if line.tax_type == 'reverse' else 'is'}. Correct it under Mappings → Tax mappings, "
                    "then retry the record.",
                    "invalid_configuration")
            if target.reverse and target.price_include:
                raise BookingRefused(
                    f"The Odoo tax “{target.name}” is reverse charge with the VAT included in the price, which "
                    "would take VAT out of an amount that holds none; map a VAT-excluded reverse-charge tax.",
                    "invalid_configuration")
        lines.append(_Line(line.pleo, line.paid_w, line.paid_s, line.vat_w, line.vat_s, line.tax_type, target))
    return _Amounts(amounts.wallet_currency, amounts.supplier_currency, amounts.total_w, amounts.total_s,
                    tuple(lines))


def _category(line: _Line, context: BookingContext, label: str) -> CategoryTarget:
    account = line.pleo.get("account")
    if not account or not account.get("id"):
        raise BookingRefused(f"A line of this {label} has no category in Pleo; choose one in Pleo and export again.",
                             "account_unknown")
    target = context.categories.get(str(account["id"]))
    if target is None or not target.odoo_account_id:
        raise BookingRefused(f"{_category_name(account)} is not mapped to an Odoo account. Map it under "
                             "Mappings → Category mappings, then retry the record.", "account_unknown")
    return target


def _distribution(line: _Line, context: BookingContext) -> dict[str, float]:
    """Each tag's analytic account at 100 %: Odoo distributions are per plan, each plan summing to 100, and a
    Pleo tag group is paired with one plan, so a line's tags (one per group) are one account per plan.
    Odoo accepts an unknown analytic account id silently (recording 64): refuse it here instead."""
    distribution = {}
    for tag in line.pleo.get("tags") or []:
        name = f"Tag “{clean_text(tag.get('code') or tag.get('id'), NAME_MAX)}”" + (
            f" (group {clean_text(tag['groupCode'], NAME_MAX)})" if tag.get("groupCode") else "")
        analytic_id = context.tags.get(str(tag.get("id")))
        if analytic_id is None:
            raise BookingRefused(f"{name} is not mapped to an Odoo analytic account. Pair its tag group under "
                                 "Mappings → Tag group pairs and run the tag sync, then retry the record.",
                                 "tag_unknown")
        if analytic_id not in context.analytic_account_ids:
            raise BookingRefused(f"{name} is mapped to Odoo analytic account {analytic_id}, which does not exist in "
                                 "Odoo (any more); run the tag sync.", "tag_unknown")
        distribution[str(analytic_id)] = 100.0  # a percentage for Odoo's JSON field, not money
    return distribution


# ------------------------------------------------------------------------------------------- the mode


def _booking_kind(item: dict, item_type: str, context: BookingContext, label: str) -> str:
    """"entry", "bill" or "skip" for this item under the client's choice for its type."""
    if item_type not in context.kind_modes:
        # A type the client never configured is never guessed.
        raise BookingRefused(f"Booking of {label}s is not set up for this client. Choose how to book them in the "
                             "client's booking settings, then retry the record.", "missing_configuration")
    mode = context.kind_modes[item_type]
    if mode == "disabled":
        if item_type in _ALWAYS_ENTRY_TYPES:
            # The client books Wallet transfers from the bank statement (TopUpHandling.IGNORE): the item is
            # recorded as skipped and leaves Pleo's queue instead of failing every run.
            return "skip"
        raise BookingRefused(f"Export of {label}s is not enabled for this client; enable it in the booking "
                             "settings to export it.", "missing_configuration")
    if mode == "journal_entry":
        return "entry"
    if mode == "vendor_bill":
        if item_type in _ALWAYS_ENTRY_TYPES:
            return "entry"  # §6.4: top-ups and unloads are always journal entries
        if item_type not in BILLABLE_TYPES:
            raise BookingRefused(f"A {label} cannot be booked as a vendor bill; choose journal entry for it in "
                                 "the booking settings.", "invalid_configuration")
        return "bill"
    if mode == "follow_pleo":
        method = (item.get("bookkeeping") or {}).get("method")
        if method not in _FOLLOW_PLEO_METHODS:
            raise BookingRefused(f"Pleo asks for the bookkeeping method “{method}”, which the portal does not know. "
                                 f"Choose journal entry or vendor bill for {label}s in the booking settings instead "
                                 "of following Pleo, then retry the record.", "validation_failure")
        kind = _FOLLOW_PLEO_METHODS[method]  # null is the docs' "legacy support": a journal entry
        if kind == "bill" and (item_type not in BILLABLE_TYPES or item_type in _ALWAYS_ENTRY_TYPES):
            # accounts_payable on a payment or a fee: its "payment entry" half is the journal entry.
            kind = "entry"
        return kind
    raise BookingRefused(f"The booking settings hold a choice for {label}s the portal does not know (“{mode}”). "
                         "Choose again in the booking settings, then retry the record.",
                         "invalid_configuration")


# ------------------------------------------------------------------------------------------- the plan


def booking_plan(item: dict, context: BookingContext) -> MovePlan | SkipPlan:
    """The Odoo record to create for one Pleo export item (§6), or why it is skipped. Raises BookingRefused."""
    _shape_check(item)
    if list(item) == ["accountingEntryId"]:  # the stand-in of export_items_for_entries
        raise BookingRefused("Pleo listed this expense in the export job but sent no export item with its "
                             "accountingEntryId; it was not booked. Export it again from Pleo.", "validation_failure")
    try:
        return _plan(item, context)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, ArithmeticError):
        # A shape no check above foresaw fails this item with a reason, never the whole job.
        logger.exception("Export item %s could not be read", clean_text(item.get("accountingEntryId"), 40))
        raise BookingRefused("Pleo sent this expense in a shape the portal cannot read; it was not booked. The "
                             "details are in the portal's log.", "unexpected_failure") from None


def _plan(item: dict, context: BookingContext) -> MovePlan | SkipPlan:
    if not item.get("type"):
        raise BookingRefused("Pleo sent this expense without its type (field “type”).", "validation_failure")
    try:
        direction = export_item_direction(item)
    except PleoServerError as exc:
        raise BookingRefused(f"{exc} (field “type”)", "validation_failure") from None
    item_type = item["type"]
    label = TYPE_LABELS[item_type]
    entry_id = str(item.get("accountingEntryId") or "")
    if not entry_id:
        raise BookingRefused(f"Pleo sent a {label} without an accounting entry id (field “accountingEntryId”).",
                             "validation_failure")
    kind = _booking_kind(item, item_type, context, label)
    if kind == "skip":
        return SkipPlan(entry_id, item_type, f"{label[0].upper()}{label[1:]}s are not exported for this client "
                                             "(booked from the bank statement).")
    booked_on = _bookable_date(item.get("date"), f"this {label}", "date")
    if booked_on is None:
        raise BookingRefused(f"Pleo sent this {label} without a readable date ({item.get('date')!r}, field “date”).",
                             "validation_failure")
    refund_like = item_type in REFUND_LIKE_TYPES or optional_enum(item, "subType") in _REFUND_LIKE_SUB_TYPES
    taxed = item_type in _CATEGORY_TYPES
    amounts = _with_taxes(_amounts(item, context, label, refund_like=refund_like, taxed=taxed), context)
    currency_id = None
    if amounts.supplier_currency != context.company_currency:
        currency_id = context.currency_ids.get(amounts.supplier_currency)
        if currency_id is None:
            raise BookingRefused(
                f"The currency {amounts.supplier_currency} is not active in Odoo; activate it in Odoo "
                "(Accounting → Configuration → Currencies) and export again.", "validation_failure")
    builder = _Builder(item, context, item_type, label, direction, booked_on, amounts, currency_id)
    return builder.bill() if kind == "bill" else builder.entry()


class _Builder:
    """Builds one plan; a class only so the many facts of one item travel together."""

    def __init__(self, item, context, item_type, label, direction, booked_on, amounts, currency_id):
        self.item, self.context, self.item_type, self.label = item, context, item_type, label
        self.direction, self.booked_on, self.amounts, self.currency_id = direction, booked_on, amounts, currency_id
        self.company_currency = context.company_currency
        self.zero = _round(Decimal(0), self.company_currency)

    # -- shared facts

    def description(self) -> str:
        # §6.4 data mapping: description <- supplier.name + user.name + note.
        parts = [(self.item.get("supplier") or {}).get("name") or (self.item.get("vendor") or {}).get("name"),
                 (self.item.get("user") or {}).get("name"), self.item.get("note")]
        text = " · ".join(clean_text(p, LABEL_MAX) for p in parts if p and clean_text(p, LABEL_MAX))
        return clean_text(text, LABEL_MAX) or f"Pleo {self.label}"  # Odoo needs a label on every line

    def narration(self) -> str:
        info = self.item.get("additionalInformation") or {}
        parts = []
        if info.get("attendees"):
            parts.append("Attendees: " + ", ".join(map(str, info["attendees"])))  # §6.4: attendees in the comment
        if info.get("reconciledEntries"):
            parts.append("Settles Pleo entries " + ", ".join(map(str, info["reconciledEntries"])))
        invoice = info.get("invoiceInformation") or {}
        if invoice.get("invoiceNumber"):
            parts.append(f"Invoice {invoice['invoiceNumber']}")
        link = ((self.item.get("_links") or {}).get("web") or {}).get("exportItem")
        if link:
            parts.append(f"Pleo: {link}")
        return "\n".join(clean_text(part, NARRATION_MAX) for part in parts)[:NARRATION_MAX]

    def vat(self) -> Decimal:
        return _round(sum((line.vat_w for line in self.amounts.lines), Decimal(0)), self.company_currency)

    def post(self) -> bool:
        return self.context.post_states.get(self.item_type) == "posted"  # unknown -> draft: a person looks first

    def files(self) -> tuple[dict, ...]:
        if not self.context.receipts.get(self.item_type):
            return ()
        return tuple(dict(f) for f in (self.item.get("files") or []) if f is not None)

    def supplier_need(self, role_if_no_vendor: Literal["supplier", "vendor"] = "supplier") -> PartnerNeed | None:
        vendor, supplier = self.item.get("vendor") or {}, self.item.get("supplier") or {}
        if clean_text(vendor.get("name") or "", NAME_MAX):
            vat = vendor.get("taxRegistrationNumber") or supplier.get("taxIdentifier") or ""
            return PartnerNeed("vendor", clean_text(vendor["name"], NAME_MAX), clean_text(vat, NAME_MAX),
                               clean_text(vendor.get("country") or supplier.get("country") or "", NAME_MAX),
                               clean_text(vendor.get("code") or supplier.get("code") or "", NAME_MAX))
        name = clean_text(supplier.get("name") or "", NAME_MAX)
        vat = clean_text(supplier.get("taxIdentifier") or "", NAME_MAX)
        if not name and not vat:
            return None
        # A supplier known only by its VAT number is still findable; its VAT number stands in for the name.
        return PartnerNeed(role_if_no_vendor, name or vat, vat, clean_text(supplier.get("country") or "", NAME_MAX),
                           clean_text(supplier.get("code") or "", NAME_MAX))

    def employee_need(self) -> PartnerNeed:
        user = self.item.get("user") or {}
        name = clean_text(user.get("name") or "", NAME_MAX)
        if not name:
            raise BookingRefused(f"Pleo sent this {self.label} without the employee it concerns; the portal cannot "
                                 "say whom the company owes.", "vendor_unknown")
        return PartnerNeed("employee", name, code=clean_text(user.get("code") or "", NAME_MAX))

    def head(self) -> str:
        supplier = (self.item.get("supplier") or {}).get("name") or (self.item.get("vendor") or {}).get("name") \
            or (self.item.get("user") or {}).get("name") or ""
        text = f"{self.booked_on.isoformat()} {self.label}"
        text += f" · {clean_text(supplier, NAME_MAX)}" if supplier else ""
        text += f" · {self.amounts.total_w} {self.company_currency}"
        if self.amounts.supplier_currency != self.company_currency:
            text += f" ({self.amounts.total_s} {self.amounts.supplier_currency})"
        vat = self.vat()
        return text + (f", VAT {vat}" if vat else "")

    def supplier_figures(self) -> dict:
        return {"supplier_total": _round(self.amounts.total_s, self.amounts.supplier_currency),
                "supplier_currency": self.amounts.supplier_currency}

    # -- journal entries

    def entry(self) -> MovePlan:
        context, item_type = self.context, self.item_type
        journal_id = _required(context, "card_journal_id", self.label)
        partner = None
        if item_type in _CATEGORY_TYPES:
            if item_type in _WALLET_TYPES:
                counter_setting = "wallet_account_id"
            elif item_type in _EMPLOYEE_TYPES:
                counter_setting, partner = "out_of_pocket_account_id", self.employee_need()
            else:  # an invoice as an entry: a debt to the supplier on the payables account
                counter_setting = "payables_account_id"
                partner = self._vendor_or_refuse()
            counter_id = _required(context, counter_setting, self.label)
            lines, vat_estimate, debit_lines, counter_amount, counter_currency = self._category_lines()
            # out: expenses debit, counter credit; in (refund, chargeback, cashback): the reverse.
            expense_debit = self.direction == "out"
            commands = [self._line(*spec, debit=expense_debit) for spec in lines]
            commands.append(self._line(self._counter_name(), counter_id, counter_amount, counter_currency,
                                       debit=not expense_debit))
            expense_words = ", ".join(dict.fromkeys(debit_lines))
            counter_words = f"{_SETTING_NAMES[counter_setting].removeprefix('the ')} {counter_amount}"
            counter_debit = not expense_debit
            debit_words, credit_words = ((expense_words, counter_words) if expense_debit
                                         else (counter_words, expense_words))
        else:
            # Moves between configured accounts: one line each side for the item total.
            if item_type == "direct_reimbursement":
                base, counter = "wallet_account_id", "out_of_pocket_account_id"
                partner = self.employee_need()
            elif item_type == "external_reimbursement":
                base, counter = "reimbursement_contra_account_id", "out_of_pocket_account_id"
                partner = self.employee_need()
            elif item_type == "invoice_payment":
                base, counter = "wallet_account_id", "payables_account_id"
                partner = self._vendor_or_refuse()
            else:  # wallet_topup / wallet_unload: the Wallet against the client's bank account
                base, counter = "topup_bank_account_id", "wallet_account_id"
            counter_id = _required(context, counter, self.label)
            base_id = _required(context, base, self.label)
            # "out": the company paid the employee or supplier (counter debited, money side credited), or moved
            # money out of the Wallet to the bank (unload: bank debited, Wallet credited). "in": the reverse.
            if item_type in ("wallet_topup", "wallet_unload"):
                counter_debit = self.direction == "in"
            else:
                counter_debit = self.direction == "out"
            total, total_s = _round(self.amounts.total_w, self.company_currency), self.amounts.total_s
            commands = [
                self._line(self._counter_name(), counter_id, total, total_s, debit=counter_debit),
                self._line(self._counter_name(), base_id, total, total_s, debit=not counter_debit),
            ]
            vat_estimate, counter_amount = self.zero, total
            base_words, counter_words = _SETTING_NAMES[base], _SETTING_NAMES[counter]
            debit_words, credit_words = (counter_words, base_words) if counter_debit else (base_words, counter_words)
            debit_words, credit_words = debit_words.removeprefix("the "), credit_words.removeprefix("the ")
        values = {"move_type": "entry", "journal_id": journal_id, "date": self.booked_on.isoformat(),
                  "ref": item_reference(self.item), "line_ids": commands}
        number = invoice_payment_invoice_number(self.item) if item_type == "invoice_payment" else None
        if number:
            # So a bill exported after its payment finds it (see invoice_payment_invoice_number).
            values["payment_reference"] = clean_text(number, NAME_MAX)
        narration = self.narration()
        if narration:
            values["narration"] = narration
        partner_words = f" ({partner.name})" if partner else ""
        summary = (f"{self.head()} · journal entry, {'posted' if self.post() else 'draft'}: debit {debit_words}"
                   f"{partner_words if counter_debit else ''}; credit {credit_words}"
                   f"{'' if counter_debit else partner_words}")
        return MovePlan(
            accounting_entry_id=str(self.item["accountingEntryId"]), item_type=item_type,
            reference=item_reference(self.item), move_type="entry", values=values, partner=partner,
            counter_account_id=counter_id, expected_total=_round(self.amounts.total_w, self.company_currency),
            expected_vat=self.vat(), odoo_vat_estimate=vat_estimate, post=self.post(), payment=None,
            files=self.files(), summary=summary, **self.supplier_figures(),
        )

    def _category_lines(self):
        """(line specs, Odoo's VAT, account labels, counter amount, counter amount in supplier currency)."""
        specs, labels = [], []
        vat_estimate, vat_estimate_s = Decimal(0), Decimal(0)
        net_total, net_total_s = Decimal(0), Decimal(0)
        description = self.description()
        several = len(self.amounts.lines) > 1
        for line in self.amounts.lines:
            category = _category(line, self.context, self.label)
            distribution = _distribution(line, self.context)
            name = clean_text(description + (f" ({(line.pleo.get('account') or {}).get('name')})" if several else ""),
                              LABEL_MAX)
            tax_ids = (line.tax.odoo_tax_id,) if line.tax else ()
            net = _round(line.net_w, self.company_currency)
            if line.tax and not line.tax.reverse:
                # Odoo ignores price_include on journal entries (handle_price_include only for invoices) and adds
                # rate x line, rounded half-up per line: so the line holds the net and the VAT comes on top.
                vat_estimate += _round(net * line.tax.rate, self.company_currency)
                vat_estimate_s += _round(line.net_s * line.tax.rate, self.amounts.supplier_currency)
            # Reverse charge: Odoo adds +VAT and -VAT; they cancel, the counter is the amount paid.
            net_total += net
            net_total_s += line.net_s
            specs.append((name, category.odoo_account_id, net, line.net_s, tax_ids, distribution))
            labels.append(category.label or str(category.odoo_account_id))
        vat_estimate = _round(vat_estimate, self.company_currency)
        return (specs, vat_estimate, labels, _round(net_total + vat_estimate, self.company_currency),
                net_total_s + vat_estimate_s)

    def _line(self, name, account_id, amount, amount_s, tax_ids=(), distribution=None, *, debit: bool):
        values = {"name": name, "account_id": account_id,
                  "debit": amount if debit else self.zero, "credit": self.zero if debit else amount}
        if self.currency_id is not None:
            # Foreign purchase (recordings 38/39): company amounts in debit/credit, the purchase currency beside
            # them, amount_currency signed like the balance (debit positive).
            values["currency_id"] = self.currency_id
            values["amount_currency"] = _round(amount_s, self.amounts.supplier_currency) * (1 if debit else -1)
        if tax_ids:
            values["tax_ids"] = [(6, 0, list(tax_ids))]
        if distribution:
            values["analytic_distribution"] = distribution
        return (0, 0, values)

    def _counter_name(self) -> str:
        description = self.description()
        return description if description == f"Pleo {self.label}" else clean_text(f"Pleo {self.label} · {description}",
                                                                                    LABEL_MAX)

    def _vendor_or_refuse(self) -> PartnerNeed:
        need = self.supplier_need("vendor")
        if need is None:
            raise BookingRefused(f"This {self.label} names no supplier (neither a name nor a VAT number); the portal "
                                 "cannot tell whom it concerns.", "vendor_unknown")
        return need

    # -- vendor bills

    def bill(self) -> MovePlan:
        context, item_type = self.context, self.item_type
        journal_id = _required(context, "bill_journal_id", self.label)
        # The payable line Odoo adds is the counter line; the pipeline checks Odoo's total on it.
        payables_id = _required(context, "payables_account_id", self.label)
        if item_type in _EMPLOYEE_TYPES:
            partner = self.employee_need()  # the employee is owed the money; the bill stays open for payroll
        else:
            partner = self.supplier_need()
            if partner is None:
                raise BookingRefused(f"The supplier of this {self.label} has neither a name nor a VAT number in Pleo; "
                                     "a vendor bill needs one.", "vendor_unknown")
        company, supplier = self.company_currency, self.amounts.supplier_currency
        foreign = supplier != company
        payment = None
        if item_type in _CARD_PAID_BILL_TYPES:
            payment = PaymentPlan(
                journal_id=_required(context, "card_journal_id", self.label), payables_account_id=payables_id,
                wallet_account_id=_required(context, "wallet_account_id", self.label),
                amount=_round(self.amounts.total_w, company), currency_id=self.currency_id,
                amount_currency=_round(self.amounts.total_s, supplier) if foreign else None)
        description, several = self.description(), len(self.amounts.lines) > 1
        invoice_lines, labels, line_amounts, vat_estimate = [], [], [], Decimal(0)
        for line in self.amounts.lines:
            category = _category(line, context, self.label)
            distribution = _distribution(line, context)
            name = clean_text(description + (f" ({(line.pleo.get('account') or {}).get('name')})" if several else ""),
                              LABEL_MAX)
            tax = line.tax
            # Prices in the bill's currency; the VAT estimate in the company's (Odoo's rate is not known here,
            # and the pipeline sets every company amount to Pleo's anyway).
            if tax is not None and tax.price_include:
                price_unit = _round(line.paid_s, supplier)  # Odoo takes the VAT out of the gross
                gross = _round(line.paid_w, company)
                vat_estimate += gross - _round(gross / (1 + tax.rate), company)
            else:
                price_unit = _round(line.net_s, supplier)
                if tax is not None and not tax.reverse:
                    vat_estimate += _round(_round(line.net_w, company) * tax.rate, company)
            line_amounts.append(_round(line.net_w, company))
            # tax_ids always, empty without a tax: Odoo 16 puts the company's default purchase tax on a bill
            # line sent without them (v16/107 to 111).
            values = {"name": name, "account_id": category.odoo_account_id, "quantity": 1, "price_unit": price_unit,
                      "tax_ids": [(6, 0, [tax.odoo_tax_id] if tax is not None else [])]}
            if distribution:
                values["analytic_distribution"] = distribution
            invoice_lines.append((0, 0, values))
            labels.append(category.label or str(category.odoo_account_id))
        # A refund of a purchase is a vendor credit note; amounts stay positive, Odoo turns the signs.
        move_type = "in_refund" if self.direction == "in" else "in_invoice"
        invoice = (self.item.get("additionalInformation") or {}).get("invoiceInformation") or {}
        invoice_date = _bookable_date(invoice.get("invoiceDate"), "the supplier's invoice",
                                      "additionalInformation.invoiceInformation.invoiceDate") or self.booked_on
        values = {"move_type": move_type, "journal_id": journal_id, "date": self.booked_on.isoformat(),
                  "invoice_date": invoice_date.isoformat(), "ref": item_reference(self.item),
                  "invoice_line_ids": invoice_lines}
        if foreign:
            values["currency_id"] = self.currency_id
        if invoice.get("invoiceNumber"):
            # `ref` is the exactly-once key, so the supplier's invoice number goes to the payment reference.
            values["payment_reference"] = clean_text(invoice["invoiceNumber"], NAME_MAX)
        due = _bookable_date(invoice.get("dueDate"), "the invoice's due date",
                             "additionalInformation.invoiceInformation.dueDate")
        if due is not None and payment is None:
            values["invoice_date_due"] = due.isoformat()
        narration = self.narration()
        if narration:
            values["narration"] = narration
        kind = "vendor credit note" if move_type == "in_refund" else "vendor bill"
        paid = " paid from the Pleo Wallet" if payment else ""
        summary = (f"{self.head()} · {kind} for {partner.name}{paid}: {', '.join(dict.fromkeys(labels))}"
                   f"{' posted' if self.post() else ' draft'}")
        return MovePlan(
            accounting_entry_id=str(self.item["accountingEntryId"]), item_type=item_type,
            reference=item_reference(self.item), move_type=move_type, values=values, partner=partner,
            counter_account_id=payables_id, expected_total=_round(self.amounts.total_w, self.company_currency),
            expected_vat=self.vat(), odoo_vat_estimate=_round(vat_estimate, company),
            post=self.post(), payment=payment, files=self.files(), summary=summary, **self.supplier_figures(),
            line_amounts=tuple(line_amounts) if foreign else (),
        )
