"""A Pleo export job whose runs keep failing because Odoo stays down is not resumed forever: after
EXPORT_MAX_JOB_ATTEMPTS failed runs its open expenses fail in Pleo with the reason and the job closes;
retried from the export history once Odoo works, each is booked exactly once."""
import pytest

from exports.models import ExportRecord, ExportRun
from exports.retry import export_records_retry
from exports.services import export_queue_poll
from integrations.odoo.errors import OdooError
from sandbox.odoo.models import EmulatedRecord
from sandbox.odoo.services import emulated_fault_add, emulated_faults_clear
from sandbox.pleo.models import ExportJob
from tests.exports.services.fault_checks import books_settled, job_seed

pytestmark = pytest.mark.slow  # a whole export through the sandboxes: make test-fast leaves it out

GIVEN_UP = "Odoo could not be reached in 5 runs since "
ACTION = "Retry these expenses from the export history once Odoo works."


@pytest.mark.django_db
def test_a_job_failing_on_a_dead_odoo_is_closed_after_five_runs_and_retried_from_the_history(
        export_client, fake_odoo, fake_pleo, sleeps):
    """Naive: the job is resumed by every run forever, calling the dead Odoo each time, its Pleo items left
    open; or, closing it, the entries the first run did create in Odoo are booked again on retry."""
    items, job = job_seed(fake_pleo, count=4, with_receipts=False)
    # The first batch's entries are created, then Odoo goes down and stays down.
    emulated_fault_add(database=fake_odoo.database, kind="http_503", model="account.move", method="create",
                       after_commit=True, stays_down=True)
    for _ in range(5):
        with pytest.raises(OdooError):
            export_queue_poll(client_id=export_client.pk, batch_size=2)
    assert ExportRun.objects.filter(status="failed").count() == 5
    job.refresh_from_db()
    assert job.status == "in_progress" and not job.items.exclude(status="pending").exists()

    [closing] = export_queue_poll(client_id=export_client.pk, batch_size=2)

    assert closing.odoo_calls == 0, "the dead Odoo was called again"
    assert closing.status == "failed" and closing.error.startswith(GIVEN_UP) and closing.error.endswith(ACTION)
    assert "Odoo" in closing.error[len(GIVEN_UP):-len(ACTION)]  # the last run's error, in its words
    job.refresh_from_db()
    assert job.status == "completed_with_errors"
    reasons = set(job.items.values_list("failure_reason", flat=True))
    assert [job.items.filter(status="failed").count(), reasons] == [4, {closing.error}]
    records = ExportRecord.objects.filter(client=export_client)
    assert set(records.values_list("status", "last_error")) == {("failed", closing.error)}
    moves = EmulatedRecord.objects.filter(database=fake_odoo.database, model="account.move")
    assert len([m for m in moves if (m.values.get("ref") or "").startswith("PLEO-")]) == 2  # before Odoo went down
    assert export_queue_poll(client_id=export_client.pk) == []  # nothing left to resume

    emulated_faults_clear(database=fake_odoo.database)
    assert export_records_retry(records=records) == 4  # the bookkeeper's retry runs the export (tasks inline)

    again = ExportJob.objects.exclude(pk=job.pk).get()
    settled = books_settled(client=export_client, fake_odoo=fake_odoo, job=again)
    assert all(r.status == "exported" for r in settled), [(r.status, r.last_error) for r in settled]


@pytest.mark.django_db
def test_a_job_under_the_limit_is_resumed(export_client, fake_odoo, fake_pleo, sleeps, settings):
    """Naive: counting every failed run of the client (or of other jobs) instead of this job's."""
    settings.EXPORT_MAX_JOB_ATTEMPTS = 2
    old_items, old_job = job_seed(fake_pleo, count=1, seed=3, with_receipts=False)
    ExportRun.objects.create(client=export_client, pleo_job_id="another-job", status="failed", error="Odoo is down.")
    emulated_fault_add(database=fake_odoo.database, kind="http_502", service="object", stays_down=True)
    with pytest.raises(OdooError):
        export_queue_poll(client_id=export_client.pk)
    emulated_faults_clear(database=fake_odoo.database)

    [run] = export_queue_poll(client_id=export_client.pk)  # one failed run of this job: under the limit of two

    assert run.status == "succeeded"
    records = books_settled(client=export_client, fake_odoo=fake_odoo, job=old_job)
    assert [r.status for r in records] == ["exported"]
