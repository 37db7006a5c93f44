"""Each item's result: the record of a booked expense, and every result told to Pleo (§5.3 step 7)."""
import logging

from django.utils import timezone

from exports.choices import ExportRecordStatus, OdooDrift
from exports.job import Booking, Job
from exports.models import ExportRecord
from exports.records import record_attempt, success_update
from integrations.models import Client
from integrations.odoo.books import OdooBooks
from integrations.pleo.client import PleoClient

logger = logging.getLogger(__name__)


def record_still_booked(job: Job, record: ExportRecord, move: dict) -> dict:
    """Pleo delivered a booked expense again: it hears of the entry live in Odoo now (posted, or a draft the
    bookkeeper reset to and perhaps edited), and the record follows it, with its total compared."""
    said = ""
    total = move["company_total"]
    if record.odoo_amount_total is not None and total != record.odoo_amount_total:
        said = (f" Its total in Odoo is now {record.money_display(total)}, it was booked at "
                f"{record.money_display(record.odoo_amount_total)}: check it against Pleo's.")
    record.odoo_record_id, record.odoo_name, record.odoo_state = move["id"], move["name"] or "", move["state"]
    record.odoo_url = _odoo_move_url(job.client, move["id"])
    record.differences = said.strip() or record.differences
    # Live again: a reset to draft is now known to the record; a changed total stays marked until it is booked.
    record.odoo_drift = OdooDrift.AMOUNT if said else ""
    record.odoo_drift_found_at = (record.odoo_drift_found_at or timezone.now()) if said else None
    record.save(update_fields=["odoo_record_id", "odoo_name", "odoo_state", "odoo_url", "differences", "odoo_drift",
                               "odoo_drift_found_at", "updated_at"])
    record_attempt(record, job.run, ExportRecordStatus.EXPORTED,
             f"Exported again from Pleo: still booked in Odoo as {record.odoo_name} ({record.odoo_state}), "
             f"not booked twice.{said}")
    return success_update(record)


def record_exported(job: Job, booking: Booking) -> dict:
    run, client = job.run, job.client
    record, move = booking.record, booking.move
    record.status = ExportRecordStatus.EXPORTED
    record.odoo_record_id, record.odoo_name, record.odoo_state = move["id"], move.get("name", ""), move.get("state", "")
    record.odoo_amount_total = move.get("company_total")
    record.odoo_drift, record.odoo_drift_found_at = "", None
    record.odoo_url = _odoo_move_url(client, move["id"])
    record.last_error, record.failure_reason_type = "", ""
    record.save()
    booked = f"booked again as {record.odoo_name}" if booking.replaces else f"Booked as {record.odoo_name}"
    record_attempt(record, run, ExportRecordStatus.EXPORTED, f"{booking.replaces}{booked} ({record.odoo_state})."
             + (f" {record.differences}" if record.differences else ""))
    return success_update(record)


def _odoo_move_url(client: Client, move_id: int) -> str:
    return OdooBooks.move_url(client.odoo_connection.url, move_id)


def report(*, pleo: PleoClient, job_id: str, updates: list[dict]) -> None:
    """Tell Pleo each item's result, 100 at a time; remember which ones Pleo accepted."""
    if not updates:
        return
    result = pleo.export_job_items_update(job_id, updates)
    refused = {e["accountingEntryId"] for e in result.errors}
    accepted = [u["accountingEntryId"] for u in updates if u["accountingEntryId"] not in refused]
    ExportRecord.objects.filter(pleo_accounting_entry_id__in=accepted, pleo_job_id=job_id).update(
        reported_to_pleo_at=timezone.now())
    for error in result.errors:
        logger.warning("Pleo refused the result of entry %s: %s", error["accountingEntryId"], error.get("type"))
