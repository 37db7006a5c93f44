"""The booking context: what the booking builder needs, from the client's mappings and a few reads of Odoo."""
from decimal import Decimal

from exports.plans import BookingContext, CategoryTarget, TaxTarget
from integrations.errors import PortalError
from integrations.models import Client
from integrations.odoo.books import OdooBooks
from integrations.odoo.client import to_decimal
from mappings.choices import EXPORT_ITEM_TYPES
from mappings.models import AnalyticTagMapping, BookingSettings, CategoryMapping
from mappings.selectors import kind_mode_for, tax_code_targets_for


def booking_context_build(*, client: Client, books: OdooBooks, company: dict | None = None) -> BookingContext:
    """Everything the booking builder needs, from the client's mappings and a few reads of Odoo.

    `company` is the client's company (OdooBooks.company) when the caller read it already.
    """
    settings_row = BookingSettings.objects.filter(client=client).first()
    if settings_row is None:
        raise PortalError(f"{client} has no booking settings yet: set the accounts and journals first.",
                          extra={"failure_reason_type": "missing_configuration"})
    company = company or books.company()
    currencies = books.currencies()
    analytic_ids = books.analytic_account_ids()
    kinds = EXPORT_ITEM_TYPES
    return BookingContext(
        company_currency=company["currency"],
        currency_ids=currencies,
        wallet_account_id=settings_row.wallet_account_id,
        out_of_pocket_account_id=settings_row.out_of_pocket_account_id,
        reimbursement_contra_account_id=settings_row.reimbursement_contra_account_id,
        payables_account_id=settings_row.payables_account_id,
        topup_bank_account_id=settings_row.topup_bank_account_id,
        card_journal_id=settings_row.card_journal_id,
        bill_journal_id=settings_row.bill_journal_id,
        kind_modes={kind: kind_mode_for(settings=settings_row, item_type=kind) for kind in kinds},
        post_states={kind: _post_state(settings_row, kind) for kind in kinds},
        receipts={kind: _receipts_on(settings_row, kind) for kind in kinds},
        categories={
            m.pleo_account_id: CategoryTarget(m.odoo_account_id, m.odoo_account_label, m.default_tax_id)
            for m in CategoryMapping.objects.filter(client=client, odoo_account_id__isnull=False)
        },
        taxes=_tax_targets(client, books),
        tags={
            m.pleo_tag_id: m.odoo_analytic_account_id
            for m in AnalyticTagMapping.objects.filter(client=client, archived=False)
        },
        analytic_account_ids=analytic_ids,
    )


def _post_state(settings_row: BookingSettings, kind: str) -> str:
    if kind in ("out_of_pocket", "mileage", "per_diem", "external_reimbursement"):
        return settings_row.out_of_pocket_post_state
    return settings_row.card_post_state


def _receipts_on(settings_row: BookingSettings, kind: str) -> bool:
    if kind in ("out_of_pocket", "mileage", "per_diem"):
        return settings_row.out_of_pocket_receipts
    return settings_row.card_receipts and kind in TYPES_WITH_RECEIPTS


def _tax_targets(client: Client, books: OdooBooks) -> dict[str, TaxTarget]:
    """Pleo tax code id -> Odoo tax, for the sync's codes and the hand-mapped ones, with Odoo's rate read now."""
    mapped = tax_code_targets_for(client=client)
    if not mapped:
        return {}
    taxes = books.taxes_read(sorted({m.odoo_tax_id for m in mapped.values()}))
    return {
        code_id: TaxTarget(
            odoo_tax_id=m.odoo_tax_id,
            name=m.odoo_tax_name,
            rate=to_decimal(taxes[m.odoo_tax_id]["amount"], Decimal("0.0001")) / 100,
            price_include=bool(taxes[m.odoo_tax_id]["price_include"]),
            reverse=m.reverse,
        )
        for code_id, m in mapped.items() if m.odoo_tax_id in taxes
    }


TYPES_WITH_RECEIPTS = ("card_purchase", "card_invoice", "out_of_pocket", "mileage", "per_diem", "invoice")
