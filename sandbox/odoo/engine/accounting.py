"""account.move as Odoo 16 to 19 behave: totals, names, creating, writing, posting, cancelling, reconciling."""
import calendar
import datetime
from decimal import Decimal

from sandbox.odoo.engine import errors
from sandbox.odoo.engine.env import Env, to_decimal
from sandbox.odoo.engine.journal_items import (
    INBOUND,
    INVOICE_TYPES,
    apply_line_command,
    check_accounts,
    check_balanced,
    company_currency_id,
    lines_of,
    money,
    move_display_name,
    new_line,
    sync_dynamic_lines,
)

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


# --- computed fields ------------------------------------------------------------------------
def _amounts(env: Env, move_id) -> dict:
    move = env.get("account.move", move_id)
    lines = lines_of(env, move_id)
    if move.get("move_type") in INVOICE_TYPES:
        # Odoo's _compute_amount: totals in the bill's currency, the signed total in the company's, negative
        # for a bill (v17/106: 100.00 USD, -93.10 EUR).
        sign = -1 if move["move_type"] in INBOUND else 1

        def total(kinds, field):
            return sum((to_decimal(v.get(field)) for _, v in lines if v.get("display_type") in kinds), Decimal(0))

        untaxed, tax = total({"product"}, "amount_currency"), total({"tax"}, "amount_currency")
        return {
            "amount_untaxed": untaxed * sign, "amount_tax": tax * sign, "amount_total": (untaxed + tax) * sign,
            "amount_residual": -sign * total({"payment_term"}, "amount_residual_currency"),
            "amount_total_signed": -total({"product", "tax"}, "balance"),
        }
    debits = sum((to_decimal(v["debit"]) for _, v in lines), Decimal(0))
    return {"amount_untaxed": debits, "amount_tax": Decimal(0), "amount_total": debits, "amount_residual": Decimal(0),
            "amount_total_signed": debits}


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


def _line_display_name(env: Env, line_id) -> str:
    line = env.get("account.move.line", line_id) or {}
    move = env.get("account.move", line.get("move_id")) or {}
    parts = [part for part in (move.get("name"), line.get("name")) if part and part != "/"]
    return " ".join(parts)


def install(env: Env):
    """Registers the computed fields and display names of the accounting models on `env`."""
    move, line = "account.move", "account.move.line"
    for field in ("amount_untaxed", "amount_tax", "amount_total", "amount_residual", "amount_total_signed"):
        env.computers[(move, field)] = lambda e, rid, f=field: _amounts(e, rid)[f]
    env.computers[(move, "payment_state")] = _payment_state
    env.computers[(move, "invoice_line_ids")] = lambda e, rid: [
        i for i, v in lines_of(e, rid) if v.get("display_type") in ("product", "line_section", "line_note")
    ]
    env.computers[(line, "date")] = lambda e, rid: _parent(e, rid).get("date")
    env.computers[(line, "move_name")] = lambda e, rid: _parent(e, rid).get("name")
    env.computers[(line, "parent_state")] = lambda e, rid: _parent(e, rid).get("state")
    env.computers[(line, "ref")] = lambda e, rid: _parent(e, rid).get("ref")
    env.computers[(line, "price_subtotal")] = _price_subtotal
    env.computers[(line, "price_total")] = _price_subtotal
    env.display_namers[move] = move_display_name
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


# --- access --------------------------------------------------------------------------------
def check_move_access(env: Env, model: str, operation: str):
    if env.has_group("account.group_account_invoice") or (
        operation == "read" and env.has_group("account.group_account_readonly")
    ):
        return
    label = {"account.move": "Journal Entry", "account.move.line": "Journal Item"}[model]
    verb = {"read": "access", "create": "create", "write": "modify", "unlink": "delete"}[operation]
    raise errors.AccessError(
        f"You are not allowed to {verb} '{label}' ({model}) records.\n\n"
        f"This operation is allowed for the following groups:\n\t- {BILLING_LABELS[env.version]}\n\n"
        "Contact your administrator to request access if necessary."
    )


# The name of account.group_account_invoice in an access refusal (v17/59, v18/59, v19/59).
BILLING_LABELS = {16: "Invoicing/Billing", 17: "Invoicing/Billing", 18: "Invoicing/Invoicing",
                  19: "Accounting/Invoicing"}


