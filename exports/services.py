"""The export pipeline: Pleo's export queue into Odoo journal entries and vendor bills, exactly once.

One run per Pleo export job (§5.3 of the Pleo contract): send `started`, read every item, book each
accounting entry in Odoo, report each result to Pleo, close the job. Exactly once rests on three
things: an export record per accounting entry (unique per client), a deterministic Odoo reference
per entry that is looked up before anything is created, and records marked `exporting` before the
create call so a crash leaves a trace that the next run settles by that lookup.
"""
import base64
import dataclasses
import logging
import socket
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone as dt_timezone
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Max, Q
from django.utils import timezone

from exports.booking import (
    BookingContext,
    NAME_MAX,
    BookingRefused,
    CategoryTarget,
    MovePlan,
    SkipPlan,
    TaxTarget,
    booking_plan,
    clean_text,
    export_items_for_entries,
    item_record_facts,
    item_reference,
)
from exports.choices import ExportRecordStatus, ExportRunStatus, OdooDrift
from exports.models import ExportAttempt, ExportLock, ExportRecord, ExportRun
from integrations.errors import PortalError
from integrations.models import Client, OdooConnection, PleoConnection
from integrations.odoo.books import MOVE_MODEL, OdooBooks
from integrations.odoo.client import to_decimal
from integrations.odoo.errors import (
    OdooAuthenticationError,
    OdooConnectionError,
    OdooError,
    OdooNotFoundError,
    OdooPermissionError,
    OdooProtocolError,
    OdooServerError,
    OdooUserError,
    OdooValidationError,
)
from integrations.pleo import contract
from integrations.pleo.client import PleoClient
from integrations.pleo.errors import PleoAuthenticationError, PleoConflictError, PleoError, PleoFileTooLargeError
from integrations.services import connection_failure_record, connection_success_record
from mappings.choices import EXPORT_ITEM_TYPES
from mappings.models import AnalyticTagMapping, BookingSettings, CategoryMapping, TaxMapping
from integrations.selectors import odoo_company_books_get, pleo_company_client_get
from mappings.selectors import kind_mode_for

__all__ = [
    "ExportBusyError",
    "client_export_lock",
    "booking_context_build",
    "export_queue_poll",
    "export_job_process",
    "export_records_retry",
]

logger = logging.getLogger(__name__)

CREATE_BATCH_SIZE = 50  # real Odoo: batches of 50 book 5.6 times faster than one by one (contract README)
LOCK_LEASE = timedelta(seconds=settings.Q_CLUSTER["timeout"])
TYPES_WITH_RECEIPTS = ("card_purchase", "card_invoice", "out_of_pocket", "mileage", "per_diem", "invoice")
# Pleo's accepted receipt formats (pleo-api README §6.5); anything else is refused with its type named.
RECEIPT_TYPES = {
    "application/pdf", "image/jpeg", "image/png", "text/plain", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ATTACHMENT_BATCH_BYTES = 20 * 1024 * 1024  # one ir.attachment create call carries at most this much


class ExportBusyError(PortalError):
    """Another run of the same client holds the export lock."""


# The per-client lock ---------------------------------------------------------------------------------

@contextmanager
def client_export_lock(*, client: Client):
    """Hold the client's export lease for the duration of the block, or raise ExportBusyError.

    One conditional UPDATE takes the lease, so two workers (or two machines) cannot both win it.
    """
    holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"
    try:
        ExportLock.objects.get_or_create(client=client)
    except IntegrityError:
        pass  # another worker created the row at the same moment; the UPDATE below decides
    now = timezone.now()
    taken = ExportLock.objects.filter(client=client).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    ).update(holder=holder, locked_until=now + LOCK_LEASE)
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
        _run_finish(run, ExportRunStatus.FAILED, _Calls(), finished_at=stopped)


# Booking context ---------------------------------------------------------------------------------

def booking_context_build(*, client: Client, books: OdooBooks, company: dict | None = None) -> BookingContext:
    """Everything the booking builder needs, from the client's mappings and a few reads of Odoo.

    `company` is the client's company (OdooBooks.company) when the caller read it already.
    """
    settings_row = BookingSettings.objects.filter(client=client).first()
    if settings_row is None:
        raise PortalError(f"{client} has no booking settings yet: set the accounts and journals first.",
                          extra={"failure_reason_type": "missing_configuration"})
    company = company or books.company()
    currencies = books.currencies()
    analytic_ids = books.analytic_account_ids()
    kinds = EXPORT_ITEM_TYPES
    return BookingContext(
        company_currency=company["currency"],
        currency_ids=currencies,
        wallet_account_id=settings_row.wallet_account_id,
        out_of_pocket_account_id=settings_row.out_of_pocket_account_id,
        reimbursement_contra_account_id=settings_row.reimbursement_contra_account_id,
        payables_account_id=settings_row.payables_account_id,
        topup_bank_account_id=settings_row.topup_bank_account_id,
        card_journal_id=settings_row.card_journal_id,
        bill_journal_id=settings_row.bill_journal_id,
        kind_modes={kind: kind_mode_for(settings=settings_row, item_type=kind) for kind in kinds},
        post_states={kind: _post_state(settings_row, kind) for kind in kinds},
        receipts={kind: _receipts_on(settings_row, kind) for kind in kinds},
        categories={
            m.pleo_account_id: CategoryTarget(m.odoo_account_id, m.odoo_account_label, m.default_tax_id)
            for m in CategoryMapping.objects.filter(client=client, odoo_account_id__isnull=False)
        },
        taxes=_tax_targets(client, books),
        tags={
            m.pleo_tag_id: m.odoo_analytic_account_id
            for m in AnalyticTagMapping.objects.filter(client=client, archived=False)
        },
        analytic_account_ids=analytic_ids,
    )


def _post_state(settings_row: BookingSettings, kind: str) -> str:
    if kind in ("out_of_pocket", "mileage", "per_diem", "external_reimbursement"):
        return settings_row.out_of_pocket_post_state
    return settings_row.card_post_state


def _receipts_on(settings_row: BookingSettings, kind: str) -> bool:
    if kind in ("out_of_pocket", "mileage", "per_diem"):
        return settings_row.out_of_pocket_receipts
    return settings_row.card_receipts and kind in TYPES_WITH_RECEIPTS


def _tax_targets(client: Client, books: OdooBooks) -> dict[str, TaxTarget]:
    mappings = list(TaxMapping.objects.filter(client=client, archived=False).exclude(pleo_tax_code_id=""))
    if not mappings:
        return {}
    taxes = books.taxes_read(m.odoo_tax_id for m in mappings)
    return {
        m.pleo_tax_code_id: TaxTarget(
            odoo_tax_id=m.odoo_tax_id,
            name=m.odoo_tax_name,
            rate=to_decimal(taxes[m.odoo_tax_id]["amount"], Decimal("0.0001")) / 100,
            price_include=bool(taxes[m.odoo_tax_id]["price_include"]),
            reverse=m.pleo_type == "reverse",
        )
        for m in mappings if m.odoo_tax_id in taxes
    }


# The poll ----------------------------------------------------------------------------------------

def export_queue_poll(*, client_id: int, triggered_by: str = "schedule", batch_size: int = CREATE_BATCH_SIZE) -> list[ExportRun]:
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
        if any(run.status == ExportRunStatus.SUCCEEDED for run in runs):  # a job given up on did not reach Odoo
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


@dataclass
class _Calls:
    odoo: int = 0
    pleo: int = 0


