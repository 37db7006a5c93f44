"""Payments: the Wallet payment of a card-paid bill, and invoice payments reconciled with their bills."""
from exports.items import NAME_MAX, clean_text
from exports.job import Booking, Job
from integrations.odoo.errors import OdooPermissionError, OdooUserError, OdooValidationError
from integrations.odoo.drafts import MoveKind, create_values, wallet_payment_draft
from integrations.odoo.reconciliation import (
    NO_PAYMENT_LINE,
    OPEN_LINES,
    PAID,
    OpenPayables,
    bill_payable_account,
    wallet_payments_reconcile,
)
from integrations.pleo import contract


def book(job: Job, booked: list[Booking]) -> None:
    """Book the Wallet payment of each card-paid bill and reconcile it with the bill (recordings 45 to 47)."""
    bills = [b for b in booked if b.plan.payment is not None and b.plan.post]
    if not bills:
        return
    odoo = job.odoo
    payable_account = {b.move["id"]: bill_payable_account(b.plan, b.lines) for b in bills}
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
    wallet_payments_reconcile(odoo, [(b.move["id"], payments[ref]) for ref, b in references.items()],
                              set(payable_account.values()))


def invoice_payments_match(job: Job, booked: list[Booking]) -> None:
    """Reconcile each posted invoice payment with the vendor bill it pays, so the bill reads paid in Odoo; and
    each supplier invoice booked after its payment with that payment.

    Which bill a payment pays is Pleo's open question; the rule is contract.invoice_payment_invoice_number's.
    A payment with no such bill is still booked, on payables for the vendor, and its record says why; one
    that does not settle exactly what is open (a partial payment, a bill already paid, another rate) is
    never reconciled: its record says what differs, and Odoo's reconciliation is the place to settle it.
    """
    payments = [b for b in booked if b.plan.item_type == "invoice_payment"]
    bills = [b for b in booked if b.plan.item_type == "invoice" and b.plan.kind == MoveKind.VENDOR_BILL
             and b.plan.post and b.plan.draft.payment_reference]
    numbers = {id(b): clean_text(contract.invoice_payment_invoice_number(b.item) or "", NAME_MAX) for b in payments}
    for booking in payments:
        if not booking.plan.post:
            booking.matched = "It is left a draft, so it was not matched with its bill: post it and match it in Odoo."
        elif not numbers[id(booking)]:
            booking.matched = "Pleo gives no invoice number, so it was not matched with a bill: match it in Odoo."
    payments = [b for b in payments if not b.matched]
    numbers.update({id(b): b.plan.draft.payment_reference for b in bills})
    if not payments and not bills:
        return
    payables = OpenPayables(job.odoo, numbers={numbers[id(b)] for b in payments + bills},
                            move_ids={b.move["id"] for b in payments + bills})
    for booking in payments:
        bills_open = payables.bills(vendor_id=booking.partner_id, number=numbers[id(booking)])
        _invoice_payment_pair(booking, numbers[id(booking)], payables, bills=bills_open)
    for booking in bills:
        # Payments booked before this bill that are still open on its payables account; none is the common case.
        earlier = payables.payments_before(bill_id=booking.move["id"], vendor_id=booking.partner_id,
                                           number=numbers[id(booking)])
        if earlier:
            _invoice_payment_pair(booking, numbers[id(booking)], payables, payments=earlier)


def _invoice_payment_pair(booking: Booking, number: str, payables: OpenPayables, *, bills=(), payments=()) -> None:
    """Reconcile `booking` (a payment, or a bill) with the one bill (or payment) that it settles exactly."""
    if not bills and not payments:
        booking.matched = (f"Odoo has no posted vendor bill of this vendor with invoice number {number}, so the "
                           "payment was not matched with a bill: export the invoice from Pleo, or match the payment "
                           "in Odoo.")
        return
    pairs, said = [], []
    for bill, payment in [(bill, booking.move) for bill in bills] + [(booking.move, payment) for payment in payments]:
        other = bill if bills else payment
        lines, problem = payables.settling_lines(bill_id=bill["id"], payment_id=payment["id"])
        if lines:
            pairs.append((other, lines))
        elif problem in (PAID, OPEN_LINES):
            said.append(f"{other.get('name') or 'the bill'} " + ("is already paid" if problem == PAID else
                                                                  "has several open payables lines"))
        elif problem == NO_PAYMENT_LINE:
            said.append("the payment has no open line on the bill's payables account" if bills else
                        f"{other['name']} has no open line on the bill's payables account")
        else:
            said.append(f"{other['name']}: {problem}")
    other_kind = "bill" if bills else "payment"
    if len(pairs) == 1:
        other, lines = pairs[0]
        payables.reconcile(lines)
        booking.matched = (f"Matched with the vendor bill {other['name']}, which it pays." if bills else
                           f"Matched with the payment {other['name']} booked before it; the bill is paid.")
        return
    if pairs:
        said = [f"{len(pairs)} {other_kind}s of this vendor with invoice number {number} settle it exactly"]
    booking.matched = (f"Not matched with a {other_kind}: {'; '.join(said)}. Match it in Odoo (Accounting → "
                       "Reconcile), where a partial payment or an exchange difference is settled.")


def _payment_values(reference: str, booking: Booking, payable_account_id: int) -> dict:
    payment, plan = booking.plan.payment, booking.plan
    draft = wallet_payment_draft(reference=reference, journal_id=payment.journal_id, date=plan.draft.date,
                                 payable_account_id=payable_account_id, wallet_account_id=payment.wallet_account_id,
                                 amount=payment.amount, currency_id=payment.currency_id,
                                 amount_currency=payment.amount_currency,
                                 into_wallet=plan.kind == MoveKind.VENDOR_CREDIT_NOTE)
    return create_values(draft, partner_id=booking.partner_id, counter_account_id=payable_account_id)
