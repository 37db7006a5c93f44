"""The scale-out set-up: a qcluster process on the Redis broker and PostgreSQL runs what the portal queues."""
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

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_qcluster_on_redis_and_postgresql_runs_a_queued_task():
    database = settings.DATABASES["default"]
    connection = redis.from_url(REDIS_URL)
    connection.flushdb()
    broker = RedisBroker(list_key=settings.Q_CLUSTER["name"])
    broker.connection = connection
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": REDIS_URL,
        "Q_WORKERS": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        task_id = async_task("math.floor", 7.9, broker=broker, sync=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Task.objects.filter(id=task_id).exists():
            time.sleep(0.5)
        task = Task.objects.get(id=task_id)
        assert task.success and task.result == 7
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cluster.kill()
        connection.flushdb()
