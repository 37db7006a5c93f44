"""The public receiver of Pleo's webhook: a signed delivery of a new export job queues the client's export, once
for a burst; anything forged, replayed, stale, oversized or of another company queues nothing and says
nothing about which connections exist."""
import base64
import hashlib
import hmac
import json
import time
import uuid
from unittest import mock

import pytest
from django.urls import reverse

from exports.lock import ExportBusyError
from exports.models import ExportLock
from exports.webhooks import export_wanted, export_wanted_run
from integrations.models import PleoConnection, WebhookDelivery
from integrations.pleo.webhooks import DELIVERY_MAX_BYTES

SECRET = "whsec_" + base64.b64encode(b"portal-test-secret-24byt").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-connections-key!").decode()


def _signed(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return "v1," + base64.b64encode(hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body,
                                            hashlib.sha256).digest()).decode()


@pytest.fixture
def subscribed(pleo_connection_to_sandbox, fake_pleo):
    """A Pleo connection with a subscription; the receiver needs no Odoo, so none is made."""
    connection = pleo_connection_to_sandbox
    connection.company_id, connection.webhook_secret, connection.webhook_status = fake_pleo.company_id, SECRET, \
        "active"
    connection.save()
    return connection


@pytest.fixture
def queued():
    """A cluster that is not running: the receiver's task is only queued (the test settings would run it)."""
    with mock.patch("exports.webhooks.async_task") as async_task:
        yield async_task


def deliver(client, connection, *, webhook_id=None, secret=SECRET, timestamp=None, company_id=None, body=None,
            endpoint_id=None, event_type="v1.export-job.created"):
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    if body is None:
        body = json.dumps({"data": {"id": str(uuid.uuid4()), "companyId": company_id or connection.company_id,
                                    "status": "pending", "numberOfItems": 3},
                           "eventType": event_type, "eventId": str(uuid.uuid4())}).encode()
    url = reverse("pleo_webhook", args=[endpoint_id or connection.webhook_endpoint_id])
    return client.post(url, data=body, content_type="application/json", HTTP_WEBHOOK_ID=webhook_id,
                       HTTP_WEBHOOK_TIMESTAMP=str(timestamp),
                       HTTP_WEBHOOK_SIGNATURE=_signed(secret, webhook_id, timestamp, body))


@pytest.mark.django_db
def test_a_signed_delivery_queues_the_clients_export_and_is_recorded(client, subscribed, queued):
    response = deliver(client, subscribed)
    assert response.status_code == 202 and response.content == b""
    queued.assert_called_once()
    assert queued.call_args.args == ("exports.tasks.export_wanted_run", subscribed.client_id)
    subscribed.refresh_from_db()
    assert subscribed.webhook_delivered_at is not None and subscribed.webhook_refused_count == 0
    assert WebhookDelivery.objects.filter(connection=subscribed).count() == 1


@pytest.mark.django_db
def test_a_burst_of_fifty_queues_one_export_until_a_run_starts_reading_the_queue(client, subscribed, queued):
    assert all(deliver(client, subscribed).status_code == 202 for _ in range(50))
    assert queued.call_count == 1
    # The run takes the client's lock to read Pleo's queue: the jobs announced so far are its to book.
    ExportLock.objects.filter(client=subscribed.client).update(export_wanted_at=None)
    deliver(client, subscribed)
    assert queued.call_count == 2


@pytest.mark.django_db
def test_a_replayed_delivery_is_acknowledged_and_queues_nothing(client, subscribed, queued):
    assert deliver(client, subscribed, webhook_id="msg_once").status_code == 202
    ExportLock.objects.update(export_wanted_at=None)
    assert deliver(client, subscribed, webhook_id="msg_once").status_code == 200
    assert queued.call_count == 1


