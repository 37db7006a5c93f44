"""account.move and account.move.line as Odoo 16/17 behave: taxes, balancing, names, posting, reconcile."""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from sandbox.odoo.engine import errors
from sandbox.odoo.engine.env import Env, to_decimal

__all__ = [
    "install",
    "move_create",
    "move_write",
    "move_action_post",
    "move_button_draft",
    "move_button_cancel",
    "move_unlink",
    "move_message_post",
    "line_reconcile",
    "check_move_access",
]

CENT = Decimal("0.01")
INBOUND = {"out_invoice", "in_refund", "out_receipt"}
INVOICE_TYPES = {"out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt"}
BALANCING_NAME = "Automatic Balancing Line"
LINE_INPUT_FIELDS = {
    "name", "account_id", "debit", "credit", "balance", "amount_currency", "currency_id", "tax_ids",
    "analytic_distribution", "partner_id", "quantity", "price_unit", "display_type", "date_maturity",
    "product_id", "discount", "tax_line_id", "tax_repartition_line_id", "move_id", "sequence", "ref",
    "tax_tag_ids", "journal_id", "company_id", "date", "tax_base_amount",
}


def money(value) -> str:
    return str(to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def rnd(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- computed fields ------------------------------------------------------------------------
def _lines(env: Env, move_id):
    return [(i, env.get("account.move.line", i)) for i in env.children("account.move.line", [move_id])]


def _amounts(env: Env, move_id) -> dict:
    move = env.get("account.move", move_id)
    lines = _lines(env, move_id)
    if move.get("move_type") in INVOICE_TYPES:
        sign = -1 if move["move_type"] in INBOUND else 1
        untaxed = sum((to_decimal(v["balance"]) for _, v in lines if v.get("display_type") == "product"), Decimal(0))
        tax = sum((to_decimal(v["balance"]) for _, v in lines if v.get("display_type") == "tax"), Decimal(0))
        term = [v for _, v in lines if v.get("display_type") == "payment_term"]
        residual = abs(sum((to_decimal(v.get("amount_residual")) for v in term), Decimal(0)))
        return {
            "amount_untaxed": untaxed * sign, "amount_tax": tax * sign, "amount_total": (untaxed + tax) * sign,
            "amount_residual": residual,
        }
    total = sum((to_decimal(v["debit"]) for _, v in lines), Decimal(0))
    return {"amount_untaxed": total, "amount_tax": Decimal(0), "amount_total": total, "amount_residual": Decimal(0)}


def _payment_state(env: Env, move_id) -> str:
    move = env.get("account.move", move_id)
    if move.get("move_type") not in INVOICE_TYPES or move.get("state") != "posted":
        return "not_paid"
    amounts = _amounts(env, move_id)
    if amounts["amount_residual"] == 0:
        return "paid"
    if amounts["amount_residual"] < abs(amounts["amount_total"]):
        return "partial"
    return "not_paid"


def _move_display_name(env: Env, move_id) -> str:
    move = env.get("account.move", move_id) or {}
    name = move.get("name")
    if not name or name == "/":
        kind = {
            "entry": "Entry", "in_invoice": "Bill", "in_refund": "Refund", "out_invoice": "Invoice",
            "out_refund": "Credit Note",
        }.get(move.get("move_type"), "Entry")
        name = f"Draft {kind} (* {move_id})"
    if move.get("ref"):
        name = f"{name} ({move['ref']})"
    return name


def _line_display_name(env: Env, line_id) -> str:
    line = env.get("account.move.line", line_id) or {}
    move = env.get("account.move", line.get("move_id")) or {}
    parts = [part for part in (move.get("name"), line.get("name")) if part and part != "/"]
    return " ".join(parts)


def install(env: Env):
    """Registers the computed fields and display names of the accounting models on `env`."""
    move, line = "account.move", "account.move.line"
    for field in ("amount_untaxed", "amount_tax", "amount_total", "amount_residual"):
        env.computers[(move, field)] = lambda e, rid, f=field: _amounts(e, rid)[f]
    env.computers[(move, "amount_total_signed")] = lambda e, rid: _amounts(e, rid)["amount_total"]
    env.computers[(move, "payment_state")] = _payment_state
    env.computers[(move, "invoice_line_ids")] = lambda e, rid: [
        i for i, v in _lines(e, rid) if v.get("display_type") in ("product", "line_section", "line_note")
    ]
    env.computers[(line, "date")] = lambda e, rid: _parent(e, rid).get("date")
    env.computers[(line, "move_name")] = lambda e, rid: _parent(e, rid).get("name")
    env.computers[(line, "parent_state")] = lambda e, rid: _parent(e, rid).get("state")
    env.computers[(line, "ref")] = lambda e, rid: _parent(e, rid).get("ref")
    env.computers[(line, "price_subtotal")] = _price_subtotal
    env.computers[(line, "price_total")] = _price_subtotal
    env.display_namers[move] = _move_display_name
    env.display_namers[line] = _line_display_name
    env.display_namers["account.tax.repartition.line"] = lambda e, rid: f"account.tax.repartition.line,{rid}"


def _parent(env, line_id) -> dict:
    line = env.get("account.move.line", line_id) or {}
    return env.get("account.move", line.get("move_id")) or {}


def _price_subtotal(env, line_id):
    line = env.get("account.move.line", line_id)
    if line.get("display_type") != "product":
        return Decimal(0)
    return to_decimal(line.get("quantity") or 0) * to_decimal(line.get("price_unit") or 0)


# --- access ---------------------------------------------------------------------------------
def check_move_access(env: Env, model: str, operation: str):
    if env.has_group("account.group_account_invoice") or (
        operation == "read" and env.has_group("account.group_account_readonly")
    ):
        return
    label = {"account.move": "Journal Entry", "account.move.line": "Journal Item"}[model]
    verb = {"read": "access", "create": "create", "write": "modify", "unlink": "delete"}[operation]
    raise errors.AccessError(
        f"You are not allowed to {verb} '{label}' ({model}) records.\n\n"
        "This operation is allowed for the following groups:\n\t- Invoicing/Billing\n\n"
        "Contact your administrator to request access if necessary."
    )


# --- helpers --------------------------------------------------------------------------------
def _currency_rounding(env, currency_id) -> Decimal:
    currency = env.get("res.currency", currency_id) or {}
    return to_decimal(currency.get("rounding") or "0.01")


def _company_currency(env, company_id) -> int:
    return env.get("res.company", company_id)["currency_id"]


def _m2m_ids(value) -> list[int]:
    """Applies Odoo's x2many commands to an empty set ([(6, 0, ids)], [(4, id)], plain ids)."""
    ids: list[int] = []
    for command in value or []:
        if isinstance(command, int):
            ids.append(command)
        elif isinstance(command, (list, tuple)) and command:
            if command[0] == 6:
                ids = list(command[2])
            elif command[0] == 4:
                ids.append(command[1])
            elif command[0] == 3 and command[1] in ids:
                ids.remove(command[1])
            elif command[0] == 5:
                ids = []
    return list(dict.fromkeys(ids))


def _lock_date(env: Env, company_id, *, for_post=True) -> datetime.date | None:
    company = env.get("res.company", company_id)
    dates = [company.get("fiscalyear_lock_date")]
    # The period lock binds everyone but Advisers, as in Odoo.
    if not env.has_group("account.group_account_manager"):
        dates.append(company.get("period_lock_date"))
    dates = [datetime.date.fromisoformat(d) for d in dates if d]
    return max(dates) if dates else None


def _period_prefix(journal: dict, date: datetime.date) -> str:
    return f"{journal['code']}/{date.year}/{date.month:02d}/"


def _last_sequence(env: Env, journal_id, prefix, exclude_id) -> int:
    highest = 0
    for move_id, move in env.all("account.move").items():
        if move_id == exclude_id or move.get("journal_id") != journal_id:
            continue
        name = move.get("name") or ""
        if name.startswith(prefix):
            try:
                highest = max(highest, int(name[len(prefix):]))
            except ValueError:
                continue
    return highest


def _name_matches_date(move) -> bool:
    date = datetime.date.fromisoformat(move["date"])
    name = move.get("name") or "/"
    parts = name.split("/")
    return len(parts) == 4 and parts[1] == str(date.year) and parts[2] == f"{date.month:02d}"


def _compute_draft_name(env: Env, move_id):
    """A draft only takes a number when it is the first of its journal's period (Odoo's _compute_name)."""
    move = env.get("account.move", move_id)
    journal = env.get("account.journal", move["journal_id"])
    date = datetime.date.fromisoformat(move["date"])
    prefix = _period_prefix(journal, date)
    has_name = move.get("name") and move["name"] != "/"
    if has_name and _name_matches_date(move):
        return
    if _last_sequence(env, move["journal_id"], prefix, move_id):
        env.update_record("account.move", move_id, {"name": "/"})
    else:
        env.update_record("account.move", move_id, {"name": f"{prefix}0001"})


def _set_next_sequence(env: Env, move_id):
    move = env.get("account.move", move_id)
    journal = env.get("account.journal", move["journal_id"])
    prefix = _period_prefix(journal, datetime.date.fromisoformat(move["date"]))
    number = _last_sequence(env, move["journal_id"], prefix, move_id) + 1
    env.update_record("account.move", move_id, {"name": f"{prefix}{number:04d}"})


# --- line preparation -------------------------------------------------------------------------
def _check_line_fields(env, vals):
    env.check_fields("account.move.line", [k for k in vals if k not in ("product_id", "discount", "date_maturity", "sequence", "tax_tag_ids")])


def _new_line(env: Env, move_id: int, move: dict, vals: dict, *, invoice_line: bool) -> dict:
    _check_line_fields(env, vals)
    company_currency = _company_currency(env, move["company_id"])
    currency_id = vals.get("currency_id") or move.get("currency_id") or company_currency
    tax_ids = _m2m_ids(vals.get("tax_ids"))
    line = {
        "move_id": move_id,
        "name": vals.get("name") if vals.get("name") not in (None, False) else None,
        "account_id": vals.get("account_id") or None,
        "partner_id": vals.get("partner_id") or move.get("partner_id") or None,
        "currency_id": currency_id,
        "tax_ids": tax_ids,
        "tax_line_id": vals.get("tax_line_id") or None,
        "tax_repartition_line_id": vals.get("tax_repartition_line_id") or None,
        "analytic_distribution": _distribution(vals.get("analytic_distribution")),
        "display_type": vals.get("display_type") or "product",
        "company_id": move["company_id"],
        "journal_id": move["journal_id"],
        "quantity": float(vals.get("quantity", 1) if vals.get("quantity") is not None else 1),
        "price_unit": float(vals.get("price_unit") or 0),
        "reconciled": False,
        "full_reconcile_id": None,
        "tax_base_amount": "0.00",
    }
    if invoice_line and move["move_type"] in INVOICE_TYPES and "debit" not in vals and "credit" not in vals:
        sign = -1 if move["move_type"] in INBOUND else 1
        subtotal = to_decimal(line["quantity"]) * to_decimal(line["price_unit"])
        amount_currency = subtotal * sign
        _set_amounts(env, line, amount_currency=amount_currency, company_currency=company_currency)
    else:
        debit, credit = to_decimal(vals.get("debit")), to_decimal(vals.get("credit"))
        if "balance" in vals and "debit" not in vals and "credit" not in vals:
            balance = to_decimal(vals["balance"])
        else:
            balance = debit - credit
        if currency_id != company_currency and "amount_currency" in vals and not (debit or credit or vals.get("balance")):
            rate = to_decimal((env.get("res.currency", currency_id) or {}).get("rate") or 1)
            balance = rnd(to_decimal(vals["amount_currency"]) / rate)
        amount_currency = to_decimal(vals["amount_currency"]) if "amount_currency" in vals else balance
        if currency_id == company_currency:
            amount_currency = balance
        line.update(_split(balance))
        line["amount_currency"] = money(amount_currency)
    return line


def _set_amounts(env, line, *, amount_currency: Decimal, company_currency):
    if line["currency_id"] == company_currency:
        balance = rnd(amount_currency)
    else:
        rate = to_decimal((env.get("res.currency", line["currency_id"]) or {}).get("rate") or 1)
        balance = rnd(amount_currency / rate)
    line.update(_split(balance))
    line["amount_currency"] = money(amount_currency)


def _split(balance: Decimal) -> dict:
    balance = rnd(balance)
    return {
        "balance": str(balance),
        "debit": str(balance if balance > 0 else Decimal("0.00")),
        "credit": str(-balance if balance < 0 else Decimal("0.00")),
        "amount_residual": str(balance),
    }


def _distribution(value):
    if not value:
        return None
    return {str(key): str(to_decimal(percent)) for key, percent in value.items()}


# --- taxes -------------------------------------------------------------------------------------
def _tax_lines_wanted(env: Env, move_id: int, move: dict, lines: list[tuple[int, dict]]) -> dict:
    """Per (repartition line, account, partner): the tax amount Odoo books, rounded per line."""
    wanted: dict[tuple, dict] = {}
    is_invoice = move["move_type"] in INVOICE_TYPES
    company_currency = _company_currency(env, move["company_id"])
    for line_id, line in lines:
        if line.get("display_type") != "product" or not line.get("tax_ids"):
            continue
        invoice_line = is_invoice and line.get("tax_line_id") is None
        if invoice_line:
            sign = -1 if move["move_type"] in INBOUND else 1
            base = to_decimal(line.get("quantity") or 0) * to_decimal(line.get("price_unit") or 0) * sign
        else:
            base = to_decimal(line["amount_currency"])
        for tax_id in line["tax_ids"]:
            tax = env.get("account.tax", tax_id)
            if tax is None:
                raise errors.ValidationError(
                    "The operation cannot be completed: another model requires the record being deleted. "
                    "If possible, archive it instead.\n\nModel: Journal Item (account.move.line)\n"
                    "Constraint: account_move_line_account_tax_rel_account_tax_id_fkey\n"
                )
            rate = to_decimal(tax["amount"]) / 100
            if tax.get("amount_type") == "fixed":
                tax_amount = rnd(to_decimal(tax["amount"]) * to_decimal(line.get("quantity") or 1))
            elif tax.get("price_include"):
                tax_amount = rnd(base - base / (1 + rate))
                if invoice_line:
                    # An included price is split: the product line keeps the net amount.
                    amounts = {"currency_id": line["currency_id"]}
                    _set_amounts(env, amounts, amount_currency=base - tax_amount, company_currency=company_currency)
                    amounts.pop("currency_id")
                    env.update_record("account.move.line", line_id, amounts)
            else:
                tax_amount = rnd(base * rate)
            for rep_id in tax.get("invoice_repartition_line_ids") or []:
                rep = env.get("account.tax.repartition.line", rep_id)
                if rep is None or rep.get("repartition_type") != "tax":
                    continue
                amount = rnd(tax_amount * to_decimal(rep["factor_percent"]) / 100)
                partner = line.get("partner_id")
                key = (rep_id, rep.get("account_id"), partner, line["currency_id"])
                entry = wanted.setdefault(key, {
                    "tax_id": tax_id, "name": tax["name"], "amount": Decimal(0), "base": Decimal(0),
                })
                entry["amount"] += amount
                entry["base"] += base
    return wanted


def _sync_tax_lines(env: Env, move_id: int, move: dict):
    lines = _lines(env, move_id)
    wanted = _tax_lines_wanted(env, move_id, move, lines)
    company_currency = _company_currency(env, move["company_id"])
    existing = {}
    for line_id, line in lines:
        if line.get("display_type") == "tax" and line.get("tax_repartition_line_id"):
            key = (line["tax_repartition_line_id"], line.get("account_id"), line.get("partner_id"), line["currency_id"])
            existing[key] = line_id
    for key, line_id in existing.items():
        if key not in wanted:
            env.delete_record("account.move.line", line_id)
    for key, entry in wanted.items():
        rep_id, account_id, partner_id, currency_id = key
        values = {
            "move_id": move_id, "name": entry["name"], "account_id": account_id, "partner_id": partner_id,
            "currency_id": currency_id, "tax_ids": [], "tax_line_id": entry["tax_id"],
            "tax_repartition_line_id": rep_id, "analytic_distribution": None, "display_type": "tax",
            "company_id": move["company_id"], "journal_id": move["journal_id"], "quantity": 1.0,
            "price_unit": 0.0, "reconciled": False, "full_reconcile_id": None,
            "tax_base_amount": money(entry["base"]),
        }
        amounts = {"currency_id": currency_id}
        _set_amounts(env, amounts, amount_currency=entry["amount"], company_currency=company_currency)
        values.update({k: v for k, v in amounts.items() if k != "currency_id"})
        if key in existing:
            env.update_record("account.move.line", existing[key], values)
        else:
            env.create_record("account.move.line", values)


def _sync_payment_term(env: Env, move_id: int, move: dict):
    lines = _lines(env, move_id)
    total_currency = Decimal(0)
    total = Decimal(0)
    term_id = None
    for line_id, line in lines:
        if line.get("display_type") == "payment_term":
            term_id = line_id
            continue
        total_currency += to_decimal(line["amount_currency"])
        total += to_decimal(line["balance"])
    partner = env.get("res.partner", move.get("partner_id")) if move.get("partner_id") else None
    company = env.get("res.company", move["company_id"])
    account_id = (partner or {}).get("property_account_payable_id") or company.get("property_account_payable_id")
    if move["move_type"] in ("out_invoice", "out_refund", "out_receipt"):
        account_id = company.get("property_account_receivable_id") or account_id
    values = {
        "move_id": move_id, "name": "", "account_id": account_id, "partner_id": move.get("partner_id"),
        "currency_id": move.get("currency_id"), "tax_ids": [], "tax_line_id": None,
        "tax_repartition_line_id": None, "analytic_distribution": None, "display_type": "payment_term",
        "company_id": move["company_id"], "journal_id": move["journal_id"], "quantity": 1.0, "price_unit": 0.0,
        "reconciled": False, "full_reconcile_id": None, "tax_base_amount": "0.00",
        "amount_currency": money(-total_currency),
    }
    values.update(_split(-total))
    values["amount_currency"] = money(-total_currency)
    if term_id:
        env.update_record("account.move.line", term_id, values)
    else:
        env.create_record("account.move.line", values)


def _imbalance(lines) -> Decimal:
    return sum((to_decimal(line["balance"]) for _, line in lines if line.get("name") != BALANCING_NAME), Decimal(0))


def _sync_balance(env: Env, move_id: int, move: dict):
    """Odoo adds an "Automatic Balancing Line" to entries that carry taxes; others must balance."""
    lines = _lines(env, move_id)
    has_tax = any(line.get("tax_ids") for _, line in lines)
    if not has_tax or move["move_type"] in INVOICE_TYPES:
        _check_balanced(env, move_id, move, lines)
        return
    gap = rnd(-_imbalance(lines))
    existing = [line_id for line_id, line in lines if line.get("name") == BALANCING_NAME]
    if existing:
        env.update_record("account.move.line", existing[0], {**_split(gap), "amount_currency": money(gap)})
    elif gap != 0:
        company = env.get("res.company", move["company_id"])
        values = {
            "move_id": move_id, "name": BALANCING_NAME,
            "account_id": company.get("account_journal_suspense_account_id"), "partner_id": None,
            "currency_id": move.get("currency_id"), "tax_ids": [], "tax_line_id": None,
            "tax_repartition_line_id": None, "analytic_distribution": None, "display_type": "product",
            "company_id": move["company_id"], "journal_id": move["journal_id"], "quantity": 1.0,
            "price_unit": 0.0, "reconciled": False, "full_reconcile_id": None, "tax_base_amount": "0.00",
        }
        values.update(_split(gap))
        values["amount_currency"] = money(gap)
        env.create_record("account.move.line", values)


def _check_balanced(env: Env, move_id, move, lines):
    debit = sum((to_decimal(line["debit"]) for _, line in lines), Decimal(0))
    credit = sum((to_decimal(line["credit"]) for _, line in lines), Decimal(0))
    if rnd(debit) == rnd(credit):
        return
    journal = env.get("account.journal", move["journal_id"])
    raise errors.UserError(
        "An error has occurred.\n\n"
        f"The move ({_move_display_name(env, move_id)}) is not balanced.\n"
        f"The total of debits equals {rnd(debit):.2f}\u00a0\u20ac and the total of credits equals "
        f"{rnd(credit):.2f}\u00a0\u20ac.\n"
        f"You might want to specify a default account on journal \"{journal['name']}\" to automatically "
        "balance each move."
    )


def _check_accounts(env: Env, move_id, move, new_lines):
    for _, line in new_lines:
        account = env.get("account.account", line.get("account_id")) if line.get("account_id") else None
        if line.get("account_id") and account is None:
            raise errors.ValidationError(
                "The operation cannot be completed: another model requires the record being deleted. "
                "If possible, archive it instead.\n\nModel: Journal Item (account.move.line)\n"
                "Constraint: account_move_line_account_id_fkey\n"
            )
    problems = []
    for line_id, line in new_lines:
        account = env.get("account.account", line.get("account_id")) if line.get("account_id") else None
        if account and account.get("company_id") != move["company_id"]:
            label = " ".join(p for p in (move.get("name") if move.get("name") != "/" else None, line.get("name")) if p)
            problems.append(
                f"- '{label}' belongs to company '{env.display_name('res.company', move['company_id'])}' and "
                f"'Account' (account_id: '{account['code']} {account['name']}') belongs to another company."
            )
    if problems:
        raise errors.UserError("Incompatible companies on records:\n" + "\n".join(problems))
    for _, line in new_lines:
        if not line.get("account_id") and line.get("display_type") == "product":
            raise errors.UserError("Missing required account on accountable line.")
        account = env.get("account.account", line.get("account_id")) if line.get("account_id") else None
        if account and account.get("deprecated"):
            raise errors.UserError(
                f"The account {account['code']} {account['name']} is deprecated."
            )


# --- create / write --------------------------------------------------------------------------
def _default_journal(env: Env, move_type, company_id) -> int:
    wanted = "purchase" if move_type.startswith("in_") else "sale" if move_type.startswith("out_") else "general"
    for journal_id in env.search("account.journal", [("type", "=", wanted), ("company_id", "=", company_id)]):
        return journal_id
    raise errors.UserError("No journal could be found in company for any of those types: " + wanted)


def move_create(env: Env, vals_list: list[dict]) -> list[int]:
    check_move_access(env, "account.move", "create")
    ids = []
    for vals in vals_list:
        ids.append(_create_one(env, dict(vals)))
    # Names come last, in order, so only the first draft of a period takes a number.
    for move_id in ids:
        _compute_draft_name(env, move_id)
    return ids


def _create_one(env: Env, vals: dict) -> int:
    allowed_fields = set(env.fields("account.move")) | {"invoice_line_ids", "line_ids", "invoice_payment_term_id", "fiscal_position_id", "invoice_origin", "invoice_user_id", "auto_post"}
    env.check_fields("account.move", [k for k in vals if k not in allowed_fields or k in env.fields("account.move")])
    move_type = vals.get("move_type") or env.context.get("default_move_type") or "entry"
    company_id = env.main_company_id()
    journal_id = vals.get("journal_id") or env.context.get("default_journal_id") or _default_journal(env, move_type, company_id)
    journal = env.get("account.journal", journal_id)
    if journal is None:
        raise errors.ValidationError(
            "The operation cannot be completed: another model requires the record being deleted. "
            "If possible, archive it instead.\n\nModel: Journal Entry (account.move)\n"
            "Constraint: account_move_journal_id_fkey\n"
        )
    company_id = journal["company_id"]
    move_id = env.next_id("account.move")
    today = env.today().isoformat()
    date = vals.get("date") or (vals.get("invoice_date") if move_type in INVOICE_TYPES else None) or today
    move = {
        "name": vals.get("name") or "/",
        "state": "draft",
        "move_type": move_type,
        "ref": vals.get("ref") or None,
        "date": date,
        "journal_id": journal_id,
        "company_id": company_id,
        "currency_id": vals.get("currency_id") or journal.get("currency_id") or _company_currency(env, company_id),
        "partner_id": vals.get("partner_id") or None,
        "invoice_date": vals.get("invoice_date") or None,
        "invoice_date_due": vals.get("invoice_date_due") or vals.get("invoice_date") or None,
        "narration": vals.get("narration") or None,
        "posted_before": False,
        "payment_reference": vals.get("payment_reference") or None,
        "message_main_attachment_id": None,
    }
    env.create_record("account.move", move, record_id=move_id)
    new_lines = []
    for field in ("line_ids", "invoice_line_ids"):
        for command in vals.get(field) or []:
            if isinstance(command, (list, tuple)) and command and command[0] == 0:
                line = _new_line(env, move_id, move, dict(command[2]), invoice_line=field == "invoice_line_ids")
                new_lines.append((env.next_id("account.move.line"), line))
    # The name is known before the company check, as in Odoo's message.
    if move["name"] == "/" and not _last_sequence(
        env, journal_id, _period_prefix(journal, datetime.date.fromisoformat(date)), move_id
    ):
        move["name"] = f"{_period_prefix(journal, datetime.date.fromisoformat(date))}0001"
    _check_accounts(env, move_id, move, new_lines)
    for line_id, line in new_lines:
        env.create_record("account.move.line", line, record_id=line_id)
    _sync_dynamic_lines(env, move_id, taxes=True)
    return move_id


def _sync_dynamic_lines(env: Env, move_id: int, *, taxes: bool):
    move = env.get("account.move", move_id)
    if taxes:
        _sync_tax_lines(env, move_id, move)
    if move["move_type"] in INVOICE_TYPES:
        _sync_payment_term(env, move_id, move)
    _sync_balance(env, move_id, move)



def move_write(env: Env, ids: list[int], vals: dict) -> bool:
    check_move_access(env, "account.move", "write")
    allowed = set(env.fields("account.move")) | {"invoice_line_ids", "line_ids"}
    env.check_fields("account.move", [k for k in vals if k not in allowed or k in env.fields("account.move")])
    for move_id in ids:
        move = env.get("account.move", move_id)
        if move is None:
            raise errors.MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: account.move({move_id},), User: {env.uid})"
            )
        plain = {k: v for k, v in vals.items() if k not in ("line_ids", "invoice_line_ids")}
        if move["state"] == "posted":
            protected = {"journal_id", "date", "line_ids", "invoice_line_ids", "partner_id", "currency_id", "move_type", "company_id"}
            touched = protected & set(vals)
            if touched:
                raise errors.UserError(
                    "You cannot modify the following readonly fields on a posted move: "
                    + ", ".join(sorted(touched))
                )
        if plain:
            env.update_record("account.move", move_id, {k: (v if v is not False else None) for k, v in plain.items()})
        resync_taxes = bool({"partner_id", "currency_id", "date"} & set(plain)) and False
        for field in ("line_ids", "invoice_line_ids"):
            for command in vals.get(field) or []:
                if len(ids) > 1 and command[0] in (1, 2, 3) and _line_move(env, command[1]) in set(ids) - {move_id}:
                    # Odoo's ORM applies an x2many update or delete once, to the line it names, whichever of
                    # the written moves holds it; here it is applied while that move is handled.
                    continue
                resync_taxes |= _apply_line_command(env, move_id, move, command, field == "invoice_line_ids")
        if "date" in plain:
            _compute_draft_name(env, move_id)
        if "partner_id" in plain:
            for line_id, line in _lines(env, move_id):
                if move["move_type"] in INVOICE_TYPES:
                    env.update_record("account.move.line", line_id, {"partner_id": plain["partner_id"] or None})
        _sync_dynamic_lines(env, move_id, taxes=resync_taxes)
    return True


