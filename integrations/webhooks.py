"""Pleo's webhook for new export jobs, one subscription per Pleo connection.

Verify subscribes the connection at the portal's public address (PORTAL_PUBLIC_URL), or repairs the
subscription it has (disabled, another address) instead of adding a second one; removing the client
removes it. A delivery is checked here (signature, age, replay, company) and only then handed to the
export, which exports.webhooks queues; nothing in a delivery is trusted before that.
"""
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from integrations.choices import WebhookStatus
from integrations.models import PleoConnection, WebhookDelivery
from integrations.pleo.client import PleoClient
from integrations.pleo.errors import PleoError, PleoNotFoundError
from integrations.pleo.webhooks import EXPORT_JOB_CREATED, DeliveryRefused, delivery_read, delivery_verify
from integrations.selectors import pleo_client_for
from integrations.signals import client_schedules_changed

__all__ = [
    "webhook_endpoint_url",
    "pleo_webhook_subscribe",
    "pleo_webhook_unsubscribe",
    "pleo_connection_removed",
    "DeliveryOutcome",
    "webhook_delivery_receive",
    "webhook_deliveries_prune",
]

logger = logging.getLogger(__name__)

DELIVERIES_KEPT_DAYS = 7  # long past the 5-minute window in which a replay could pass the timestamp check


def webhook_endpoint_url(connection: PleoConnection) -> str:
    return settings.PORTAL_PUBLIC_URL + reverse("pleo_webhook", args=[connection.webhook_endpoint_id])


def pleo_webhook_subscribe(*, connection: PleoConnection, client: PleoClient) -> tuple[bool, str]:
    """Make Pleo deliver the connection's new export jobs: keep, repair or create its subscription and read
    the secret that signs the deliveries. Returns (working, what was done in words); the connection records
    it and its poll follows (every PLEO_WEBHOOK_POLL_MINUTES while it works)."""
    if not settings.PORTAL_PUBLIC_URL:
        _webhook_state(connection, WebhookStatus.NONE)
        return False, ("Not subscribed: PORTAL_PUBLIC_URL is not set, so Pleo cannot reach the portal; new export "
                       "jobs are found by the poll.")
    url = webhook_endpoint_url(connection)
    try:
        current = None
        if connection.webhook_subscription_id:
            try:
                current = client.subscription(connection.webhook_subscription_id)
            except PleoNotFoundError:
                current = None  # deleted in Pleo: made again below
        if current is None:  # one made before its id was stored (a crash, a restored database) is adopted
            current = next((s for s in client.subscriptions(event_type=EXPORT_JOB_CREATED)
                            if s.get("endpointUrl") == url), None)
        if current is None:
            current, done = client.subscription_save(None, endpoint_url=url, event_types=[EXPORT_JOB_CREATED]), \
                "Subscribed"
        elif (current.get("status") != "ACTIVE" or current.get("endpointUrl") != url
              or EXPORT_JOB_CREATED not in (current.get("eventTypes") or [])):
            current = client.subscription_save(current["id"], endpoint_url=url, event_types=[EXPORT_JOB_CREATED])
            done = "Repaired (it was disabled or pointed elsewhere) and active"
        else:
            done = "Active"
        secret = client.subscription_secret(current["id"])
    except (PleoError, KeyError, TypeError) as exc:
        reason = str(exc) if isinstance(exc, PleoError) else "Pleo's answer lacked the subscription's id or secret"
        _webhook_state(connection, WebhookStatus.FAILED, f"Pleo did not take the subscription: {reason}")
        return False, f"Not working: {reason}. New export jobs are found by the poll; Verify again to retry."
    connection.webhook_subscription_id, connection.webhook_secret = str(current["id"]), secret
    _webhook_state(connection, WebhookStatus.ACTIVE)
    return True, f"{done}: Pleo announces new export jobs at {url}, which starts their export at once."


