"""Reads of the export history and of what the next export would book, always scoped to the user's clients."""
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import F, QuerySet

from exports.choices import ExportRecordStatus
from exports.failures import failure_fix_lookup, failure_type_label
from exports.item_types import TYPE_LABELS
from exports.models import ExportRecord
from exports.plans import MovePlan, SkipPlan
from integrations.formats import csv_amount, csv_day, csv_moment
from integrations.models import Client
from integrations.odoo.drafts import EntryLine
from integrations.pleo.contract import money_to_decimal
from integrations.pleo.errors import PleoServerError
from integrations.selectors import odoo_company_books_get

__all__ = [
    "export_record_csv_header",
    "export_records_csv_rows",
    "export_records_with_supplier_money",
    "export_record_supplier_amount",
    "export_records_needing_attention",
    "ExpenseDetails",
    "export_record_expense_details",
    "export_preview_clients",
    "PreviewLine",
    "PreviewEntry",
    "export_preview_entries",
]

# Pleo's total in the supplier's currency, read from the stored payload by the database (pleo-api §6.1 `amount`).
SUPPLIER_MONEY = F("pleo_payload__amount__inSupplierCurrency")


def export_record_csv_header() -> list[str]:
    """The CSV's column names; times are in the firm's time zone, which the header names."""
    zone = settings.TIME_ZONE
    return [
        "Client", "Date", "Kind", "Supplier", "Spent by", "Amount", "Currency", "VAT",
        "Amount in the supplier's currency", "Supplier's currency", "Status", "Odoo number", "Odoo state",
        "Booked on", "Reason", "Failure type (Pleo)", "What to fix", "Where to fix it", "Pleo accounting entry",
        "Pleo export job", "Odoo link", f"Last change ({zone})", "Description", "Odoo reference",
        f"Reported to Pleo ({zone})", "Last run",
    ]


def export_records_csv_rows(*, queryset: QuerySet[ExportRecord], site_url: str = "") -> Iterator[list]:
    """One row per record in the bookkeeper's words, in export_record_csv_header's order; streamed, so a large
    history costs little memory. Amounts to their currency's decimals with a dot, dates ISO 8601, times ISO 8601
    with their offset; `site_url` ("https://portal.example") makes the fix links absolute."""
    fields = ["pk", "client_id", "client__name", "entry_date", "kind", "supplier", "spender", "amount", "currency",
              "vat_amount", "status", "odoo_name", "odoo_state", "booked_date", "last_error", "failure_reason_type",
              "failure_detail", "pleo_accounting_entry_id", "pleo_job_id", "odoo_url", "updated_at", "description",
              "odoo_reference", "reported_to_pleo_at", "export_run_id"]
    statuses = dict(ExportRecordStatus.choices)
    fix_of = failure_fix_lookup()
    for values in queryset.values_list(*fields, SUPPLIER_MONEY).iterator(chunk_size=2000):
        row = dict(zip([*fields, "supplier_money"], values, strict=True))
        currency, failed = row["currency"], row["status"] == ExportRecordStatus.FAILED
        fix = fix_of(row["client_id"], row["failure_detail"]) if failed else None
        supplier = export_record_supplier_amount(money=row["supplier_money"], currency=currency)
        yield [
            row["client__name"], csv_day(row["entry_date"]), TYPE_LABELS.get(row["kind"], row["kind"]),
            row["supplier"], row["spender"], csv_amount(row["amount"], currency), currency,
            csv_amount(row["vat_amount"], currency),
            csv_amount(*supplier) if supplier else "", supplier[1] if supplier else "",
            statuses.get(row["status"], row["status"]), row["odoo_name"], row["odoo_state"],
            csv_day(row["booked_date"]), row["last_error"],
            failure_type_label(row["failure_reason_type"]),
            fix[0] if fix else "", f"{site_url}{fix[1]}" if fix else "",
            row["pleo_accounting_entry_id"], row["pleo_job_id"], row["odoo_url"], csv_moment(row["updated_at"]),
            row["description"], row["odoo_reference"], csv_moment(row["reported_to_pleo_at"]),
            row["export_run_id"] or "",
        ]


def export_records_with_supplier_money(*, queryset: QuerySet[ExportRecord]) -> QuerySet[ExportRecord]:
    """The records with `supplier_money`, Pleo's total in the supplier's currency, for
    export_record_supplier_amount."""
    return queryset.annotate(supplier_money=SUPPLIER_MONEY)