def _line_move(env: Env, line_id):
    line = env.get("account.move.line", line_id)
    return line.get("move_id") if line else None


def _apply_line_command(env: Env, move_id, move, command, invoice_line) -> bool:
    """Applies one x2many command on the move's lines; True when tax lines must be recomputed."""
    code = command[0]
    if code == 0:
        line = _new_line(env, move_id, move, dict(command[2]), invoice_line=invoice_line)
        line_id = env.next_id("account.move.line")
        _check_accounts(env, move_id, move, [(line_id, line)])
        env.create_record("account.move.line", line, record_id=line_id)
        return bool(line.get("tax_ids"))
    if code == 1:
        line_id, vals = command[1], dict(command[2])
        line = env.get("account.move.line", line_id)
        if line is None or line.get("move_id") != move_id:
            raise errors.MissingError("Record does not exist or has been deleted.")
        _check_line_fields(env, vals)
        base_before = bool(line.get("tax_ids"))
        update = {}
        for key, value in vals.items():
            if key == "tax_ids":
                update[key] = _m2m_ids(value)
            elif key == "analytic_distribution":
                update[key] = _distribution(value)
            elif key in ("debit", "credit", "balance", "amount_currency"):
                continue
            else:
                update[key] = value if value is not False else None
        if any(k in vals for k in ("debit", "credit", "balance")):
            debit = to_decimal(vals.get("debit", line["debit"]))
            credit = to_decimal(vals.get("credit", line["credit"]))
            balance = to_decimal(vals["balance"]) if "balance" in vals else debit - credit
            update.update(_split(balance))
            company_currency = _company_currency(env, move["company_id"])
            if line.get("currency_id") == company_currency:
                update["amount_currency"] = money(balance)
        if "amount_currency" in vals:
            update["amount_currency"] = money(vals["amount_currency"])
        if invoice_line and ("price_unit" in vals or "quantity" in vals):
            subtotal = to_decimal(update.get("quantity", line["quantity"])) * to_decimal(update.get("price_unit", line["price_unit"]))
            sign = -1 if move["move_type"] in INBOUND else 1
            amounts = {"currency_id": line["currency_id"]}
            _set_amounts(env, amounts, amount_currency=subtotal * sign, company_currency=_company_currency(env, move["company_id"]))
            update.update({k: v for k, v in amounts.items() if k != "currency_id"})
        env.update_record("account.move.line", line_id, update)
        if "account_id" in vals:
            _check_accounts(env, move_id, move, [(line_id, env.get("account.move.line", line_id))])
        base_after = bool(env.get("account.move.line", line_id).get("tax_ids"))
        touches_base = base_before or base_after
        return touches_base and any(k in vals for k in ("debit", "credit", "balance", "amount_currency", "tax_ids", "price_unit", "quantity", "account_id"))
    if code in (2, 3):
        line = env.get("account.move.line", command[1])
        if line is not None and line.get("move_id") == move_id:
            env.delete_record("account.move.line", command[1])
            return bool(line.get("tax_ids"))
        return False
    if code == 5:
        for line_id, _ in _lines(env, move_id):
            env.delete_record("account.move.line", line_id)
        return True
    if code == 6:
        return False
    raise errors.ValueError_(f"Invalid x2many command {command!r}")


