"""Moves: the Odoo records of the bookings, adopted from an earlier run or created, posted and read back.

Exactly once rests here: a move's `ref` is the deterministic reference of its Pleo entry, looked up
before anything is created, and the record is marked `exporting` before the create call.
"""
import dataclasses
from datetime import date

from exports.choices import ExportRecordStatus
from exports.job import Booking, Job, chunks
from integrations.odoo.books import MOVE_MODEL, OdooBooks
from integrations.odoo.errors import (
    OdooConnectionError,
    OdooPermissionError,
    OdooProtocolError,
    OdooUserError,
    OdooValidationError,
)
from integrations.odoo.drafts import create_values


def by_reference(odoo: OdooBooks, references: list[str]) -> tuple[dict[str, dict], set[str]]:
    """The entries Odoo holds now under these references: the live one of each (not cancelled), and the
    references found cancelled only. A search by reference finds cancelled entries too (v16/117, v17/117)."""
    live, seen = {}, set()
    if references:
        for move in odoo.moves_by_reference(references):
            seen.add(move["ref"])
            if move["state"] != "cancel":
                live.setdefault(move["ref"], move)
    return live, seen - set(live)


def locked_period_apply(job: Job, bookings: list[Booking]) -> list[Booking]:
    """Apply the client's choice for an entry dated in a locked period.

    Real Odoo posts such an entry on the first open day without a word (recordings 68 to 72); the
    client chooses to accept that (both dates are recorded), to leave the entry a draft, or to fail it.
    """
    if job.lock_date is None:
        return bookings
    kept = []
    for booking in bookings:
        planned = booking.plan.draft.date
        if planned > job.lock_date or booking.move is not None:
            kept.append(booking)
        elif job.lock_date_policy == "fail":
            job.fail(booking.record, f"The expense is dated {planned}, in a period locked in Odoo until "
                                     f"{job.lock_date}. Unlock the period in Odoo or change the lock-date policy "
                                     "in the booking settings, then retry the record.",
                     "validation_failure")
        else:
            if job.lock_date_policy == "leave_draft":
                booking.plan = dataclasses.replace(booking.plan, post=False)
            kept.append(booking)
    return kept


def adopt(bookings: list[Booking], odoo: OdooBooks) -> None:
    """Adopt records an earlier (crashed or timed-out) run already created: Odoo's `ref` ties them to Pleo."""
    waiting = {b.plan.reference: b for b in bookings if b.move is None}
    if not waiting:
        return
    # A cancelled entry is not booked: it is left as it is and a new one is booked beside it.
    for move in odoo.moves_by_reference(waiting, live_only=True):
        booking = waiting.pop(move["ref"], None)
        if booking is not None:
            booking.move = move
            booking.record.odoo_record_id = move["id"]
            booking.record.save(update_fields=["odoo_record_id", "updated_at"])


def create(job: Job, chunk: list[Booking]) -> None:
    odoo = job.odoo
    for booking in chunk:
        record = booking.record
        record.status = ExportRecordStatus.EXPORTING
        record.attempts += 1
        record.odoo_reference = booking.plan.reference
        record.odoo_model = MOVE_MODEL
        record.odoo_values = create_values(booking.plan.draft, partner_id=booking.partner_id,
                                           counter_account_id=booking.plan.counter_account_id)
        record.save(update_fields=["status", "attempts", "odoo_reference", "odoo_model", "odoo_values", "updated_at"])
    try:
        ids = odoo.moves_create([b.record.odoo_values for b in chunk])
    except (OdooConnectionError, OdooProtocolError) as exc:
        # The create may have reached Odoo (or a web page answered for it): settle it by the references first.
        adopt(chunk, odoo)
        said = ("Odoo did not answer while the entry was being created; it was not booked."
                if isinstance(exc, OdooConnectionError) else f"{exc} The entry was not booked.")
        for booking in chunk:
            if booking.move is None:
                job.fail(booking.record, f"{said} It is exported again with the next export from Pleo.",
                         "accounting_system_unreachable")
        return
    except (OdooUserError, OdooValidationError, OdooPermissionError) as exc:
        if len(chunk) > 1 and not isinstance(exc, OdooPermissionError):
            for booking in chunk:  # one refused record refuses the batch: find which one
                create(job, [booking])
            return
        for booking in chunk:
            reason_type = ("authorization_failure" if isinstance(exc, OdooPermissionError)
                           else "accounting_system_validation_failure")
            job.fail(booking.record, f"Odoo refused the entry: {str(exc).rstrip('.')}. Correct what Odoo names "
                                     "(in Odoo or in the mappings), then retry the record.", reason_type)
        return
    for booking, move_id in zip(chunk, ids, strict=True):
        booking.move = {"id": move_id, "state": "draft"}
        booking.record.odoo_record_id = move_id
        booking.record.save(update_fields=["odoo_record_id", "updated_at"])


def post(job: Job, booked: list[Booking]) -> None:
    to_post = [b for b in booked if b.plan.post and b.move.get("state", "draft") == "draft"]
    for chunk in chunks(to_post, job.batch_size):
        try:
            job.odoo.moves_post([b.move["id"] for b in chunk])
        except (OdooUserError, OdooValidationError) as exc:
            if len(chunk) == 1:
                job.fail(chunk[0].record, "Odoo refused to post the entry (it stays a draft in Odoo): "
                                          f"{str(exc).rstrip('.')}. Correct what Odoo names, then retry the record.",
                         "accounting_system_validation_failure")
                continue
            for booking in chunk:
                post(job, [booking])


def read_back(booked: list[Booking], odoo: OdooBooks) -> None:
    """Read what Odoo booked (number, state, date) and record every difference with Pleo's figures."""
    moves = odoo.moves_read(b.move["id"] for b in booked)
    for booking in booked:
        move = moves.get(booking.move["id"])
        if move is None:
            booking.move = None
            continue
        booking.move = move
        differences = []
        booked_on = date.fromisoformat(move["date"])
        planned = booking.plan.draft.date
        if booked_on != planned:
            differences.append(f"Pleo date {planned}, booked in Odoo on {booked_on} (the period was locked).")
        if booking.plan.post and move["state"] != "posted":
            differences.append(f"Odoo left it {move['state']}.")
        if booking.plan.payment and booking.plan.post and not move["paid"]:
            differences.append(f"The Wallet payment is booked but Odoo shows the bill as {move['payment_words']}.")
        if booking.matched:
            differences.append(booking.matched)
        booking.record.differences = " ".join(differences)
        booking.record.booked_date = booked_on
