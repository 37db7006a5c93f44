"""How long the export history is kept, and the purge that removes what is past it.

The history is append-only for people (the admin cannot delete it); only this purge removes rows, and only
those past `EXPORT_HISTORY_RETENTION_DAYS` (default ten years, longer than the Dutch and Danish bookkeeping
retention) that are settled: exported, failed or skipped. A pending or exporting record is never removed,
however old: the export may still be finishing it.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from exports.choices import FINISHED_RUNS, ExportRecordStatus
from exports.models import ExportAttempt, ExportRecord, ExportRun
from integrations.webhooks import webhook_deliveries_prune

__all__ = ["PurgeCounts", "export_history_cutoff", "export_history_purge"]

FINAL_RECORD_STATUSES = (ExportRecordStatus.EXPORTED, ExportRecordStatus.FAILED, ExportRecordStatus.SKIPPED)
BATCH_SIZE = 1000


@dataclass(frozen=True)
class PurgeCounts:
    records: int = 0
    attempts: int = 0
    runs: int = 0

    def __str__(self) -> str:
        return f"{self.records} record(s), {self.attempts} attempt(s), {self.runs} run(s)"


def export_history_cutoff(*, now: datetime | None = None) -> datetime | None:
    """Rows last changed before this moment are past the retention; None when the history is kept forever."""
    days = settings.EXPORT_HISTORY_RETENTION_DAYS
    if not days:
        return None
    return (now or timezone.now()) - timedelta(days=days)


def _records_past(cutoff: datetime) -> QuerySet[ExportRecord]:
    # updated_at, not created_at: a record retried last year is judged by its last attempt.
    return ExportRecord.objects.filter(status__in=FINAL_RECORD_STATUSES, updated_at__lt=cutoff)


def _runs_left_empty(cutoff: datetime) -> QuerySet[ExportRun]:
    """Finished runs past the retention that no kept record or attempt points at (once the purge is done)."""
    kept_records = ~Q(status__in=FINAL_RECORD_STATUSES) | Q(updated_at__gte=cutoff)
    kept_attempts = ~Q(record__status__in=FINAL_RECORD_STATUSES) | Q(record__updated_at__gte=cutoff)
    return ExportRun.objects.filter(status__in=FINISHED_RUNS, created_at__lt=cutoff).exclude(
        Exists(ExportRecord.objects.filter(kept_records, export_run=OuterRef("pk")))
    ).exclude(Exists(ExportAttempt.objects.filter(kept_attempts, export_run=OuterRef("pk"))))


def export_history_purge(*, now: datetime | None = None, dry_run: bool = False,
                         batch_size: int = BATCH_SIZE) -> PurgeCounts:
    """Delete the records past the retention, their attempts, and the runs this leaves empty.

    Works through ids in batches of `batch_size`, each batch in its own transaction, so a million rows never
    sit in memory and an interrupted purge simply continues on its next run. `dry_run` only counts.
    """
    if not dry_run:
        webhook_deliveries_prune()  # the ids of Pleo's webhook deliveries, kept a week against replays
    cutoff = export_history_cutoff(now=now)
    if cutoff is None:
        return PurgeCounts()
    if dry_run:
        records = _records_past(cutoff)
        return PurgeCounts(records=records.count(),
                           attempts=ExportAttempt.objects.filter(record__in=records.values("pk")).count(),
                           runs=_runs_left_empty(cutoff).count())
    records = attempts = runs = 0
    while ids := list(_records_past(cutoff).values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            # Attempts first: they protect their record (on_delete=PROTECT).
            attempts += ExportAttempt.objects.filter(record_id__in=ids).delete()[0]
            records += ExportRecord.objects.filter(pk__in=ids).delete()[0]
    while ids := list(_runs_left_empty(cutoff).values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            runs += ExportRun.objects.filter(pk__in=ids).delete()[0]
    return PurgeCounts(records=records, attempts=attempts, runs=runs)
