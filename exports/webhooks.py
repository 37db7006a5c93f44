"""Pleo's webhook starts a client's export seconds after a bookkeeper presses Export in Pleo.

The receiver is public, outside the admin: it reads at most DELIVERY_MAX_BYTES, lets
integrations.webhooks check the delivery, and queues the client's export; it does no Pleo or Odoo work
itself. A burst of deliveries queues one export: `ExportLock.export_wanted_at` is set by the delivery that
queues it and cleared when a run starts reading Pleo's queue, so while it is set there is an export to
come that will see every job created so far. The poll stays the backstop for lost deliveries.
"""
import time

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from exports.lock import LOCK_LEASE, ExportBusyError
from exports.models import ExportLock
from exports.services import export_queue_poll
from integrations.pleo.webhooks import DELIVERY_MAX_BYTES
from integrations.webhooks import webhook_delivery_receive

__all__ = ["pleo_webhook", "export_wanted", "export_wanted_run"]

BUSY_RETRY_SECONDS = 2  # how often a wanted export looks whether the client's running export has finished
TRIGGER = "Pleo webhook"


@csrf_exempt
@require_POST
def pleo_webhook(request: HttpRequest, endpoint_id) -> HttpResponse:
    """Answer Pleo with a bare status code: what was wrong is not the caller's to learn."""
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return HttpResponse(status=400)
    if length > DELIVERY_MAX_BYTES:
        return HttpResponse(status=413)
    body = request.read(DELIVERY_MAX_BYTES + 1)
    if len(body) > DELIVERY_MAX_BYTES:
        return HttpResponse(status=413)
    outcome = webhook_delivery_receive(
        endpoint_id=endpoint_id, webhook_id=request.headers.get("webhook-id", ""),
        timestamp=request.headers.get("webhook-timestamp", ""),
        signature=request.headers.get("webhook-signature", ""), body=body)
    if outcome.client_id is not None:
        export_wanted(client_id=outcome.client_id)
    return HttpResponse(status=outcome.status)


def export_wanted(*, client_id: int) -> bool:
    """Queue the client's export unless one is already wanted; True when this call queued it."""
    ExportLock.objects.get_or_create(client_id=client_id)
    wanted = ExportLock.objects.filter(client_id=client_id, export_wanted_at__isnull=True).update(
        export_wanted_at=timezone.now())
    if wanted:
        async_task("exports.tasks.export_wanted_run", client_id, task_name=f"webhook export client {client_id}")
    return bool(wanted)


def export_wanted_run(*, client_id: int, sleep=time.sleep) -> None:
    """Run the wanted export. While another run of the client holds its lock, wait for it: if that run started
    reading Pleo's queue after the delivery it cleared the wish and covers the new job; else run after it."""
    started, deadline = timezone.now(), time.monotonic() + LOCK_LEASE.total_seconds() - 60
    wish = ExportLock.objects.filter(client_id=client_id, export_wanted_at__lte=started)
    while True:
        try:
            export_queue_poll(client_id=client_id, triggered_by=TRIGGER)
        except ExportBusyError:
            if wish.exists() and time.monotonic() < deadline:
                sleep(BUSY_RETRY_SECONDS)
                continue
            # Covered by the running export, or given up to the next poll rather than hold a worker past its
            # timeout.
        # A paused client or refused credentials end the poll before it takes the lock: the wish goes too, so
        # the next delivery queues an export again. A wish of a delivery after `started` has its own.
        wish.update(export_wanted_at=None)
        return
