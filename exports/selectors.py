"""Reads of the export history, always scoped to the user's clients."""
from collections.abc import Iterator

from django.db.models import QuerySet

from exports.choices import ExportRecordStatus
from exports.models import ExportRecord

__all__ = ["EXPORT_RECORD_CSV_HEADER", "export_records_csv_rows", "export_records_needing_attention"]

EXPORT_RECORD_CSV_HEADER = [
    "client", "date", "kind", "supplier", "spent by", "amount", "currency", "VAT", "status", "Odoo number",
    "Odoo state", "booked on", "reason", "Pleo accounting entry", "Pleo export job", "Odoo link", "last change",
]


def export_records_csv_rows(*, queryset: QuerySet[ExportRecord]) -> Iterator[list]:
    """One row per record in the bookkeeper's words; streamed, so a large history costs little memory."""
    fields = ["client__name", "entry_date", "kind", "supplier", "spender", "amount", "currency", "vat_amount",
              "status", "odoo_name", "odoo_state", "booked_date", "last_error", "pleo_accounting_entry_id",
              "pleo_job_id", "odoo_url", "updated_at"]
    for row in queryset.values_list(*fields).iterator(chunk_size=2000):
        yield ["" if value is None else value for value in row]


def export_records_needing_attention(*, user) -> QuerySet[ExportRecord]:
    return ExportRecord.objects.for_user(user).filter(status=ExportRecordStatus.FAILED).select_related("client")
