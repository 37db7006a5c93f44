"""Fixtures of the export history admin: another client the staff member does not handle, and the browsers
of a staff member and of a superuser (the real export, `exported`, is in tests/conftest.py)."""
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from exports.models import ExportAttempt, ExportRecord, ExportRun
from tests.factories import ClientFactory

__all__ = ["other_client_record", "queue_held"]


@pytest.fixture
def other_client_record(db):
    """Another client's failed record and run, with a supplier and amount of their own."""
    other = ClientFactory(name="Other Client BV")
    run = ExportRun.objects.create(client=other, pleo_job_id="job-of-other", status="succeeded",
                                   started_at=timezone.now(), finished_at=timezone.now(), triggered_by="schedule")
    record = ExportRecord.objects.create(
        client=other, pleo_accounting_entry_id="other-entry-1", pleo_job_id="job-of-other", export_run=run,
        kind="card_purchase", entry_date=date(2025, 3, 12), supplier="Secret Supplier of Other",
        amount=Decimal("77.70"), currency="EUR", status="failed", last_error="Other's reason",
        pleo_payload={"accountingEntryId": "other-entry-1"},
    )
    ExportAttempt.objects.create(record=record, export_run=run, outcome="failed", message="Other's reason")
    return record


@pytest.fixture
def staff_browser(client, staff_user, export_client):
    """A staff member who handles the exported client only."""
    export_client.staff.add(staff_user)
    client.force_login(staff_user)
    return client


@pytest.fixture
def admin_browser(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def queue_held():
    """A cluster that is not running: async_task only queues (the test settings otherwise run it at once)."""
    with mock.patch("django_q.tasks.async_task") as queued:
        yield queued