def _count_calls(session, calls: _Calls, attribute: str) -> None:
    def hook(response, *args, **kwargs):
        setattr(calls, attribute, getattr(calls, attribute) + 1)
    session.hooks["response"].append(hook)


def export_job_process(*, client: Client, job: dict, pleo: PleoClient, triggered_by: str,
                       batch_size: int = CREATE_BATCH_SIZE) -> ExportRun:
    """Book one Pleo export job. A failure marks the run failed with a readable reason and re-raises."""
    run = ExportRun.objects.create(client=client, pleo_job_id=job["id"], status=ExportRunStatus.RUNNING,
                                   started_at=timezone.now(), triggered_by=triggered_by)
    calls = _Calls()
    _count_calls(pleo.session, calls, "pleo")
    try:
        if contract.job_needs_started_event(job):
            pleo.export_job_event_send(job_id=job["id"], event="started")
        items = _open_items(pleo, job["id"])
        run.item_count = len(items)
        failed_runs = list(ExportRun.objects.filter(client=client, pleo_job_id=job["id"], status=ExportRunStatus.FAILED)
                           .order_by("started_at", "id"))
        if len(failed_runs) >= settings.EXPORT_MAX_JOB_ATTEMPTS:
            return _job_give_up(run=run, job=job, pleo=pleo, items=items, failed_runs=failed_runs, calls=calls)
        _, books = odoo_company_books_get(client=client)
        _count_calls(books.session, calls, "odoo")
        try:
            company = books.company()
            context = booking_context_build(client=client, books=books, company=company)
        except PortalError as exc:
            # Odoo down or the key refused: the job stays open in Pleo and resumes once that is fixed.
            if isinstance(exc, OdooError) and (exc.should_retry or isinstance(exc, OdooAuthenticationError)):
                raise
            _job_fail(pleo, job, str(exc), _job_failure_type(exc))
            raise
        state = _Job(run=run, client=client, odoo=books, pleo=pleo, context=context, batch_size=batch_size,
                     lock_date=company["purchase_lock_date"],
                     lock_date_policy=client.booking_settings.lock_date_policy)
        updates = _items_export(state, items)
        _results_report(pleo=pleo, job_id=job["id"], updates=updates)
        failed = sum(1 for u in updates if u["status"] == "failed")
        pleo.export_job_event_send(job_id=job["id"], event="completed_with_errors" if failed else "completed")
        _run_finish(run, ExportRunStatus.SUCCEEDED, calls)
        return run
    except Exception as exc:
        run.error = _readable(exc)
        _run_finish(run, ExportRunStatus.FAILED, calls)
        raise


def _job_give_up(*, run: ExportRun, job: dict, pleo: PleoClient, items: list[dict], failed_runs: list[ExportRun],
                 calls: _Calls) -> ExportRun:
    """Close a job whose runs kept failing instead of resuming it forever: its open expenses fail in Pleo
    with the reason, and the bookkeeper retries them from the export history once Odoo works."""
    reason = (f"Odoo could not be reached in {len(failed_runs)} runs since "
              f"{timezone.localtime(failed_runs[0].started_at):%Y-%m-%d %H:%M} ({failed_runs[-1].error.rstrip('.')}). "
              "Retry these expenses from the export history once Odoo works.")
    updates = []
    for record in _records_prepare(run=run, client=run.client, items=items).values():
        if record.status in (ExportRecordStatus.EXPORTED, ExportRecordStatus.SKIPPED):
            updates.append(_success_update(record))  # settled before Odoo went away; Pleo did not hear of it
        else:
            updates.append(_record_failed(record, run, reason, "accounting_system_unreachable"))
    _results_report(pleo=pleo, job_id=job["id"], updates=updates)
    failed = any(u["status"] == "failed" for u in updates)
    pleo.export_job_event_send(job_id=job["id"], event="completed_with_errors" if failed else "completed")
    run.error = reason if failed else ""
    _run_finish(run, ExportRunStatus.FAILED if failed else ExportRunStatus.SUCCEEDED, calls)
    return run


def _open_items(pleo: PleoClient, job_id: str) -> list[dict]:
    """The export items of the job's entries still to be booked (pending, or interrupted in progress)."""
    control = pleo.export_job_items(job_id)
    open_ids = [c.get("accountingEntryId") for c in control if c.get("status") in ("pending", "in_progress")]
    return export_items_for_entries(pleo.export_items(job_id), [i for i in open_ids if isinstance(i, str)])


def _run_finish(run: ExportRun, status: str, calls: _Calls, finished_at=None) -> None:
    counts = defaultdict(int)
    for outcome in run.records.values_list("status", flat=True):
        counts[outcome] += 1
    run.status = status
    run.finished_at = finished_at or timezone.now()
    run.exported_count = counts[ExportRecordStatus.EXPORTED]
    run.failed_count = counts[ExportRecordStatus.FAILED]
    run.skipped_count = counts[ExportRecordStatus.SKIPPED]
    run.odoo_calls, run.pleo_calls = calls.odoo, calls.pleo
    run.save()


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
    return exc.extra.get("failure_reason_type", "invalid_configuration") if isinstance(exc, PortalError) else "unexpected_failure"


def _job_fail(pleo: PleoClient, job: dict, reason: str, reason_type: str) -> None:
    pleo.export_job_event_send(job_id=job["id"], event="failed", failure_reason=reason[:1000],
                               failure_reason_type=reason_type)


# Items --------------------------------------------------------------------------------------------

@dataclass
class _Job:
    """What every step of one job's booking needs, and the item results collected for Pleo."""

    run: ExportRun
    client: Client
    odoo: OdooBooks
    pleo: PleoClient
    context: BookingContext
    batch_size: int = CREATE_BATCH_SIZE
    lock_date: date | None = None
    lock_date_policy: str = "first_open_day"
    updates: list = field(default_factory=list)

    def fail(self, record: ExportRecord, reason: str, reason_type: str) -> None:
        self.updates.append(_record_failed(record, self.run, reason, reason_type))


@dataclass
class _Booking:
    """One item on its way through the run."""

    item: dict
    record: ExportRecord
    plan: MovePlan | None = None
    partner_id: int | None = None
    move: dict | None = None  # the Odoo move once created or adopted
    lines: list = field(default_factory=list)
    corrections: list = field(default_factory=list)  # write commands that set Odoo's figures to Pleo's
    receipts: list = field(default_factory=list)  # DownloadedFile, fetched before anything is booked
    replaces: str = ""  # the history of an entry cancelled or deleted in Odoo that this booking replaces
    matched: str = ""  # an invoice payment: the bill it paid, or why it stayed unmatched


def _items_export(job: _Job, items: list[dict]) -> list[dict]:
    records = _records_prepare(run=job.run, client=job.client, items=items)
    # Booked by an earlier run and delivered again: what Odoo holds now decides, not what the record remembers.
    references = {i["accountingEntryId"]: records[i["accountingEntryId"]].odoo_reference or item_reference(i)
                  for i in items if records[i["accountingEntryId"]].status == ExportRecordStatus.EXPORTED}
    live, cancelled = _moves_by_reference(job.odoo, list(references.values()))
    bookings = []
    for item in items:
        record = records[item["accountingEntryId"]]
        replaces = ""
        if record.status == ExportRecordStatus.EXPORTED:
            move = live.get(references[item["accountingEntryId"]])
            if move is not None:
                job.updates.append(_record_still_booked(job, record, move))
                continue
            # Cancelled or deleted in Odoo since: booked again, beside the cancelled entry if there is one.
            gone = "cancelled" if references[item["accountingEntryId"]] in cancelled else "deleted"
            replaces = f"Booked as {record.odoo_name}, {gone} in Odoo by {timezone.localdate():%Y-%m-%d}: "
        try:
            plan = booking_plan(item, job.context)
        except BookingRefused as exc:
            job.fail(record, str(exc), exc.failure_reason_type)
            continue
        if isinstance(plan, SkipPlan):
            job.updates.append(_record_skipped(record, job.run, plan.reason))
            continue
        # An earlier run's failure is history now: left "failed", an entry that run did book in Odoo would be
        # adopted below and then dropped as failed, its Pleo item never told.
        record.status = ExportRecordStatus.PENDING
        bookings.append(_Booking(item=item, record=record, plan=plan, replaces=replaces))
    _moves_book(job, bookings)
    return job.updates