@pytest.mark.django_db
@pytest.mark.parametrize("forgery", [
    {"secret": OTHER_SECRET},  # signed with another connection's secret
    {"age": 6 * 60},  # older than five minutes
    {"age": -6 * 60},  # from the future
    {"company_id": str(uuid.uuid4())},  # another Pleo company's job
])
def test_forged_stale_or_foreign_deliveries_are_refused_alike(client, subscribed, queued, forgery):
    unknown = deliver(client, subscribed, endpoint_id=uuid.uuid4())
    if "age" in forgery:
        forgery = {"timestamp": int(time.time()) - forgery["age"]}
    refused = deliver(client, subscribed, **forgery)
    # An unknown address and a bad delivery to a real one look the same to the caller.
    assert (refused.status_code, refused.content, sorted(refused.headers)) == \
        (unknown.status_code, unknown.content, sorted(unknown.headers)) == (401, b"", sorted(unknown.headers))
    queued.assert_not_called()
    subscribed.refresh_from_db()
    assert subscribed.webhook_refused_count == 1 and subscribed.webhook_refused_at is not None
    assert subscribed.webhook_delivered_at is None and not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_an_oversized_or_unreadable_body_books_nothing(client, subscribed, queued):
    big = b"{" + b" " * DELIVERY_MAX_BYTES + b"}"
    assert deliver(client, subscribed, body=big).status_code == 413
    assert deliver(client, subscribed, body=b"not json").status_code == 400
    assert client.get(reverse("pleo_webhook", args=[subscribed.webhook_endpoint_id])).status_code == 405
    missing = client.post(reverse("pleo_webhook", args=[subscribed.webhook_endpoint_id]), data=b"{}",
                          content_type="application/json")
    assert missing.status_code == 401
    queued.assert_not_called()


@pytest.mark.django_db
def test_other_events_and_paused_clients_are_acknowledged_without_an_export(client, subscribed, queued):
    assert deliver(client, subscribed, event_type="v1.expense.created").status_code == 200
    subscribed.client.status = "paused"
    subscribed.client.save()
    assert deliver(client, subscribed).status_code == 200
    queued.assert_not_called()


@pytest.mark.django_db
def test_a_flood_of_forgeries_costs_two_queries_each_and_leaves_the_admin_answering(
        client, admin_client, subscribed, queued, django_assert_max_num_queries):
    with django_assert_max_num_queries(2 * 200):
        for _ in range(100):
            deliver(client, subscribed, secret=OTHER_SECRET)
            deliver(client, subscribed, endpoint_id=uuid.uuid4())
    queued.assert_not_called()
    assert PleoConnection.objects.get(pk=subscribed.pk).webhook_refused_count == 100
    assert admin_client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_a_wanted_export_waits_for_the_running_one_only_if_that_one_started_before_the_delivery(subscribed,
                                                                                                 queued):
    client_id = subscribed.client_id
    export_wanted(client_id=client_id)
    calls, sleeps = [], []

    def busy_twice(**kwargs):
        calls.append(kwargs)
        if len(calls) <= 2:
            raise ExportBusyError("running")

    with mock.patch("exports.webhooks.export_queue_poll", side_effect=busy_twice):
        export_wanted_run(client_id=client_id, sleep=sleeps.append)
    # The running export had read Pleo's queue before the delivery: the wanted one ran after it.
    assert len(calls) == 3 and len(sleeps) == 2 and calls[-1]["triggered_by"] == "Pleo webhook"

    export_wanted(client_id=client_id)
    calls.clear()

    def busy_and_covering(**kwargs):
        calls.append(kwargs)
        ExportLock.objects.filter(client_id=client_id).update(export_wanted_at=None)  # it took the lock after
        raise ExportBusyError("running")

    with mock.patch("exports.webhooks.export_queue_poll", side_effect=busy_and_covering):
        export_wanted_run(client_id=client_id, sleep=sleeps.append)
    assert len(calls) == 1  # the running export covers the new job: nothing more to run


@pytest.mark.django_db
def test_a_wanted_export_of_a_paused_client_lets_the_next_delivery_queue_again(client, subscribed, queued):
    export_wanted(client_id=subscribed.client_id)
    subscribed.client.status = "paused"
    subscribed.client.save()
    export_wanted_run(client_id=subscribed.client_id)  # the poll ends at once for a paused client
    assert not ExportLock.objects.filter(client=subscribed.client, export_wanted_at__isnull=False).exists()
