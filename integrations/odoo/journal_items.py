"""Odoo's journal items: their amounts read, the write commands that set them to Pleo's figures, new ones.

Pure: no HTTP. The commands follow what real Odoo does with a draft's lines (odoo-contract README,
recordings 81-86 for entries, 95-106 for bills): it rounds tax per line (globally on a new 19 company),
balances a gap on the suspense account without a word, and moves a bill's payables line itself.
A plan is the booking's: it gives its `kind`, `counter_account_id`, `expected_total`, `expected_vat`
and `line_amounts` (a bill's company amount per line, when in the supplier's currency).
"""
from collections import defaultdict
from decimal import Decimal

from integrations.errors import PortalError
from integrations.odoo.client import to_decimal
from integrations.odoo.drafts import MoveKind


def bill_corrections(plan, lines: list[dict], vat_by_tax: dict[int, Decimal],
                     vat_by_tax_s: dict[int, Decimal]) -> list:
    """The corrections of a draft bill, written on its product and tax lines only: Odoo then moves the payables
    line itself (a write of it would be undone) and posts at Pleo's figures with no balancing line.

    In the company currency, each tax line's `amount_currency` is set to Pleo's VAT (recordings 95 to 100).
    In the supplier's currency, each line's `balance` is set to the company amount Pleo settled, its amount
    in the supplier's currency staying (101 to 106); the tax lines get Pleo's VAT in both currencies (the
    supplier's only for VAT-excluded taxes: with an included one, Odoo's split keeps the gross at Pleo's).
    """
    if not plan.line_amounts:
        tax_line_ids = {line["id"] for line in lines if line["tax_line_id"]}
        commands = line_corrections(plan, lines, vat_by_tax)
        corrections = [(1, line_id, {"amount_currency": values["debit"] - values["credit"]})
                       for command, line_id, values in commands if command == 1 and line_id in tax_line_ids]
        if commands and not corrections:
            raise FiguresMismatch(_bill_not_carried(plan))  # only the payables line is off: Odoo did not follow the VAT
        return corrections
    sign = 1 if plan.kind == MoveKind.VENDOR_BILL else -1
    product = [line for line in lines if line["display_type"] == "product"]
    if len(product) != len(plan.line_amounts):
        raise FiguresMismatch(f"Odoo's bill has {len(product)} lines where Pleo's expense has "
                              f"{len(plan.line_amounts)}; it was not booked. Retry the record; if it fails again, "
                              "book this kind as a journal entry in the booking settings.")
    corrections, total = [], Decimal(0)
    for line, target in zip(product, plan.line_amounts, strict=True):
        total += target
        if line_balance(line) != sign * target:
            corrections.append((1, line["id"], {"balance": sign * target}))
    for tax_id, positive, side in _tax_sides(lines, sign):
        direction = 1 if positive else -1
        target = vat_by_tax.get(tax_id, Decimal(0))
        values = {}
        first_balance = abs(line_balance(side[0])) + target - sum(abs(line_balance(line)) for line in side)
        if first_balance != abs(line_balance(side[0])):
            values["balance"] = direction * first_balance
        if tax_id in vat_by_tax_s:
            current_s = sum(abs(to_decimal(line["amount_currency"])) for line in side)
            first_s = abs(to_decimal(side[0]["amount_currency"])) + vat_by_tax_s[tax_id] - current_s
            if first_s != abs(to_decimal(side[0]["amount_currency"])):
                values["amount_currency"] = direction * first_s
        if first_balance < 0 or values.get("amount_currency", 0) * direction < 0:
            raise FiguresMismatch(f"Odoo's VAT cannot be set to Pleo's VAT {target}; the bill was not booked. "
                                  "Check that the Pleo tax code is mapped to an Odoo tax of the same rate, then "
                                  "retry the record.")
        total += direction * sign * target
        if values:
            corrections.append((1, side[0]["id"], values))
    if total != plan.expected_total:
        raise FiguresMismatch(f"Odoo's total would be {total} but Pleo charged {plan.expected_total} (VAT in Pleo "
                              f"{plan.expected_vat}); the bill was not booked. Check the tax mappings of its VAT "
                              "codes, then retry the record.")
    payables = sum((line_balance(line) for line in lines if line["display_type"] == "payment_term"), Decimal(0))
    if not corrections and payables != -sign * total:
        raise FiguresMismatch(_bill_not_carried(plan))
    return corrections


def _bill_not_carried(plan) -> str:
    return (f"Odoo did not carry this bill's total to Pleo's {plan.expected_total} (VAT {plan.expected_vat}); the "
            "bill was not booked. Book this kind as a journal entry in the booking settings, then retry the record.")


def line_balance(line: dict) -> Decimal:
    return to_decimal(line["debit"]) - to_decimal(line["credit"])