def _moves_by_reference(odoo: OdooBooks, references: list[str]) -> tuple[dict[str, dict], set[str]]:
    """The entries Odoo holds now under these references: the live one of each (not cancelled), and the
    references found cancelled only. A search by reference finds cancelled entries too (v16/117, v17/117)."""
    live, seen = {}, set()
    if references:
        for move in odoo.moves_by_reference(references):
            seen.add(move["ref"])
            if move["state"] != "cancel":
                live.setdefault(move["ref"], move)
    return live, seen - set(live)


def _record_still_booked(job: _Job, record: ExportRecord, move: dict) -> dict:
    """Pleo delivered a booked expense again: it hears of the entry live in Odoo now (posted, or a draft the
    bookkeeper reset to and perhaps edited), and the record follows it, with its total compared."""
    said = ""
    total = move["company_total"]
    if record.odoo_amount_total is not None and total != record.odoo_amount_total:
        said = (f" Its total in Odoo is now {record.money_display(total)}, it was booked at "
                f"{record.money_display(record.odoo_amount_total)}: check it against Pleo's.")
    record.odoo_record_id, record.odoo_name, record.odoo_state = move["id"], move["name"] or "", move["state"]
    record.odoo_url = _odoo_move_url(job.client, move["id"])
    record.differences = said.strip() or record.differences
    # Live again: a reset to draft is now known to the record; a changed total stays marked until it is booked.
    record.odoo_drift = OdooDrift.AMOUNT if said else ""
    record.odoo_drift_found_at = (record.odoo_drift_found_at or timezone.now()) if said else None
    record.save(update_fields=["odoo_record_id", "odoo_name", "odoo_state", "odoo_url", "differences", "odoo_drift",
                               "odoo_drift_found_at", "updated_at"])
    _attempt(record, job.run, ExportRecordStatus.EXPORTED,
             f"Exported again from Pleo: still booked in Odoo as {record.odoo_name} ({record.odoo_state}), "
             f"not booked twice.{said}")
    return _success_update(record)


def _records_prepare(*, run, client, items) -> dict[str, ExportRecord]:
    ids = [item["accountingEntryId"] for item in items]
    existing = {r.pleo_accounting_entry_id: r for r in ExportRecord.objects.filter(
        client=client, pleo_accounting_entry_id__in=ids)}
    new = [ExportRecord(client=client, pleo_accounting_entry_id=i["accountingEntryId"], **item_record_facts(i))
           for i in items if i["accountingEntryId"] not in existing]
    ExportRecord.objects.bulk_create(new, ignore_conflicts=True)
    records = {r.pleo_accounting_entry_id: r for r in ExportRecord.objects.filter(
        client=client, pleo_accounting_entry_id__in=ids)}
    for record in records.values():
        record.export_run, record.pleo_job_id = run, run.pleo_job_id
    ExportRecord.objects.bulk_update(records.values(), ["export_run", "pleo_job_id"])
    return records


def _attempt(record: ExportRecord, run: ExportRun, outcome: str, message: str) -> None:
    ExportAttempt.objects.create(record=record, export_run=run, outcome=outcome, message=message)


def _record_failed(record: ExportRecord, run: ExportRun, reason: str, reason_type: str) -> dict:
    record.status = ExportRecordStatus.FAILED
    record.last_error, record.failure_reason_type = reason, reason_type
    record.attempts += 1
    record.save(update_fields=["status", "last_error", "failure_reason_type", "attempts", "updated_at"])
    _attempt(record, run, ExportRecordStatus.FAILED, reason)
    return {"accountingEntryId": record.pleo_accounting_entry_id, "status": "failed",
            "failureReason": reason[:1000], "failureReasonType": reason_type}


def _record_skipped(record: ExportRecord, run: ExportRun, reason: str) -> dict:
    record.status, record.last_error = ExportRecordStatus.SKIPPED, reason
    record.attempts += 1
    record.save(update_fields=["status", "last_error", "attempts", "updated_at"])
    _attempt(record, run, ExportRecordStatus.SKIPPED, reason)
    # Reported as successful without an Odoo record, so it leaves Pleo's export queue.
    return {"accountingEntryId": record.pleo_accounting_entry_id, "status": "successful",
            "exportedAt": _iso(timezone.now())}


def _success_update(record: ExportRecord) -> dict:
    update = {"accountingEntryId": record.pleo_accounting_entry_id, "status": "successful",
              "exportedAt": _iso(timezone.now())}
    if record.odoo_record_id:
        update["externalId"] = str(record.odoo_record_id)
        update["externalUrl"] = record.odoo_url
    return update


def _iso(moment) -> str:
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moves_book(job: _Job, bookings: list[_Booking]) -> None:
    """Create, correct, post and read back the Odoo records of the bookable items."""
    if not bookings:
        return
    bookings = _locked_period_apply(job, bookings)
    bookings = _partners_attach(job, bookings)
    _moves_adopt(bookings, job.odoo)
    bookings = _receipts_fetch(job, bookings)
    for chunk in _chunks([b for b in bookings if b.move is None], job.batch_size):
        _moves_create(job, chunk)
    booked = [b for b in bookings if b.move is not None]
    _lines_correct(job, booked)
    booked = _still_going(booked)
    _moves_post(job, booked)
    booked = _still_going(booked)
    _payments_book(job, booked)
    _invoice_payments_match(job, booked)
    _receipts_attach(job, booked)
    booked = _still_going(booked)
    _moves_read_back(booked, job.odoo)
    for booking in booked:
        job.updates.append(_record_exported(job, booking))


def _still_going(bookings: list[_Booking]) -> list[_Booking]:
    return [b for b in bookings if b.record.status != ExportRecordStatus.FAILED]


def _locked_period_apply(job: _Job, bookings: list[_Booking]) -> list[_Booking]:
    """Apply the client's choice for an entry dated in a locked period.

    Real Odoo posts such an entry on the first open day without a word (recordings 68 to 72); the
    client chooses to accept that (both dates are recorded), to leave the entry a draft, or to fail it.
    """
    if job.lock_date is None:
        return bookings
    kept = []
    for booking in bookings:
        planned = date.fromisoformat(booking.plan.values["date"])
        if planned > job.lock_date or booking.move is not None:
            kept.append(booking)
        elif job.lock_date_policy == "fail":
            job.fail(booking.record, f"The expense is dated {planned}, in a period locked in Odoo until "
                                     f"{job.lock_date}. Unlock the period in Odoo or change the lock-date policy "
                                     "in the booking settings, then retry the record.",
                     "validation_failure")
        else:
            if job.lock_date_policy == "leave_draft":
                booking.plan = dataclasses.replace(booking.plan, post=False)
            kept.append(booking)
    return kept


