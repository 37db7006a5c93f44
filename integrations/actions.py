"""Verify, Sync now and Export now from the client page, run in the background through django-q2.

A `ClientAction` row is what the page shows: queued when asked for, running with a line of progress,
then succeeded or failed with the outcome in plain words. Verify is this app's work; Sync now, Export now
and Check Odoo for changes belong to the apps above, which register their work at start-up
(`client_action_work_register` in their AppConfig.ready), so this app never names their code.
"""
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations import verify_odoo, verify_pleo
from integrations.choices import ClientActionKind, ClientActionStatus
from integrations.errors import PortalError
from integrations.models import Client, ClientAction

__all__ = [
    "client_action_work_register",
    "client_action_run",
    "client_action_request",
    "client_action_execute",
    "client_action_progress_set",
    "client_actions_for",
    "client_connections_verify",
]

logger = logging.getLogger(__name__)

# django-q2 stops a task after this long, so an action still "running" past it lost its worker.
RUNNING_AT_MOST = timedelta(seconds=settings.Q_CLUSTER["timeout"])
WORKER_LOST = "The background worker stopped before this finished; nothing was lost, run it again."

# What a piece of work hands back: did it go well, and the sentence the person reads.
Work = Callable[[ClientAction], tuple[bool, str]]
_WORK: dict[str, Work] = {}


def client_action_work_register(*, kind: str, work: Work) -> None:
    _WORK[kind] = work


def client_action_run(*, client_action_id: int) -> ClientAction | None:
    """Run one queued action with the work registered for its kind (the task's service)."""
    kind = ClientAction.objects.values_list("kind", flat=True).get(pk=client_action_id)
    return client_action_execute(action_id=client_action_id, work=_WORK[kind])


def client_actions_for(*, user, client: Client) -> QuerySet[ClientAction]:
    return ClientAction.objects.for_user(user).filter(client=client).select_related("requested_by")


def client_action_request(*, client: Client, kind: str, by=None) -> tuple[ClientAction, bool]:
    """Queue an action, or hand back the same one already waiting or running (a double click).

    Returns (action, queued). Sync and export of a paused client are refused with the reason.
    """
    if kind not in ClientActionKind.values:
        raise PortalError("Unknown action: choose Verify, Sync now or Export now.")
    if kind != ClientActionKind.VERIFY and not client.is_active:
        raise PortalError(f"{client} is paused: resume it before syncing or exporting.")
    ClientAction.objects.filter(
        client=client, kind=kind, status=ClientActionStatus.RUNNING, started_at__lt=timezone.now() - RUNNING_AT_MOST
    ).update(status=ClientActionStatus.FAILED, outcome=WORKER_LOST, progress="", finished_at=timezone.now())
    busy = ClientAction.objects.filter(client=client, kind=kind, status__in=ClientActionStatus.busy())
    existing = busy.first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            action = ClientAction.objects.create(client=client, kind=kind, requested_by=by)
    except IntegrityError:
        # The other click won the race; the database's one-busy-per-kind rule kept this one out.
        return busy.get(), False
    from django_q.tasks import async_task

    async_task("integrations.tasks.client_action_run", action.pk, task_name=f"{kind} client {client.pk}")
    action.refresh_from_db()  # with a synchronous cluster the task has already run
    return action, True


def client_action_progress_set(*, action: ClientAction, text: str) -> None:
    action.progress = text[:300]
    ClientAction.objects.filter(pk=action.pk).update(progress=action.progress)


def _start(action_id: int) -> ClientAction | None:
    """Mark the action running; None when another worker already took it (the ORM broker delivers at least once)."""
    taken = ClientAction.objects.filter(pk=action_id, status=ClientActionStatus.QUEUED).update(
        status=ClientActionStatus.RUNNING, started_at=timezone.now(), progress="Started."
    )
    return ClientAction.objects.select_related("client", "requested_by").get(pk=action_id) if taken else None


def _finish(action: ClientAction, *, succeeded: bool, outcome: str) -> None:
    action.status = ClientActionStatus.SUCCEEDED if succeeded else ClientActionStatus.FAILED
    action.outcome, action.finished_at, action.progress = outcome, timezone.now(), ""
    ClientAction.objects.filter(pk=action.pk).update(status=action.status, outcome=outcome,
                                                     finished_at=action.finished_at, progress="")


def client_action_execute(*, action_id: int, work: Work) -> ClientAction | None:
    """Run `work` for a queued action and record its outcome (C11: failure recorded here, then re-raised)."""
    action = _start(action_id)
    if action is None:
        return None
    try:
        succeeded, outcome = work(action)
    except PortalError as exc:
        _finish(action, succeeded=False, outcome=str(exc))
        return action
    except Exception as exc:
        _finish(action, succeeded=False,
                outcome=f"Unexpected error ({type(exc).__name__}); the technical details are in the portal's log.")
        raise
    _finish(action, succeeded=succeeded, outcome=outcome)
    return action


def client_connections_verify(action: ClientAction) -> tuple[bool, str]:
    """Verify both connections of the client; one sentence per connection."""
    client, sentences, passed = action.client, [], True
    for attribute, label, verify in (("odoo_connection", "Odoo", verify_odoo.odoo_connection_verify),
                                     ("pleo_connection", "Pleo", verify_pleo.pleo_connection_verify)):
        connection = getattr(client, attribute, None)
        if connection is None:
            sentences.append(f"{client}: no {label} connection yet; set it up first.")
            passed = False
            continue
        client_action_progress_set(action=action, text=f"Checking {label}…")
        try:
            report = verify(connection=connection)
        except PortalError as exc:
            sentences.append(f"{connection}: {exc}")
            passed = False
            continue
        if report.passed:
            sentences.append(f"{connection}: every check passed.")
        else:
            failed = "; ".join(f"{c.title}: {c.detail} {c.fix}".strip() for c in report.failures if c.required)
            sentences.append(f"{connection}: {failed}")
            passed = False
    return passed, " ".join(sentences)
