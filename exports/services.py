"""The export pipeline: Pleo's export queue into Odoo journal entries and vendor bills, exactly once.

One run per Pleo export job (§5.3 of the Pleo contract): send `started`, read every item, book each
accounting entry in Odoo, report each result to Pleo, close the job. Exactly once rests on three
things: an export record per accounting entry (unique per client), a deterministic Odoo reference
per entry that is looked up before anything is created, and records marked `exporting` before the
create call so a crash leaves a trace that the next run settles by that lookup.

This module is the orchestrator: it calls the stages in their order (`_moves_book`), each in its module:
the lock (exports.lock), the booking context (exports.context), items to plans (exports.booking),
partners, moves, corrections, receipts, payments, and the results told to Pleo (exports.results).
"""
import logging

from django.conf import settings
from django.utils import timezone

from exports import corrections, moves, partners, payments, receipts, results
from exports.booking import booking_plan
from exports.items import BookingRefused, export_items_for_entries, item_reference
from exports.plans import SkipPlan
from exports.choices import RUNS_THAT_REACHED_ODOO, ExportRecordStatus, ExportRunStatus
from exports.context import booking_context_build
from exports.job import CREATE_BATCH_SIZE, Booking, Job, chunks, still_going
from exports.lock import client_export_lock
from exports.models import ExportRun
from exports.records import (
    Calls,
    calls_count,
    record_failed,
    record_skipped,
    records_prepare,
    run_finish,
    success_update,
)
from integrations.errors import PortalError
from integrations.models import Client, OdooConnection, PleoConnection
from integrations.odoo.errors import OdooAuthenticationError, OdooError, OdooPermissionError
from integrations.pleo import contract
from integrations.pleo.client import PleoClient
from integrations.pleo.errors import PleoAuthenticationError, PleoError
from integrations.health import connection_failure_record, connection_success_record
from integrations.selectors import odoo_company_books_get, pleo_company_client_get

logger = logging.getLogger(__name__)


def export_queue_poll(*, client_id: int, triggered_by: str = "schedule",
                      batch_size: int = CREATE_BATCH_SIZE) -> list[ExportRun]:
    """Process the client's pending and interrupted Pleo export jobs, oldest first (§5.3)."""
    client = Client.objects.select_related("odoo_connection", "pleo_connection").get(pk=client_id)
    if not client.is_active:
        return []
    refused = _credentials_refused(client)
    if refused:
        logger.info("Export of client %s skipped: %s refused its credentials", client.pk, refused)
        return []
    with client_export_lock(client=client):
        pleo_connection, pleo = pleo_company_client_get(client=client)
        runs = []
        try:
            jobs = pleo.export_jobs(company_id=pleo_connection.company_id, statuses=contract.RESUMABLE_JOB_STATUSES)
            waiting = sum(job.get("numberOfItems") or 0 for job in jobs)
            _queue_waiting_record(pleo_connection, waiting)
            for job in jobs:
                runs.append(export_job_process(client=client, job=job, pleo=pleo, triggered_by=triggered_by,
                                               batch_size=batch_size))
                waiting -= job.get("numberOfItems") or 0
                _queue_waiting_record(pleo_connection, max(waiting, 0))
        except (OdooError, PleoError) as exc:
            connection = pleo_connection if isinstance(exc, PleoError) else OdooConnection.objects.get(client=client)
            connection_failure_record(connection=connection, reason=str(exc), credentials_refused=isinstance(
                exc, (OdooAuthenticationError, PleoAuthenticationError)))
            raise
        connection_success_record(connection=pleo_connection)
        if any(run.status in RUNS_THAT_REACHED_ODOO for run in runs):  # a job given up on did not reach Odoo
            connection_success_record(connection=OdooConnection.objects.get(client=client))
        return runs


def _credentials_refused(client: Client) -> str:
    """Which service refused the client's credentials, if one did: the schedule skips the client until fixed."""
    if getattr(client, "odoo_connection", None) and client.odoo_connection.credentials_refused_at:
        return "Odoo"
    if getattr(client, "pleo_connection", None) and client.pleo_connection.credentials_refused_at:
        return "Pleo"
    return ""