def _tax_sides(lines: list[dict], sign: int) -> list[tuple[int, bool, list[dict]]]:
    """(tax id, debit side?, its lines) per tax and side (reverse charge has a +VAT and a -VAT line); a line
    Odoo rounded to zero is on the side of the move's own VAT (`sign` 1: debit)."""
    sides = defaultdict(list)
    for line in lines:
        if line["tax_line_id"]:
            balance = line_balance(line)
            sides[(line["tax_line_id"][0], balance > 0 or (balance == 0 and sign > 0))].append(line)
    return [(tax_id, positive, group) for (tax_id, positive), group in sides.items()]


class FiguresMismatch(PortalError):
    """Odoo's figures cannot be made to equal Pleo's."""


def line_corrections(plan, lines: list[dict], vat_by_tax: dict[int, Decimal]) -> list:
    """Write commands that set each tax line to Pleo's VAT and the counter line to Pleo's total.

    Odoo rounds tax per line and, on an entry with tax, silently balances a gap with an "Automatic
    Balancing Line" on the suspense account (recordings 81, 94); both are put right here, never left.
    """
    commands, balance = [], Decimal(0)
    counter = None
    for line in lines:
        if line["tax_line_id"]:
            continue  # set per tax below
        amount = line_balance(line)
        if counter is None and is_counter_line(plan, line, amount):
            counter = (line, amount)
        elif line.get("name") == "Automatic Balancing Line":
            commands.append((2, line["id"], 0))
        else:
            balance += amount
    if counter is None:
        raise FiguresMismatch(f"Odoo left out the line on the Wallet or payable account, so the entry cannot carry "
                              f"Pleo's total of {plan.expected_total}; it was not booked. Check the accounts in the "
                              "booking settings, then retry the record.")
    # The VAT's usual side is opposite the counter line.
    for tax_id, positive, side in _tax_sides(lines, 1 if counter[1] < 0 else -1):
        target = vat_by_tax.get(tax_id, Decimal(0))
        amounts = [line_balance(line) for line in side]
        current = sum(abs(amount) for amount in amounts)
        new_magnitude = abs(amounts[0]) + (target - current)
        if new_magnitude < 0:
            raise FiguresMismatch(f"Odoo's VAT {current} cannot be set to Pleo's VAT {target}; the entry was not "
                                  "booked. Check that the Pleo tax code is mapped to an Odoo tax of the same rate, "
                                  "then retry the record.")
        new_amount = new_magnitude if positive else -new_magnitude
        balance += new_amount + sum(amounts[1:])
        if new_amount != amounts[0]:
            commands.append((1, side[0]["id"], debit_credit(new_amount)))
    counter_line, counter_amount = counter
    if abs(balance) != plan.expected_total:
        raise FiguresMismatch(
            f"Odoo's total would be {abs(balance)} but Pleo charged {plan.expected_total} "
            f"(VAT in Pleo {plan.expected_vat}); the entry was not booked. Check the tax mappings of its VAT "
            "codes, then retry the record."
        )
    if -balance != counter_amount:
        commands.append((1, counter_line["id"], debit_credit(-balance)))
    return commands


def is_counter_line(plan, line: dict, amount: Decimal) -> bool:
    """The line that carries Pleo's total: the counter account on an entry, the payable line on a bill.

    Odoo puts a bill's payable line on the partner's own payable account, which need not be the one in
    the booking settings, so on bills it is found by its side instead.
    """
    if plan.kind == MoveKind.JOURNAL_ENTRY:
        return bool(line["account_id"]) and line["account_id"][0] == plan.counter_account_id
    return amount < 0 if plan.kind == MoveKind.VENDOR_BILL else amount > 0


def debit_credit(amount: Decimal) -> dict:
    return {"debit": amount, "credit": Decimal(0)} if amount >= 0 else {"debit": Decimal(0), "credit": -amount}


def settles(payment: dict, bill: dict) -> str:
    """'' when a payment's and a bill's open payables lines cancel out exactly, in the company currency and in
    their own; else what differs. Reconciling anything else would leave an amount open, or make Odoo book an
    exchange difference, without a person deciding it."""
    paid_in, open_in = (payment["currency_id"] or [None, ""])[1], (bill["currency_id"] or [None, ""])[1]
    paid, open_ = to_decimal(payment["amount_residual_currency"]), to_decimal(bill["amount_residual_currency"])
    if paid_in != open_in:
        return f"the bill is in {open_in}, the payment in {paid_in}"
    if paid != -open_:
        return f"the bill is open for {abs(open_)} {open_in}, the payment is {abs(paid)} {paid_in}"
    company_paid, company_open = to_decimal(payment["amount_residual"]), to_decimal(bill["amount_residual"])
    if company_paid != -company_open:
        return (f"{abs(open_)} {open_in} is {abs(company_open)} in the company currency on the bill and "
                f"{abs(company_paid)} on the payment, an exchange difference")
    return ""
