"""Retention of the export history: settled rows past EXPORT_HISTORY_RETENTION_DAYS go, everything else stays."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from exports.models import ExportAttempt, ExportRecord, ExportRun
from exports.retention import PurgeCounts, export_history_purge
from exports.schedules import HISTORY_PURGE_SCHEDULE, schedules_ensure
from tests.factories import ClientFactory

# Both databases: batched deletes through subqueries.
pytestmark = pytest.mark.both_databases

NOW = timezone.now()
ELEVEN_YEARS_AGO = NOW - timedelta(days=11 * 365)
LAST_YEAR = NOW - timedelta(days=365)


def run_at(client, moment, status="succeeded"):
    run = ExportRun.objects.create(client=client, pleo_job_id=f"job-{moment:%Y%m%d%H%M%S%f}", status=status,
                                   triggered_by="schedule")
    ExportRun.objects.filter(pk=run.pk).update(created_at=moment, updated_at=moment)
    return run


def record_at(client, run, moment, status, entry, attempt_runs=()):
    """A record last changed at `moment`, with one attempt in each of `attempt_runs` (default: its run)."""
    record = ExportRecord.objects.create(client=client, pleo_accounting_entry_id=entry, export_run=run,
                                         kind="card_purchase", amount=Decimal("12.50"), currency="EUR", status=status)
    for attempt_run in attempt_runs or [run]:
        ExportAttempt.objects.create(record=record, export_run=attempt_run, outcome=status, message="m")
    ExportRecord.objects.filter(pk=record.pk).update(created_at=moment, updated_at=moment)
    return record


@pytest.fixture
def history(db):
    """Old settled records, an old record still exporting, a recent one, and an old run a recent retry used."""
    client = ClientFactory()
    old_run = run_at(client, ELEVEN_YEARS_AGO)
    old_exported = record_at(client, old_run, ELEVEN_YEARS_AGO, "exported", "e1")
    old_failed = record_at(client, old_run, ELEVEN_YEARS_AGO, "failed", "e2")
    old_skipped = record_at(client, old_run, ELEVEN_YEARS_AGO, "skipped", "e3")
    stuck_run = run_at(client, ELEVEN_YEARS_AGO)
    old_exporting = record_at(client, stuck_run, ELEVEN_YEARS_AGO, "exporting", "e4")
    shared_run = run_at(client, ELEVEN_YEARS_AGO)  # first tried long ago, retried and exported last year
    recent_run = run_at(client, LAST_YEAR)
    retried = record_at(client, recent_run, LAST_YEAR, "exported", "e5", attempt_runs=[shared_run, recent_run])
    empty_old_run = run_at(client, ELEVEN_YEARS_AGO, status="failed")  # e.g. Odoo was down: no items booked
    running_old_run = run_at(client, ELEVEN_YEARS_AGO, status="running")
    return {
        "gone_records": [old_exported, old_failed, old_skipped], "kept_records": [old_exporting, retried],
        "gone_runs": [old_run, empty_old_run], "kept_runs": [stuck_run, shared_run, recent_run, running_old_run],
    }


def pks(rows):
    return {row.pk for row in rows}


@pytest.mark.django_db
def test_purge_removes_only_settled_rows_past_the_retention(history, settings):
    settings.EXPORT_HISTORY_RETENTION_DAYS = 3653
    attempts_kept = ExportAttempt.objects.filter(record__in=history["kept_records"]).count()

    counts = export_history_purge(now=NOW, batch_size=2)  # several batches

    assert counts == PurgeCounts(records=3, attempts=3, runs=2)
    assert pks(ExportRecord.objects.all()) == pks(history["kept_records"])
    assert ExportAttempt.objects.count() == attempts_kept == 3
    assert pks(ExportRun.objects.all()) == pks(history["kept_runs"])
    assert export_history_purge(now=NOW) == PurgeCounts()  # nothing left to do


@pytest.mark.django_db
def test_dry_run_counts_what_the_purge_would_delete_and_deletes_nothing(history, settings):
    settings.EXPORT_HISTORY_RETENTION_DAYS = 3653
    before = ExportRecord.objects.count(), ExportAttempt.objects.count(), ExportRun.objects.count()
    assert export_history_purge(now=NOW, dry_run=True) == PurgeCounts(records=3, attempts=3, runs=2)
    assert (ExportRecord.objects.count(), ExportAttempt.objects.count(), ExportRun.objects.count()) == before


@pytest.mark.django_db
def test_zero_days_keeps_the_history_forever(history, settings):
    settings.EXPORT_HISTORY_RETENTION_DAYS = 0
    assert export_history_purge(now=NOW + timedelta(days=100 * 365)) == PurgeCounts()
    assert ExportRecord.objects.count() == 5


@pytest.mark.django_db
def test_a_shorter_retention_reaches_last_years_rows(history, settings):
    settings.EXPORT_HISTORY_RETENTION_DAYS = 30
    counts = export_history_purge(now=NOW)
    assert counts == PurgeCounts(records=4, attempts=5, runs=4)
    assert pks(ExportRecord.objects.all()) == {history["kept_records"][0].pk}  # the one still exporting


@pytest.mark.django_db
def test_command_prints_the_counts_and_dry_run_deletes_nothing(history, settings, capsys):
    settings.EXPORT_HISTORY_RETENTION_DAYS = 3653
    call_command("purge_export_history", "--dry-run")
    assert "Would delete 3 record(s), 3 attempt(s), 2 run(s)" in capsys.readouterr().out
    assert ExportRecord.objects.count() == 5
    call_command("purge_export_history")
    assert "Deleted 3 record(s), 3 attempt(s), 2 run(s)" in capsys.readouterr().out
    assert ExportRecord.objects.count() == 2
    settings.EXPORT_HISTORY_RETENTION_DAYS = 0
    call_command("purge_export_history")
    assert "kept forever" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_purge_runs_daily_on_the_schedule(history, settings):
    settings.EXPORT_HISTORY_RETENTION_DAYS = 3653
    schedules_ensure()
    schedules_ensure()
    schedule = Schedule.objects.get(name=HISTORY_PURGE_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == ("exports.retention.export_history_purge", Schedule.DAILY)
    from django_q.tasks import async_task  # sync in tests: runs the scheduled function as the cluster would

    async_task(schedule.func, sync=True)
    assert ExportRecord.objects.count() == 2
