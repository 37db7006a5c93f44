"""What Odoo makes of a vendor bill the export creates, and of the corrections it then writes, without Odoo:
the arithmetic of the recordings (88 to 106), for the tests that check bills over many amounts."""
from decimal import ROUND_HALF_UP, Decimal

from integrations.odoo.drafts import move_values

CENT = Decimal("0.01")
PAYABLES = 9000  # the account id of the simulated payables line


def odoo_values(plan) -> dict:
    """The create values Odoo receives for the plan (amounts as Decimals, no partner yet)."""
    return move_values(plan.draft, partner_id=None, counter_account_id=plan.counter_account_id)


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _line(line_id, display_type, balance, amount_currency, tax_id=None, account_id=1) -> dict:
    return {"id": line_id, "display_type": display_type, "account_id": [account_id, ""], "name": display_type,
            "tax_line_id": [tax_id, ""] if tax_id else False, "debit": max(balance, Decimal(0)),
            "credit": max(-balance, Decimal(0)), "amount_currency": amount_currency}


def odoo_bill_lines(plan, taxes_by_odoo_id: dict, rate: Decimal) -> list[dict]:
    """The lines Odoo stores for the create: each invoice line at its price in the bill's currency and that
    converted at Odoo's own `rate` (company currency per unit); per tax one line with the VAT of each line
    rounded and added up (a VAT-included tax taken out of the price); the payables line for the rest."""
    sign = 1 if plan.kind == "in_invoice" else -1
    lines, vat = [], {}
    for command in odoo_values(plan)["invoice_line_ids"]:
        values = command[2]
        price = values["price_unit"] * values["quantity"]
        [(_, _, tax_ids)] = values["tax_ids"]
        tax = taxes_by_odoo_id[tax_ids[0]] if tax_ids else None
        net = price
        if tax is not None:
            amount = price - _q(price / (1 + tax.rate)) if tax.price_include else _q(price * tax.rate)
            net = price - amount if tax.price_include else price
            vat[tax.odoo_tax_id] = vat.get(tax.odoo_tax_id, Decimal(0)) + amount
        lines.append(_line(len(lines) + 1, "product", sign * _q(net * rate), sign * net,
                           account_id=values["account_id"]))
    for tax_id, amount in vat.items():
        sides = (amount, -amount) if taxes_by_odoo_id[tax_id].reverse else (amount,)
        for side in sides:
            lines.append(_line(len(lines) + 1, "tax", sign * _q(side * rate), sign * side, tax_id=tax_id))
    return _with_payables(lines, foreign=rate != 1)


def _with_payables(lines: list[dict], *, foreign: bool) -> list[dict]:
    """Odoo's payment-term line: whatever balances the others, in both currencies."""
    others = [line for line in lines if line["display_type"] != "payment_term"]
    balance = sum((line["debit"] - line["credit"] for line in others), Decimal(0))
    in_currency = sum((line["amount_currency"] for line in others), Decimal(0))
    return others + [_line(len(lines) + 100, "payment_term", -balance, -in_currency if foreign else -balance,
                           account_id=PAYABLES)]


def odoo_bill_corrected(lines: list[dict], commands: list, *, foreign: bool) -> list[dict]:
    """The lines after the correcting write: a company amount written stays (in another currency the line's
    own amount stays with it, v17/104); an amount in the company currency moves the company amount with it
    (v17/98); Odoo then moves the payables line."""
    by_id = {line["id"]: dict(line) for line in lines}
    for code, line_id, values in commands:
        assert code == 1, "a bill is corrected by updating lines, never by adding or deleting one"
        line = by_id[line_id]
        assert line["display_type"] != "payment_term", "Odoo would undo a write of the payables line"
        balance = values.get("balance", line["debit"] - line["credit"])
        if "amount_currency" in values:
            line["amount_currency"] = values["amount_currency"]
            if not foreign:
                balance = values["amount_currency"]
        elif not foreign:
            line["amount_currency"] = balance
        line.update(debit=max(balance, Decimal(0)), credit=max(-balance, Decimal(0)))
    return _with_payables(list(by_id.values()), foreign=foreign)
