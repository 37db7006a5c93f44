"""Retry: failed records (or ones changed in Odoo) sent back to Pleo's export queue and exported again."""
from collections import defaultdict

from exports.choices import ExportRecordStatus
from exports.models import ExportRecord
from integrations.errors import PortalError
from integrations.pleo.errors import PleoConflictError
from integrations.selectors import pleo_company_client_get


def export_records_retry(*, records, by=None, changed_in_odoo: bool = False) -> int:
    """Send failed records (or, `changed_in_odoo`, exported ones the drift check found changed in Odoo) back to
    Pleo's export queue and start their clients' runs.

    Pleo books only what is in an export job, so a retry asks Pleo for a new job holding the entries
    (POST /v3/export-jobs), then runs the client's export as the schedule would. An exported record stays
    exported: the run looks it up in Odoo and books again what was cancelled or deleted there.
    """
    from django_q.tasks import async_task

    chosen = (records.filter(status=ExportRecordStatus.EXPORTED).exclude(odoo_drift="") if changed_in_odoo
              else records.filter(status=ExportRecordStatus.FAILED))
    failed = list(chosen.select_related("client", "client__pleo_connection"))
    by_client = defaultdict(list)
    for record in failed:
        by_client[record.client].append(record)
    for client, client_records in by_client.items():
        connection, pleo = pleo_company_client_get(client=client)
        try:
            pleo.export_job_create(company_id=connection.company_id,
                                   accounting_entry_ids=[r.pleo_accounting_entry_id for r in client_records])
        except PleoConflictError:
            raise PortalError(f"Pleo is still exporting for {client}; retry when that export has finished.") from None
        ExportRecord.objects.filter(pk__in=[r.pk for r in client_records],
                                    status=ExportRecordStatus.FAILED).update(status=ExportRecordStatus.PENDING)
        triggered_by = f"retry by {by.get_username()}" if by is not None else "retry"
        async_task("exports.tasks.export_queue_poll", client.pk, triggered_by, task_name=f"export client {client.pk}")
    return len(failed)