def export_record_supplier_amount(*, money, currency: str) -> tuple[Decimal, str] | None:
    """(amount, currency) the supplier charged when it is another currency than the record's; None otherwise,
    and when Pleo's figure cannot be read."""
    if not isinstance(money, dict) or money.get("currency") in (None, currency):
        return None
    try:
        return abs(money_to_decimal(money)), money["currency"]
    except PleoServerError:
        return None


@dataclass(frozen=True)
class ExpenseDetails:
    """What the record's Pleo payload says beyond the copied facts, in the bookkeeper's words."""

    categories: list[str]
    tags: list[str]
    receipts: int
    pleo_link: str


def export_record_expense_details(*, record: ExportRecord) -> ExpenseDetails:
    """Category, tags and receipts of the expense as Pleo sent them (read from the stored payload)."""
    payload = record.pleo_payload or {}
    categories, tags = [], []
    for line in payload.get("accountingEntryLines") or []:
        account = line.get("account") or {}
        name = " ".join(str(part) for part in (account.get("code"), account.get("name")) if part)
        if name and name not in categories:
            categories.append(name)
        for tag in line.get("tags") or []:
            label = f"{tag['groupCode']}: {tag.get('code')}" if tag.get("groupCode") else str(tag.get("code"))
            if label not in tags:
                tags.append(label)
    link = ((payload.get("_links") or {}).get("web") or {}).get("exportItem") or ""
    return ExpenseDetails(categories=categories, tags=tags, receipts=len(payload.get("files") or []),
                          pleo_link=link if link.startswith("https://") else "")


def export_records_needing_attention(*, user) -> QuerySet[ExportRecord]:
    return ExportRecord.objects.for_user(user).filter(status=ExportRecordStatus.FAILED).select_related("client")


# Preview ------------------------------------------------------------------------------------------

def export_preview_clients(*, user) -> QuerySet[Client]:
    """The clients whose pending exports the user may preview."""
    return Client.objects.for_user(user)


@dataclass
class PreviewLine:
    """One line of the Odoo record, every id turned into what the bookkeeper sees in Odoo."""

    label: str
    account: str  # "code name"
    debit: Decimal | None = None  # journal entry lines
    credit: Decimal | None = None
    unit_price: Decimal | None = None  # vendor bill lines
    quantity: Decimal | None = None
    taxes: list[str] = field(default_factory=list)
    analytic: list[str] = field(default_factory=list)  # "name: 100 %"
    amount_in_currency: Decimal | None = None  # signed like the balance
    currency: str = ""


@dataclass
class PreviewEntry:
    """One pending Pleo expense: the Odoo record the export would create, the skip, or the refusal."""

    accounting_entry_id: str
    summary: str
    refusal: str = ""
    skip_reason: str = ""
    record_type: str = ""  # "journal entry", "vendor bill", "vendor credit note"
    journal: str = ""
    date: str = ""
    reference: str = ""
    partner: str = ""
    currency: str = ""
    state_after_export: str = ""  # "posted" or "draft"
    lines: list[PreviewLine] = field(default_factory=list)
    payment: str = ""  # the Wallet payment of a card-paid bill
    expected_total: Decimal | None = None
    expected_vat: Decimal | None = None
    receipts: int = 0


_PARTNER_ROLES = {"supplier": "supplier", "employee": "employee", "vendor": "vendor"}


def export_preview_entries(*, client: Client) -> list[PreviewEntry]:
    """What the next export of `client` would book, with Odoo's own names for every account, journal, tax,
    analytic account and currency. Reads Pleo and Odoo only: nothing is written anywhere.

    The caller scopes `client` to the user (export_preview_clients).
    """
    # Imported here: the services import the selectors of other apps, and may come to import these.
    from exports.preview import export_preview

    rows = export_preview(client=client)
    plans = [row.plan for row in rows if isinstance(row.plan, MovePlan)]
    names = _odoo_names(client, plans) if plans else _OdooNames()
    entries = []
    for row in rows:
        entry = PreviewEntry(accounting_entry_id=row.accounting_entry_id, summary=row.summary, refusal=row.refusal)
        if isinstance(row.plan, SkipPlan):
            entry.skip_reason = row.plan.reason
        elif isinstance(row.plan, MovePlan):
            _entry_fill(entry, row.plan, names)
        entries.append(entry)
    return entries


