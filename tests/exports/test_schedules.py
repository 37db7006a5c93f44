"""Per-client django-q2 schedules: put in place once, kept in step with the poll interval and the client's status."""
import pytest
from django.core.management import call_command
from django_q.models import Schedule

from exports.schedules import HISTORY_PURGE_SCHEDULE, schedules_ensure
from integrations.services import clients_status_set
from mappings.booking_settings import booking_settings_update, client_schedules_refresh
from tests.factories import ClientFactory

# Both databases: django-q2's schedules, taken under a row lock.
pytestmark = pytest.mark.both_databases


def schedules_of(client):
    return {s.name: s for s in Schedule.objects.filter(name__endswith=f"(client {client.pk})")}


def poll_of(client):
    return Schedule.objects.get(name=f"exports: poll Pleo export queue (client {client.pk})")


@pytest.mark.django_db
def test_each_client_gets_its_poll_and_sync_schedules_once(client_company):
    assert schedules_ensure() == 5  # the client's four and the export history purge
    assert schedules_ensure() == 5
    schedules = schedules_of(client_company)
    assert Schedule.objects.count() == 5
    poll = poll_of(client_company)
    assert (poll.func, poll.kwargs, poll.schedule_type, poll.minutes, poll.repeats) == (
        "exports.tasks.export_queue_poll", f"client_id={client_company.pk}", Schedule.MINUTES, 5, -1)
    taxes = schedules[f"mappings: sync taxes to Pleo (client {client_company.pk})"]
    tags = schedules[f"mappings: sync analytic accounts to Pleo tags (client {client_company.pk})"]
    assert (taxes.func, taxes.schedule_type) == ("exports.tasks.tax_mapping_sync", Schedule.HOURLY)
    assert (tags.func, tags.kwargs) == ("exports.tasks.tag_sync", f"client_id={client_company.pk}")
    drift = schedules[f"exports: check Odoo for changes to exported records (client {client_company.pk})"]
    assert (drift.func, drift.schedule_type) == ("exports.tasks.export_records_drift_check", Schedule.DAILY)


@pytest.mark.django_db
def test_setup_schedules_command_puts_them_in_place_and_removes_deleted_clients(client_company, capsys):
    gone = ClientFactory(name="Gone BV")
    schedules_ensure()
    gone.delete()
    call_command("setup_schedules")
    assert "5 schedule(s) in place" in capsys.readouterr().out
    assert set(schedules_of(client_company)) | {HISTORY_PURGE_SCHEDULE} == {s.name for s in Schedule.objects.all()}


@pytest.mark.django_db
def test_changing_the_poll_interval_changes_the_schedule(connected_client, valid_data):
    booking_settings_update(client=connected_client, data=valid_data)
    assert poll_of(connected_client).minutes == 5
    booking_settings_update(client=connected_client, data={"poll_interval_minutes": 15})
    assert poll_of(connected_client).minutes == 15
    assert poll_of(connected_client).schedule_type == Schedule.MINUTES
    assert len(schedules_of(connected_client)) == 4


@pytest.mark.django_db
def test_a_client_without_booking_settings_is_polled_every_five_minutes(client_company):
    client_schedules_refresh(client=client_company)
    assert poll_of(client_company).minutes == 5


@pytest.mark.django_db
def test_pausing_a_client_pauses_its_schedules_and_resuming_restores_them(client_company):
    other = ClientFactory(name="Other BV")
    schedules_ensure()
    clients_status_set(clients=[client_company], status="paused")
    assert {s.repeats for s in schedules_of(client_company).values()} == {0}
    assert {s.repeats for s in schedules_of(other).values()} == {-1}
    # Paused schedules stay listed, and django-q2's scheduler skips repeats == 0.
    assert not Schedule.objects.filter(name__endswith=f"(client {client_company.pk})").exclude(repeats=0).exists()
    schedules_ensure()  # a deploy while paused keeps them paused
    assert {s.repeats for s in schedules_of(client_company).values()} == {0}

    clients_status_set(clients=[client_company], status="active")
    schedules = schedules_of(client_company).values()
    assert {s.repeats for s in schedules} == {-1}
    assert all(s.next_run is not None for s in schedules)
    assert len(schedules) == 4


@pytest.mark.django_db
def test_scheduled_syncs_record_the_schedule_as_who_started_them(connected_client):
    from django_q.tasks import async_task

    from mappings.models import SyncRun

    for schedule in schedules_of(connected_client).values() if schedules_ensure() else ():
        if schedule.func.startswith("exports.tasks.t"):
            async_task(schedule.func, client_id=connected_client.pk)
    runs = SyncRun.objects.filter(client=connected_client)
    assert sorted(runs.values_list("kind", flat=True)) == ["tags", "tax"]
    assert set(runs.values_list("triggered_by", flat=True)) == {"schedule"}
