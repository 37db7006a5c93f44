"""The work behind the client page's Export now and Check Odoo for changes, and what the page shows while an
export runs. Registered with integrations.actions, which keeps the record of each action, at start-up
(ExportsConfig.ready).
"""
from django.db.models import QuerySet
from django.utils import formats

from exports.choices import ExportRecordStatus, ExportRunStatus
from exports.drift import export_records_drift_check
from exports.models import ExportRun
from exports.services import export_queue_poll
from integrations.actions import client_action_progress_set
from integrations.choices import ClientActionKind, ClientActionStatus
from integrations.models import Client, ClientAction, OdooConnection, PleoConnection

__all__ = [
    "client_export_now",
    "client_drift_check",
    "client_action_progress",
    "export_runs_for",
]


def client_export_now(action: ClientAction) -> tuple[bool, str]:
    """Export what waits in the client's Pleo export queue now, as the schedule would."""
    client = action.client
    for model, label, what in ((OdooConnection, "Odoo", "API key"), (PleoConnection, "Pleo", "API token")):
        refused = model.objects.filter(client=client).values_list("credentials_refused_at", flat=True).first()
        if refused:
            return False, (f"{label} refused the stored {what} on {formats.date_format(refused, 'DATETIME_FORMAT')}: "
                           f"enter a new one on the {label} connection page or press Verify once it is fixed.")
    client_action_progress_set(action=action, text="Reading Pleo's export queue…")
    by = action.requested_by.get_username() if action.requested_by else "someone"
    runs = export_queue_poll(client_id=client.pk, triggered_by=f"Export now by {by}")
    if not runs:
        return True, "Nothing was waiting in Pleo's export queue."
    exported, failed, skipped = (sum(getattr(r, f"{name}_count") for r in runs)
                                 for name in ("exported", "failed", "skipped"))
    jobs = f"{len(runs)} export job" + ("s" if len(runs) != 1 else "")
    outcome = f"{jobs} from Pleo: {exported} exported, {failed} failed, {skipped} skipped."
    errors = [r.error for r in runs if r.status == ExportRunStatus.FAILED and r.error]
    if failed:
        outcome += " The failed expenses say why in the export history; fix the cause and retry them there."
    if errors:
        outcome += " " + " ".join(errors)
    return not (failed or errors), outcome


def client_drift_check(action: ClientAction) -> tuple[bool, str]:
    """The daily drift check, now: what changed in Odoo to what the portal exported."""
    client_action_progress_set(action=action, text="Reading the exported entries back from Odoo…")
    check = export_records_drift_check(client_id=action.client_id)
    records = f"{check.checked} exported record" + ("s" if check.checked != 1 else "")
    if not check.drifted:
        return True, f"Read back {records} from Odoo: none changed there since it was exported."
    return False, (f"Read back {records} from Odoo: {check.drifted} changed there since (cancelled, deleted, reset "
                   "to draft or a new total). The export history lists them under “changed in Odoo since”; book "
                   "them again from there.")


def client_action_progress(*, action: ClientAction) -> str:
    """The line the page shows for an action: its own progress, and for an export the running job's count."""
    if action.status != ClientActionStatus.RUNNING or action.kind != ClientActionKind.EXPORT:
        return action.progress
    run = ExportRun.objects.filter(client=action.client_id, status=ExportRunStatus.RUNNING,
                                   started_at__gte=action.started_at).order_by("-started_at").first()
    if run is None:
        return action.progress
    # item_count is saved when the run ends; until then the records linked to the run are its items.
    statuses = list(run.records.values_list("status", flat=True))
    total = run.item_count or len(statuses)
    done = sum(1 for s in statuses if s in (ExportRecordStatus.EXPORTED, ExportRecordStatus.FAILED,
                                             ExportRecordStatus.SKIPPED))
    if not total:
        return "Reading the expenses of a Pleo export job…"
    return f"Exporting: {done} of {total} expenses done."


def export_runs_for(*, user, client: Client) -> QuerySet[ExportRun]:
    return ExportRun.objects.for_user(user).filter(client=client)
