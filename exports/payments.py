"""Payments: the Wallet payment of a card-paid bill, and invoice payments reconciled with their bills."""
from collections import defaultdict

from exports.items import NAME_MAX, clean_text
from exports.job import Booking, Job
from integrations.odoo.errors import OdooPermissionError, OdooUserError, OdooValidationError
from integrations.odoo.journal_items import is_counter_line, line_balance, payment_values, settles
from integrations.pleo import contract


def book(job: Job, booked: list[Booking]) -> None:
    """Book the Wallet payment of each card-paid bill and reconcile it with the bill (recordings 45 to 47)."""
    bills = [b for b in booked if b.plan.payment is not None and b.plan.post]
    if not bills:
        return
    odoo = job.odoo
    payable_account = {b.move["id"]: _bill_payable_account(b) for b in bills}
    references = {f"{b.plan.reference} payment": b for b in bills}
    payments = {m["ref"]: m["id"] for m in odoo.moves_by_reference(references)}
    to_create = [(ref, b) for ref, b in references.items() if ref not in payments]
    if to_create:
        values = [_payment_values(ref, b, payable_account[b.move["id"]]) for ref, b in to_create]
        try:
            ids = odoo.moves_create(values)
            odoo.moves_post(ids)
        except (OdooUserError, OdooValidationError, OdooPermissionError) as exc:
            for _, booking in to_create:
                job.fail(booking.record, f"The bill is booked but Odoo refused its payment from the Pleo Wallet: "
                                         f"{str(exc).rstrip('.')}. Check the Wallet account and the card journal "
                                         "in the booking settings, then retry the record.",
                         "accounting_system_validation_failure")
            return
        payments.update({ref: new_id for (ref, _), new_id in zip(to_create, ids, strict=True)})
    moves = [b.move["id"] for b in bills] + list(payments.values())
    lines = odoo.open_lines(moves, account_ids=set(payable_account.values()))
    for ref, booking in references.items():
        pair = lines.get(booking.move["id"], []) + lines.get(payments[ref], [])
        if len(pair) == 2:
            odoo.lines_reconcile([line["id"] for line in pair])


def invoice_payments_match(job: Job, booked: list[Booking]) -> None:
    """Reconcile each posted invoice payment with the vendor bill it pays, so the bill reads paid in Odoo; and
    each supplier invoice booked after its payment with that payment.

    Which bill a payment pays is Pleo's open question; the rule is contract.invoice_payment_invoice_number's.
    A payment with no such bill is still booked, on payables for the vendor, and its record says why; one
    that does not settle exactly what is open (a partial payment, a bill already paid, another rate) is
    never reconciled: its record says what differs, and Odoo's reconciliation is the place to settle it.
    """
    payments = [b for b in booked if b.plan.item_type == "invoice_payment"]
    bills = [b for b in booked if b.plan.item_type == "invoice" and b.plan.move_type == "in_invoice"
             and b.plan.post and b.plan.values.get("payment_reference")]
    numbers = {id(b): clean_text(contract.invoice_payment_invoice_number(b.item) or "", NAME_MAX) for b in payments}
    for booking in payments:
        if not booking.plan.post:
            booking.matched = "It is left a draft, so it was not matched with its bill: post it and match it in Odoo."
        elif not numbers[id(booking)]:
            booking.matched = "Pleo gives no invoice number, so it was not matched with a bill: match it in Odoo."
    payments = [b for b in payments if not b.matched]
    numbers.update({id(b): b.plan.values["payment_reference"] for b in bills})
    if not payments and not bills:
        return
    odoo = job.odoo
    wanted = sorted({numbers[id(b)] for b in payments + bills})
    found = odoo.posted_with_payment_reference(wanted)
    moves = sorted({m["id"] for m in found} | {b.move["id"] for b in payments + bills})
    lines = defaultdict(list, odoo.open_lines(moves))  # each move's open lines
    open_items = {}  # (move type, vendor, number) -> moves; those booked in this run included
    for move in found:
        # A bill names its vendor; a journal entry (a payment) names it on its open lines.
        partners = [move["partner_id"]] if move["move_type"] == "in_invoice" else [
            line["partner_id"] for line in lines[move["id"]] if line["partner_id"]]
        if partners and partners[0]:
            open_items.setdefault((move["move_type"], partners[0][0], move["payment_reference"]), []).append(move)
    for booking in payments:
        bills_open = open_items.get(("in_invoice", booking.partner_id, numbers[id(booking)]), [])
        _invoice_payment_pair(job, booking, numbers[id(booking)], lines, bills=bills_open)
    for booking in bills:
        # Payments booked before this bill that are still open on its payables account; none is the common case.
        bill_lines = [line for line in lines[booking.move["id"]] if line["display_type"] == "payment_term"]
        if len(bill_lines) != 1:
            continue  # already paid, by a payment of this run
        account = bill_lines[0]["account_id"][0]
        earlier = [m for m in open_items.get(("entry", booking.partner_id, numbers[id(booking)]), [])
                   if any(line["account_id"] and line["account_id"][0] == account for line in lines[m["id"]])]
        if earlier:
            _invoice_payment_pair(job, booking, numbers[id(booking)], lines, payments=earlier)