def _queue_waiting_record(connection: PleoConnection, waiting: int) -> None:
    PleoConnection.objects.filter(pk=connection.pk).update(queue_waiting=waiting, queue_checked_at=timezone.now())


def export_job_process(*, client: Client, job: dict, pleo: PleoClient, triggered_by: str,
                       batch_size: int = CREATE_BATCH_SIZE) -> ExportRun:
    """Book one Pleo export job. A failure marks the run failed with a readable reason and re-raises."""
    run = ExportRun.objects.create(client=client, pleo_job_id=job["id"], status=ExportRunStatus.RUNNING,
                                   started_at=timezone.now(), triggered_by=triggered_by)
    calls = Calls()
    calls_count(pleo.session, calls, "pleo")
    try:
        if contract.job_needs_started_event(job):
            pleo.export_job_event_send(job_id=job["id"], event="started")
        items = open_items(pleo, job["id"])
        run.item_count = len(items)
        failed_runs = list(ExportRun.objects.filter(client=client, pleo_job_id=job["id"], status=ExportRunStatus.FAILED)
                           .order_by("started_at", "id"))
        if len(failed_runs) >= settings.EXPORT_MAX_JOB_ATTEMPTS:
            return _job_give_up(run=run, job=job, pleo=pleo, items=items, failed_runs=failed_runs, calls=calls)
        _, books = odoo_company_books_get(client=client)
        calls_count(books.session, calls, "odoo")
        try:
            company = books.company()
            context = booking_context_build(client=client, books=books, company=company)
        except PortalError as exc:
            # Odoo down or the key refused: the job stays open in Pleo and resumes once that is fixed.
            if isinstance(exc, OdooError) and (exc.should_retry or isinstance(exc, OdooAuthenticationError)):
                raise
            _job_fail(pleo, job, str(exc), _job_failure_type(exc))
            raise
        state = Job(run=run, client=client, odoo=books, pleo=pleo, context=context, batch_size=batch_size,
                     lock_date=company["purchase_lock_date"],
                     lock_date_policy=client.booking_settings.lock_date_policy)
        updates = _items_export(state, items)
        results.report(pleo=pleo, job_id=job["id"], updates=updates)
        failed = sum(1 for u in updates if u["status"] == "failed")
        pleo.export_job_event_send(job_id=job["id"], event="completed_with_errors" if failed else "completed")
        run_finish(run, ExportRunStatus.WITH_FAILURES if failed else ExportRunStatus.SUCCEEDED, calls)
        return run
    except Exception as exc:
        run.error = _readable(exc)
        run_finish(run, ExportRunStatus.FAILED, calls)
        raise


def _job_give_up(*, run: ExportRun, job: dict, pleo: PleoClient, items: list[dict], failed_runs: list[ExportRun],
                 calls: Calls) -> ExportRun:
    """Close a job whose runs kept failing instead of resuming it forever: its open expenses fail in Pleo
    with the reason, and the bookkeeper retries them from the export history once Odoo works."""
    reason = (f"Odoo could not be reached in {len(failed_runs)} runs since "
              f"{timezone.localtime(failed_runs[0].started_at):%Y-%m-%d %H:%M} ({failed_runs[-1].error.rstrip('.')}). "
              "Retry these expenses from the export history once Odoo works.")
    updates = []
    for record in records_prepare(run=run, client=run.client, items=items).values():
        if record.status in (ExportRecordStatus.EXPORTED, ExportRecordStatus.SKIPPED):
            updates.append(success_update(record))  # settled before Odoo went away; Pleo did not hear of it
        else:
            updates.append(record_failed(record, run, reason, "accounting_system_unreachable"))
    results.report(pleo=pleo, job_id=job["id"], updates=updates)
    failed = any(u["status"] == "failed" for u in updates)
    pleo.export_job_event_send(job_id=job["id"], event="completed_with_errors" if failed else "completed")
    run.error = reason if failed else ""
    run_finish(run, ExportRunStatus.FAILED if failed else ExportRunStatus.SUCCEEDED, calls)
    return run