# --- state changes ---------------------------------------------------------------------------
def _accounting_date(env: Env, move, lock: datetime.date) -> datetime.date:
    """Odoo's _get_accounting_date for purchase/misc documents with a monthly numbering."""
    date = lock + datetime.timedelta(days=1)
    today = env.today()
    if (today.year, today.month) > (date.year, date.month):
        import calendar

        return date.replace(day=calendar.monthrange(date.year, date.month)[1])
    return max(date, today)


def move_action_post(env: Env, ids: list[int]):
    check_move_access(env, "account.move", "write")
    moves = []
    for move_id in ids:
        move = env.get("account.move", move_id)
        if move is None or not env.visible("account.move", move):
            raise errors.MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: account.move({move_id},), User: {env.uid})"
            )
        moves.append((move_id, move))
    for move_id, move in moves:
        if move["state"] == "posted":
            raise errors.UserError(f"The entry {move['name']} (id {move_id}) is already posted.")
        lines = _lines(env, move_id)
        if not lines:
            raise errors.UserError("You need to add a line before posting.")
        if move["move_type"] in INVOICE_TYPES:
            if not move.get("partner_id"):
                role = "Vendor" if move["move_type"].startswith("in_") else "Customer"
                document = {
                    "in_invoice": "Vendor Bill", "in_refund": "Vendor Credit Note", "out_invoice": "Customer Invoice",
                    "out_refund": "Customer Credit Note",
                }.get(move["move_type"], "Receipt")
                raise errors.UserError(f"The field '{role}' is required, please complete it to validate the {document}.")
            if not move.get("invoice_date"):
                if move["move_type"].startswith("in_"):
                    raise errors.UserError("The Bill/Refund date is required to validate this document.")
                env.update_record("account.move", move_id, {"invoice_date": env.today().isoformat()})
        _check_balanced(env, move_id, move, lines)
        lock = _lock_date(env, move["company_id"])
        if lock and datetime.date.fromisoformat(move["date"]) <= lock:
            new_date = _accounting_date(env, move, lock).isoformat()
            env.update_record("account.move", move_id, {"date": new_date})
        if not move.get("name") or move["name"] == "/" or not _name_matches_date(move):
            env.update_record("account.move", move_id, {"name": "/"})
            _set_next_sequence(env, move_id)
        env.update_record("account.move", move_id, {"state": "posted", "posted_before": True})
    return False


