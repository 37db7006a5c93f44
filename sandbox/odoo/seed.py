"""The recorded set-up of the Odoo 16 to 19 databases, as plain data for services.emulated_database_create.

Ids and names are the recorded ones (v16/, v17/, v18/, v19/ of the contract); where a recording does not show
a record the seed needs (some group ids, module ids), the value is marked as not recorded.
"""
import json
from pathlib import Path

__all__ = [
    "GROUPS", "GROUP_XMLID_DATA_IDS", "USER_GROUPS", "ADMIN_GROUPS_LEFT_OUT", "chart", "VERSION_DATA", "VERSIONS",
    "logins", "tax_accounts",
]

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
    # v18/07 lists 16 group ids of the integration user; v18/10 names 4, 25 and 26. Which groups 14, 17, 20 and
    # 22 are is not recorded: they carry placeholder xml ids that no rule checks.
    18: [(i + 1, x, n) for i, (x, n) in enumerate(_GROUPS_COMMON)] + [
        (13, "mail.group_mail_template_editor", "Mail Template Editor"),
        (14, "sandbox_unrecorded.group_14", "Group 14 (not recorded)"),
        (16, "account.group_show_line_subtotals_tax_excluded", "Tax display B2B"),
        (17, "sandbox_unrecorded.group_17", "Group 17 (not recorded)"),
        (20, "sandbox_unrecorded.group_20", "Group 20 (not recorded)"),
        (22, "sandbox_unrecorded.group_22", "Group 22 (not recorded)"),
        (23, "account.group_account_invoice", "Invoicing"),
        (24, "account.group_account_readonly", "Read-only"),
        (25, "account.group_account_user", "Bookkeeper"),
        (26, "account.group_account_manager", "Administrator"),
        (30, "hr.group_hr_user", "Officer: Manage all employees"),
        (31, "hr.group_hr_manager", "Administrator"),
    ],
    # v19/07: `group_ids` holds only the groups given directly (18, 5, 6, 4, 1, 26); v19/10 names 4, 26 and 27.
    19: [
        (1, "base.group_user", "Internal User"), (2, "base.group_erp_manager", "Access Rights"),
        (3, "base.group_no_one", "Technical Features"), (4, "base.group_system", "Administrator"),
        (5, "base.group_multi_currency", "Multi Currencies"),
        (6, "base.group_allow_export", "Access to export feature"),
        (7, "base.group_partner_manager", "Contact Creation"), (8, "base.group_portal", "Portal"),
        (9, "base.group_public", "Public"), (10, "base.group_multi_company", "Multi Companies"),
        (13, "mail.group_mail_template_editor", "Mail Template Editor"),
        (18, "analytic.group_analytic_accounting", "Analytic Accounting"),
        (24, "account.group_account_invoice", "Invoicing"),
        (25, "account.group_account_readonly", "Read-only"),
        (26, "account.group_account_user", "Bookkeeper"),
        (27, "account.group_account_manager", "Administrator"),
        (30, "hr.group_hr_user", "Officer: Manage all employees"),
        (31, "hr.group_hr_manager", "Administrator"),
    ],
}
GROUP_XMLID_DATA_IDS = {
    17: {"account.group_account_manager": 16826, "account.group_account_user": 16825, "base.group_system": 3010},
    16: {"account.group_account_manager": 16680, "account.group_account_user": 16679, "base.group_system": 3428},
    18: {"account.group_account_manager": 26353, "account.group_account_user": 26352, "base.group_system": 3758},
    19: {"account.group_account_manager": 28079, "account.group_account_user": 28078, "base.group_system": 3954},
}
# The integration user's recorded group list (07), in its recorded order.
USER_GROUPS = {
    17: {6: [2, 15, 16, 25, 3, 1, 13, 5, 6, 4, 24, 26, 7], 7: [1, 6]},
    16: {6: [2, 15, 18, 27, 3, 1, 14, 5, 6, 4, 26, 28, 24, 7], 7: [1, 6]},
    18: {6: [2, 16, 24, 17, 3, 13, 1, 23, 14, 5, 6, 20, 4, 22, 25, 7], 7: [1, 6]},
    19: {5: [18, 5, 6, 4, 1, 26], 6: [1, 6]},
}
# The administrator holds every group but portal and public; in 19 it has no Bookkeeper or Read-only group, so
# accounts show without their code in its many2one answers (v19/83, v19/96: "Gross wages").
ADMIN_GROUPS_LEFT_OUT = {
    16: {"base.group_portal", "base.group_public"}, 17: {"base.group_portal", "base.group_public"},
    18: {"base.group_portal", "base.group_public"},
    19: {"base.group_portal", "base.group_public", "account.group_account_user", "account.group_account_readonly"},
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
        "users": {"pleo": 6, "norights": 7}, "admin_email": "admin@example.com", "rounding": "round_per_line",
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
        "users": {"pleo": 6, "norights": 7}, "admin_email": "admin@example.com", "rounding": "round_per_line",
    },
    # Module ids and versions of l10n_nl, base and base_vat are not recorded in 18 and 19 (v18/12 names the others).
    18: {
        "currencies": {"EUR": 125, "USD": 1},
        "modules": {"account": (1, "18.0.1.3"), "analytic": (16, "18.0.1.2"), "hr": (77, "18.0.1.1"),
                    "hr_expense": (81, False), "l10n_nl": (170, "18.0.3.3"), "base": (2, "18.0.1.3"),
                    "base_vat": (75, "18.0.1.0")},
        # Plan 1 is the default plan 18 creates as "Project", renamed (README set-up); 2 is not recorded.
        "plans": [(1, "Projects"), (3, "Departments")],
        "analytic_accounts": [(1, "Sales", 3), (2, "Engineering", 3), (3, "Project Apollo", 1),
                              (4, "Project Zephyr", 1)],
        # Sanne is partner 8 (v18/21) and the refused create of 24 uses up 11 before KLM gets 12 (v18/25); the
        # order of the others is not recorded.
        "partners": ["Client A BV", "OdooBot", "Administrator", "Public user", "Default User Template",
                     "Portal User Template", "Client B BV", "Sanne de Vries", "Pleo Integration",
                     "Bookkeeper Without Accounting"],
        "sanne_contact": 8, "sanne_home": None,
        "attachment_next": 504, "message_next": 42, "tax_offset": 31, "repartition_offset": 300,
        "suspense_code": "103002", "tax_groups": {},
        "purchase_tax": 10,  # v18/107
        "users": {"pleo": 6, "norights": 7}, "admin_email": "admin@lab.test", "rounding": "round_per_line",
    },
    19: {
        "currencies": {"EUR": 125, "USD": 1},
        "modules": {"account": (1, "19.0.1.4"), "analytic": (17, "19.0.1.2"), "hr": (83, "19.0.1.1"),
                    "hr_expense": (86, False), "l10n_nl": (180, "19.0.3.3"), "base": (2, "19.0.1.3"),
                    "base_vat": (80, "19.0.1.0")},
        "plans": [(1, "Projects"), (3, "Departments")],
        "analytic_accounts": [(1, "Sales", 3), (2, "Engineering", 3), (3, "Project Apollo", 1),
                              (4, "Project Zephyr", 1)],
        # Sanne is partner 7 (v19/21); 23 and 24-as-17 create 10 and 11 (v19/23, v19/24-as-17). 19 has no
        # "Default User Template" user, hence one partner and one uid less (pleo uid 5).
        "partners": ["Client A BV", "OdooBot", "Administrator", "Public user", "Portal User Template",
                     "Client B BV", "Sanne de Vries", "Pleo Integration", "Bookkeeper Without Accounting"],
        "sanne_contact": 7, "sanne_home": None,
        "attachment_next": 511, "message_next": 121, "tax_offset": 31, "repartition_offset": 300,
        "suspense_code": "103002", "tax_groups": {},
        "purchase_tax": 10,  # v19/107
        # A new Dutch company rounds tax globally in 19 (v19/80).
        "users": {"pleo": 5, "norights": 6}, "admin_email": "admin@lab.test", "rounding": "round_globally",
    },
}
VERSIONS = tuple(sorted(VERSION_DATA))


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


def logins(version: int) -> dict[int, str]:
    """uid -> login of the recorded users: the administrator, the integration user and the one without rights."""
    users = VERSION_DATA[version]["users"]
    return {2: "admin", users["pleo"]: "pleo@example.com", users["norights"]: "norights@example.com"}
