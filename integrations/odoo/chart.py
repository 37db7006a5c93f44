"""Odoo's kinds of accounts and journals (`account_type`, a journal's `type`), the same from 16 to 19: what the
booking settings ask of each account and journal they name, and what the setup helper creates."""
from enum import StrEnum

__all__ = ["AccountType", "JournalType", "ACCOUNT_TYPE_LABELS"]


class AccountType(StrEnum):
    BANK_AND_CASH = "asset_cash"
    CURRENT_ASSETS = "asset_current"
    CURRENT_LIABILITIES = "liability_current"
    PAYABLE = "liability_payable"


class JournalType(StrEnum):
    MISCELLANEOUS = "general"
    PURCHASE = "purchase"


# In the words Odoo shows them (recording 15).
ACCOUNT_TYPE_LABELS = {
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