@dataclass
class _OdooNames:
    accounts: dict = field(default_factory=dict)
    journals: dict = field(default_factory=dict)
    taxes: dict = field(default_factory=dict)
    analytics: dict = field(default_factory=dict)
    currencies: dict = field(default_factory=dict)
    company_currency: str = ""


def _odoo_names(client: Client, plans: list[MovePlan]) -> _OdooNames:
    """One read per kind of record, of only the ids the plans use."""
    accounts, journals, taxes, analytics, currencies = set(), set(), set(), set(), set()
    for plan in plans:
        journals.add(plan.draft.journal_id)
        if plan.payment is not None:
            journals.add(plan.payment.journal_id)
            accounts.update({plan.payment.payables_account_id, plan.payment.wallet_account_id})
        currencies.add(plan.draft.currency_id)
        for line in plan.draft.lines:
            accounts.add(line.account_id)
            taxes.update(line.tax_ids)
            analytics.update(int(key) for key in (line.analytic or {}))
            currencies.add(getattr(line, "currency_id", None))
    _, books = odoo_company_books_get(client=client)
    return _OdooNames(
        accounts=books.account_names(accounts), journals=books.journal_names(journals),
        taxes=books.tax_names(taxes), analytics=books.analytic_names(analytics),
        currencies=books.currency_names(currencies), company_currency=books.company()["currency"],
    )


def _entry_fill(entry: PreviewEntry, plan: MovePlan, names: _OdooNames) -> None:
    draft = plan.draft
    entry.record_type = plan.kind.words
    journal_id = draft.journal_id
    entry.journal = names.journals.get(journal_id, f"journal {journal_id} (not found in Odoo)")
    entry.date = draft.date.isoformat()
    entry.reference = plan.reference
    entry.state_after_export = "posted" if plan.post else "draft"
    entry.expected_total, entry.expected_vat = plan.expected_total, plan.expected_vat
    entry.receipts = len(plan.files)
    if plan.partner is not None:
        partner = plan.partner
        found_by = f"VAT number {partner.vat}" if partner.vat else "name"
        entry.partner = (f"{_PARTNER_ROLES.get(partner.role, partner.role)} {partner.name}"
                         + (f" ({partner.code})" if partner.code else "")
                         + f": found in Odoo by {found_by}, created if missing")
    currency_id = draft.currency_id
    for line in draft.lines:
        entry_line = isinstance(line, EntryLine)
        line_currency = (line.currency_id if entry_line else None) or currency_id
        currency_id = currency_id or line_currency
        in_currency = line.amount_in_currency if entry_line else None
        zero = Decimal(0).quantize(line.amount) if entry_line else None  # the other side, to the same decimals
        entry.lines.append(PreviewLine(
            label=line.label,
            account=names.accounts.get(line.account_id, f"account {line.account_id} (not found in Odoo)"),
            debit=(line.amount if line.debit else zero) if entry_line else None,
            credit=(zero if line.debit else line.amount) if entry_line else None,
            unit_price=None if entry_line else line.price,
            quantity=None if entry_line else 1,
            taxes=[names.taxes.get(t, f"tax {t} (not found in Odoo)") for t in line.tax_ids],
            analytic=[f"{names.analytics.get(int(k), f'analytic account {k}')}: {v:g} %"
                      for k, v in (line.analytic or {}).items()],
            amount_in_currency=None if in_currency is None else in_currency if line.debit else -in_currency,
            currency=names.currencies.get(line_currency, "") if in_currency is not None else "",
        ))
    # The company currency unless a line (or a bill) is in the purchase currency.
    entry.currency = (names.currencies.get(currency_id, f"currency {currency_id}") if currency_id
                      else f"{names.company_currency} (company currency)".strip())
    if plan.payment is not None:
        payment = plan.payment
        entry.payment = (f"{payment.amount} paid from "
                         f"{names.accounts.get(payment.wallet_account_id, payment.wallet_account_id)} "
                         f"in {names.journals.get(payment.journal_id, payment.journal_id)}, against "
                         f"{names.accounts.get(payment.payables_account_id, payment.payables_account_id)}, "
                         "reconciled with the bill")