def move_button_draft(env: Env, ids: list[int]):
    check_move_access(env, "account.move", "write")
    for move_id in ids:
        move = env.get("account.move", move_id)
        if move is None:
            raise errors.MissingError("Record does not exist or has been deleted.")
        if move["state"] not in ("posted", "cancel"):
            raise errors.UserError("Only posted/cancelled journal entries can be reset to draft.")
        lock = _lock_date(env, move["company_id"])
        if lock and datetime.date.fromisoformat(move["date"]) <= lock:
            raise errors.UserError(
                f"You cannot add/modify entries prior to and inclusive of the lock date {lock.strftime('%m/%d/%Y')}."
            )
        for line_id, line in _lines(env, move_id):
            if line.get("full_reconcile_id") or line.get("reconciled"):
                _unreconcile(env, line_id)
        env.update_record("account.move", move_id, {"state": "draft"})
    return None


def move_button_cancel(env: Env, ids: list[int]):
    check_move_access(env, "account.move", "write")
    for move_id in ids:
        move = env.get("account.move", move_id)
        if move is None:
            raise errors.MissingError("Record does not exist or has been deleted.")
        if move["state"] != "draft":
            raise errors.UserError("Only draft journal entries can be cancelled.")
        env.update_record("account.move", move_id, {"state": "cancel"})
    return None


