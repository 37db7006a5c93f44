"""The drift check: does Odoo still hold what the portal booked? (issue 17)

A bookkeeper may cancel, delete, reset to draft or edit in Odoo what the portal exported; nothing tells the
portal. Daily, per client, the check reads back the Odoo entries of the exported records of the last
EXPORT_DRIFT_CHECK_DAYS days, 500 to a call, and marks each record with what changed. A record booked again
(or found live and unchanged when Pleo delivers it again) loses its mark.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from exports.choices import ExportRecordStatus, OdooDrift
from exports.models import ExportRecord
from integrations.models import Client
from integrations.selectors import odoo_company_books_get

__all__ = ["DriftCheck", "DRIFT_READ_BATCH", "export_records_drift_check"]

DRIFT_READ_BATCH = 500  # records read back per Odoo call


@dataclass
class DriftCheck:
    checked: int = 0
    drifted: int = 0
    odoo_calls: int = 0


def export_records_drift_check(*, client_id: int, days: int | None = None) -> DriftCheck:
    """Read back the client's exported records of the last `days` from Odoo and mark what changed there."""
    client = Client.objects.get(pk=client_id)
    _, odoo = odoo_company_books_get(client=client)
    result = DriftCheck()
    # Every answer counts, the login included: the figure the benchmark prints per 100 records.
    odoo.session.hooks["response"].append(lambda response, *args, **kwargs: setattr(
        result, "odoo_calls", result.odoo_calls + 1))
    since = timezone.now() - timedelta(days=days or settings.EXPORT_DRIFT_CHECK_DAYS)
    records = list(ExportRecord.objects.filter(client=client, status=ExportRecordStatus.EXPORTED,
                                               odoo_record_id__isnull=False, created_at__gte=since).order_by("pk"))
    result.checked = len(records)
    now, changed = timezone.now(), []
    for start in range(0, len(records), DRIFT_READ_BATCH):
        batch = records[start:start + DRIFT_READ_BATCH]
        # Reading an id that no longer exists answers nothing for it, not an error (recording 63).
        moves = odoo.moves_read(r.odoo_record_id for r in batch)
        for record in batch:
            drift = _drift_of(record, moves.get(record.odoo_record_id))
            if drift != record.odoo_drift:
                record.odoo_drift, record.odoo_drift_found_at = drift, now if drift else None
                changed.append(record)
    ExportRecord.objects.bulk_update(changed, ["odoo_drift", "odoo_drift_found_at"])
    result.drifted = sum(1 for r in records if r.odoo_drift)
    return result


def _drift_of(record: ExportRecord, move: dict | None) -> str:
    if move is None:
        return OdooDrift.DELETED
    if move["state"] == "cancel":
        return OdooDrift.CANCELLED
    if move["state"] == "draft" and record.odoo_state == "posted":
        return OdooDrift.DRAFT
    if record.odoo_amount_total is not None and move["company_total"] != record.odoo_amount_total:
        return OdooDrift.AMOUNT
    return ""
