"""The django-q2 schedules the portal needs, declared in code and put in place idempotently (STYLE C12).

Per client: poll the Pleo export queue every `poll_interval_minutes` (every PLEO_WEBHOOK_POLL_MINUTES at
least while Pleo's webhook announces new jobs), sync taxes and tags hourly, check
daily what changed in Odoo to what was exported (exports/drift.py).

Pausing: a paused client's schedules stay in place with `repeats=0`. django-q2's scheduler only picks
schedules with `repeats != 0` (django_q/scheduler.py: `.exclude(repeats=0)`), so they do not run, yet the
admin still lists them, paused, with their last task. Resuming sets `repeats=-1` (forever) and `next_run`
to now. (Moving `next_run` far away would be a time bomb; deleting would lose the last-task link.)
"""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from integrations.choices import WebhookStatus
from integrations.models import Client

__all__ = [
    "SCHEDULE_PREFIXES",
    "HISTORY_PURGE_SCHEDULE",
    "poll_schedule_name",
    "client_schedule_specs",
    "client_schedules_ensure",
    "client_schedules_ensure_task",
    "schedules_ensure",
]

# Every per-client schedule name starts with one of these and ends with "(client <id>)".
SCHEDULE_PREFIXES = (
    "exports: poll Pleo export queue",
    "mappings: sync taxes to Pleo",
    "mappings: sync analytic accounts to Pleo tags",
    "exports: check Odoo for changes to exported records",
)
DEFAULT_POLL_MINUTES = 5
HISTORY_PURGE_SCHEDULE = "exports: purge export history past its retention"


def poll_schedule_name(*, client_id: int) -> str:
    """The name of the client's export poll: how the dashboard finds its next run."""
    return f"{SCHEDULE_PREFIXES[0]} (client {client_id})"


def client_schedule_specs(*, client: Client) -> list[dict]:
    """The schedules one client needs: name plus the Schedule fields update_or_create sets."""
    booking = getattr(client, "booking_settings", None)
    minutes = booking.poll_interval_minutes if booking is not None else DEFAULT_POLL_MINUTES
    pleo = getattr(client, "pleo_connection", None)
    if pleo is not None and pleo.webhook_status == WebhookStatus.ACTIVE:
        # Pleo announces new jobs (exports/webhooks.py): the poll only catches deliveries that never came.
        minutes = max(minutes, settings.PLEO_WEBHOOK_POLL_MINUTES)
    kwargs = f"client_id={client.pk}"
    return [
        {"name": poll_schedule_name(client_id=client.pk), "func": "exports.tasks.export_queue_poll",
         "kwargs": kwargs, "schedule_type": Schedule.MINUTES, "minutes": minutes},
        {"name": f"mappings: sync taxes to Pleo (client {client.pk})", "func": "exports.tasks.tax_mapping_sync",
         "kwargs": kwargs, "schedule_type": Schedule.HOURLY, "minutes": None},
        {"name": f"mappings: sync analytic accounts to Pleo tags (client {client.pk})",
         "func": "exports.tasks.tag_sync",
         "kwargs": kwargs, "schedule_type": Schedule.HOURLY, "minutes": None},
        {"name": f"{SCHEDULE_PREFIXES[3]} (client {client.pk})", "func": "exports.tasks.export_records_drift_check",
         "kwargs": kwargs, "schedule_type": Schedule.DAILY, "minutes": None},
    ]


def client_schedules_ensure(*, client: Client) -> list[Schedule]:
    """Create or update the client's schedules; paused while the client is paused (see module docstring)."""
    # Read afresh: the caller's instance may predate a settings change or a pause.
    client = Client.objects.select_related("booking_settings", "pleo_connection").get(pk=client.pk)
    schedules = []
    for spec in client_schedule_specs(client=client):
        name = spec.pop("name")
        current = Schedule.objects.filter(name=name).first()
        if not client.is_active:
            spec["repeats"] = 0
        elif current is None or current.repeats == 0:
            # New, or resumed: run from now on, forever.
            spec.update(repeats=-1, next_run=timezone.now())
        elif spec.get("minutes") and current.next_run and \
                current.next_run > timezone.now() + timedelta(minutes=spec["minutes"]):
            # A shorter interval (the webhook stopped working, a bookkeeper chose 5 minutes) starts now, not
            # after the longer one's wait.
            spec["next_run"] = timezone.now() + timedelta(minutes=spec["minutes"])
        schedule, _ = Schedule.objects.update_or_create(name=name, defaults=spec)
        schedules.append(schedule)
    return schedules


def client_schedules_changed_receive(*, client: Client, **kwargs) -> None:
    """The lower apps' hook (integrations.signals): the schedules follow in a task, outside their transaction."""
    from django_q.tasks import async_task

    async_task("exports.schedules.client_schedules_ensure_task", client.pk)


def client_schedules_ensure_task(client_id: int) -> None:
    client = Client.objects.filter(pk=client_id).first()
    if client is not None:
        client_schedules_ensure(client=client)
    else:
        _schedules_of_clients_remove(keep=set(Client.objects.values_list("pk", flat=True)))


def schedules_ensure() -> int:
    """Put every client's schedules and the daily history purge in place and remove those of deleted clients;
    returns how many are in place."""
    Schedule.objects.update_or_create(name=HISTORY_PURGE_SCHEDULE, defaults={
        "func": "exports.retention.export_history_purge", "schedule_type": Schedule.DAILY})
    count = 1
    client_ids = set()
    for client in Client.objects.all():
        client_ids.add(client.pk)
        count += len(client_schedules_ensure(client=client))
    _schedules_of_clients_remove(keep=client_ids)
    return count


def _schedules_of_clients_remove(*, keep: set[int]) -> int:
    stale = [
        schedule.pk
        for schedule in Schedule.objects.filter(name__contains="(client ")
        if schedule.name.startswith(SCHEDULE_PREFIXES) and _client_id_of(schedule.name) not in keep
    ]
    Schedule.objects.filter(pk__in=stale).delete()
    return len(stale)


def _client_id_of(name: str) -> int | None:
    tail = name.rsplit("(client ", 1)[-1].rstrip(")")
    return int(tail) if tail.isdigit() else None