def _invoice_payment_pair(job: Job, booking: Booking, number: str, lines: dict, *, bills=(), payments=()) -> None:
    """Reconcile `booking` (a payment, or a bill) with the one bill (or payment) that it settles exactly.

    A bill's payables line is its payment-term line; a payment's is its open line on the same account."""
    def payable(move_id, account_id=None):
        return [line for line in lines.get(move_id, []) if (line["display_type"] == "payment_term"
                if account_id is None else line["account_id"] and line["account_id"][0] == account_id)]

    if not bills and not payments:
        booking.matched = (f"Odoo has no posted vendor bill of this vendor with invoice number {number}, so the "
                           "payment was not matched with a bill: export the invoice from Pleo, or match the payment "
                           "in Odoo.")
        return
    pairs, said = [], []
    for bill, payment in [(bill, booking.move) for bill in bills] + [(booking.move, payment) for payment in payments]:
        other = bill if bills else payment
        bill_lines = payable(bill["id"])
        if len(bill_lines) != 1:
            said.append(f"{other.get('name') or 'the bill'} is already paid" if not bill_lines else
                        f"{other.get('name') or 'the bill'} has {len(bill_lines)} open payables lines")
            continue
        payment_lines = payable(payment["id"], bill_lines[0]["account_id"][0])
        if len(payment_lines) != 1:
            said.append("the payment has no open line on the bill's payables account" if bills else
                        f"{other['name']} has no open line on the bill's payables account")
            continue
        difference = settles(payment_lines[0], bill_lines[0])
        if difference:
            said.append(f"{other['name']}: {difference}")
        else:
            pairs.append((other, [bill_lines[0], payment_lines[0]]))
    other_kind = "bill" if bills else "payment"
    if len(pairs) == 1:
        other, pair = pairs[0]
        job.odoo.lines_reconcile([line["id"] for line in pair])
        for line in pair:  # reconciled now: not open for the next booking of this run
            lines[line["move_id"][0]].remove(line)
        booking.matched = (f"Matched with the vendor bill {other['name']}, which it pays." if bills else
                           f"Matched with the payment {other['name']} booked before it; the bill is paid.")
        return
    if pairs:
        said = [f"{len(pairs)} {other_kind}s of this vendor with invoice number {number} settle it exactly"]
    booking.matched = (f"Not matched with a {other_kind}: {'; '.join(said)}. Match it in Odoo (Accounting → "
                       "Reconcile), where a partial payment or an exchange difference is settled.")


def _bill_payable_account(booking: Booking) -> int:
    for line in booking.lines:
        amount = line_balance(line)
        if not line["tax_line_id"] and is_counter_line(booking.plan, line, amount):
            return line["account_id"][0]
    return booking.plan.payment.payables_account_id


def _payment_values(reference: str, booking: Booking, payable_account_id: int) -> dict:
    payment, plan = booking.plan.payment, booking.plan
    return payment_values(reference=reference, journal_id=payment.journal_id, date=plan.values["date"],
                          payable_account_id=payable_account_id, wallet_account_id=payment.wallet_account_id,
                          partner_id=booking.partner_id, amount=payment.amount, currency_id=payment.currency_id,
                          amount_currency=payment.amount_currency, into_wallet=plan.move_type == "in_refund")