def move_unlink(env: Env, ids: list[int]) -> bool:
    check_move_access(env, "account.move", "unlink")
    for move_id in ids:
        move = env.get("account.move", move_id)
        if move is None:
            continue
        if move["state"] == "posted":
            if env.version == 16:
                raise errors.UserError("You cannot delete an item linked to a posted entry.")
            raise errors.UserError(
                "You can't delete a posted journal item. Don\u2019t play games with your accounting records; "
                "reset the journal entry to draft before deleting it."
            )
        if move.get("posted_before") and move.get("name") not in (None, "/"):
            journal = env.get("account.journal", move["journal_id"])
            prefix = _period_prefix(journal, datetime.date.fromisoformat(move["date"]))
            if _last_sequence(env, move["journal_id"], prefix, move_id) > int(move["name"].rsplit("/", 1)[-1]):
                raise errors.UserError(
                    "You cannot delete this entry, as it has already consumed a sequence number and is not the "
                    "last one in the chain. You should probably revert it instead."
                )
        for line_id, _ in _lines(env, move_id):
            env.delete_record("account.move.line", line_id)
        env.delete_record("account.move", move_id)
    return True


def move_message_post(env: Env, ids: list[int], body="", attachment_ids=None, **kwargs) -> int:
    if len(ids) != 1:
        raise errors.ValueError_(f"Expected singleton: account.move({', '.join(map(str, ids))},)")
    move = env.get("account.move", ids[0])
    if move is None:
        raise errors.MissingError("Record does not exist or has been deleted.")
    return env.create_record("mail.message", {
        "body": body or "", "model": "account.move", "res_id": ids[0],
        "attachment_ids": list(attachment_ids or []), "message_type": kwargs.get("message_type") or "comment",
        "author_id": env.user.get("partner_id"), "subtype_id": 1,
    })


