"""What the booking builder needs (the booking context) and what it gives: the plan of one Odoo record."""
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from integrations.odoo.drafts import MoveDraft, MoveKind


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
    Wallet account, reconciled with the bill (recordings 45-47). For a vendor bill it debits payables and
    credits the Wallet; for a vendor credit note (money back into the Wallet) the other way round."""

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
    draft: MoveDraft  # without the partner, found or created in Odoo by the pipeline (`partner`)
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

    @property
    def kind(self) -> MoveKind:
        return self.draft.kind

    @property
    def reference(self) -> str:
        """Odoo's `ref`: the exactly-once key."""
        return self.draft.reference


@dataclass(frozen=True)
class SkipPlan:
    accounting_entry_id: str
    item_type: str
    reason: str
