"""Look-ups of the emulated Odoo's chart by code and rate, which differ in ids between 16 and 17."""

def odoo_account(odoo, code, *, company_id=1):
    """The id of the Odoo account with this code in the company."""
    rows = odoo.search_read("account.account", [("code", "=", code), ("company_id", "=", company_id)], ["code"])
    return next(iter(rows))["id"]


def odoo_purchase_tax(odoo, amount, *, company_id=1):
    """The id of the company's first tax-excluded percent purchase tax of this rate (names differ in 16 and 17)."""
    rows = odoo.search_read("account.tax", [("amount", "=", amount), ("type_tax_use", "=", "purchase"),
                                            ("price_include", "=", False), ("amount_type", "=", "percent"),
                                            ("company_id", "=", company_id)], ["name"], order="id")
    return next(iter(rows))["id"]
