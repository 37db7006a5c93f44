"""The load benchmark on a tiny scale: the timed poll exports and notes its lag, the command prints every figure."""
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from exports.models import ExportRecord
from sandbox.bench.exports import bench_clients_seed
from sandbox.bench.load import STARTS_FILE_VARIABLE, export_queue_poll_timed

FIGURES = [
    "polls_started", "lag_p50_seconds", "lag_p95_seconds", "lag_max_seconds", "exports_per_minute",
    "queue_depth_max", "queue_depth_at_end", "runs_succeeded", "runs_failed", "poll_tasks_failed",
    "expenses_seeded", "expenses_exported", "expenses_failed",
]


@pytest.mark.django_db
def test_the_timed_poll_exports_the_client_and_notes_how_late_it_started(tmp_path, monkeypatch):
    [client] = bench_clients_seed(prefix="timed", clients=1, expenses=3, receipts=False, kinds=["card_purchase"])
    starts = tmp_path / "starts.log"
    monkeypatch.setenv(STARTS_FILE_VARIABLE, str(starts))
    due = timezone.now() - timedelta(seconds=12)

    export_queue_poll_timed(client.pk, scheduled_for=due.isoformat())

    assert ExportRecord.objects.filter(client=client, status="exported").count() == 3
    [line] = starts.read_text().splitlines()
    noted_due, started = line.split()
    assert noted_due == due.isoformat()
    assert 12 <= (datetime.fromisoformat(started) - due).total_seconds() < 60


@pytest.mark.django_db
def test_the_load_benchmark_refuses_a_database_that_holds_clients(client_company):
    with pytest.raises(CommandError, match="already holds clients"):
        call_command("bench_load", "--clients", "1", "--minutes", "0.01", stdout=StringIO())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_load_benchmark_prints_every_figure_as_a_number():
    out = StringIO()
    call_command("bench_load", "--clients", "2", "--minutes", "0.05", "--clusters", "1", "--workers", "1",
                 stdout=out, stderr=StringIO())

    lines = out.getvalue().splitlines()
    assert any(line.startswith("# transport:") for line in lines)
    printed = dict(line.split(": ", 1) for line in lines if not line.startswith("#"))
    assert list(printed) == FIGURES
    for name in FIGURES:
        float(printed[name])  # a non-number is a ValueError
    assert int(printed["expenses_seeded"]) >= 6
