"""Verify subscribes a Pleo connection to new export jobs at the portal's public address: once, repaired
rather than doubled, removed with the client; the poll slows down while it works and the pages say so."""
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from exports.schedules import client_schedules_ensure, poll_schedule_name
from integrations.models import PleoConnection
from integrations.verify_pleo import pleo_connection_verify
from sandbox.pleo.models import SubscriptionStatus, WebhookSubscription
from sandbox.pleo.services import fault_add

PUBLIC = "https://portal.example"


@pytest.fixture
def public(settings):
    settings.PORTAL_PUBLIC_URL = PUBLIC
    return settings


@pytest.fixture
def connection(pleo_connection_to_sandbox, fake_pleo):
    return pleo_connection_to_sandbox


def verify(connection) -> dict:
    report = pleo_connection_verify(connection=connection)
    connection.refresh_from_db()
    return {check.key: check for check in report.checks}["webhook"]


def subscriptions():
    return list(WebhookSubscription.objects.all())


def address(connection) -> str:
    return f"{PUBLIC}/webhooks/pleo/{connection.webhook_endpoint_id}/"


@pytest.mark.django_db
def test_verify_subscribes_once_with_the_secret_that_signs_the_deliveries(public, connection):
    check = verify(connection)
    [subscription] = subscriptions()
    assert check.passed and check.detail.startswith("Subscribed: Pleo announces new export jobs at")
    assert (subscription.endpoint_url, subscription.event_types, subscription.status) == (
        address(connection), ["v1.export-job.created"], SubscriptionStatus.ACTIVE)
    assert connection.webhook_secret == subscription.secret and connection.webhook_status == "active"
    assert connection.webhook_subscription_id == str(subscription.uuid)

    check = verify(connection)
    assert check.passed and check.detail.startswith("Active:") and len(subscriptions()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("broken", ["disabled in Pleo", "deleted in Pleo", "id lost by the portal", "moved"])
def test_verify_repairs_a_broken_subscription_instead_of_adding_one(public, connection, broken):
    verify(connection)
    [subscription] = subscriptions()
    if broken == "disabled in Pleo":
        WebhookSubscription.objects.update(status=SubscriptionStatus.INACTIVE)
    elif broken == "deleted in Pleo":
        WebhookSubscription.objects.all().delete()
    elif broken == "id lost by the portal":
        PleoConnection.objects.filter(pk=connection.pk).update(webhook_subscription_id="")
        connection.refresh_from_db()
    else:
        public.PORTAL_PUBLIC_URL = "https://new-portal.example"

    check = verify(connection)
    [now] = subscriptions()
    assert check.passed and connection.webhook_status == "active"
    assert now.status == SubscriptionStatus.ACTIVE and now.secret == connection.webhook_secret
    assert now.endpoint_url.endswith(f"/webhooks/pleo/{connection.webhook_endpoint_id}/")
    assert (now.pk == subscription.pk) == (broken != "deleted in Pleo")


@pytest.mark.django_db
def test_without_a_public_address_verify_passes_and_says_the_poll_finds_the_jobs(settings, connection):
    settings.PORTAL_PUBLIC_URL = ""
    report = pleo_connection_verify(connection=connection)
    check = {c.key: c for c in report.checks}["webhook"]
    assert report.passed and check.passed is False and not check.required
    assert "PORTAL_PUBLIC_URL is not set" in check.detail and "PORTAL_PUBLIC_URL" in check.fix
    assert subscriptions() == []


@pytest.mark.django_db
def test_a_subscription_pleo_refuses_leaves_the_poll_at_the_clients_pace_and_the_client_needing_attention(
        public, connection, admin_client):
    fault_add(method="POST", path_prefix="/v1/subscriptions", kind="http_500", count=1)
    check = verify(connection)
    assert check.passed is False and connection.webhook_status == "failed" and subscriptions() == []
    assert "Not working:" in check.detail and "Verify again" in check.detail
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Pleo&#x27;s webhook is not working" in page or "Pleo's webhook is not working" in page


@pytest.mark.django_db
def test_the_poll_runs_every_thirty_minutes_while_the_webhook_works(public, connection):
    def poll_minutes():
        return Schedule.objects.get(name=poll_schedule_name(client_id=connection.client_id)).minutes

    client_schedules_ensure(client=connection.client)
    assert poll_minutes() == 5
    verify(connection)  # the schedules follow the webhook's state (tasks run inline in tests)
    assert poll_minutes() == 30
    # The scheduler ran the poll: the next one is 30 minutes away.
    Schedule.objects.filter(name=poll_schedule_name(client_id=connection.client_id)).update(
        next_run=timezone.now() + timedelta(minutes=30))
    WebhookSubscription.objects.all().delete()
    fault_add(method="POST", path_prefix="/v1/subscriptions", kind="http_500", count=1)
    verify(connection)
    assert connection.webhook_status == "failed" and poll_minutes() == 5
    # The next poll is within the client's 5 minutes, not where the 30-minute schedule had put it.
    next_run = Schedule.objects.get(name=poll_schedule_name(client_id=connection.client_id)).next_run
    assert next_run <= timezone.now() + timedelta(minutes=5)


@pytest.mark.django_db
def test_removing_the_client_removes_its_subscription(public, connection, django_capture_on_commit_callbacks):
    verify(connection)
    assert len(subscriptions()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        connection.client.delete()
    assert subscriptions() == []


@pytest.mark.django_db
def test_the_command_subscribes_the_verified_connections(public, connection, capsys, settings):
    settings.PORTAL_PUBLIC_URL = ""
    pleo_connection_verify(connection=connection)  # verified before the portal had its public address
    settings.PORTAL_PUBLIC_URL = PUBLIC
    call_command("pleo_webhooks_subscribe")
    out = capsys.readouterr().out
    assert "Subscribed:" in out and "1 of 1 Pleo connection(s) have a working webhook." in out
    assert len(subscriptions()) == 1


@pytest.mark.django_db
def test_the_connection_page_shows_the_webhook_but_never_its_secret(public, connection, admin_client):
    verify(connection)
    page = admin_client.get(reverse("admin:integrations_pleoconnection_change", args=[connection.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Pleo&#x27;s webhook" in html and address(connection) in html
    assert connection.webhook_secret not in html
    client_page = admin_client.get(reverse("admin:integrations_client_overview", args=[connection.client_id]))
    assert "Webhook active, no delivery yet." in client_page.content.decode()
    assert connection.webhook_secret not in client_page.content.decode()