def _webhook_state(connection: PleoConnection, status: str, problem: str = "") -> None:
    changed = connection.webhook_status != status
    connection.webhook_status, connection.webhook_problem = status, problem
    connection.webhook_checked_at = timezone.now()
    connection.save(update_fields=["webhook_status", "webhook_problem", "webhook_checked_at",
                                   "webhook_subscription_id", "webhook_secret"])
    if changed:  # the poll runs less often while the webhook works, at the client's interval otherwise
        client_schedules_changed.send(sender=PleoConnection, client=connection.client)


def pleo_webhook_unsubscribe(*, connection: PleoConnection, client: PleoClient) -> None:
    """Delete the connection's subscription in Pleo; a failure is logged, never blocks removing the client
    (a delivery to the removed address is refused like any unknown one)."""
    if not connection.webhook_subscription_id:
        return
    try:
        client.subscription_delete(connection.webhook_subscription_id)
    except PleoNotFoundError:
        pass
    except PleoError as exc:
        logger.warning("Pleo subscription of %s not deleted: %s", connection, exc)


def pleo_connection_removed(*, instance: PleoConnection, **kwargs) -> None:
    """pre_delete of a Pleo connection (its client removed): its subscription goes once the removal is saved."""
    if instance.webhook_subscription_id:
        transaction.on_commit(lambda: pleo_webhook_unsubscribe(connection=instance, client=pleo_client_for(instance)))


class DeliveryOutcome:
    """What the receiver answers: an HTTP status, and the client whose export to queue, if any."""

    def __init__(self, status: int, client_id: int | None = None):
        self.status, self.client_id = status, client_id


REFUSED = DeliveryOutcome(401)  # an unknown address, a bad signature, a stale time and another company alike


def webhook_delivery_receive(*, endpoint_id, webhook_id: str, timestamp: str, signature: str,
                             body: bytes) -> DeliveryOutcome:
    """Check one delivery. A new export job of the connection's company gives its client to export; a replay
    (an id seen before) is answered 200 and does nothing.

    Pleo's retry policy is not specified (pleo-api README §13, open question 11): a delivery Pleo repeats
    because our answer was lost gets 200, so Pleo stops resending it and keeps the subscription enabled.
    """
    connection = (PleoConnection.objects.select_related("client").filter(webhook_endpoint_id=endpoint_id)
                  .filter(webhook_secret__isnull=False).first())
    if connection is None:
        return REFUSED
    try:
        delivery_verify(secret=connection.webhook_secret, webhook_id=webhook_id, timestamp=timestamp,
                        signatures=signature, body=body, now=time.time())
    except DeliveryRefused:
        _refused_record(connection)
        return REFUSED
    try:
        delivery = delivery_read(body=body)
    except ValueError:  # signed with the secret, so Pleo's: a shape the docs do not show
        _refused_record(connection)
        logger.warning("Pleo webhook delivery %s for %s not readable", webhook_id[:100], connection)
        return DeliveryOutcome(400)
    if delivery.company_id and delivery.company_id != connection.company_id:
        _refused_record(connection)
        return REFUSED
    now = timezone.now()
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(connection=connection, webhook_id=webhook_id[:100],
                                           event_type=delivery.event_type[:100], job_id=delivery.job_id[:64],
                                           received_at=now)
    except IntegrityError:
        return DeliveryOutcome(200)  # seen before: a replay or Pleo's resend
    PleoConnection.objects.filter(pk=connection.pk).update(webhook_delivered_at=now)
    if not delivery.export_job_created or not connection.client.is_active:
        return DeliveryOutcome(200)
    return DeliveryOutcome(202, connection.client_id)


def webhook_deliveries_prune() -> int:
    """Forget the delivery ids no replay can use any more (the daily history purge calls it)."""
    old = timezone.now() - timedelta(days=DELIVERIES_KEPT_DAYS)
    return WebhookDelivery.objects.filter(received_at__lt=old).delete()[0]


def _refused_record(connection: PleoConnection) -> None:
    """Count a delivery that failed its check for this connection; one update, so a flood costs little."""
    PleoConnection.objects.filter(pk=connection.pk).update(webhook_refused_at=timezone.now(),
                                                           webhook_refused_count=F("webhook_refused_count") + 1)