def _chunks(rows: list, size: int):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _partners_attach(job: _Job, bookings: list[_Booking]) -> list[_Booking]:
    """Find or create the contacts the plans need, in a few calls.

    Employees are found through their Employees record (its work contact); suppliers by VAT number,
    else by name. What is still missing is created in one call; if Odoo refuses that batch, each
    contact is tried alone so one bad VAT number does not block the others.
    """
    needs = {b.plan.partner for b in bookings if b.plan.partner is not None}
    if not needs:
        return bookings
    odoo = job.odoo
    found = _partners_find(odoo, needs)
    missing = sorted({n for n in needs if _partner_lookup(found, n) is None}, key=lambda n: (n.name, n.vat))
    refused = {}
    for batch in ([missing] if missing else []):
        try:
            for need, new_id in zip(batch, odoo.partners_create([_partner_values(n) for n in batch])):
                found[_partner_key(need)] = new_id
        except (OdooPermissionError, OdooValidationError, OdooUserError) as exc:
            if isinstance(exc, OdooPermissionError) or len(batch) == 1:
                refused.update({n: exc for n in batch})
            else:
                for need in batch:
                    try:
                        found[_partner_key(need)] = odoo.partners_create([_partner_values(need)])[0]
                    except (OdooPermissionError, OdooValidationError, OdooUserError) as single:
                        refused[need] = single
    kept = []
    for booking in bookings:
        need = booking.plan.partner
        if need is not None and need in refused:
            reason = (f"The contact “{need.name}” is not in Odoo and could not be created: "
                      f"{str(refused[need]).rstrip('.')}. Create it in Odoo (or give the integration user the right "
                      "to create contacts), then retry the record.")
            job.fail(booking.record, reason, "vendor_unknown")
            continue
        booking.partner_id = _partner_lookup(found, need) if need else None
        kept.append(booking)
    return kept


def _partners_find(odoo: OdooBooks, needs) -> dict:
    found = {}
    employees = {n.name for n in needs if n.role == "employee"}
    if employees:
        found.update({("name", name): contact for name, contact in odoo.employee_contacts(employees).items()})
    vats = {n.vat for n in needs if n.vat}
    if vats:
        found.update({("vat", vat): partner for vat, partner in odoo.partners_by_vat(vats).items()})
    names = {n.name for n in needs if n.name and _partner_lookup(found, n) is None}
    if names:
        for name, partner in odoo.partners_by_name(names).items():
            found.setdefault(("name", name), partner)
    return found


def _partner_key(need) -> tuple[str, str]:
    return ("vat", need.vat) if need.vat else ("name", need.name)


def _partner_values(need) -> dict:
    return {"name": need.name, "vat": need.vat, "supplier": need.role != "employee"}


def _partner_lookup(found: dict, need) -> int | None:
    if need.vat and ("vat", need.vat) in found:
        return found[("vat", need.vat)]
    return found.get(("name", need.name))


def _odoo_values(booking: _Booking) -> dict:
    """The plan's create values with the partner filled in and Decimals as JSON numbers (the edge)."""
    plan, values = booking.plan, dict(booking.plan.values)
    if booking.partner_id:
        if plan.move_type == "entry":
            values["line_ids"] = [
                (c[0], c[1], {**c[2], "partner_id": booking.partner_id}) if c[2].get("account_id") == plan.counter_account_id
                else c for c in values["line_ids"]
            ]
        else:
            values["partner_id"] = booking.partner_id
    return _jsonable(values)


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _moves_adopt(bookings: list[_Booking], odoo: OdooBooks) -> None:
    """Adopt records an earlier (crashed or timed-out) run already created: Odoo's `ref` ties them to Pleo."""
    waiting = {b.plan.reference: b for b in bookings if b.move is None}
    if not waiting:
        return
    # A cancelled entry is not booked: it is left as it is and a new one is booked beside it.
    for move in odoo.moves_by_reference(waiting, live_only=True):
        booking = waiting.pop(move["ref"], None)
        if booking is not None:
            booking.move = move
            booking.record.odoo_record_id = move["id"]
            booking.record.save(update_fields=["odoo_record_id", "updated_at"])


def _moves_create(job: _Job, chunk: list[_Booking]) -> None:
    odoo = job.odoo
    for booking in chunk:
        record = booking.record
        record.status = ExportRecordStatus.EXPORTING
        record.attempts += 1
        record.odoo_reference = booking.plan.reference
        record.odoo_model = MOVE_MODEL
        record.odoo_values = _odoo_values(booking)
        record.save(update_fields=["status", "attempts", "odoo_reference", "odoo_model", "odoo_values", "updated_at"])
    try:
        ids = odoo.moves_create([b.record.odoo_values for b in chunk])
    except (OdooConnectionError, OdooProtocolError) as exc:
        # The create may have reached Odoo (or a web page answered for it): settle it by the references first.
        _moves_adopt(chunk, odoo)
        said = ("Odoo did not answer while the entry was being created; it was not booked."
                if isinstance(exc, OdooConnectionError) else f"{exc} The entry was not booked.")
        for booking in chunk:
            if booking.move is None:
                job.fail(booking.record, f"{said} It is exported again with the next export from Pleo.",
                         "accounting_system_unreachable")
        return
    except (OdooUserError, OdooValidationError, OdooPermissionError) as exc:
        if len(chunk) > 1 and not isinstance(exc, OdooPermissionError):
            for booking in chunk:  # one refused record refuses the batch: find which one
                _moves_create(job, [booking])
            return
        for booking in chunk:
            reason_type = "authorization_failure" if isinstance(exc, OdooPermissionError) else "accounting_system_validation_failure"
            job.fail(booking.record, f"Odoo refused the entry: {str(exc).rstrip('.')}. Correct what Odoo names "
                                     "(in Odoo or in the mappings), then retry the record.", reason_type)
        return
    for booking, move_id in zip(chunk, ids):
        booking.move = {"id": move_id, "state": "draft"}
        booking.record.odoo_record_id = move_id
        booking.record.save(update_fields=["odoo_record_id", "updated_at"])


def _lines_correct(job: _Job, booked: list[_Booking]) -> None:
    """Make Odoo's VAT and total equal Pleo's to the cent, the way Odoo allows (recordings 82 to 86).

    The corrections of a whole batch go in one `write` on all its moves (each command names its own
    line), then the lines are read again: a move whose figures still differ is corrected on its own,
    so the books never rest on the batched write having worked.
    """
    drafts = [b for b in booked if b.move.get("state", "draft") == "draft"]
    if not drafts:
        return
    pending = _corrections_needed(job, drafts)
    if len(pending) > 1:
        try:
            job.odoo.moves_lines_write([b.move["id"] for b in pending],
                                       _jsonable([c for b in pending for c in b.corrections]))
        except (OdooUserError, OdooValidationError, OdooNotFoundError, OdooServerError):
            pass  # settled move by move below
        pending = _corrections_needed(job, pending)
    for booking in pending:
        job.odoo.moves_lines_write([booking.move["id"]], _jsonable(booking.corrections))
    if pending:
        _corrections_kept(job, pending)


def _corrections_kept(job: _Job, corrected: list[_Booking]) -> None:
    """Read the moves corrected one by one once more: one whose figures Odoo did not keep is deleted and fails.

    Odoo 19 puts an entry's own VAT back after the write and balances the cent on the suspense account
    (v19/84, 85), where 16 to 18 keep Pleo's; a bill keeps it on every version (97, 98).
    """
    for booking in _corrections_needed(job, corrected):
        _draft_discard(job, booking, f"Odoo did not keep Pleo's VAT of {booking.plan.expected_vat} on this entry "
                                     "(it computes its own, a cent apart); it was not booked. Book this kind as a "
                                     "vendor bill in the booking settings (Odoo keeps Pleo's VAT on bills), then "
                                     "retry the record.")


