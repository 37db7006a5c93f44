"""Look-ups and changes of the emulated Odoo's chart by code and rate, in each version's own fields (ids and
field names differ between 16, 17, 18 and 19: integrations.odoo.dialects)."""
from integrations.odoo.dialects import dialect_for


def _dialect(odoo):
    return dialect_for(odoo.version()["server_version"])


def odoo_company_domain(odoo, company_id) -> list:
    """The domain of a company's accounts."""
    return _dialect(odoo).account_company_domain(company_id)


def odoo_account(odoo, code, *, company_id=1):
    """The id of the Odoo account with this code in the company."""
    domain = [("code", "=", code), *map(tuple, odoo_company_domain(odoo, company_id))]
    rows = odoo.search_read("account.account", domain, ["code"])
    return next(iter(rows))["id"]


def odoo_account_of_type(odoo, account_type, *, company_id=1):
    """The id of the company's first Odoo account of this type ("asset_current", "liability_payable", ...)."""
    domain = [("account_type", "=", account_type), *map(tuple, odoo_company_domain(odoo, company_id))]
    rows = odoo.search_read("account.account", domain, ["code", "name"], limit=1)
    return next(iter(rows))["id"]


def odoo_journal_of_type(odoo, journal_type):
    """The id of company 1's first Odoo journal of this type ("general", "purchase", ...)."""
    return next(iter(odoo.search_read("account.journal", [("type", "=", journal_type), ("company_id", "=", 1)],
                                      ["code"], limit=1)))["id"]


def odoo_accounts_retire(odoo, ids) -> None:
    """Take accounts out of use the way the version does: deprecated until 18, archived in 19."""
    field, _, in_use = _dialect(odoo).account_in_use
    odoo.write("account.account", list(ids), {field: not in_use})


def odoo_retired_word(odoo) -> str:
    """What the version calls an account out of use: "deprecated" until 18, "archived" in 19."""
    return _dialect(odoo).account_retired_word


def odoo_account_company(odoo, company_id) -> dict:
    """The create values that put an account in a company."""
    dialect = _dialect(odoo)
    if dialect.account_companies == "company_ids":
        return {"company_ids": [(6, 0, [company_id])]}
    return {"company_id": company_id}


def odoo_purchase_tax(odoo, amount, *, company_id=1):
    """The id of the company's first tax-excluded percent purchase tax of this rate (names differ per version)."""
    rows = odoo.search_read("account.tax", [("amount", "=", amount), ("type_tax_use", "=", "purchase"),
                                            ("price_include", "=", False), ("amount_type", "=", "percent"),
                                            ("company_id", "=", company_id)], ["name"], order="id")
    return next(iter(rows))["id"]