# --- lock dates and names ------------------------------------------------------------------
def _lock_date(env: Env, move: dict) -> datetime.date | None:
    """The last locked day for `move`: posting on or before it moves the date (v17/72, v18/72)."""
    company = env.get("res.company", move["company_id"])
    dates = [company.get("fiscalyear_lock_date")]
    if env.version < 18:
        # The period lock binds everyone but Advisers, as in Odoo.
        if not env.has_group("account.group_account_manager"):
            dates.append(company.get("period_lock_date"))
    else:
        # 18: a hard lock for all, a lock per journal type, and the tax lock for entries with tax lines.
        journal = env.get("account.journal", move["journal_id"]) or {}
        dates.append(company.get("hard_lock_date"))
        journal_lock_field = {"sale": "sale_lock_date", "purchase": "purchase_lock_date"}.get(journal.get("type"), "")
        dates.append(company.get(journal_lock_field))
        if any(line.get("display_type") == "tax" for _, line in lines_of(env, move["id"])):
            dates.append(company.get("tax_lock_date"))
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
    """A draft only takes a number when it is the first of its journal's period (Odoo's _compute_name).

    From 18 a draft has no name until it is posted (v18/31, v18/41), unless it was posted before.
    """
    move = env.get("account.move", move_id)
    if env.version >= 18:
        if move.get("name") and move["name"] != "/" and not _name_matches_date(move):
            env.update_record("account.move", move_id, {"name": None})
        return
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


# --- create / write ------------------------------------------------------------------------
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
    allowed_fields = set(env.fields("account.move")) | {"invoice_line_ids", "line_ids", "invoice_payment_term_id",
                                                        "fiscal_position_id", "invoice_origin", "invoice_user_id",
                                                        "auto_post"}
    env.check_fields("account.move", [k for k in vals if k not in allowed_fields or k in env.fields("account.move")],
                     write=True)
    move_type = vals.get("move_type") or env.context.get("default_move_type") or "entry"
    company_id = env.main_company_id()
    journal_id = (vals.get("journal_id") or env.context.get("default_journal_id")
                  or _default_journal(env, move_type, company_id))
    journal = env.get("account.journal", journal_id)
    if journal is None:
        raise errors.missing_reference(env.version, model="account.move", model_label="Journal Entry",
                                       field="journal_id", field_label="Journal")
    company_id = journal["company_id"]
    move_id = env.next_id("account.move")
    today = env.today().isoformat()
    date = vals.get("date") or (vals.get("invoice_date") if move_type in INVOICE_TYPES else None) or today
    move = {
        "name": vals.get("name") or ("/" if env.version < 18 else None),
        "state": "draft",
        "move_type": move_type,
        "ref": vals.get("ref") or None,
        "date": date,
        "journal_id": journal_id,
        "company_id": company_id,
        "currency_id": vals.get("currency_id") or journal.get("currency_id") or company_currency_id(env, company_id),
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
                line = new_line(env, move_id, move, dict(command[2]), invoice_line=field == "invoice_line_ids")
                new_lines.append((env.next_id("account.move.line"), line))
    # The name is known before the company check, as in Odoo's message.
    if env.version < 18 and move["name"] == "/" and not _last_sequence(
        env, journal_id, _period_prefix(journal, datetime.date.fromisoformat(date)), move_id
    ):
        move["name"] = f"{_period_prefix(journal, datetime.date.fromisoformat(date))}0001"
    check_accounts(env, move_id, move, new_lines)
    for line_id, line in new_lines:
        env.create_record("account.move.line", line, record_id=line_id)
    sync_dynamic_lines(env, move_id, taxes=True)
    return move_id


def move_write(env: Env, ids: list[int], vals: dict) -> bool:
    check_move_access(env, "account.move", "write")
    allowed = set(env.fields("account.move")) | {"invoice_line_ids", "line_ids"}
    env.check_fields("account.move", [k for k in vals if k not in allowed or k in env.fields("account.move")],
                     write=True)
    for move_id in ids:
        move = env.get("account.move", move_id)
        if move is None:
            raise errors.MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: account.move({move_id},), User: {env.uid})"
            )
        plain = {k: v for k, v in vals.items() if k not in ("line_ids", "invoice_line_ids")}
        if move["state"] == "posted":
            protected = {"journal_id", "date", "line_ids", "invoice_line_ids", "partner_id", "currency_id", "move_type",
                         "company_id"}
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
                resync_taxes |= apply_line_command(env, move_id, move, command, field == "invoice_line_ids")
        if "date" in plain:
            _compute_draft_name(env, move_id)
        if "partner_id" in plain:
            for line_id, _ in lines_of(env, move_id):
                if move["move_type"] in INVOICE_TYPES:
                    env.update_record("account.move.line", line_id, {"partner_id": plain["partner_id"] or None})
        sync_dynamic_lines(env, move_id, taxes=resync_taxes)
    return True


