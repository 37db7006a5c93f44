"""A firm with clients in every state the dashboard tells apart."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from exports.choices import ExportRecordStatus, ExportRunStatus
from exports.models import ExportRecord, ExportRun
from exports.schedules import poll_schedule_name
from integrations.choices import ClientStatus
from mappings.choices import SyncKind, SyncRunStatus
from mappings.models import SyncRun
from tests.factories import ClientFactory, OdooConnectionFactory, PleoConnectionFactory


def _connection(factory, client, state: str, now):
    if state == "missing":
        return None
    fields = {"verification_passed": True, "verified_at": now - timedelta(days=2)}
    if state == "unverified":
        fields = {"verification_passed": None, "verified_at": None}
    elif state == "failing":
        fields.update(failing_since=now - timedelta(hours=3), last_failure="Odoo did not answer within 60 seconds.")
    elif state == "refused":
        fields.update(failing_since=now - timedelta(hours=5), credentials_refused_at=now - timedelta(hours=5),
                      last_failure="Pleo refused the API token.")
    return factory(client=client, **fields)


def client_make(name, *, odoo="verified", pleo="verified", paused=False, exported_hours_ago=1, waiting=0,
                failed_hours_ago=(), synced=None):
    """One client: its connections, last export, records that failed so many hours ago, its poll schedule."""
    now = timezone.now()
    client = ClientFactory(name=name, status=ClientStatus.PAUSED if paused else ClientStatus.ACTIVE)
    _connection(OdooConnectionFactory, client, odoo, now)
    pleo_connection = _connection(PleoConnectionFactory, client, pleo, now)
    if pleo_connection is not None:
        type(pleo_connection).objects.filter(pk=pleo_connection.pk).update(queue_waiting=waiting,
                                                                          queue_checked_at=now)
    run = ExportRun.objects.create(client=client, status=ExportRunStatus.SUCCEEDED, triggered_by="schedule",
                                   finished_at=now - timedelta(hours=exported_hours_ago or 0))
    if exported_hours_ago is None:
        ExportRun.objects.filter(pk=run.pk).update(status=ExportRunStatus.FAILED)
    for number, hours in enumerate(failed_hours_ago):
        record = ExportRecord.objects.create(client=client, pleo_accounting_entry_id=f"{client.pk}-{number}",
                                             kind="card_purchase", status=ExportRecordStatus.FAILED, export_run=run)
        ExportRecord.objects.filter(pk=record.pk).update(updated_at=now - timedelta(hours=hours))
    # An exported record an hour ago never counts as a failure.
    ExportRecord.objects.create(client=client, pleo_accounting_entry_id=f"{client.pk}-ok", kind="card_purchase",
                                status=ExportRecordStatus.EXPORTED, export_run=run)
    if synced is not None:
        SyncRun.objects.create(client=client, kind=SyncKind.TAX, status=synced, started_at=now - timedelta(hours=1),
                               finished_at=now - timedelta(minutes=59), triggered_by="schedule")
    Schedule.objects.create(name=poll_schedule_name(client_id=client.pk), func="exports.tasks.export_queue_poll",
                            schedule_type=Schedule.MINUTES, minutes=5, repeats=0 if paused else -1,
                            next_run=now + timedelta(minutes=4))
    return client


@pytest.fixture
def firm(db):
    """Six clients, by name: what each one shows is asserted in test_dashboard.py."""
    return {
        client.name: client
        for client in [
            client_make("Alpha Ok BV", synced=SyncRunStatus.SUCCEEDED),
            client_make("Bravo Failing BV", odoo="failing"),
            client_make("Charlie Refused BV", pleo="refused"),
            client_make("Delta Paused BV", paused=True, exported_hours_ago=24 * 30, waiting=3),
            client_make("Echo Failures BV", failed_hours_ago=[2, 5, 48, 100, 24 * 10]),
            client_make("Foxtrot Unverified BV", odoo="unverified", pleo="missing", exported_hours_ago=None),
            client_make("Golf Old Failures BV", failed_hours_ago=[30, 24 * 6], synced=SyncRunStatus.FAILED),
            client_make("Hotel Stuck BV", exported_hours_ago=24 * 9, waiting=250),
        ]
    }