def _draft_discard(job: _Job, booking: _Booking, reason: str) -> None:
    """Delete a draft that cannot carry Pleo's figures and fail its record: never left half-corrected in Odoo."""
    job.odoo.moves_delete([booking.move["id"]])
    booking.record.odoo_record_id = None
    booking.record.save(update_fields=["odoo_record_id", "updated_at"])
    job.fail(booking.record, reason, "validation_failure")


def _corrections_needed(job: _Job, drafts: list[_Booking]) -> list[_Booking]:
    """Read the moves' lines; fail (and delete) those that cannot match Pleo, return those to correct."""
    lines = job.odoo.move_lines([b.move["id"] for b in drafts])
    pending = []
    for booking in drafts:
        booking.lines = lines[booking.move["id"]]
        try:
            if booking.plan.move_type == "entry":
                booking.corrections = line_corrections(booking.plan, booking.lines,
                                                       vat_by_odoo_tax(booking.item, job.context))
            else:
                booking.corrections = bill_corrections(booking.plan, booking.lines,
                                                       vat_by_odoo_tax(booking.item, job.context),
                                                       vat_by_odoo_tax(booking.item, job.context, supplier=True))
        except _Mismatch as exc:
            _draft_discard(job, booking, str(exc))
            continue
        if booking.corrections:
            pending.append(booking)
    return pending


def bill_corrections(plan: MovePlan, lines: list[dict], vat_by_tax: dict[int, Decimal],
                     vat_by_tax_s: dict[int, Decimal]) -> list:
    """The corrections of a draft bill, written on its product and tax lines only: Odoo then moves the payables
    line itself (a write of it would be undone) and posts at Pleo's figures with no balancing line.

    In the company currency, each tax line's `amount_currency` is set to Pleo's VAT (recordings 95 to 100).
    In the supplier's currency, each line's `balance` is set to the company amount Pleo settled, its amount
    in the supplier's currency staying (101 to 106); the tax lines get Pleo's VAT in both currencies (the
    supplier's only for VAT-excluded taxes: with an included one, Odoo's split keeps the gross at Pleo's).
    """
    if not plan.line_amounts:
        tax_line_ids = {line["id"] for line in lines if line["tax_line_id"]}
        commands = line_corrections(plan, lines, vat_by_tax)
        corrections = [(1, line_id, {"amount_currency": values["debit"] - values["credit"]})
                       for command, line_id, values in commands if command == 1 and line_id in tax_line_ids]
        if commands and not corrections:
            raise _Mismatch(_bill_not_carried(plan))  # only the payables line is off: Odoo did not follow the VAT
        return corrections
    sign = 1 if plan.move_type == "in_invoice" else -1
    product = [line for line in lines if line["display_type"] == "product"]
    if len(product) != len(plan.line_amounts):
        raise _Mismatch(f"Odoo's bill has {len(product)} lines where Pleo's expense has {len(plan.line_amounts)}; "
                        "it was not booked. Retry the record; if it fails again, book this kind as a journal entry "
                        "in the booking settings.")
    corrections, total = [], Decimal(0)
    for line, target in zip(product, plan.line_amounts):
        total += target
        if _line_balance(line) != sign * target:
            corrections.append((1, line["id"], {"balance": sign * target}))
    for tax_id, positive, side in _tax_sides(lines, sign):
        direction = 1 if positive else -1
        target = vat_by_tax.get(tax_id, Decimal(0))
        values = {}
        first_balance = abs(_line_balance(side[0])) + target - sum(abs(_line_balance(line)) for line in side)
        if first_balance != abs(_line_balance(side[0])):
            values["balance"] = direction * first_balance
        if tax_id in vat_by_tax_s:
            current_s = sum(abs(to_decimal(line["amount_currency"])) for line in side)
            first_s = abs(to_decimal(side[0]["amount_currency"])) + vat_by_tax_s[tax_id] - current_s
            if first_s != abs(to_decimal(side[0]["amount_currency"])):
                values["amount_currency"] = direction * first_s
        if first_balance < 0 or values.get("amount_currency", 0) * direction < 0:
            raise _Mismatch(f"Odoo's VAT cannot be set to Pleo's VAT {target}; the bill was not booked. Check that "
                            "the Pleo tax code is mapped to an Odoo tax of the same rate, then retry the record.")
        total += direction * sign * target
        if values:
            corrections.append((1, side[0]["id"], values))
    if total != plan.expected_total:
        raise _Mismatch(f"Odoo's total would be {total} but Pleo charged {plan.expected_total} (VAT in Pleo "
                        f"{plan.expected_vat}); the bill was not booked. Check the tax mappings of its VAT codes, "
                        "then retry the record.")
    payables = sum((_line_balance(line) for line in lines if line["display_type"] == "payment_term"), Decimal(0))
    if not corrections and payables != -sign * total:
        raise _Mismatch(_bill_not_carried(plan))
    return corrections


def _bill_not_carried(plan: MovePlan) -> str:
    return (f"Odoo did not carry this bill's total to Pleo's {plan.expected_total} (VAT {plan.expected_vat}); the "
            "bill was not booked. Book this kind as a journal entry in the booking settings, then retry the record.")


def _line_balance(line: dict) -> Decimal:
    return to_decimal(line["debit"]) - to_decimal(line["credit"])


def _tax_sides(lines: list[dict], sign: int) -> list[tuple[int, bool, list[dict]]]:
    """(tax id, debit side?, its lines) per tax and side (reverse charge has a +VAT and a -VAT line); a line
    Odoo rounded to zero is on the side of the move's own VAT (`sign` 1: debit)."""
    sides = defaultdict(list)
    for line in lines:
        if line["tax_line_id"]:
            balance = _line_balance(line)
            sides[(line["tax_line_id"][0], balance > 0 or (balance == 0 and sign > 0))].append(line)
    return [(tax_id, positive, group) for (tax_id, positive), group in sides.items()]


class _Mismatch(PortalError):
    """Odoo's figures cannot be made to equal Pleo's."""


def vat_by_odoo_tax(item: dict, context: BookingContext, *, supplier: bool = False) -> dict[int, Decimal]:
    """Pleo's VAT per Odoo tax: the target of each of Odoo's tax lines, in the wallet currency or, with
    `supplier`, in the supplier's for the VAT-excluded taxes whose every line gives it."""
    vat, missing = defaultdict(Decimal), set()
    for line in item.get("accountingEntryLines", []):
        tax = line.get("tax")
        target = context.taxes.get(tax["id"]) if tax else None
        if target is None:
            continue
        if not supplier:
            vat[target.odoo_tax_id] += contract.money_to_decimal(tax["amount"]["inWalletCurrency"])
        elif target.price_include or not tax["amount"].get("inSupplierCurrency"):
            missing.add(target.odoo_tax_id)
        else:
            vat[target.odoo_tax_id] += contract.money_to_decimal(tax["amount"]["inSupplierCurrency"])
    return {tax_id: amount for tax_id, amount in vat.items() if tax_id not in missing}