def _line_move(env: Env, line_id):
    line = env.get("account.move.line", line_id)
    return line.get("move_id") if line else None


# --- state changes -------------------------------------------------------------------------
def _accounting_date(env: Env, move, lock: datetime.date) -> datetime.date:
    """Odoo's _get_accounting_date for purchase/misc documents with a monthly numbering."""
    date = lock + datetime.timedelta(days=1)
    today = env.today()
    if (today.year, today.month) > (date.year, date.month):
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
        lines = lines_of(env, move_id)
        if not lines:
            raise errors.UserError("You need to add a line before posting.")
        if move["move_type"] in INVOICE_TYPES:
            if not move.get("partner_id"):
                role = "Vendor" if move["move_type"].startswith("in_") else "Customer"
                document = {
                    "in_invoice": "Vendor Bill", "in_refund": "Vendor Credit Note", "out_invoice": "Customer Invoice",
                    "out_refund": "Customer Credit Note",
                }.get(move["move_type"], "Receipt")
                raise errors.UserError(f"The field '{role}' is required, please complete it to validate the "
                                       f"{document}.")
            if not move.get("invoice_date"):
                if move["move_type"].startswith("in_"):
                    raise errors.UserError("The Bill/Refund date is required to validate this document.")
                env.update_record("account.move", move_id, {"invoice_date": env.today().isoformat()})
        check_balanced(env, move_id, move, lines)
        lock = _lock_date(env, {**move, "id": move_id})
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
        lock = _lock_date(env, {**move, "id": move_id})
        if lock and datetime.date.fromisoformat(move["date"]) <= lock:
            raise errors.UserError(
                f"You cannot add/modify entries prior to and inclusive of the lock date {lock.strftime('%m/%d/%Y')}."
            )
        for line_id, line in lines_of(env, move_id):
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
        for line_id, _ in lines_of(env, move_id):
            env.delete_record("account.move.line", line_id)
        env.delete_record("account.move", move_id)
    return True


def move_message_post(env: Env, ids: list[int], body="", attachment_ids=None, **kwargs) -> int | list[int]:
    if len(ids) != 1:
        raise errors.ValueError_(f"Expected singleton: account.move({', '.join(map(str, ids))},)")
    move = env.get("account.move", ids[0])
    if move is None:
        raise errors.MissingError("Record does not exist or has been deleted.")
    message_id = env.create_record("mail.message", {
        "body": body or "", "model": "account.move", "res_id": ids[0],
        "attachment_ids": list(attachment_ids or []), "message_type": kwargs.get("message_type") or "comment",
        "author_id": env.user.get("partner_id"), "subtype_id": 1,
    })
    # 19 answers with the ids of the messages posted (v19/51: [121]).
    return [message_id] if env.version >= 19 else message_id


# --- reconciliation ------------------------------------------------------------------------
def _unreconcile(env: Env, line_id):
    line = env.get("account.move.line", line_id)
    env.update_record("account.move.line", line_id, {
        "reconciled": False, "full_reconcile_id": None, "amount_residual": line["balance"],
        "amount_residual_currency": line["amount_currency"],
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
        line = env.get("account.move.line", line_id)
        env.update_record("account.move.line", line_id, {
            "amount_residual": str(residual), "reconciled": residual == 0,
            # The open amount in the line's own currency, at the line's own rate.
            "amount_residual_currency": money(to_decimal(line["amount_currency"]) * residual
                                              / to_decimal(line["balance"])),
        })
    full = None
    if all(residual == 0 for _, residual in debits + credits):
        full = env.create_record("account.full.reconcile",
                                 {"name": f"A{env.sequences.get('account.full.reconcile', 1) - 1}"})
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
