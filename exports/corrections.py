"""Corrections: Odoo's VAT and totals set to Pleo's to the cent on the draft moves, or the draft discarded.

The arithmetic on Odoo's journal items is integrations.odoo.journal_items'; this stage decides which moves
need it, writes it in as few calls as Odoo allows and checks that Odoo kept it.
"""
from collections import defaultdict
from decimal import Decimal

from exports.plans import BookingContext
from exports.job import Booking, Job
from integrations.odoo.errors import OdooNotFoundError, OdooServerError, OdooUserError, OdooValidationError
from integrations.odoo.drafts import MoveKind
from integrations.odoo.journal_items import FiguresMismatch, bill_corrections, line_corrections
from integrations.pleo import contract


# Odoo 19 undoes an entry's first write of Pleo's VAT with its counter line and balances the cent on the
# suspense account (v19/84, 85); the next write, which removes that line and sets the VAT without touching the
# expense or counter lines, is the emulator's reading of what 19 keeps. A second batched write saves a call per
# entry there; whatever still differs after it is corrected, and checked, move by move.
BATCHED_WRITES = 2


def apply(job: Job, booked: list[Booking]) -> None:
    """Make Odoo's VAT and total equal Pleo's to the cent, the way Odoo allows (recordings 82 to 86).

    The corrections of a whole batch go in one `write` on all its moves (each command names its own
    line), then the lines are read again (twice at most, see BATCHED_WRITES): a move whose figures still
    differ is corrected on its own, so the books never rest on a batched write having worked.
    """
    drafts = [b for b in booked if b.move.get("state", "draft") == "draft"]
    if not drafts:
        return
    pending = _corrections_needed(job, drafts)
    for _ in range(BATCHED_WRITES):
        if len(pending) <= 1:
            break
        try:
            job.odoo.moves_lines_write([b.move["id"] for b in pending],
                                       [c for b in pending for c in b.corrections])
        except (OdooUserError, OdooValidationError, OdooNotFoundError, OdooServerError):
            break  # settled move by move below
        pending = _corrections_needed(job, pending)
    for booking in pending:
        job.odoo.moves_lines_write([booking.move["id"]], booking.corrections)
    if pending:
        _corrections_kept(job, pending)


def _corrections_kept(job: Job, corrected: list[Booking]) -> None:
    """Read the moves corrected one by one once more: one whose figures Odoo did not keep is deleted and fails.

    Odoo 19 puts an entry's own VAT back after the write and balances the cent on the suspense account
    (v19/84, 85), where 16 to 18 keep Pleo's; a bill keeps it on every version (97, 98).
    """
    for booking in _corrections_needed(job, corrected):
        _draft_discard(job, booking, f"Odoo did not keep Pleo's VAT of {booking.plan.expected_vat} on this entry "
                                     "(it computes its own, a cent apart); it was not booked. Book this kind as a "
                                     "vendor bill in the booking settings (Odoo keeps Pleo's VAT on bills), then "
                                     "retry the record.",
                       {"fix": "setting", "setting": "kind_modes", "kind": booking.plan.item_type})


def _draft_discard(job: Job, booking: Booking, reason: str, detail: dict | None = None) -> None:
    """Delete a draft that cannot carry Pleo's figures and fail its record: never left half-corrected in Odoo."""
    job.odoo.moves_delete([booking.move["id"]])
    booking.record.odoo_record_id = None
    booking.record.save(update_fields=["odoo_record_id", "updated_at"])
    job.fail(booking.record, reason, "validation_failure", detail)


def _corrections_needed(job: Job, drafts: list[Booking]) -> list[Booking]:
    """Read the moves' lines; fail (and delete) those that cannot match Pleo, return those to correct."""
    lines = job.odoo.move_lines([b.move["id"] for b in drafts])
    pending = []
    for booking in drafts:
        booking.lines = lines[booking.move["id"]]
        try:
            if booking.plan.kind == MoveKind.JOURNAL_ENTRY:
                booking.corrections = line_corrections(booking.plan, booking.lines,
                                                       vat_by_odoo_tax(booking.item, job.context))
            else:
                booking.corrections = bill_corrections(booking.plan, booking.lines,
                                                       vat_by_odoo_tax(booking.item, job.context),
                                                       vat_by_odoo_tax(booking.item, job.context, supplier=True))
        except FiguresMismatch as exc:
            _draft_discard(job, booking, str(exc))
            continue
        if booking.corrections:
            pending.append(booking)
    return pending


def vat_by_odoo_tax(item: dict, context: BookingContext, *, supplier: bool = False) -> dict[int, Decimal]:
    """Pleo's VAT per Odoo tax: the target of each of Odoo's tax lines, in the wallet currency or, with
    `supplier`, in the supplier's for the VAT-excluded taxes whose every line gives it."""
    vat, missing = defaultdict(Decimal), set()
    for line in item.get("accountingEntryLines", []):
        tax = line.get("tax")
        target = context.taxes.get(tax["id"]) if tax else None
        if target is None:
            continue
        if not supplier:
            vat[target.odoo_tax_id] += contract.money_to_decimal(tax["amount"]["inWalletCurrency"])
        elif target.price_include or not tax["amount"].get("inSupplierCurrency"):
            missing.add(target.odoo_tax_id)
        else:
            vat[target.odoo_tax_id] += contract.money_to_decimal(tax["amount"]["inSupplierCurrency"])
    return {tax_id: amount for tax_id, amount in vat.items() if tax_id not in missing}
