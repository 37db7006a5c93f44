"""The dashboard benchmark on a tiny scale: it seeds what it says, prints every figure and refuses a used database."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from exports.models import ExportAttempt, ExportRecord, ExportRun
from integrations.models import Client
from mappings.models import SyncRun

FIGURES = ["seed_seconds", "dashboard_clients_shown", "dashboard_ms", "dashboard_queries",
           "dashboard_staff_12_clients_ms", "dashboard_staff_12_clients_queries",
           "dashboard_staff_3_clients_ms", "dashboard_staff_3_clients_queries", "target_ms", "target_met"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_benchmark_seeds_the_firm_and_prints_its_figures():
    out = StringIO()
    call_command("bench_dashboard", "--clients", "12", "--records", "1050", "--staff-clients", "3",
                 "--repeat", "2", stdout=out, stderr=StringIO())

    figures = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if not line.startswith("#"))
    assert list(figures) == FIGURES
    assert figures["dashboard_clients_shown"] == "12"
    assert figures["dashboard_staff_12_clients_queries"] == figures["dashboard_staff_3_clients_queries"]
    assert figures["target_met"] in {"yes", "no"}
    assert Client.objects.count() == 12
    assert ExportRecord.objects.count() == 1050
    assert ExportRun.objects.count() == 11
    failed = ExportRecord.objects.filter(status="failed").count()
    assert failed and ExportAttempt.objects.count() == 1050 + failed
    assert SyncRun.objects.count() == 12 * 48


@pytest.mark.django_db
def test_the_benchmark_refuses_a_database_that_holds_clients(client_company):
    from django.db import connection

    match = "already holds clients" if connection.vendor == "postgresql" else "PostgreSQL"
    with pytest.raises(CommandError, match=match):
        call_command("bench_dashboard", "--clients", "1", "--records", "1", "--staff-clients", "1", stdout=StringIO())