def open_items(pleo: PleoClient, job_id: str) -> list[dict]:
    """The export items of the job's entries still to be booked (pending, or interrupted in progress)."""
    control = pleo.export_job_items(job_id)
    open_ids = [c.get("accountingEntryId") for c in control if c.get("status") in ("pending", "in_progress")]
    return export_items_for_entries(pleo.export_items(job_id), [i for i in open_ids if isinstance(i, str)])


def _readable(exc: Exception) -> str:
    if isinstance(exc, PortalError):
        return str(exc)
    # The exception's name means nothing to a bookkeeper; it is in the log next to the traceback.
    return ("The export stopped on a problem the portal did not expect; what was booked before it is kept. "
            "Ask the portal's administrator to look at the log, then start the export again.")


def _job_failure_type(exc: Exception) -> str:
    if isinstance(exc, OdooAuthenticationError):
        return "accounting_system_authentication_failure"
    if isinstance(exc, OdooPermissionError):
        return "authorization_failure"
    if isinstance(exc, PortalError):
        return exc.extra.get("failure_reason_type", "invalid_configuration")
    return "unexpected_failure"


def _job_fail(pleo: PleoClient, job: dict, reason: str, reason_type: str) -> None:
    pleo.export_job_event_send(job_id=job["id"], event="failed", failure_reason=reason[:1000],
                               failure_reason_type=reason_type)


def _items_export(job: Job, items: list[dict]) -> list[dict]:
    records = records_prepare(run=job.run, client=job.client, items=items)
    # Booked by an earlier run and delivered again: what Odoo holds now decides, not what the record remembers.
    references = {i["accountingEntryId"]: records[i["accountingEntryId"]].odoo_reference or item_reference(i)
                  for i in items if records[i["accountingEntryId"]].status == ExportRecordStatus.EXPORTED}
    live, cancelled = moves.by_reference(job.odoo, list(references.values()))
    bookings = []
    for item in items:
        record = records[item["accountingEntryId"]]
        replaces = ""
        if record.status == ExportRecordStatus.EXPORTED:
            move = live.get(references[item["accountingEntryId"]])
            if move is not None:
                job.updates.append(results.record_still_booked(job, record, move))
                continue
            # Cancelled or deleted in Odoo since: booked again, beside the cancelled entry if there is one.
            gone = "cancelled" if references[item["accountingEntryId"]] in cancelled else "deleted"
            replaces = f"Booked as {record.odoo_name}, {gone} in Odoo by {timezone.localdate():%Y-%m-%d}: "
        try:
            plan = booking_plan(item, job.context)
        except BookingRefused as exc:
            job.fail(record, str(exc), exc.failure_reason_type, exc.fix)
            continue
        if isinstance(plan, SkipPlan):
            job.updates.append(record_skipped(record, job.run, plan.reason))
            continue
        # An earlier run's failure is history now: left "failed", an entry that run did book in Odoo would be
        # adopted below and then dropped as failed, its Pleo item never told.
        record.status = ExportRecordStatus.PENDING
        bookings.append(Booking(item=item, record=record, plan=plan, replaces=replaces))
    _moves_book(job, bookings)
    return job.updates


def _moves_book(job: Job, bookings: list[Booking]) -> None:
    """Create, correct, post and read back the Odoo records of the bookable items."""
    if not bookings:
        return
    bookings = moves.locked_period_apply(job, bookings)
    bookings = partners.attach(job, bookings)
    moves.adopt(bookings, job.odoo)
    bookings = receipts.fetch(job, bookings)
    for chunk in chunks([b for b in bookings if b.move is None], job.batch_size):
        moves.create(job, chunk)
    booked = [b for b in bookings if b.move is not None]
    corrections.apply(job, booked)
    booked = still_going(booked)
    moves.post(job, booked)
    booked = still_going(booked)
    payments.book(job, booked)
    payments.invoice_payments_match(job, booked)
    receipts.attach(job, booked)
    booked = still_going(booked)
    moves.read_back(booked, job.odoo)
    for booking in booked:
        job.updates.append(results.record_exported(job, booking))
