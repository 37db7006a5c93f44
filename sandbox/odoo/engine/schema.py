"""Which models and fields the emulated Odoo has, per version, and how each model sorts by default."""

__all__ = ["MODELS", "DESCRIPTIONS", "DEFAULT_ORDER", "fields_of", "COMPANY_RULED", "groups_field", "record_companies"]

C, T, B, I, F, M, D, DT, S, J = "char", "text", "bool", "int", "float", "money", "date", "datetime", "selection", "json"


def m2o(comodel):
    return ("m2o", comodel)


def o2m(comodel, inverse):
    return ("o2m", comodel, inverse)


def m2m(comodel):
    return ("m2m", comodel)


# Field kinds: scalar strings above, or tuples for relations. Fields named in COMPUTED are not
# stored; engine.accounting computes them. A field given as {16: spec} exists only in that version.
UP_TO_17, UP_TO_18, FROM_18 = (16, 17), (16, 17, 18), (18, 19)


def only(versions, spec):
    return {version: spec for version in versions}


MODELS = {
    "res.users": {
        "name": C, "login": C, "email": C, "active": B, "share": B,
        "company_id": m2o("res.company"), "company_ids": m2m("res.company"),
        # 19 renamed groups_id to group_ids, which holds the groups given directly (v19/07, v19/07-as-17).
        "groups_id": only(UP_TO_18, m2m("res.groups")), "group_ids": {19: m2m("res.groups")},
        "partner_id": m2o("res.partner"),
    },
    "res.users.apikeys": {
        "name": C, "user_id": m2o("res.users"), "scope": C, "create_date": DT,
        # Keys expire from Odoo 18 (v18/113); 16 and 17 have no such field (v16/113, v17/113).
        "expiration_date": {18: DT, 19: DT},
    },
    "res.groups": {"name": C, "full_name": C, "category_id": C, "implied_ids": m2m("res.groups")},
    "ir.model.data": {"module": C, "name": C, "model": C, "res_id": I, "complete_name": C, "noupdate": B},
    "res.company": {
        "name": C, "sequence": I, "partner_id": m2o("res.partner"), "currency_id": m2o("res.currency"),
        "country_id": m2o("res.country"), "vat": C, "email": C,
        # 18 replaced the period lock by one per journal type and a hard lock (v18/11, v18/11-as-17).
        "fiscalyear_lock_date": D, "period_lock_date": only(UP_TO_17, D), "tax_lock_date": D,
        "sale_lock_date": only(FROM_18, D), "purchase_lock_date": only(FROM_18, D), "hard_lock_date": only(FROM_18, D),
        "tax_calculation_rounding_method": S,
        "account_journal_suspense_account_id": m2o("account.account"),
        "property_account_payable_id": m2o("account.account"),
        "account_purchase_tax_id": m2o("account.tax"),
        "parent_id": m2o("res.company"), "active": B,
    },
    "res.partner": {
        "name": C, "vat": C, "is_company": B, "supplier_rank": I, "customer_rank": I, "email": C,
        "phone": C, "street": C, "city": C, "zip": C, "country_id": m2o("res.country"),
        "company_id": m2o("res.company"), "parent_id": m2o("res.partner"), "active": B, "type": S,
        "ref": C, "comment": T, "company_registry": C,
    },
    "res.country": {"name": C, "code": C},
    "res.currency": {
        "name": C, "symbol": C, "rounding": F, "decimal_places": I, "active": B, "rate": F,
        "full_name": C, "position": S,
    },
    "ir.module.module": {
        "name": C, "state": S, "latest_version": C, "shortdesc": C, "application": B, "sequence": I,
    },
    "account.account": {
        # 18 shares an account between companies (v18/13, v18/13-as-17); 19 archives with active (v19/13).
        "code": C, "name": C, "account_type": S, "company_id": only(UP_TO_17, m2o("res.company")),
        "company_ids": only(FROM_18, m2m("res.company")), "deprecated": only(UP_TO_18, B), "active": {19: B},
        "reconcile": B, "currency_id": m2o("res.currency"), "tax_ids": m2m("account.tax"),
        "note": T, "group_id": m2o("account.group"),
    },
    "account.group": {"name": C},
    "account.journal": {
        "name": C, "code": C, "type": S, "company_id": m2o("res.company"),
        "default_account_id": m2o("account.account"), "suspense_account_id": m2o("account.account"),
        "currency_id": m2o("res.currency"), "active": B, "sequence": I,
    },
    "account.tax": {
        # From 18 price_include is computed from price_include_override (v18/87a, v18/87b).
        "name": C, "description": C, "amount": F, "amount_type": S, "price_include": B, "active": B,
        "price_include_override": only(FROM_18, S),
        "company_id": m2o("res.company"), "tax_group_id": m2o("account.tax.group"), "type_tax_use": S,
        "sequence": I, "include_base_amount": B, "tax_scope": S,
        "invoice_repartition_line_ids": o2m("account.tax.repartition.line", "invoice_tax_id"),
        "refund_repartition_line_ids": o2m("account.tax.repartition.line", "refund_tax_id"),
    },
    "account.tax.group": {"name": C, "sequence": I, "company_id": m2o("res.company")},
    "account.tax.repartition.line": {
        "factor_percent": F, "repartition_type": S, "account_id": m2o("account.account"),
        "invoice_tax_id": m2o("account.tax"), "refund_tax_id": m2o("account.tax"),
        "company_id": m2o("res.company"), "sequence": I,
    },
    "account.analytic.plan": {
        "name": C, "parent_id": m2o("account.analytic.plan"), "default_applicability": S,
        "account_ids": o2m("account.analytic.account", "plan_id"), "sequence": I, "color": I,
        "company_id": {16: m2o("res.company")},
    },
    "account.analytic.account": {
        "name": C, "code": C, "plan_id": m2o("account.analytic.plan"),
        "root_plan_id": m2o("account.analytic.plan"), "company_id": m2o("res.company"), "active": B,
        "partner_id": m2o("res.partner"),
    },
    "hr.employee": {
        "name": C, "work_email": C, "work_contact_id": m2o("res.partner"), "company_id": m2o("res.company"),
        "active": B, "user_id": m2o("res.users"), "job_title": C, "mobile_phone": C,
        "address_home_id": {16: m2o("res.partner")},
    },
    "account.move": {
        "name": C, "state": S, "move_type": S, "ref": C, "date": D, "journal_id": m2o("account.journal"),
        "company_id": m2o("res.company"), "currency_id": m2o("res.currency"),
        "partner_id": m2o("res.partner"), "invoice_date": D, "invoice_date_due": D, "narration": T,
        "posted_before": B, "payment_reference": C,
        "line_ids": o2m("account.move.line", "move_id"),
        "invoice_line_ids": o2m("account.move.line", "move_id"),
        "amount_untaxed": M, "amount_tax": M, "amount_total": M, "amount_residual": M,
        "amount_total_signed": M, "payment_state": S,
        "message_main_attachment_id": m2o("ir.attachment"),
        "attachment_ids": o2m("ir.attachment", "res_id"),
        "message_ids": o2m("mail.message", "res_id"),
    },
    "account.move.line": {
        "move_id": m2o("account.move"), "name": C, "account_id": m2o("account.account"),
        "debit": M, "credit": M, "balance": M, "amount_currency": M, "currency_id": m2o("res.currency"),
        "tax_ids": m2m("account.tax"), "tax_line_id": m2o("account.tax"),
        "tax_repartition_line_id": m2o("account.tax.repartition.line"), "tax_base_amount": M,
        "analytic_distribution": J, "partner_id": m2o("res.partner"), "display_type": S,
        "date": D, "journal_id": m2o("account.journal"), "company_id": m2o("res.company"),
        "move_name": C, "parent_state": S, "ref": C, "reconciled": B, "amount_residual": M,
        "amount_residual_currency": M,
        "quantity": F, "price_unit": F, "price_subtotal": M, "price_total": M,
        "full_reconcile_id": m2o("account.full.reconcile"), "matching_number": C,
    },
    "account.full.reconcile": {"name": C},
    "ir.attachment": {
        "name": C, "datas": C, "res_model": C, "res_id": I, "mimetype": C, "type": S, "file_size": I,
        "company_id": m2o("res.company"), "description": T,
    },
    "mail.message": {
        "body": T, "model": C, "res_id": I, "attachment_ids": m2m("ir.attachment"), "message_type": S,
        "author_id": m2o("res.partner"), "subtype_id": I,
    },
}

