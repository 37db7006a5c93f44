"""The export records and runs as the auditor reads them: each attempt, each outcome, each run's counts."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import timezone as dt_timezone

from django.utils import timezone

from exports.choices import ExportRecordStatus
from exports.models import ExportAttempt, ExportRecord, ExportRun
from exports.items import item_record_facts


@dataclass
class Calls:
    odoo: int = 0
    pleo: int = 0


def calls_count(session, calls: Calls, attribute: str) -> None:
    def hook(response, *args, **kwargs):
        setattr(calls, attribute, getattr(calls, attribute) + 1)
    session.hooks["response"].append(hook)


def records_prepare(*, run, client, items) -> dict[str, ExportRecord]:
    ids = [item["accountingEntryId"] for item in items]
    existing = {r.pleo_accounting_entry_id: r for r in ExportRecord.objects.filter(
        client=client, pleo_accounting_entry_id__in=ids)}
    new = [ExportRecord(client=client, pleo_accounting_entry_id=i["accountingEntryId"], **item_record_facts(i))
           for i in items if i["accountingEntryId"] not in existing]
    ExportRecord.objects.bulk_create(new, ignore_conflicts=True)
    records = {r.pleo_accounting_entry_id: r for r in ExportRecord.objects.filter(
        client=client, pleo_accounting_entry_id__in=ids)}
    for record in records.values():
        record.export_run, record.pleo_job_id = run, run.pleo_job_id
        # What an earlier failure proved missing is history once this run settles the record: a new failure
        # stores its own, and the booking's save (results.record_exported saves every field) clears it.
        record.failure_detail = {}
    ExportRecord.objects.bulk_update(records.values(), ["export_run", "pleo_job_id"])
    return records


def record_attempt(record: ExportRecord, run: ExportRun, outcome: str, message: str) -> None:
    ExportAttempt.objects.create(record=record, export_run=run, outcome=outcome, message=message)


def record_failed(record: ExportRecord, run: ExportRun, reason: str, reason_type: str, detail: dict | None = None
                  ) -> dict:
    """Fail the record with its reason and, where the failure names what to fix, its failure detail."""
    record.status = ExportRecordStatus.FAILED
    record.last_error, record.failure_reason_type, record.failure_detail = reason, reason_type, detail or {}
    record.attempts += 1
    record.save(update_fields=["status", "last_error", "failure_reason_type", "failure_detail", "attempts",
                               "updated_at"])
    record_attempt(record, run, ExportRecordStatus.FAILED, reason)
    return {"accountingEntryId": record.pleo_accounting_entry_id, "status": "failed",
            "failureReason": reason[:1000], "failureReasonType": reason_type}


def record_skipped(record: ExportRecord, run: ExportRun, reason: str) -> dict:
    record.status, record.last_error, record.failure_detail = ExportRecordStatus.SKIPPED, reason, {}
    record.attempts += 1
    record.save(update_fields=["status", "last_error", "failure_detail", "attempts", "updated_at"])
    record_attempt(record, run, ExportRecordStatus.SKIPPED, reason)
    # Reported as successful without an Odoo record, so it leaves Pleo's export queue.
    return {"accountingEntryId": record.pleo_accounting_entry_id, "status": "successful",
            "exportedAt": _iso(timezone.now())}


def success_update(record: ExportRecord) -> dict:
    update = {"accountingEntryId": record.pleo_accounting_entry_id, "status": "successful",
              "exportedAt": _iso(timezone.now())}
    if record.odoo_record_id:
        update["externalId"] = str(record.odoo_record_id)
        update["externalUrl"] = record.odoo_url
    return update


def _iso(moment) -> str:
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_finish(run: ExportRun, status: str, calls: Calls, finished_at=None) -> None:
    counts = defaultdict(int)
    for outcome in run.records.values_list("status", flat=True):
        counts[outcome] += 1
    run.status = status
    run.finished_at = finished_at or timezone.now()
    run.exported_count = counts[ExportRecordStatus.EXPORTED]
    run.failed_count = counts[ExportRecordStatus.FAILED]
    run.skipped_count = counts[ExportRecordStatus.SKIPPED]
    run.odoo_calls, run.pleo_calls = calls.odoo, calls.pleo
    run.save()
