"""Failed exports by cause: one row per thing to fix, with the link to where it is fixed, for the export history.

A cause is one client's failures of one failure type that name the same missing mapping or setting (the record's
failure detail, exports.items.BookingRefused.fix) or, where the failure named none, the same reason.
"""
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from exports.choices import ExportRecordStatus
from exports.models import ExportRecord
from integrations.models import Client
from mappings.fixes import failure_fix

__all__ = ["FAILURE_TYPE_LABELS", "failure_type_label", "FailureCause", "export_failure_causes",
           "failure_fix_lookup", "export_failure_fixes"]

# Pleo's failure reason types (integrations.pleo.contract.ITEM_FAILURE_REASON_TYPES) in the bookkeeper's words.
FAILURE_TYPE_LABELS = {
    "receipt_upload_failure": "Receipt not attached in Odoo",
    "receipt_download_failure": "Receipt not downloaded from Pleo",
    "receipt_file_size_limit_exceeded": "Receipt too large",
    "receipt_conversion_failure": "Receipt not readable",
    "unexpected_failure": "Unexpected problem",
    "invalid_configuration": "Setting or mapping to correct",
    "missing_configuration": "Setting missing",
    "accounting_system_authentication_failure": "Odoo refused the login",
    "accounting_system_rate_limit": "Odoo asked to slow down",
    "accounting_system_unreachable": "Odoo could not be reached",
    "validation_failure": "Expense not bookable as sent",
    "accounting_system_validation_failure": "Odoo refused the entry",
    "authorization_failure": "Missing rights in Odoo",
    "accounting_system_timeout": "Odoo did not answer in time",
    "vendor_unknown": "Supplier or employee missing",
    "account_unknown": "Category not mapped",
    "tax_code_unknown": "Tax code not mapped",
    "tag_unknown": "Tag not mapped",
}


def failure_type_label(value: str) -> str:
    return FAILURE_TYPE_LABELS.get(value, value)


@dataclass(frozen=True)
class FailureCause:
    client: Client
    failure_reason_type: str
    reason: str  # the latest failure's reason
    record_ids: tuple[int, ...]  # latest failure first
    fix: tuple[str, str] | None  # (label, admin URL) of where it is fixed

    @property
    def count(self) -> int:
        return len(self.record_ids)

    @property
    def failure_type(self) -> str:
        return failure_type_label(self.failure_reason_type)


def export_failure_causes(*, user, records: QuerySet[ExportRecord] | None = None) -> list[FailureCause]:
    """The user's failed records by cause, the most failures first; `records` narrows them (a filtered list)."""
    failed = ExportRecord.objects.for_user(user).filter(status=ExportRecordStatus.FAILED)
    if records is not None:
        failed = failed.filter(pk__in=records.values("pk"))
    groups: dict[tuple, list] = {}
    rows = failed.order_by("-updated_at", "-id").values_list(
        "pk", "client_id", "failure_reason_type", "failure_detail", "last_error")
    for pk, client_id, reason_type, detail, reason in rows.iterator(chunk_size=2000):
        key = (client_id, reason_type, json.dumps(detail, sort_keys=True) if detail else reason)
        groups.setdefault(key, [detail, reason, []])[2].append(pk)
    clients = Client.objects.in_bulk({client_id for client_id, _, _ in groups})
    lookup = failure_fix_lookup()
    causes = [FailureCause(client=clients[client_id], failure_reason_type=reason_type, reason=reason,
                           record_ids=tuple(ids), fix=lookup(client_id, detail))
              for (client_id, reason_type, _), (detail, reason, ids) in groups.items()]
    return sorted(causes, key=lambda cause: (-cause.count, cause.client.name, cause.reason))


def failure_fix_lookup() -> Callable[[int, dict], tuple[str, str] | None]:
    """mappings.fixes.failure_fix, looked up once per client and distinct failure detail (a list of many
    failures of one cause costs one look-up)."""
    found = {}

    def lookup(client_id: int, detail: dict) -> tuple[str, str] | None:
        if not detail:
            return None
        key = (client_id, json.dumps(detail, sort_keys=True))
        if key not in found:
            found[key] = failure_fix(client_id=client_id, detail=detail)
        return found[key]

    return lookup


def export_failure_fixes(*, records: Iterable[ExportRecord]) -> dict[int, tuple[str, str]]:
    """Record id -> (label, URL) of the fix the failure detail of each failed record names."""
    lookup = failure_fix_lookup()
    fixes = {record.pk: lookup(record.client_id, record.failure_detail) for record in records
             if record.status == ExportRecordStatus.FAILED}
    return {pk: fix for pk, fix in fixes.items() if fix is not None}
