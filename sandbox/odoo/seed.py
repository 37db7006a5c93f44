"""The recorded set-up of the Odoo 16 and 17 databases, as plain data for services.emulated_database_create."""
import json
from pathlib import Path

__all__ = ["GROUPS", "GROUP_XMLID_DATA_IDS", "USER_GROUPS", "chart", "VERSION_DATA", "tax_accounts"]

# (id, xml id, name) per version; ids of the recorded groups are the recorded ones.
_GROUPS_COMMON = [
    ("base.group_user", "Internal User"), ("base.group_erp_manager", "Access Rights"),
    ("base.group_no_one", "Technical Features"), ("base.group_system", "Settings"),
    ("base.group_multi_currency", "Multi Currencies"), ("base.group_allow_export", "Access to export feature"),
    ("analytic.group_analytic_accounting", "Analytic Accounting"),
    ("base.group_partner_manager", "Contact Creation"), ("base.group_portal", "Portal"),
    ("base.group_public", "Public"), ("base.group_multi_company", "Multi Companies"),
]
GROUPS = {
    17: [(i + 1, x, n) for i, (x, n) in enumerate(_GROUPS_COMMON)] + [
        (13, "mail.group_mail_template_editor", "Mail Template Editor"),
        (15, "account.group_show_line_subtotals_tax_excluded", "Tax display B2B"),
        (16, "base.group_private_addresses", "Access to Private Addresses"),
        (24, "account.group_account_invoice", "Billing"),
        (25, "account.group_account_readonly", "Read-only"),
        (26, "account.group_account_user", "Accountant"),
        (27, "account.group_account_manager", "Billing Administrator"),
        (30, "hr.group_hr_user", "Officer: Manage all employees"),
        (31, "hr.group_hr_manager", "Administrator"),
    ],
    16: [(i + 1, x, n) for i, (x, n) in enumerate(_GROUPS_COMMON)] + [
        (14, "mail.group_mail_template_editor", "Mail Template Editor"),
        (15, "account.group_show_line_subtotals_tax_excluded", "Tax display B2B"),
        (18, "base.group_private_addresses", "Access to Private Addresses"),
        (24, "account.group_delivery_invoice_address", "Addresses in Invoices"),
        (26, "account.group_account_invoice", "Billing"),
        (27, "account.group_account_readonly", "Read-only"),
        (28, "account.group_account_user", "Accountant"),
        (29, "account.group_account_manager", "Billing Administrator"),
        (32, "hr.group_hr_user", "Officer: Manage all employees"),
        (33, "hr.group_hr_manager", "Administrator"),
    ],
}
GROUP_XMLID_DATA_IDS = {
    17: {"account.group_account_manager": 16826, "account.group_account_user": 16825, "base.group_system": 3010},
    16: {"account.group_account_manager": 16680, "account.group_account_user": 16679, "base.group_system": 3428},
}
# The integration user's recorded group list (07), in its recorded order.
USER_GROUPS = {
    17: {6: [2, 15, 16, 25, 3, 1, 13, 5, 6, 4, 24, 26, 7], 7: [1, 6]},
    16: {6: [2, 15, 18, 27, 3, 1, 14, 5, 6, 4, 26, 28, 24, 7], 7: [1, 6]},
}

VERSION_DATA = {
    17: {
        "currencies": {"EUR": 126, "USD": 1},
        "modules": {"account": (1, "17.0.1.2"), "analytic": (17, "17.0.1.1"), "hr": (72, "17.0.1.1"),
                    "hr_expense": (75, False), "l10n_nl": (160, "17.0.3.3"), "base": (2, "17.0.1.3"),
                    "base_vat": (70, "17.0.1.0")},
        "plans": [(1, "Projects"), (2, "Departments")],
        "analytic_accounts": [(1, "Sales", 2), (2, "Engineering", 2), (3, "Project Apollo", 1),
                              (4, "Project Zephyr", 1)],
        "partners": ["Client A BV", "OdooBot", "Administrator", "Public user", "Default User Template",
                     "Client B BV", "Pleo Integration", "Bookkeeper Without Accounting", "Portal User Template",
                     "Sanne de Vries"],
        "sanne_contact": 10, "sanne_home": None,
        "attachment_next": 481, "message_next": 34, "tax_offset": 40, "repartition_offset": 300,
        "suspense_code": "103002", "tax_groups": {},
        "purchase_tax": 11,  # the company's default purchase tax, 21% (v17/107)
    },
    16: {
        "currencies": {"EUR": 1, "USD": 2},
        "modules": {"account": (1, "16.0.1.2"), "analytic": (53, "16.0.1.1"), "hr": (180, "16.0.1.1"),
                    "hr_expense": (193, False), "l10n_nl": (260, "16.0.3.3"), "base": (2, "16.0.1.3"),
                    "base_vat": (110, "16.0.1.0")},
        "plans": [(1, "Departments"), (2, "Projects")],
        "analytic_accounts": [(1, "Sales", 1), (2, "Engineering", 1), (3, "Project Apollo", 2),
                              (4, "Project Zephyr", 2)],
        "partners": ["Client A BV", "OdooBot", "Administrator", "Public user", "Default User Template",
                     "Client B BV", "Pleo Integration", "Bookkeeper Without Accounting", "Portal User Template",
                     "Sanne de Vries (private address)", "Sanne de Vries"],
        "sanne_contact": 11, "sanne_home": 10,
        "attachment_next": 106, "message_next": 1094, "tax_offset": 50, "repartition_offset": 300,
        "suspense_code": "103001", "tax_groups": {},
        "purchase_tax": 15,  # v16/107
    },
}


def chart(version: int) -> dict:
    """Accounts, journals and purchase taxes of company 1 exactly as the recordings list them."""
    path = Path(__file__).with_name("data") / f"chart_{version}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def tax_accounts(version: int, name: str, description: str, amount: float, repartition_count: int):
    """Account codes the tax books on: [+100% code] or, for reverse charge, [+100% code, -100% code]."""
    text = f"{name} {description}".lower()
    services = " s" in f" {name.lower()} ".replace("%", "") or "diensten" in text or "services" in text
    other = "overig" in text or "other" in text or "variabel" in text
    if repartition_count >= 3:
        return ["158200" if services else "152200", "154400" if services else "150400"]
    if other:
        return ["157000" if services else "151000"]
    if amount >= 21:
        return ["158000" if services else "152000"]
    return ["158100" if services else "152100"]