DESCRIPTIONS = {
    "res.users": "User", "res.users.apikeys": "Users API Keys", "res.groups": "Access Groups",
    "ir.model.data": "Model Data",
    "res.company": "Companies", "res.partner": "Contact", "res.country": "Country",
    "res.currency": "Currency", "ir.module.module": "Module", "account.account": "Account",
    "account.group": "Account Group", "account.journal": "Journal", "account.tax": "Tax",
    "account.tax.group": "Tax Group", "account.tax.repartition.line": "Tax Repartition Line",
    "account.analytic.plan": "Analytic Plans", "account.analytic.account": "Analytic Account",
    "hr.employee": "Employee", "account.move": "Journal Entry", "account.move.line": "Journal Item",
    "account.full.reconcile": "Full Reconcile", "ir.attachment": "Attachment", "mail.message": "Message",
}

# Odoo's `_order` of each model, as (field, descending) pairs; id breaks ties.
DEFAULT_ORDER = {
    "res.company": [("sequence", False), ("name", False)],
    "res.partner": [("name", False)],
    "res.users": [("name", False)],
    "res.currency": [("active", True), ("name", False)],
    "ir.module.module": [("application", True), ("sequence", False), ("name", False)],
    "ir.model.data": [("module", False), ("model", False), ("name", False)],
    "account.account": [("code", False), ("company_id", False)],
    "account.journal": [("sequence", False), ("type", False), ("code", False)],
    "account.tax": [("sequence", False), ("id", False)],
    "account.analytic.account": [("plan_id", False), ("name", False)],
    "hr.employee": [("name", False)],
    "account.move": [("date", True), ("name", True), ("id", True)],
    "account.move.line": [("date", True), ("move_name", True), ("id", False)],
    "ir.attachment": [("id", True)],
    "mail.message": [("id", True)],
}

# Models whose records belong to one company and are invisible outside the allowed companies.
COMPANY_RULED = {
    "account.account", "account.journal", "account.tax", "account.move", "account.move.line",
    "account.analytic.account", "hr.employee", "res.partner", "account.tax.repartition.line",
}


def fields_of(model: str, version: int) -> dict:
    """The fields `model` has in Odoo `version`, version-only fields resolved."""
    result = {}
    for name, spec in MODELS[model].items():
        if isinstance(spec, dict):
            if version in spec:
                result[name] = spec[version]
        else:
            result[name] = spec
    return result


def groups_field(version: int) -> str:
    """The res.users field holding a user's groups: groups_id, group_ids from 19."""
    return "group_ids" if version >= 19 else "groups_id"


def record_companies(model: str, values: dict) -> list[int]:
    """The companies a record belongs to: its company_id, or from 18 an account's company_ids."""
    if model == "account.account" and "company_ids" in values:
        return list(values.get("company_ids") or [])
    company = values.get("company_id")
    return [company] if company else []