def line_corrections(plan: MovePlan, lines: list[dict], vat_by_tax: dict[int, Decimal]) -> list:
    """Write commands that set each tax line to Pleo's VAT and the counter line to Pleo's total.

    Odoo rounds tax per line and, on an entry with tax, silently balances a gap with an "Automatic
    Balancing Line" on the suspense account (recordings 81, 94); both are put right here, never left.
    """
    commands, balance = [], Decimal(0)
    counter = None
    for line in lines:
        if line["tax_line_id"]:
            continue  # set per tax below
        amount = _line_balance(line)
        if counter is None and _is_counter_line(plan, line, amount):
            counter = (line, amount)
        elif line.get("name") == "Automatic Balancing Line":
            commands.append((2, line["id"], 0))
        else:
            balance += amount
    if counter is None:
        raise _Mismatch(f"Odoo left out the line on the Wallet or payable account, so the entry cannot carry "
                        f"Pleo's total of {plan.expected_total}; it was not booked. Check the accounts in the booking "
                        "settings, then retry the record.")
    # The VAT's usual side is opposite the counter line.
    for tax_id, positive, side in _tax_sides(lines, 1 if counter[1] < 0 else -1):
        target = vat_by_tax.get(tax_id, Decimal(0))
        amounts = [_line_balance(line) for line in side]
        current = sum(abs(amount) for amount in amounts)
        new_magnitude = abs(amounts[0]) + (target - current)
        if new_magnitude < 0:
            raise _Mismatch(f"Odoo's VAT {current} cannot be set to Pleo's VAT {target}; the entry was not "
                            "booked. Check that the Pleo tax code is mapped to an Odoo tax of the same rate, "
                            "then retry the record.")
        new_amount = new_magnitude if positive else -new_magnitude
        balance += new_amount + sum(amounts[1:])
        if new_amount != amounts[0]:
            commands.append((1, side[0]["id"], _side(new_amount)))
    counter_line, counter_amount = counter
    if abs(balance) != plan.expected_total:
        raise _Mismatch(
            f"Odoo's total would be {abs(balance)} but Pleo charged {plan.expected_total} "
            f"(VAT in Pleo {plan.expected_vat}); the entry was not booked. Check the tax mappings of its VAT "
            "codes, then retry the record."
        )
    if -balance != counter_amount:
        commands.append((1, counter_line["id"], _side(-balance)))
    return commands


def _is_counter_line(plan: MovePlan, line: dict, amount: Decimal) -> bool:
    """The line that carries Pleo's total: the counter account on an entry, the payable line on a bill.

    Odoo puts a bill's payable line on the partner's own payable account, which need not be the one in
    the booking settings, so on bills it is found by its side instead.
    """
    if plan.move_type == "entry":
        return bool(line["account_id"]) and line["account_id"][0] == plan.counter_account_id
    return amount < 0 if plan.move_type == "in_invoice" else amount > 0


def _side(amount: Decimal) -> dict:
    return {"debit": amount, "credit": Decimal(0)} if amount >= 0 else {"debit": Decimal(0), "credit": -amount}


def _moves_post(job: _Job, booked: list[_Booking]) -> None:
    to_post = [b for b in booked if b.plan.post and b.move.get("state", "draft") == "draft"]
    for chunk in _chunks(to_post, job.batch_size):
        try:
            job.odoo.moves_post([b.move["id"] for b in chunk])
        except (OdooUserError, OdooValidationError) as exc:
            if len(chunk) == 1:
                job.fail(chunk[0].record, "Odoo refused to post the entry (it stays a draft in Odoo): "
                                          f"{str(exc).rstrip('.')}. Correct what Odoo names, then retry the record.",
                         "accounting_system_validation_failure")
                continue
            for booking in chunk:
                _moves_post(job, [booking])


def _moves_read_back(booked: list[_Booking], odoo: OdooBooks) -> None:
    """Read what Odoo booked (number, state, date) and record every difference with Pleo's figures."""
    moves = odoo.moves_read(b.move["id"] for b in booked)
    for booking in booked:
        move = moves.get(booking.move["id"])
        if move is None:
            booking.move = None
            continue
        booking.move = move
        differences = []
        booked_on = date.fromisoformat(move["date"])
        planned = date.fromisoformat(booking.plan.values["date"])
        if booked_on != planned:
            differences.append(f"Pleo date {planned}, booked in Odoo on {booked_on} (the period was locked).")
        if booking.plan.post and move["state"] != "posted":
            differences.append(f"Odoo left it {move['state']}.")
        if booking.plan.payment and booking.plan.post and move.get("payment_state") not in ("paid", "in_payment"):
            differences.append(f"The Wallet payment is booked but Odoo shows the bill as {move.get('payment_state')}.")
        if booking.matched:
            differences.append(booking.matched)
        booking.record.differences = " ".join(differences)
        booking.record.booked_date = booked_on


def _record_exported(job: _Job, booking: _Booking) -> dict:
    run, client = job.run, job.client
    record, move = booking.record, booking.move
    record.status = ExportRecordStatus.EXPORTED
    record.odoo_record_id, record.odoo_name, record.odoo_state = move["id"], move.get("name", ""), move.get("state", "")
    record.odoo_amount_total = move.get("company_total")
    record.odoo_drift, record.odoo_drift_found_at = "", None
    record.odoo_url = _odoo_move_url(client, move["id"])
    record.last_error, record.failure_reason_type = "", ""
    record.save()
    booked = f"booked again as {record.odoo_name}" if booking.replaces else f"Booked as {record.odoo_name}"
    _attempt(record, run, ExportRecordStatus.EXPORTED, f"{booking.replaces}{booked} ({record.odoo_state})."
             + (f" {record.differences}" if record.differences else ""))
    return _success_update(record)


def _odoo_move_url(client: Client, move_id: int) -> str:
    return OdooBooks.move_url(client.odoo_connection.url, move_id)


def _results_report(*, pleo: PleoClient, job_id: str, updates: list[dict]) -> None:
    """Tell Pleo each item's result, 100 at a time; remember which ones Pleo accepted."""
    if not updates:
        return
    result = pleo.export_job_items_update(job_id, updates)
    refused = {e["accountingEntryId"] for e in result.errors}
    accepted = [u["accountingEntryId"] for u in updates if u["accountingEntryId"] not in refused]
    ExportRecord.objects.filter(pleo_accounting_entry_id__in=accepted, pleo_job_id=job_id).update(
        reported_to_pleo_at=timezone.now())
    for error in result.errors:
        logger.warning("Pleo refused the result of entry %s: %s", error["accountingEntryId"], error.get("type"))


def export_records_retry(*, records, by=None, changed_in_odoo: bool = False) -> int:
    """Send failed records (or, `changed_in_odoo`, exported ones the drift check found changed in Odoo) back to
    Pleo's export queue and start their clients' runs.

    Pleo books only what is in an export job, so a retry asks Pleo for a new job holding the entries
    (POST /v3/export-jobs), then runs the client's export as the schedule would. An exported record stays
    exported: the run looks it up in Odoo and books again what was cancelled or deleted there.
    """
    from django_q.tasks import async_task

    chosen = (records.filter(status=ExportRecordStatus.EXPORTED).exclude(odoo_drift="") if changed_in_odoo
              else records.filter(status=ExportRecordStatus.FAILED))
    failed = list(chosen.select_related("client", "client__pleo_connection"))
    by_client = defaultdict(list)
    for record in failed:
        by_client[record.client].append(record)
    for client, client_records in by_client.items():
        connection, pleo = pleo_company_client_get(client=client)
        try:
            pleo.export_job_create(company_id=connection.company_id,
                                   accounting_entry_ids=[r.pleo_accounting_entry_id for r in client_records])
        except PleoConflictError:
            raise PortalError(f"Pleo is still exporting for {client}; retry when that export has finished.")
        ExportRecord.objects.filter(pk__in=[r.pk for r in client_records],
                                    status=ExportRecordStatus.FAILED).update(status=ExportRecordStatus.PENDING)
        triggered_by = f"retry by {by.get_username()}" if by is not None else "retry"
        async_task("exports.tasks.export_queue_poll", client.pk, triggered_by, task_name=f"export client {client.pk}")
    return len(failed)


