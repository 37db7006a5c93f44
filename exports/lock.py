"""The per-client export lock: one run per client at a time, across workers and machines."""
import socket
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Max, Q
from django.utils import timezone

from exports.choices import ExportRunStatus
from exports.models import ExportLock, ExportRun
from exports.records import Calls, run_finish
from integrations.errors import PortalError
from integrations.models import Client


class ExportBusyError(PortalError):
    """Another run of the same client holds the export lock."""


LOCK_LEASE = timedelta(seconds=settings.Q_CLUSTER["timeout"])
@contextmanager
def client_export_lock(*, client: Client):
    """Hold the client's export lease for the duration of the block, or raise ExportBusyError.

    One conditional UPDATE takes the lease, so two workers (or two machines) cannot both win it; it also
    clears a webhook's wish for an export (exports/webhooks.py): the run about to read Pleo's queue fulfils it.
    """
    holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
    try:
        ExportLock.objects.get_or_create(client=client)
    except IntegrityError:
        pass  # another worker created the row at the same moment; the UPDATE below decides
    now = timezone.now()
    taken = ExportLock.objects.filter(client=client).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    ).update(holder=holder, locked_until=now + LOCK_LEASE, export_wanted_at=None)  # this run reads the queue
    if not taken:
        raise ExportBusyError(f"An export of {client} is already running; this one was not started.")
    _runs_of_stopped_workers_close(client)
    try:
        yield holder
    finally:
        ExportLock.objects.filter(client=client, holder=holder).update(holder="", locked_until=None)


def _runs_of_stopped_workers_close(client: Client) -> None:
    """Mark failed the runs a killed or restarted worker left "running": with the lease taken, none is alive.

    Their jobs stay open in Pleo and the run about to start resumes them; this only ends the runs' story.
    """
    for run in ExportRun.objects.filter(client=client, status=ExportRunStatus.RUNNING):
        # Its last sign of life: the last change to one of its records, else its start.
        stopped = run.records.aggregate(last=Max("updated_at"))["last"] or run.started_at or run.created_at
        run.error = (f"The worker running this export stopped (killed or restarted) at "
                     f"{timezone.localtime(stopped):%Y-%m-%d %H:%M}; the next run resumed the job.")
        run_finish(run, ExportRunStatus.FAILED, Calls(), finished_at=stopped)
