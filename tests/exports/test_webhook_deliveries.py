"""Pleo's webhook end to end, over a real socket: the stand-in Pleo delivers a signed delivery to the running
portal when a bookkeeper presses Export, and the expenses are booked and reported before the poll would run.
Its faults (forged, stale, repeated, lost, a burst of 50) book nothing twice and lose nothing: the poll,
the backstop, books what no delivery announced."""
import pytest

from exports.models import ExportRecord, ExportRun
from exports.services import export_queue_poll
from integrations.verify_pleo import pleo_connection_verify
from sandbox.pleo.models import ExportJob
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create
from sandbox.pleo.webhooks import (
    WEBHOOK_DELIVERIES,
    webhook_deliveries_clear,
    webhook_deliveries_wait,
    webhook_fault_add,
)

# One emulated Odoo is enough here: what is under test is Pleo's side, the same on every version.
pytestmark = [pytest.mark.parametrize("fake_odoo", [17], indirect=True, ids=["odoo17"]),
              pytest.mark.django_db(transaction=True)]


@pytest.fixture
def subscribed(export_client, live_server, settings):
    settings.PORTAL_PUBLIC_URL = live_server.url
    report = pleo_connection_verify(connection=export_client.pleo_connection)
    assert {c.key: c.passed for c in report.checks}["webhook"], report.as_dict()
    webhook_deliveries_clear()
    yield export_client
    webhook_deliveries_wait()
    webhook_deliveries_clear()


def press_export(fake_pleo, count=3, seed=7):
    """What a bookkeeper's Export in Pleo does: a pending job; the sandbox delivers once it is committed."""
    items = export_items_generate(company=fake_pleo.company, count=count, seed=seed, with_receipts=False,
                                  kinds=["card_purchase"])
    job = export_job_create(company=fake_pleo.company, items=items)
    assert webhook_deliveries_wait(timeout=60)
    job.refresh_from_db()
    return job


def results():
    return [delivery.result for delivery in WEBHOOK_DELIVERIES]


def booked(client):
    return ExportRecord.objects.filter(client=client, status="exported").count()


def test_a_delivery_books_the_job_at_once(subscribed, fake_pleo):
    job = press_export(fake_pleo)
    assert results() == [202]
    assert job.status == "completed" and booked(subscribed) == 3
    assert ExportRun.objects.get(client=subscribed).triggered_by == "Pleo webhook"
    subscribed.pleo_connection.refresh_from_db()
    assert subscribed.pleo_connection.webhook_delivered_at is not None


@pytest.mark.parametrize("fault", ["bad_signature", "stale_timestamp", "lost"])
def test_a_forged_stale_or_lost_delivery_books_nothing_and_the_poll_books_the_job(subscribed, fake_pleo, fault):
    webhook_fault_add(company=fake_pleo.company, kind=fault)
    job = press_export(fake_pleo)
    assert results() == (["lost"] if fault == "lost" else [401])
    assert job.status == "pending" and booked(subscribed) == 0
    export_queue_poll(client_id=subscribed.pk, triggered_by="schedule")  # the backstop
    job.refresh_from_db()
    assert job.status == "completed" and booked(subscribed) == 3


def test_the_same_delivery_twice_books_once(subscribed, fake_pleo):
    webhook_fault_add(company=fake_pleo.company, kind="duplicate")
    job = press_export(fake_pleo)
    assert sorted(results()) == [200, 202]
    assert job.status == "completed" and booked(subscribed) == 3
    assert ExportRun.objects.filter(client=subscribed).count() == 1


@pytest.mark.postgres  # fifty requests at once need a database with a connection per thread, not in-memory SQLite
def test_a_burst_of_fifty_runs_one_export(subscribed, fake_pleo):
    webhook_fault_add(company=fake_pleo.company, kind="burst")
    job = press_export(fake_pleo)
    assert len(results()) == 50 and set(results()) == {202}
    assert job.status == "completed" and booked(subscribed) == 3
    assert ExportRun.objects.filter(client=subscribed).count() == 1


def test_deliveries_out_of_order_book_both_jobs(subscribed, fake_pleo, monkeypatch):
    monkeypatch.setattr("sandbox.pleo.webhooks.OUT_OF_ORDER_HOLD_SECONDS", 0.5)
    webhook_fault_add(company=fake_pleo.company, kind="out_of_order")
    first = press_export(fake_pleo, seed=1)  # held back: no other job comes while it is pending
    second = press_export(fake_pleo, seed=2)
    assert {first.status, second.status} == {"completed"} and booked(subscribed) == 6
    assert ExportJob.objects.filter(company=fake_pleo.company, status="pending").count() == 0