# Preview ------------------------------------------------------------------------------------------

@dataclass
class PreviewRow:
    """One pending Pleo expense and the plan of the Odoo record the export would create, or why not."""

    accounting_entry_id: str
    summary: str
    plan: MovePlan | SkipPlan | None = None
    refusal: str = ""


def export_preview(*, client: Client) -> list[PreviewRow]:
    """What the next export would book, read from Pleo and Odoo without writing anything anywhere.

    No `started` event is sent: export items can be read while a job is pending (§5.2).
    """
    pleo_connection, pleo = pleo_company_client_get(client=client)
    _, books = odoo_company_books_get(client=client)
    context = booking_context_build(client=client, books=books)
    rows = []
    for job in pleo.export_jobs(company_id=pleo_connection.company_id, statuses=contract.RESUMABLE_JOB_STATUSES):
        for item in _open_items(pleo, job["id"]):
            facts = item_record_facts(item)
            row = PreviewRow(item["accountingEntryId"],
                             f"{facts['entry_date']} {facts['kind']} {facts['supplier']} {facts['amount']} {facts['currency']}")
            try:
                row.plan = booking_plan(item, context)
            except BookingRefused as exc:
                row.refusal = str(exc)
            rows.append(row)
    return rows


# Receipts -------------------------------------------------------------------------------------------

def _receipts_fetch(job: _Job, bookings: list[_Booking]) -> list[_Booking]:
    """Download every receipt before anything is booked: an item whose receipt cannot be had fails
    whole, and is tried again with the next export, instead of leaving an entry without its receipt."""
    kept = []
    for booking in bookings:
        try:
            booking.receipts = [_receipt_download(job.pleo, file) for file in booking.plan.files]
        except PortalError as exc:
            job.fail(booking.record, str(exc), exc.extra.get("failure_reason_type", "receipt_download_failure"))
            continue
        kept.append(booking)
    return kept


def _receipt_download(pleo: PleoClient, file: dict):
    kind = (file.get("type") or "").lower()
    limit = settings.RECEIPT_MAX_BYTES
    if kind not in RECEIPT_TYPES:
        raise PortalError(f"A receipt is of type “{kind or 'unknown'}”; Odoo gets PDF, JPEG, PNG, text, Word and "
                          "Excel files only. Replace the receipt in Pleo.",
                          extra={"failure_reason_type": "receipt_conversion_failure"})
    too_large = PortalError(f"A receipt is larger than {limit // (1024 * 1024)} MB; attach a smaller copy in Pleo.",
                            extra={"failure_reason_type": "receipt_file_size_limit_exceeded"})
    if (file.get("size") or 0) > limit:
        raise too_large
    try:
        downloaded = pleo.file_download(file["url"], max_bytes=limit, content_type=kind)
    except PleoFileTooLargeError:
        raise too_large
    except PleoError as exc:
        raise PortalError(f"A receipt could not be downloaded from Pleo ({exc}); it is tried again with the next "
                          "export.", extra={"failure_reason_type": "receipt_download_failure"})
    if not downloaded.content:
        raise PortalError("A receipt downloaded from Pleo is empty; upload it again in Pleo.",
                          extra={"failure_reason_type": "receipt_download_failure"})
    if not downloaded.matches_type:
        raise PortalError(f"A receipt Pleo labels “{kind}” is not such a file (its content is something else); "
                          "upload it again in Pleo.", extra={"failure_reason_type": "receipt_conversion_failure"})
    return downloaded


def _receipts_attach(job: _Job, booked: list[_Booking]) -> None:
    """Attach the receipts to their Odoo records in a few calls, each carrying at most 20 MB."""
    with_receipts = [b for b in booked if b.receipts]
    if not with_receipts:
        return
    odoo = job.odoo
    present = odoo.attachments_of(b.move["id"] for b in with_receipts)
    batches, batch, size = [], [], 0
    for booking in with_receipts:
        for receipt in booking.receipts:
            if (booking.move["id"], receipt.name) in present:
                continue  # attached by an earlier run
            if batch and size + receipt.size > ATTACHMENT_BATCH_BYTES:
                batches.append(batch)
                batch, size = [], 0
            batch.append((booking, receipt))
            size += receipt.size
    if batch:
        batches.append(batch)
    for batch in batches:
        files = [{"name": receipt.name, "datas": base64.b64encode(receipt.content).decode(),
                  "mimetype": receipt.content_type, "move_id": booking.move["id"]} for booking, receipt in batch]
        try:
            odoo.attachments_create(files)
        except (OdooConnectionError, OdooAuthenticationError):
            raise  # Odoo may have attached them: the next run looks them up instead of failing booked items
        except OdooError as exc:
            for booking in {id(b): b for b, _ in batch}.values():
                job.fail(booking.record, f"Odoo refused a receipt ({exc}); the entry is booked and the receipt is "
                                         "attached with the next export.", "receipt_upload_failure")


# Vendor bills paid from the Pleo Wallet ---------------------------------------------------------------

def _payments_book(job: _Job, booked: list[_Booking]) -> None:
    """Book the Wallet payment of each card-paid bill and reconcile it with the bill (recordings 45 to 47)."""
    bills = [b for b in booked if b.plan.payment is not None and b.plan.post]
    if not bills:
        return
    odoo = job.odoo
    payable_account = {b.move["id"]: _bill_payable_account(b) for b in bills}
    references = {f"{b.plan.reference} payment": b for b in bills}
    payments = {m["ref"]: m["id"] for m in odoo.moves_by_reference(references)}
    to_create = [(ref, b) for ref, b in references.items() if ref not in payments]
    if to_create:
        values = [_payment_values(ref, b, payable_account[b.move["id"]]) for ref, b in to_create]
        try:
            ids = odoo.moves_create(_jsonable(values))
            odoo.moves_post(ids)
        except (OdooUserError, OdooValidationError, OdooPermissionError) as exc:
            for _, booking in to_create:
                job.fail(booking.record, f"The bill is booked but Odoo refused its payment from the Pleo Wallet: "
                                         f"{str(exc).rstrip('.')}. Check the Wallet account and the card journal "
                                         "in the booking settings, then retry the record.",
                         "accounting_system_validation_failure")
            return
        payments.update({ref: new_id for (ref, _), new_id in zip(to_create, ids)})
    moves = [b.move["id"] for b in bills] + list(payments.values())
    lines = odoo.open_lines(moves, account_ids=set(payable_account.values()))
    for ref, booking in references.items():
        pair = lines.get(booking.move["id"], []) + lines.get(payments[ref], [])
        if len(pair) == 2:
            odoo.lines_reconcile([line["id"] for line in pair])


