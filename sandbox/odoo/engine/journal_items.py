"""account.move.line as Odoo 16 to 19 compute it: amounts, taxes, and the tax, payables and balancing lines
Odoo adds."""
from decimal import ROUND_HALF_UP, Decimal

from sandbox.odoo.engine import errors
from sandbox.odoo.engine.env import Env, to_decimal
from sandbox.odoo.engine.schema import record_companies

__all__ = [
    "INBOUND",
    "INVOICE_TYPES",
    "money",
    "lines_of",
    "move_display_name",
    "company_currency_id",
    "m2m_ids",
    "new_line",
    "apply_line_command",
    "sync_dynamic_lines",
    "check_balanced",
    "check_accounts",
]

CENT = Decimal("0.01")
INBOUND = {"out_invoice", "in_refund", "out_receipt"}
INVOICE_TYPES = {"out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt"}
PURCHASE_TYPES = {"in_invoice", "in_refund", "in_receipt"}
BALANCING_NAME = "Automatic Balancing Line"


def money(value) -> str:
    return str(to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def rnd(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- helpers -------------------------------------------------------------------------------
def lines_of(env: Env, move_id):
    return [(i, env.get("account.move.line", i)) for i in env.children("account.move.line", [move_id])]


def move_display_name(env: Env, move_id) -> str:
    move = env.get("account.move", move_id) or {}
    name = move.get("name")
    if not name or name == "/":
        kind = {
            "entry": "Entry", "in_invoice": "Bill", "in_refund": "Refund", "out_invoice": "Invoice",
            "out_refund": "Credit Note",
        }.get(move.get("move_type"), "Entry")
        name = _draft_label(env, move_id, kind)
    if move.get("ref"):
        name = f"{name} ({move['ref']})"
    return name


def _draft_label(env, move_id, kind) -> str:
    # 18 drops the id: "Draft Entry (PLEO-unbalanced)" (v18/54), "Draft Entry (* 10) (...)" in 17.
    return f"Draft {kind}" if env.version >= 18 else f"Draft {kind} (* {move_id})"


def company_currency_id(env, company_id) -> int:
    return env.get("res.company", company_id)["currency_id"]


def m2m_ids(value) -> list[int]:
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


# --- line preparation ----------------------------------------------------------------------
def _check_line_fields(env, vals):
    env.check_fields("account.move.line", [k for k in vals if k not in ("product_id", "discount", "date_maturity",
                                                                        "sequence", "tax_tag_ids")], write=True)


def new_line(env: Env, move_id: int, move: dict, vals: dict, *, invoice_line: bool) -> dict:
    _check_line_fields(env, vals)
    company_currency = company_currency_id(env, move["company_id"])
    currency_id = vals.get("currency_id") or move.get("currency_id") or company_currency
    display_type = vals.get("display_type") or "product"
    tax_ids = m2m_ids(vals.get("tax_ids"))
    purchase_line = display_type == "product" and move["move_type"] in PURCHASE_TYPES
    if "tax_ids" not in vals and purchase_line and env.version == 16:
        # v16/109: Odoo 16 gives a bill line sent without tax_ids the company's default purchase tax;
        # 17 leaves it untaxed (v17/109). An empty [(6, 0, [])] is untaxed on both (v16/111).
        default_tax = env.get("res.company", move["company_id"]).get("account_purchase_tax_id")
        tax_ids = [default_tax] if default_tax else []
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
        "display_type": display_type,
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
        line.update(_amounts_in(env, currency_id, subtotal * sign, company_currency))
    else:
        debit, credit = to_decimal(vals.get("debit")), to_decimal(vals.get("credit"))
        if "balance" in vals and "debit" not in vals and "credit" not in vals:
            balance = to_decimal(vals["balance"])
        else:
            balance = debit - credit
        if (currency_id != company_currency and "amount_currency" in vals
                and not (debit or credit or vals.get("balance"))):
            balance = _to_company(env, currency_id, to_decimal(vals["amount_currency"]), company_currency)
        amount_currency = to_decimal(vals["amount_currency"]) if "amount_currency" in vals else balance
        if currency_id == company_currency:
            amount_currency = balance
        line.update(_amount_values(balance, amount_currency))
    return line


def _to_company(env, currency_id, amount_currency: Decimal, company_currency) -> Decimal:
    """`amount_currency` in the company's currency, at the currency's one rate (v17/102: 100.00 USD is 92.59)."""
    if currency_id == company_currency:
        return rnd(amount_currency)
    rate = to_decimal((env.get("res.currency", currency_id) or {}).get("rate") or 1)
    return rnd(amount_currency / rate)


def _amounts_in(env, currency_id, amount_currency: Decimal, company_currency) -> dict:
    return _amount_values(_to_company(env, currency_id, amount_currency, company_currency), amount_currency)


def _amount_values(balance: Decimal, amount_currency: Decimal) -> dict:
    """A line's amounts in the company's currency (debit, credit, balance) and in its own, all still open."""
    balance, amount_currency = rnd(balance), rnd(amount_currency)
    return {
        "balance": str(balance),
        "debit": str(balance if balance > 0 else Decimal("0.00")),
        "credit": str(-balance if balance < 0 else Decimal("0.00")),
        "amount_currency": str(amount_currency),
        "amount_residual": str(balance),
        "amount_residual_currency": str(amount_currency),
    }


def _distribution(value):
    if not value:
        return None
    return {str(key): str(to_decimal(percent)) for key, percent in value.items()}


# --- the lines Odoo adds: taxes, payables, balancing ---------------------------------------
def _tax_lines_wanted(env: Env, move_id: int, move: dict, lines: list[tuple[int, dict]]) -> dict:
    """Per (repartition line, account, partner): the tax amount Odoo books.

    The company's tax_calculation_rounding_method decides: "round_per_line" rounds each line's tax, then sums
    (16-18, v17/93: three lines of 2.75 at 21% give 1.74); "round_globally" sums unrounded and rounds once
    (19 for a new Dutch company, v19/80, v19/93: 1.73), moving the cent a tax-included price loses onto the
    untaxed amount (v19/91: three lines of 3.33 incl. give 8.26 + 1.73).
    """
    wanted: dict[tuple, dict] = {}
    is_invoice = move["move_type"] in INVOICE_TYPES
    company_currency = company_currency_id(env, move["company_id"])
    company = env.get("res.company", move["company_id"]) or {}
    globally = company.get("tax_calculation_rounding_method") == "round_globally"
    keep = (lambda amount: amount) if globally else rnd
    included_lines = []  # (line_id, line, gross, unrounded tax) of invoice lines whose price includes the tax
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
                raise errors.missing_reference(env.version, model="account.move.line", model_label="Journal Item",
                                               field="tax_ids", field_label="Taxes")
            rate = to_decimal(tax["amount"]) / 100
            if tax.get("amount_type") == "fixed":
                tax_amount = rnd(to_decimal(tax["amount"]) * to_decimal(line.get("quantity") or 1))
            elif tax.get("price_include"):
                raw = base - base / (1 + rate)
                tax_amount = keep(raw)
                if invoice_line:
                    # An included price is split: the product line keeps the net amount.
                    included_lines.append((line_id, line, base, raw))
            else:
                tax_amount = keep(base * rate)
            for rep_id in tax.get("invoice_repartition_line_ids") or []:
                rep = env.get("account.tax.repartition.line", rep_id)
                if rep is None or rep.get("repartition_type") != "tax":
                    continue
                amount = keep(tax_amount * to_decimal(rep["factor_percent"]) / 100)
                partner = line.get("partner_id")
                key = (rep_id, rep.get("account_id"), partner, line["currency_id"])
                entry = wanted.setdefault(key, {
                    "tax_id": tax_id, "name": tax["name"], "amount": Decimal(0), "base": Decimal(0),
                })
                entry["amount"] += amount
                entry["base"] += base
    for entry in wanted.values():
        entry["amount"] = rnd(entry["amount"])
    _split_included_prices(env, move, included_lines, globally, company_currency)
    return wanted


def _split_included_prices(env, move, included_lines, globally, company_currency):
    nets = [(line_id, line, rnd(gross - rnd(raw)) if not globally else rnd(gross - raw))
            for line_id, line, gross, raw in included_lines]
    if globally and nets:
        # The lines together keep the gross total less the tax rounded once; the last line takes the cent.
        gross_total = sum((gross for _, _, gross, _ in included_lines), Decimal(0))
        tax_total = rnd(sum((raw for _, _, _, raw in included_lines), Decimal(0)))
        delta = gross_total - tax_total - sum((net for _, _, net in nets), Decimal(0))
        line_id, line, net = nets[-1]
        nets[-1] = (line_id, line, net + delta)
    for line_id, line, net in nets:
        env.update_record("account.move.line", line_id, _amounts_in(env, line["currency_id"], net, company_currency))


def _sync_tax_lines(env: Env, move_id: int, move: dict):
    lines = lines_of(env, move_id)
    wanted = _tax_lines_wanted(env, move_id, move, lines)
    company_currency = company_currency_id(env, move["company_id"])
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
        values.update(_amounts_in(env, currency_id, entry["amount"], company_currency))
        if key in existing:
            env.update_record("account.move.line", existing[key], values)
        else:
            env.create_record("account.move.line", values)


def _sync_payment_term(env: Env, move_id: int, move: dict):
    lines = lines_of(env, move_id)
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
        # The payables line has an empty name up to 17, none from 18 (v18/42).
        "move_id": move_id, "name": "" if env.version < 18 else None, "account_id": account_id,
        "partner_id": move.get("partner_id"),
        "currency_id": move.get("currency_id"), "tax_ids": [], "tax_line_id": None,
        "tax_repartition_line_id": None, "analytic_distribution": None, "display_type": "payment_term",
        "company_id": move["company_id"], "journal_id": move["journal_id"], "quantity": 1.0, "price_unit": 0.0,
        "reconciled": False, "full_reconcile_id": None, "tax_base_amount": "0.00",
        **_amount_values(-total, -total_currency),
    }
    if term_id:
        env.update_record("account.move.line", term_id, values)
    else:
        env.create_record("account.move.line", values)


def _imbalance(lines) -> Decimal:
    return sum((to_decimal(line["balance"]) for _, line in lines if line.get("name") != BALANCING_NAME), Decimal(0))


def _sync_balance(env: Env, move_id: int, move: dict):
    """Odoo adds an "Automatic Balancing Line" to entries that carry taxes; others must balance."""
    lines = lines_of(env, move_id)
    has_tax = any(line.get("tax_ids") for _, line in lines)
    if not has_tax or move["move_type"] in INVOICE_TYPES:
        check_balanced(env, move_id, move, lines)
        return
    gap = rnd(-_imbalance(lines))
    existing = [line_id for line_id, line in lines if line.get("name") == BALANCING_NAME]
    if existing:
        env.update_record("account.move.line", existing[0], _amount_values(gap, gap))
    elif gap != 0:
        company = env.get("res.company", move["company_id"])
        values = {
            "move_id": move_id, "name": BALANCING_NAME,
            "account_id": company.get("account_journal_suspense_account_id"), "partner_id": None,
            "currency_id": move.get("currency_id"), "tax_ids": [], "tax_line_id": None,
            "tax_repartition_line_id": None, "analytic_distribution": None, "display_type": "product",
            "company_id": move["company_id"], "journal_id": move["journal_id"], "quantity": 1.0,
            "price_unit": 0.0, "reconciled": False, "full_reconcile_id": None, "tax_base_amount": "0.00",
            **_amount_values(gap, gap),
        }
        env.create_record("account.move.line", values)


def sync_dynamic_lines(env: Env, move_id: int, *, taxes: bool):
    move = env.get("account.move", move_id)
    if taxes:
        _sync_tax_lines(env, move_id, move)
    if move["move_type"] in INVOICE_TYPES:
        _sync_payment_term(env, move_id, move)
    _sync_balance(env, move_id, move)


# --- checks --------------------------------------------------------------------------------
def check_balanced(env: Env, move_id, move, lines):
    debit = sum((to_decimal(line["debit"]) for _, line in lines), Decimal(0))
    credit = sum((to_decimal(line["credit"]) for _, line in lines), Decimal(0))
    if rnd(debit) == rnd(credit):
        return
    if env.version >= 19:  # v19/54
        raise errors.UserError("The entry is not balanced.")
    journal = env.get("account.journal", move["journal_id"])
    raise errors.UserError(
        "An error has occurred.\n\n"
        f"The move ({move_display_name(env, move_id)}) is not balanced.\n"
        f"The total of debits equals {rnd(debit):.2f}\u00a0\u20ac and the total of credits equals "
        f"{rnd(credit):.2f}\u00a0\u20ac.\n"
        f"You might want to specify a default account on journal \"{journal['name']}\" to automatically "
        "balance each move."
    )


def check_accounts(env: Env, move_id, move, new_lines):
    for _, line in new_lines:
        account = env.get("account.account", line.get("account_id")) if line.get("account_id") else None
        if line.get("account_id") and account is None:
            raise errors.missing_reference(env.version, model="account.move.line", model_label="Journal Item",
                                           field="account_id", field_label="Account")
    problems = []
    for _, line in new_lines:
        account = env.get("account.account", line.get("account_id")) if line.get("account_id") else None
        if account and move["company_id"] not in record_companies("account.account", account):
            problems.append(_company_problem(env, move, line, account))
    if problems:
        if env.version >= 19:  # v19/58
            raise errors.UserError("Uh-oh! You\u2019ve got some company inconsistencies here:\n" + "\n".join(problems)
                                   + "\nTo avoid a mess, no company crossover is allowed!")
        raise errors.UserError("Incompatible companies on records:\n" + "\n".join(problems))
    for _, line in new_lines:
        if not line.get("account_id") and line.get("display_type") == "product":
            raise errors.UserError("Missing required account on accountable line.")
        account = env.get("account.account", line.get("account_id")) if line.get("account_id") else None
        if account and (account.get("deprecated") or account.get("active") is False):
            raise errors.UserError(
                f"The account {account['code']} {account['name']} is deprecated."
            )


def _company_problem(env, move, line, account) -> str:
    label = " ".join(p for p in (move.get("name") if move.get("name") != "/" else None, line.get("name")) if p)
    company = env.display_name("res.company", move["company_id"])
    if env.version < 18:  # v17/58: quotes, and the account with its code
        return (f"- '{label}' belongs to company '{company}' and "
                f"'Account' (account_id: '{account['code']} {account['name']}') belongs to another company.")
    link = "while" if env.version >= 19 else "and"  # v18/58, v19/58: the account by its name only
    return (f"- \u201c{label}\u201d belongs to company \u201c{company}\u201d {link} \u201cAccount\u201d "
            f"(account_id: '{account['name']}') belongs to another company.")


# --- line commands of a write --------------------------------------------------------------
def _written_amounts(env: Env, move, line, vals) -> dict:
    """The amounts a line takes when a write names some of them; the ones left out follow as in Odoo."""
    written_company = any(k in vals for k in ("debit", "credit", "balance"))
    if not written_company and "amount_currency" not in vals:
        return {}
    company_currency = company_currency_id(env, move["company_id"])
    foreign = line["currency_id"] != company_currency
    balance, amount_currency = to_decimal(line["balance"]), to_decimal(line["amount_currency"])
    if written_company:
        debit = to_decimal(vals.get("debit", line["debit"]))
        credit = to_decimal(vals.get("credit", line["credit"]))
        balance = to_decimal(vals["balance"]) if "balance" in vals else debit - credit
        # v17/104: on a line in another currency the company amount changes alone (100.00 USD stays).
        amount_currency = amount_currency if foreign else balance
    if "amount_currency" in vals:
        amount_currency = to_decimal(vals["amount_currency"])
        # Odoo's _inverse_amount_currency: the company amount follows in the company's currency (v17/98),
        # at the rate on an entry in another currency; an invoice line in another currency keeps its own.
        if not foreign:
            balance = amount_currency
        elif move["move_type"] not in INVOICE_TYPES and not written_company:
            balance = _to_company(env, line["currency_id"], amount_currency, company_currency)
    return _amount_values(balance, amount_currency)


_INVOICE_BASE_FIELDS = ("tax_ids", "price_unit", "quantity", "account_id")
_ENTRY_BASE_FIELDS = ("debit", "credit", "balance", "amount_currency", "tax_ids", "price_unit", "quantity",
                      "account_id")


def apply_line_command(env: Env, move_id, move, command, invoice_line) -> bool:
    """Applies one x2many command on the move's lines; True when tax lines must be recomputed."""
    code = command[0]
    if code == 0:
        line = new_line(env, move_id, move, dict(command[2]), invoice_line=invoice_line)
        line_id = env.next_id("account.move.line")
        check_accounts(env, move_id, move, [(line_id, line)])
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
                update[key] = m2m_ids(value)
            elif key == "analytic_distribution":
                update[key] = _distribution(value)
            elif key in ("debit", "credit", "balance", "amount_currency"):
                continue
            else:
                update[key] = value if value is not False else None
        update.update(_written_amounts(env, move, line, vals))
        if invoice_line and ("price_unit" in vals or "quantity" in vals):
            subtotal = (to_decimal(update.get("quantity", line["quantity"]))
                        * to_decimal(update.get("price_unit", line["price_unit"])))
            sign = -1 if move["move_type"] in INBOUND else 1
            update.update(_amounts_in(env, line["currency_id"], subtotal * sign,
                                      company_currency_id(env, move["company_id"])))
        env.update_record("account.move.line", line_id, update)
        if "account_id" in vals:
            check_accounts(env, move_id, move, [(line_id, env.get("account.move.line", line_id))])
        base_after = bool(env.get("account.move.line", line_id).get("tax_ids"))
        # 19 recomputes an entry's tax lines when any of its product lines changes, taxed or not: a tax line
        # written to 1.74 with the wallet line goes back to 1.73 and the cent to a balancing line (v19/84, 85).
        touches_base = base_before or base_after or (
            env.version >= 19 and line.get("display_type") == "product" and move["move_type"] not in INVOICE_TYPES)
        # Odoo's _sync_tax_lines tracks an invoice's base lines by price, quantity and grouping fields only: a
        # company amount written on a bill line leaves the tax lines as they are (v17/103, 104).
        tracked = _INVOICE_BASE_FIELDS if move["move_type"] in INVOICE_TYPES else _ENTRY_BASE_FIELDS
        return touches_base and any(k in vals for k in tracked)
    if code in (2, 3):
        line = env.get("account.move.line", command[1])
        if line is not None and line.get("move_id") == move_id:
            env.delete_record("account.move.line", command[1])
            return bool(line.get("tax_ids"))
        return False
    if code == 5:
        for line_id, _ in lines_of(env, move_id):
            env.delete_record("account.move.line", line_id)
        return True
    if code == 6:
        return False
    raise errors.ValueError_(f"Invalid x2many command {command!r}")
