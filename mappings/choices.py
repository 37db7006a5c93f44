"""Choices of the mappings app, as TextChoices so the database can refuse a value that would corrupt books."""
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "BookingMode",
    "PostState",
    "TopUpHandling",
    "SyncKind",
    "SyncRunStatus",
    "PleoTaxType",
    "ODOO_ACCOUNT_TYPE_LABELS",
]


class BookingMode(models.TextChoices):
    JOURNAL_ENTRY = "journal_entry", _("Journal entry")
    VENDOR_BILL = "vendor_bill", _("Vendor bill")


class PostState(models.TextChoices):
    DRAFT = "draft", _("Draft (a bookkeeper posts it)")
    POSTED = "posted", _("Posted")


class TopUpHandling(models.TextChoices):
    IGNORE = "ignore", _("Ignore (booked from the bank statement)")
    BOOK = "book", _("Book as journal entry")


class SyncKind(models.TextChoices):
    TAX = "tax", _("Taxes → Pleo tax codes")
    TAGS = "tags", _("Analytic accounts → Pleo tags")


class SyncRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class PleoTaxType(models.TextChoices):
    # Pleo's own words (pleo-api README §8); "exclusive" is refused by Pleo ("not currently supported").
    INCLUSIVE = "inclusive", _("Inclusive (amount paid includes the tax)")
    REVERSE = "reverse", _("Reverse charge")


# Odoo 16/17 `account.account.account_type` values in the words Odoo shows (recording 15).
ODOO_ACCOUNT_TYPE_LABELS = {
    "asset_receivable": "Receivable",
    "asset_cash": "Bank and Cash",
    "asset_current": "Current Assets",
    "asset_non_current": "Non-current Assets",
    "asset_prepayments": "Prepayments",
    "asset_fixed": "Fixed Assets",
    "liability_payable": "Payable",
    "liability_credit_card": "Credit Card",
    "liability_current": "Current Liabilities",
    "liability_non_current": "Non-current Liabilities",
    "equity": "Equity",
    "equity_unaffected": "Current Year Earnings",
    "income": "Income",
    "income_other": "Other Income",
    "expense": "Expenses",
    "expense_depreciation": "Depreciation",
    "expense_direct_cost": "Cost of Revenue",
    "off_balance": "Off-Balance Sheet",
}
