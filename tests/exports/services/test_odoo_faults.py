"""Odoo failing in the middle of an export, at each step of the booking: once Odoo is back, the next run
books every expense exactly once, with its receipts once, and Pleo hears each item's right final state."""
import pytest

from exports.models import ExportRecord, ExportRun
from exports.services import export_queue_poll
from integrations.odoo.errors import OdooAuthenticationError, OdooError
from integrations.verify_odoo import odoo_connection_verify
from sandbox.odoo.services import emulated_fault_add, emulated_faults_clear
from sandbox.pleo.services import export_job_create
from tests.exports.services.fault_checks import books_settled, job_seed

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out

# Where Odoo breaks: the call that fails, and whether Odoo did the work before the answer was lost.
STAGES = {
    "before_create": ("account.move", "search_read", False),  # the lookup of earlier runs' entries by reference
    "after_create": ("account.move", "create", True),
    "after_post": ("account.move", "action_post", True),
    "after_attachments": ("ir.attachment", "create", True),
}
KINDS = ["read_timeout", "connection_reset", "http_502", "http_503", "access_denied"]
BATCH = 2  # five expenses in three batches: Odoo breaks after the first batch's call


def odoo_breaks(fake_odoo, kind, stage, stays_down=True):
    model, method, after_commit = STAGES[stage]
    # A refused key refuses the call itself: nothing is done.
    emulated_fault_add(database=fake_odoo.database, kind=kind, model=model, method=method,
                       after_commit=after_commit and kind != "access_denied", stays_down=stays_down)


def odoo_comes_back(client, fake_odoo):
    emulated_faults_clear(database=fake_odoo.database)
    connection = client.odoo_connection
    connection.refresh_from_db()
    if connection.credentials_refused_at:
        assert odoo_connection_verify(connection=connection).passed  # the bookkeeper presses Verify


@pytest.mark.django_db
@pytest.mark.parametrize("stage", list(STAGES))
# The full cross product runs on Odoo 17; Odoo 16 gets a cross-check of two kinds.
@pytest.mark.parametrize("fake_odoo, kind", [(17, kind) for kind in KINDS] + [
    (16, "connection_reset"), (16, "access_denied")], indirect=["fake_odoo"])
def test_odoo_going_down_mid_batch_is_settled_by_the_next_run(export_client, fake_odoo, fake_pleo, sleeps,
                                                              kind, stage):
    """Naive: re-creating what an interrupted run created (no lookup by reference), posting an entry
    twice, attaching a receipt again, or failing in Pleo items Odoo had booked."""
    items, job = job_seed(fake_pleo)
    odoo_breaks(fake_odoo, kind, stage)

    with pytest.raises(OdooError) as raised:
        export_queue_poll(client_id=export_client.pk, batch_size=BATCH)
    assert isinstance(raised.value, OdooAuthenticationError) == (kind == "access_denied")
    failed_run = ExportRun.objects.get()
    assert failed_run.status == "failed" and "Odoo" in failed_run.error
    job.refresh_from_db()
    assert job.status == "in_progress"  # Pleo is told nothing final while Odoo is away
    assert not job.items.filter(status="failed").exists()

    odoo_comes_back(export_client, fake_odoo)
    runs = export_queue_poll(client_id=export_client.pk, batch_size=BATCH)

    assert [run.status for run in runs] == ["succeeded"]
    records = books_settled(client=export_client, fake_odoo=fake_odoo, job=job)
    assert all(r.status == "exported" for r in records), [(r.status, r.last_error) for r in records]


@pytest.mark.django_db
@pytest.mark.parametrize("stage", ["after_create", "after_post", "after_attachments"])
def test_one_lost_answer_while_odoo_keeps_working_costs_no_item(export_client, fake_odoo, fake_pleo, sleeps, stage):
    """Naive: an item whose entry or receipt Odoo did book is failed in Pleo because the answer was lost."""
    items, job = job_seed(fake_pleo)
    odoo_breaks(fake_odoo, "connection_reset", stage, stays_down=False)

    try:
        export_queue_poll(client_id=export_client.pk, batch_size=BATCH)
    except OdooError:
        pass  # a lost answer after create is settled in the run; after post or attach, by the next one
    assert not job.items.filter(status="failed").exists()
    odoo_comes_back(export_client, fake_odoo)
    export_queue_poll(client_id=export_client.pk, batch_size=BATCH)

    records = books_settled(client=export_client, fake_odoo=fake_odoo, job=job)
    assert all(r.status == "exported" for r in records), [(r.status, r.last_error) for r in records]
    assert ExportRecord.objects.filter(client=export_client, attempts__gt=2).count() == 0


@pytest.mark.django_db
def test_an_expense_failed_after_odoo_booked_it_is_adopted_and_reported_by_the_next_export(
        export_client, fake_odoo, fake_pleo, sleeps):
    """Naive: an expense whose entry an earlier run booked but which failed (here its receipts were refused)
    is adopted by its reference in the next export, but its old "failed" status drops it from the run:
    never reported, its Pleo item left open and abandoned when the job closes."""
    items, job = job_seed(fake_pleo, count=3)
    # Odoo answers the receipts upload with a web page: the entries are booked, their receipts are not.
    emulated_fault_add(database=fake_odoo.database, kind="html_page", model="ir.attachment", method="create")
    export_queue_poll(client_id=export_client.pk)
    first = list(ExportRecord.objects.filter(client=export_client))
    assert {r.status for r in first} == {"failed"} and all(r.odoo_record_id for r in first)
    assert all("the entry is booked" in r.last_error for r in first)

    again = export_job_create(company=fake_pleo.company, items=items)  # the bookkeeper exports them again in Pleo
    export_queue_poll(client_id=export_client.pk)

    records = books_settled(client=export_client, fake_odoo=fake_odoo, job=again)
    assert all(r.status == "exported" and r.last_error == "" for r in records), (
        [(r.status, r.last_error) for r in records])
    assert {r.odoo_record_id for r in records} == {r.odoo_record_id for r in first}  # adopted, not booked anew