# --- reconciliation ----------------------------------------------------------------------------
def _unreconcile(env: Env, line_id):
    line = env.get("account.move.line", line_id)
    env.update_record("account.move.line", line_id, {
        "reconciled": False, "full_reconcile_id": None, "amount_residual": line["balance"],
    })


def line_reconcile(env: Env, ids: list[int]):
    check_move_access(env, "account.move.line", "write")
    lines = []
    for line_id in ids:
        line = env.get("account.move.line", line_id)
        if line is None:
            raise errors.MissingError("Record does not exist or has been deleted.")
        lines.append((line_id, line))
    if not lines:
        return _reconcile_result(env, [], None)
    accounts = {line["account_id"] for _, line in lines}
    if len(accounts) > 1:
        names = ", ".join(env.display_name("account.account", a) for a in sorted(accounts))
        raise errors.UserError(f"Entries are not from the same account: {names}")
    account = env.get("account.account", accounts.pop())
    if not account.get("reconcile") and account.get("account_type") not in ("asset_cash", "liability_credit_card"):
        raise errors.UserError(
            f"Account {account['code']} {account['name']} does not allow reconciliation. "
            "First change the configuration of this account to allow it."
        )
    for _, line in lines:
        if line.get("reconciled"):
            raise errors.UserError("You are trying to reconcile some entries that are already reconciled.")
        if (env.get("account.move", line["move_id"]) or {}).get("state") != "posted":
            raise errors.UserError("You can only reconcile posted entries.")
    debits = [[i, to_decimal(l["amount_residual"])] for i, l in lines if to_decimal(l["amount_residual"]) > 0]
    credits = [[i, to_decimal(l["amount_residual"])] for i, l in lines if to_decimal(l["amount_residual"]) < 0]
    partials = 0
    for debit in debits:
        for credit in credits:
            if debit[1] <= 0 or credit[1] >= 0:
                continue
            amount = min(debit[1], -credit[1])
            debit[1] -= amount
            credit[1] += amount
            partials += 1
    for line_id, residual in debits + credits:
        env.update_record("account.move.line", line_id, {
            "amount_residual": str(residual), "reconciled": residual == 0,
        })
    full = None
    if all(residual == 0 for _, residual in debits + credits):
        full = env.create_record("account.full.reconcile", {"name": f"A{env.sequences.get('account.full.reconcile', 1) - 1}"})
        for line_id, _ in lines:
            env.update_record("account.move.line", line_id, {"full_reconcile_id": full})
    first_partial = env.sequences.get("account.partial.reconcile", 1)
    env.sequences["account.partial.reconcile"] = first_partial + partials
    return _reconcile_result(env, list(range(first_partial, first_partial + partials)), full)


def _reconcile_result(env, partial_ids, full_id):
    """16 answers with the reprs of the records it made; 17 answers nothing at all."""
    if env.version >= 17:
        return None

    def recordset(model, ids):
        return f"{model}({''.join(f'{i},' for i in ids)})"

    return {
        "exchange_partials": "account.partial.reconcile()",
        "partials": recordset("account.partial.reconcile", partial_ids),
        "full_reconcile": recordset("account.full.reconcile", [full_id] if full_id else []),
    }
