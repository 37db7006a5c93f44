"""Bookkeeping shared by the tax and tag syncs: one SyncRun per run, and mapping rows saved only when they change.

The syncs are written to be run again at any moment (a schedule, a second worker, "Sync now" twice):
every Pleo object they made is found again by its mapping or by its code, so nothing is created twice.
They do not wrap their work in one database transaction: each Pleo write is followed at once by the
mapping row that records it, so a failure half-way leaves every mapping matching what Pleo holds, and
the next run carries on from there.
"""
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from integrations.errors import PortalError
from integrations.models import Client
from integrations.services import model_update
from mappings.choices import SyncRunStatus
from mappings.models import SyncRun

# Shared within the app only (the syncs and the category refresh), hence the leading underscores.
__all__ = ["SyncCounts", "active_client_required", "sync_run", "mapping_store"]

logger = logging.getLogger(__name__)


def active_client_required(client: Client) -> None:
    if not client.is_active:
        raise PortalError(f"{client} is paused: its syncs and exports do not run until it is resumed.")


@dataclass
class SyncCounts:
    created: int = 0
    updated: int = 0
    archived: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


def _triggered_by(by, triggered_by: str) -> str:
    if triggered_by:
        return triggered_by
    return f"{by.get_username()}" if by is not None else "schedule"


def sync_run(client: Client, kind: str, by, triggered_by: str, work) -> SyncRun:
    """Record one run around `work(counts)`, NetBox JobRunner style.

    An Odoo or Pleo failure (PortalError) marks the run failed with its sentence and returns it: the
    next scheduled run retries. Anything else is a bug: the run is marked failed, then it is re-raised.
    """
    active_client_required(client)
    run = SyncRun.objects.create(
        client=client, kind=kind, started_at=timezone.now(), triggered_by=_triggered_by(by, triggered_by)[:200]
    )
    counts = SyncCounts()
    try:
        work(counts)
    except PortalError as exc:
        _sync_run_finish(run, counts, SyncRunStatus.FAILED, str(exc))
        logger.warning("mappings: %s sync of client %s failed: %r", kind, client.pk, exc)
        return run
    except Exception as exc:
        _sync_run_finish(run, counts, SyncRunStatus.FAILED, f"Unexpected error ({type(exc).__name__}); see the logs.")
        raise
    _sync_run_finish(run, counts, SyncRunStatus.SUCCEEDED, "")
    return run


def _sync_run_finish(run: SyncRun, counts: SyncCounts, status: str, error: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.created_count, run.updated_count = counts.created, counts.updated
    run.archived_count, run.skipped_count = counts.archived, counts.skipped
    run.notes = "\n".join(counts.notes)
    run.errors = error
    run.save()


def mapping_store(model, lookup: dict, values: dict, by) -> object:
    """Create or change one mapping row; saves (and writes history) only when something changed."""
    with transaction.atomic():
        row = model.objects.select_for_update().filter(**lookup).first()
        if row is None:
            row = model(**lookup, **values)
            row._history_user = by
            row.full_clean()
            row.save()
            return row
        row._history_user = by
        model_update(instance=row, fields=list(values), data=values)
        return row
