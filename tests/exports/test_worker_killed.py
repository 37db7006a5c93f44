"""A worker killed in the middle of a batch: the next run of the client takes over once the lease is up,
books every expense exactly once, settles every Pleo item and says plainly what happened to the killed run."""
import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.tasks import async_task

from exports.models import ExportLock, ExportRecord, ExportRun
from exports.lock import ExportBusyError
from exports.services import export_queue_poll
from sandbox.bench.exports import bench_clients_seed
from sandbox.bench.load import database_url, qclusters_start
from sandbox.odoo.models import EmulatedDatabase, EmulatedRecord
from sandbox.odoo.services import emulated_fault_add, emulated_faults_clear
from sandbox.pleo.models import Company, ExportJob, ExportJobItem
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create
from sandbox.transport import sandboxes_in_process
from tests.exports.services.fault_checks import books_settled, job_seed

JOBS, EXPENSES_PER_JOB = 3, 4
KILLED = "The worker running this export stopped (killed or restarted) at "


def lease_runs_out(client):
    """What the passage of LOCK_LEASE does to the dead worker's lease."""
    ExportLock.objects.filter(client=client).update(locked_until=timezone.now() - timedelta(seconds=1))


def odoo_moves(database_name: str) -> Counter:
    moves = EmulatedRecord.objects.filter(database__name=database_name, model="account.move")
    return Counter(ref for ref in (m.values.get("ref") for m in moves) if ref and ref.startswith("PLEO-"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cluster_killed_mid_batch_is_taken_over_by_the_next_run(live_server):
    """Naive: the killed run stays "running" forever; the next run books again what the killed one had
    created in Odoo (no lookup by reference), or leaves its "exporting" records and open Pleo items behind."""
    [client] = bench_clients_seed(prefix="killed", clients=1, expenses=0, receipts=False, base_url=live_server.url)
    company = Company.objects.get(uuid=client.pleo_connection.company_id)
    items = export_items_generate(company=company, count=JOBS * EXPENSES_PER_JOB, seed=5, kinds=["card_purchase"],
                                  with_receipts=False)
    for start in range(0, len(items), EXPENSES_PER_JOB):
        export_job_create(company=company, items=items[start:start + EXPENSES_PER_JOB])
    database_name = client.odoo_connection.database
    # An Odoo slow to create entries, so the kill lands while a job's records are marked "exporting": a window
    # of seconds, wide enough on a busy machine (a delay on every call left one of milliseconds).
    emulated_fault_add(database=EmulatedDatabase.objects.get(name=database_name), kind="delay", seconds=3,
                       model="account.move", method="create", count=100_000)

    env = {**os.environ, "DEBUG": "true", "SANDBOX_ENABLED": "true", "Q_WORKERS": "1", "DATABASE_URL": database_url()}
    for name in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "Q_TIMEOUT", "Q_RETRY"):
        env.pop(name, None)  # the ORM broker, and the default lease: only the kill stops this run
    [cluster] = qclusters_start(count=1, env=env)
    try:
        async_task("exports.tasks.export_queue_poll", client.pk, "schedule",
                   broker=ORM(list_key=settings.Q_CLUSTER["name"]), sync=False)
        deadline = time.monotonic() + 120
        # Mid-batch: a whole job exported, the next one's entries on their way into Odoo (inside the slow create:
        # the first job's last records, still "exporting" while its first are "exported", are a window of ms).
        while time.monotonic() < deadline and not (
                ExportRecord.objects.filter(client=client, status="exported").count() >= EXPENSES_PER_JOB
                and ExportRecord.objects.filter(client=client, status="exporting").exists()):
            time.sleep(0.02)
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=30)
    finally:
        if cluster.poll() is None:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=30)
    assert ExportRecord.objects.filter(client=client, status="exporting").exists(), "the batch was not mid-way"
    assert ExportJob.objects.filter(company=company).exclude(status__in=["completed", "completed_with_errors"]).exists()
    killed_run = ExportRun.objects.get(client=client, status="running")

    emulated_faults_clear(database=EmulatedDatabase.objects.get(name=database_name))
    with sandboxes_in_process(live_server.url):
        with pytest.raises(ExportBusyError):
            export_queue_poll(client_id=client.pk)  # the dead worker's lease still holds
        lease_runs_out(client)
        runs = export_queue_poll(client_id=client.pk)

    assert runs and all(run.status == "succeeded" for run in runs)
    killed_run.refresh_from_db()
    assert killed_run.status == "failed" and killed_run.error.startswith(KILLED)
    assert killed_run.error.endswith("; the next run resumed the job.") and killed_run.finished_at
    assert ExportRun.objects.filter(client=client, status="running").count() == 0
    # Every expense booked exactly once, every Pleo item successful, nothing left exporting.
    records = ExportRecord.objects.filter(client=client)
    assert sorted(records.values_list("status", flat=True)) == ["exported"] * len(items)
    moves = odoo_moves(database_name)
    assert sorted(moves.values()) == [1] * len(items), "an expense was booked twice or not at all"
    assert set(moves) == set(records.values_list("odoo_reference", flat=True))
    assert ExportJob.objects.filter(company=company).exclude(status="completed").count() == 0
    assert ExportJobItem.objects.filter(job__company=company).exclude(status="successful").count() == 0


class WorkerKilled(BaseException):
    """What the worker's death looks like from inside the run: nothing after it runs, no `except` catches it."""


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_marked_failed_by_the_next_run(export_client, fake_odoo, fake_pleo, monkeypatch):
    """Naive: the run a killed worker left "running" stays running forever in the export history."""
    items, job = job_seed(fake_pleo, count=4, with_receipts=False)
    from exports import moves

    post = moves.post

    def dies(*args, **kwargs):
        raise WorkerKilled
    monkeypatch.setattr(moves, "post", dies)  # the entries are created, then the worker dies
    with pytest.raises(WorkerKilled):
        export_queue_poll(client_id=export_client.pk)
    killed_run = ExportRun.objects.get()
    assert killed_run.status == "running"
    lease_runs_out(export_client)

    monkeypatch.setattr(moves, "post", post)
    [run] = export_queue_poll(client_id=export_client.pk)

    killed_run.refresh_from_db()
    assert killed_run.status == "failed" and killed_run.error.startswith(KILLED), killed_run.error
    last_change = max(ExportRecord.objects.filter(client=export_client).values_list("created_at", flat=True))
    assert killed_run.finished_at <= run.started_at and killed_run.finished_at >= last_change
    assert run.status == "succeeded"
    books_settled(client=export_client, fake_odoo=fake_odoo, job=job)