def _invoice_payments_match(job: _Job, booked: list[_Booking]) -> None:
    """Reconcile each posted invoice payment with the vendor bill it pays, so the bill reads paid in Odoo; and
    each supplier invoice booked after its payment with that payment.

    Which bill a payment pays is Pleo's open question; the rule is contract.invoice_payment_invoice_number's.
    A payment with no such bill is still booked, on payables for the vendor, and its record says why; one
    that does not settle exactly what is open (a partial payment, a bill already paid, another rate) is
    never reconciled: its record says what differs, and Odoo's reconciliation is the place to settle it.
    """
    payments = [b for b in booked if b.plan.item_type == "invoice_payment"]
    bills = [b for b in booked if b.plan.item_type == "invoice" and b.plan.move_type == "in_invoice"
             and b.plan.post and b.plan.values.get("payment_reference")]
    numbers = {id(b): clean_text(contract.invoice_payment_invoice_number(b.item) or "", NAME_MAX) for b in payments}
    for booking in payments:
        if not booking.plan.post:
            booking.matched = "It is left a draft, so it was not matched with its bill: post it and match it in Odoo."
        elif not numbers[id(booking)]:
            booking.matched = "Pleo gives no invoice number, so it was not matched with a bill: match it in Odoo."
    payments = [b for b in payments if not b.matched]
    numbers.update({id(b): b.plan.values["payment_reference"] for b in bills})
    if not payments and not bills:
        return
    odoo = job.odoo
    wanted = sorted({numbers[id(b)] for b in payments + bills})
    found = odoo.posted_with_payment_reference(wanted)
    moves = sorted({m["id"] for m in found} | {b.move["id"] for b in payments + bills})
    lines = defaultdict(list, odoo.open_lines(moves))  # each move's open lines
    open_items = {}  # (move type, vendor, number) -> moves; those booked in this run included
    for move in found:
        # A bill names its vendor; a journal entry (a payment) names it on its open lines.
        partners = [move["partner_id"]] if move["move_type"] == "in_invoice" else [
            line["partner_id"] for line in lines[move["id"]] if line["partner_id"]]
        if partners and partners[0]:
            open_items.setdefault((move["move_type"], partners[0][0], move["payment_reference"]), []).append(move)
    for booking in payments:
        bills_open = open_items.get(("in_invoice", booking.partner_id, numbers[id(booking)]), [])
        _invoice_payment_pair(job, booking, numbers[id(booking)], lines, bills=bills_open)
    for booking in bills:
        # Payments booked before this bill that are still open on its payables account; none is the common case.
        bill_lines = [line for line in lines[booking.move["id"]] if line["display_type"] == "payment_term"]
        if len(bill_lines) != 1:
            continue  # already paid, by a payment of this run
        account = bill_lines[0]["account_id"][0]
        earlier = [m for m in open_items.get(("entry", booking.partner_id, numbers[id(booking)]), [])
                   if any(line["account_id"] and line["account_id"][0] == account for line in lines[m["id"]])]
        if earlier:
            _invoice_payment_pair(job, booking, numbers[id(booking)], lines, payments=earlier)


def _invoice_payment_pair(job: _Job, booking: _Booking, number: str, lines: dict, *, bills=(), payments=()) -> None:
    """Reconcile `booking` (a payment, or a bill) with the one bill (or payment) that it settles exactly.

    A bill's payables line is its payment-term line; a payment's is its open line on the same account."""
    def payable(move_id, account_id=None):
        return [line for line in lines.get(move_id, []) if (line["display_type"] == "payment_term"
                if account_id is None else line["account_id"] and line["account_id"][0] == account_id)]

    if not bills and not payments:
        booking.matched = (f"Odoo has no posted vendor bill of this vendor with invoice number {number}, so the "
                           "payment was not matched with a bill: export the invoice from Pleo, or match the payment "
                           "in Odoo.")
        return
    pairs, said = [], []
    for bill, payment in [(bill, booking.move) for bill in bills] + [(booking.move, payment) for payment in payments]:
        other = bill if bills else payment
        bill_lines = payable(bill["id"])
        if len(bill_lines) != 1:
            said.append(f"{other.get('name') or 'the bill'} is already paid" if not bill_lines else
                        f"{other.get('name') or 'the bill'} has {len(bill_lines)} open payables lines")
            continue
        payment_lines = payable(payment["id"], bill_lines[0]["account_id"][0])
        if len(payment_lines) != 1:
            said.append("the payment has no open line on the bill's payables account" if bills else
                        f"{other['name']} has no open line on the bill's payables account")
            continue
        difference = _settles(payment_lines[0], bill_lines[0])
        if difference:
            said.append(f"{other['name']}: {difference}")
        else:
            pairs.append((other, [bill_lines[0], payment_lines[0]]))
    other_kind = "bill" if bills else "payment"
    if len(pairs) == 1:
        other, pair = pairs[0]
        job.odoo.lines_reconcile([line["id"] for line in pair])
        for line in pair:  # reconciled now: not open for the next booking of this run
            lines[line["move_id"][0]].remove(line)
        booking.matched = (f"Matched with the vendor bill {other['name']}, which it pays." if bills else
                           f"Matched with the payment {other['name']} booked before it; the bill is paid.")
        return
    if pairs:
        said = [f"{len(pairs)} {other_kind}s of this vendor with invoice number {number} settle it exactly"]
    booking.matched = (f"Not matched with a {other_kind}: {'; '.join(said)}. Match it in Odoo (Accounting → "
                       "Reconcile), where a partial payment or an exchange difference is settled.")


def _settles(payment: dict, bill: dict) -> str:
    """'' when a payment's and a bill's open payables lines cancel out exactly, in the company currency and in
    their own; else what differs. Reconciling anything else would leave an amount open, or make Odoo book an
    exchange difference, without a person deciding it."""
    paid_in, open_in = (payment["currency_id"] or [None, ""])[1], (bill["currency_id"] or [None, ""])[1]
    paid, open_ = to_decimal(payment["amount_residual_currency"]), to_decimal(bill["amount_residual_currency"])
    if paid_in != open_in:
        return f"the bill is in {open_in}, the payment in {paid_in}"
    if paid != -open_:
        return f"the bill is open for {abs(open_)} {open_in}, the payment is {abs(paid)} {paid_in}"
    company_paid, company_open = to_decimal(payment["amount_residual"]), to_decimal(bill["amount_residual"])
    if company_paid != -company_open:
        return (f"{abs(open_)} {open_in} is {abs(company_open)} in the company currency on the bill and "
                f"{abs(company_paid)} on the payment, an exchange difference")
    return ""


def _bill_payable_account(booking: _Booking) -> int:
    for line in booking.lines:
        amount = _line_balance(line)
        if not line["tax_line_id"] and _is_counter_line(booking.plan, line, amount):
            return line["account_id"][0]
    return booking.plan.payment.payables_account_id


def _payment_values(reference: str, booking: _Booking, payable_account_id: int) -> dict:
    payment, plan = booking.plan.payment, booking.plan
    # A bill is settled by debiting payables; a vendor credit note (money back into the Wallet) the other way.
    into_wallet = plan.move_type == "in_refund"
    payable = {"account_id": payable_account_id, "partner_id": booking.partner_id, "name": reference,
               **(_side(-payment.amount) if into_wallet else _side(payment.amount))}
    if payment.currency_id is not None:
        payable["currency_id"] = payment.currency_id
        payable["amount_currency"] = -payment.amount_currency if into_wallet else payment.amount_currency
    wallet = {"account_id": payment.wallet_account_id, "name": reference,
              **(_side(payment.amount) if into_wallet else _side(-payment.amount))}
    return {"move_type": "entry", "journal_id": payment.journal_id, "date": plan.values["date"], "ref": reference,
            "line_ids": [(0, 0, payable), (0, 0, wallet)]}
