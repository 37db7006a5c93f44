"""The emulated Odoo's web client, as far as a person follows the portal's "Open in Odoo" link into it.

The link is Odoo's `/web#id=<move>&model=account.move&view_type=form` (integrations/odoo/books.py): the move is
named after the `#`, which a browser never sends, so `/web` answers with every journal entry of the database, each
under the anchor the link names, and the page's style shows only the one the link points at. Read only, plain HTML.
"""
from dataclasses import dataclass
from decimal import Decimal

from sandbox.odoo.models import EmulatedDatabase, EmulatedRecord

__all__ = ["JournalEntry", "JournalItem", "journal_entries_read", "move_anchor"]

MOVE_TYPES = {
    "entry": "Journal Entry", "in_invoice": "Vendor Bill", "in_refund": "Vendor Credit Note",
    "in_receipt": "Purchase Receipt", "out_invoice": "Customer Invoice", "out_refund": "Customer Credit Note",
    "out_receipt": "Sales Receipt",
}
STATES = {"draft": "Draft", "posted": "Posted", "cancel": "Cancelled"}
NAMED_MODELS = ("account.account", "account.analytic.account", "account.journal", "account.tax", "res.currency",
                "res.partner")


@dataclass(frozen=True)
class JournalItem:
    account: str
    partner: str
    label: str
    analytic: str
    taxes: str
    debit: str
    credit: str


@dataclass(frozen=True)
class JournalEntry:
    anchor: str
    number: str
    kind: str
    reference: str
    date: str
    invoice_date: str
    due_date: str
    partner: str
    state: str
    journal: str
    currency: str
    note: str
    items: list[JournalItem]
    total_debit: str
    total_credit: str
    attachments: list[str]


def move_anchor(move_id: int) -> str:
    """What follows the `#` of the portal's link to the move."""
    return f"id={move_id}&model=account.move&view_type=form"


def journal_entries_read(*, database: EmulatedDatabase) -> list[JournalEntry]:
    """Every journal entry of the database, newest first, with its items and attachments, in a handful of queries."""
    records = EmulatedRecord.objects.filter(database=database)
    names = {}
    for model, record_id, values in records.filter(model__in=NAMED_MODELS).values_list("model", "record_id", "values"):
        name = values.get("name") or ""
        names[model, record_id] = f"{values['code']} {name}" if model == "account.account" else name
    lines, attachments = {}, {}
    for move_id, values in records.filter(model="account.move.line").order_by("record_id").values_list(
            "parent_id", "values"):
        lines.setdefault(move_id, []).append(values)
    for move_id, values in records.filter(model="ir.attachment").order_by("record_id").values_list(
            "parent_id", "values"):
        if values.get("res_model") == "account.move":
            attachments.setdefault(move_id, []).append(values.get("name") or "")
    return [_entry(move_id, values, lines.get(move_id, []), attachments.get(move_id, []), names)
            for move_id, values in records.filter(model="account.move").order_by("-record_id").values_list(
                "record_id", "values")]


def _entry(move_id: int, values: dict, lines: list[dict], attachments: list[str], names: dict) -> JournalEntry:
    def name(model, record_id):
        return names.get((model, record_id), "") if record_id else ""

    return JournalEntry(
        anchor=move_anchor(move_id), number=values.get("name") or "/",
        kind=MOVE_TYPES.get(values.get("move_type"), values.get("move_type") or ""),
        reference=values.get("ref") or "", date=values.get("date") or "",
        invoice_date=values.get("invoice_date") or "", due_date=values.get("invoice_date_due") or "",
        partner=name("res.partner", values.get("partner_id")),
        state=STATES.get(values.get("state"), values.get("state") or ""),
        journal=name("account.journal", values.get("journal_id")),
        currency=name("res.currency", values.get("currency_id")), note=values.get("narration") or "",
        items=[_item(line, name) for line in lines],
        total_debit=_money(sum(_amount(line.get("debit")) for line in lines)),
        total_credit=_money(sum(_amount(line.get("credit")) for line in lines)),
        attachments=attachments,
    )


def _amount(value) -> Decimal:
    return Decimal(str(value or 0))


def _money(value) -> str:
    # As Odoo writes amounts in English: 1,234.50.
    return f"{value:,.2f}"


def _item(values: dict, name) -> JournalItem:
    analytic = []
    # {"3": 100.0} or, across plans, {"3,5": 100.0}: the accounts and the share of the amount they get.
    for account_ids, share in (values.get("analytic_distribution") or {}).items():
        accounts = " + ".join(name("account.analytic.account", int(i)) or i for i in str(account_ids).split(","))
        analytic.append(f"{accounts} {Decimal(str(share)).normalize():f}%")
    return JournalItem(
        account=name("account.account", values.get("account_id")),
        partner=name("res.partner", values.get("partner_id")),
        label=values.get("name") or "",
        analytic=", ".join(analytic),
        taxes=", ".join(name("account.tax", tax_id) or str(tax_id) for tax_id in values.get("tax_ids") or []),
        debit=_money(_amount(values.get("debit"))),
        credit=_money(_amount(values.get("credit"))),
    )
