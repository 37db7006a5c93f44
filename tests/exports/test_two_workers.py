"""Two qcluster processes on Redis and PostgreSQL export several clients at once, each expense exactly once."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.models import Task
from django_q.tasks import async_task

from exports.models import ExportRecord
from integrations.services import client_create, odoo_connection_save, pleo_connection_save
from sandbox.demo import export_mappings_seed
from sandbox.odoo.models import EmulatedRecord
from sandbox.odoo.services import emulated_api_key, emulated_database_create
from sandbox.pleo.models import ExportJob
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create, sandbox_company_create

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CLIENTS, EXPENSES, POLLS_PER_CLIENT = 3, 8, 3


def client_seed(index: int, base_url: str):
    database = emulated_database_create(name=f"worker{index}", version=16 + index % 2)
    company, token = sandbox_company_create(name=f"Worker Client {index} ApS")
    client = client_create(name=f"Worker Client {index} BV")
    odoo = odoo_connection_save(client=client, api_key=emulated_api_key(database=database, uid=6), data={
        "url": f"{base_url}/sandbox/odoo/{database.name}", "database": database.name, "login": "pleo@example.com"})
    odoo.company_id, odoo.company_name = 1, "Client A BV"
    odoo.save()
    pleo_connection_save(client=client, api_token=token, data={
        "api_base_url": f"{base_url}/sandbox/pleo", "company_id": str(company.uuid)})
    export_mappings_seed(client=client, database=database, company=company)
    items = export_items_generate(company=company, count=EXPENSES, seed=index, kinds=["card_purchase"],
                                  with_receipts=False)
    export_job_create(company=company, items=items)
    return client, database


def start_cluster(env):
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_clusters_export_every_expense_exactly_once(live_server):
    clients = [client_seed(index, live_server.url) for index in range(CLIENTS)]
    connection = redis.from_url(REDIS_URL)
    connection.flushdb()
    broker = RedisBroker(list_key=settings.Q_CLUSTER["name"])
    broker.connection = connection
    database = settings.DATABASES["default"]
    env = {**os.environ, "DEBUG": "true", "SANDBOX_ENABLED": "true", "REDIS_URL": REDIS_URL, "Q_WORKERS": "2",
           "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    clusters = [start_cluster(env), start_cluster(env)]
    try:
        task_ids = [async_task("exports.tasks.export_queue_poll", client.pk, "two workers test",
                               broker=broker, sync=False)
                    for _ in range(POLLS_PER_CLIENT) for client, _ in clients]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and Task.objects.filter(id__in=task_ids).count() < len(task_ids):
            time.sleep(0.5)
        assert Task.objects.filter(id__in=task_ids).count() == len(task_ids)
    finally:
        for cluster in clusters:
            cluster.send_signal(signal.SIGTERM)
        for cluster in clusters:
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cluster.kill()
        connection.flushdb()

    assert ExportJob.objects.exclude(status__in=["completed", "completed_with_errors"]).count() == 0
    for client, database in clients:
        records = ExportRecord.objects.filter(client=client)
        assert records.count() == EXPENSES
        refs = [r.values.get("ref") for r in EmulatedRecord.objects.filter(database=database, model="account.move")]
        refs = [ref for ref in refs if ref and ref.startswith("PLEO-")]
        assert len(refs) == len(set(refs)), "an expense was booked twice"
        assert sorted(refs) == sorted(r.odoo_reference for r in records.filter(status="exported"))
        # Another poll of the same client ran at the same time: it found the lock and left.
        assert client.export_runs.filter(status="succeeded").count() >= 1
