"""The scale-out set-up: a qcluster process on the Redis broker and PostgreSQL runs what the portal queues."""
import os
import time

import pytest
import redis
from django.conf import settings
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.models import Task
from django_q.tasks import async_task

from sandbox.bench.load import database_url, qclusters_start, qclusters_stop


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_qcluster_on_redis_and_postgresql_runs_a_queued_task(redis_test_url):
    connection = redis.from_url(redis_test_url)
    broker = RedisBroker(list_key=settings.Q_CLUSTER["name"])
    broker.connection = connection
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_test_url,
        "Q_WORKERS": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    clusters = qclusters_start(count=1, env=env)
    try:
        task_id = async_task("math.floor", 7.9, broker=broker, sync=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Task.objects.filter(id=task_id).exists():
            time.sleep(0.1)
        task = Task.objects.get(id=task_id)
        assert task.success and task.result == 7
    finally:
        qclusters_stop(clusters, timeout=30)
