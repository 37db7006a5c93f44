"""The dashboard benchmark: a large firm's history seeded fast on PostgreSQL, then /admin/ timed, its queries counted.

Plain functions so the management command (`manage.py bench_dashboard`) and its test share them. The export
history is written with INSERT ... SELECT over generate_series (a million records in seconds, not the ORM's
minutes); the page is requested through django.test.Client, the whole Django stack without a socket.
"""
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from exports.schedules import poll_schedule_name
from integrations.choices import ClientStatus
from integrations.models import Client, OdooConnection, PleoConnection
from integrations.odoo.books import MOVE_MODEL

__all__ = ["TARGET_MS", "RECORDS_PER_RUN", "PageTiming", "bench_dashboard_seed", "bench_dashboard_time",
           "bench_dashboard_lines", "bench_dashboard_run"]

TARGET_MS = 1000  # issue 6: the dashboard of 500 clients and a million export records in under a second
RECORDS_PER_RUN = 100  # a Pleo export job of 100 expenses, as bookkeepers press Export during the month
HISTORY_DAYS = 365


@dataclass(frozen=True)
class PageTiming:
    clients_shown: int
    median_ms: float
    queries: int


def _connection_fields(number: int, now) -> tuple[dict, dict]:
    """Odoo and Pleo health of the number-th client: most verified, a few failing, refused or never verified."""
    verified = {"verification_passed": True, "verified_at": now - timedelta(days=number % 30)}
    odoo, pleo = dict(verified), dict(verified)
    if number % 20 == 1:
        odoo.update(failing_since=now - timedelta(hours=number % 48), last_failure="Odoo did not answer.")
    if number % 50 == 2:
        pleo.update(failing_since=now - timedelta(days=1), credentials_refused_at=now - timedelta(days=1),
                    last_failure="Pleo refused the API token.")
    if number % 33 == 3:
        odoo.update(verification_passed=None, verified_at=None)
    pleo.update(queue_waiting=(number * 37) % 300, queue_checked_at=now)
    return odoo, pleo


@transaction.atomic
def bench_dashboard_seed(*, clients: int, records: int, staff_clients: int) -> tuple[object, object, object]:
    """The firm: clients with connections, poll schedules, sync runs, runs, records and attempts.

    Returns the superuser, a staff member who handles every client and one who handles the first `staff_clients`.
    """
    now = timezone.now()
    User = get_user_model()
    superuser = User.objects.create(username="bench-admin", is_staff=True, is_superuser=True)
    staff = User.objects.create(username="bench-bookkeeper", is_staff=True)
    staff.user_permissions.set(_portal_permissions())
    partner = User.objects.create(username="bench-partner", is_staff=True)
    partner.user_permissions.set(_portal_permissions())
    rows = Client.objects.bulk_create(
        Client(name=f"Client {number:04d} BV", status=ClientStatus.PAUSED if number % 10 == 9 else ClientStatus.ACTIVE)
        for number in range(clients)
    )
    odoo, pleo = [], []
    for number, client in enumerate(rows):
        odoo_fields, pleo_fields = _connection_fields(number, now)
        odoo.append(OdooConnection(client=client, url="https://client.odoo.com", database="client",
                                   login="pleo@example.com", api_key=f"odoo-key-{number}", **odoo_fields))
        pleo.append(PleoConnection(client=client, api_token=f"pleo-token-{number}", **pleo_fields))
    OdooConnection.objects.bulk_create(odoo, batch_size=1000)
    PleoConnection.objects.bulk_create(pleo, batch_size=1000)
    Client.staff.through.objects.bulk_create(
        [Client.staff.through(client_id=client.pk, user_id=staff.pk) for client in rows[:staff_clients]]
        + [Client.staff.through(client_id=client.pk, user_id=partner.pk) for client in rows]
    )
    Schedule.objects.bulk_create(
        Schedule(name=poll_schedule_name(client_id=client.pk), func="exports.tasks.export_queue_poll",
                 kwargs=f"client_id={client.pk}", schedule_type=Schedule.MINUTES, minutes=5,
                 repeats=-1 if client.is_active else 0, next_run=now + timedelta(seconds=number % 300))
        for number, client in enumerate(rows)
    )
    _history_insert(records=records)
    return superuser, partner, staff


def _portal_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label__in=["integrations", "mappings", "exports"])


def _history_insert(*, records: int) -> None:
    """Sync runs, export runs, records and attempts spread over a year, in a handful of statements.

    Run g belongs to client g mod n and is HISTORY_DAYS * g / runs days old; 1 in 20 runs failed. Each run
    has RECORDS_PER_RUN records (the last one fewer): 1 in 50 failed (two attempts), 1 in 100 skipped.
    """
    per_run = min(RECORDS_PER_RUN, max(records, 1))
    runs = -(-max(records, 1) // per_run)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO mappings_syncrun (client_id, kind, status, started_at, finished_at, triggered_by,
                created_count, updated_count, archived_count, skipped_count, notes, errors, created_at, updated_at)
            SELECT c.id, k.kind, CASE WHEN (c.id + h) % 40 = 0 THEN 'failed' ELSE 'succeeded' END,
                   now() - h * interval '1 hour', now() - h * interval '1 hour' + interval '20 seconds', 'schedule',
                   0, 0, 0, 0, '', '', now() - h * interval '1 hour', now() - h * interval '1 hour'
            FROM integrations_client c, (VALUES ('tax'), ('tags')) AS k(kind), generate_series(0, 23) AS h
            """
        )
        cursor.execute(
            """
            WITH ids AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM integrations_client)
            INSERT INTO exports_exportrun (client_id, pleo_job_id, status, triggered_by, started_at, finished_at,
                error, item_count, exported_count, failed_count, skipped_count, odoo_calls, pleo_calls,
                created_at, updated_at)
            SELECT ids.ids[1 + g %% ids.n], md5(g::text)::uuid::text,
                   CASE WHEN g %% 20 = 7 THEN 'failed' ELSE 'succeeded' END, 'schedule',
                   t, t + interval '40 seconds', '', %s, %s, 0, 0, 30, 4, t, t + interval '40 seconds'
            FROM ids, generate_series(0, %s - 1) AS g,
                 LATERAL (SELECT now() - (%s * interval '1 day') * g / %s AS t) AS moment
            """,
            [per_run, per_run, runs, HISTORY_DAYS, runs],
        )
        cursor.execute(
            """
            INSERT INTO exports_exportrecord (client_id, pleo_accounting_entry_id, pleo_job_id, export_run_id, kind,
                entry_date, supplier, spender, description, amount, currency, vat_amount, status, odoo_reference,
                odoo_model, odoo_record_id, odoo_name, odoo_state, odoo_url, booked_date, attempts, last_error,
                failure_reason_type, failure_detail, differences, odoo_drift, pleo_payload, odoo_values,
                reported_to_pleo_at, created_at, updated_at)
            SELECT r.client_id, r.id || '-' || k, r.pleo_job_id, r.id, 'card_purchase', r.created_at::date,
                   'Supplier ' || (k %% 40), 'Spender ' || (k %% 7), 'Expense ' || k, (k %% 500) + 0.5, 'EUR',
                   ((k %% 500) + 0.5) * 0.21, s.status, 'PLEO/' || r.id || '-' || k,
                   %s, CASE WHEN s.status = 'exported' THEN r.id * 1000 + k END,
                   CASE WHEN s.status = 'exported' THEN 'MISC/' || r.id || '/' || k ELSE '' END,
                   CASE WHEN s.status = 'exported' THEN 'posted' ELSE '' END, '', NULL,
                   CASE WHEN s.status = 'failed' THEN 2 ELSE 1 END,
                   CASE WHEN s.status = 'failed' THEN 'No Odoo account for the Pleo category Travel: map it.'
                        ELSE '' END,
                   CASE WHEN s.status = 'failed' THEN 'missing_account_mapping' ELSE '' END, '{}', '', '', '{}',
                   '{}', r.finished_at, r.created_at, r.finished_at
            FROM exports_exportrun r
            CROSS JOIN generate_series(1, %s) AS k
            CROSS JOIN LATERAL (SELECT CASE WHEN (r.id + k) %% 50 = 0 THEN 'failed'
                                            WHEN (r.id + k) %% 100 = 1 THEN 'skipped'
                                            ELSE 'exported' END AS status) AS s
            """,
            [MOVE_MODEL, per_run],
        )
        # The history holds exactly `records`: the last run loses its surplus.
        cursor.execute(
            "DELETE FROM exports_exportrecord WHERE id > (SELECT min(id) + %s - 1 FROM exports_exportrecord)",
            [records],
        )
        cursor.execute(
            """
            INSERT INTO exports_exportattempt (record_id, export_run_id, outcome, message, created_at, updated_at)
            SELECT id, export_run_id, 'failed', last_error, created_at, created_at
            FROM exports_exportrecord WHERE status = 'failed'
            UNION ALL
            SELECT id, export_run_id, status, last_error, updated_at, updated_at FROM exports_exportrecord
            """
        )
        cursor.execute("ANALYZE")  # what autovacuum does on a live database; without it the planner guesses


def _page(browser: Browser, repeat: int) -> PageTiming:
    browser.get("/admin/", secure=True)  # warm-up: templates, permissions, the database's caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = browser.get("/admin/", secure=True)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"/admin/ answered {response.status_code}")
    shown = len(re.findall(rb'<tr data-client="', response.content))
    return PageTiming(clients_shown=shown, median_ms=statistics.median(times), queries=len(queries))


def bench_dashboard_time(*, users, repeat: int) -> list[PageTiming]:
    timings = []
    for user in users:
        browser = Browser(HTTP_HOST="localhost")
        browser.force_login(user)
        timings.append(_page(browser, repeat))
    return timings


def bench_dashboard_lines(*, everyone: PageTiming, staff_all: PageTiming, staff: PageTiming) -> list[str]:
    """The superuser's page against the target; two staff members, every client and a few, for the query count.

    A staff member's page has two queries more than a superuser's (Django reads their permissions), so the
    count is compared between the two staff members.
    """
    met = everyone.median_ms < TARGET_MS and staff_all.queries == staff.queries
    return [
        f"dashboard_clients_shown: {everyone.clients_shown}",
        f"dashboard_ms: {everyone.median_ms:.0f}",
        f"dashboard_queries: {everyone.queries}",
        *(line for timing in (staff_all, staff) for line in (
            f"dashboard_staff_{timing.clients_shown}_clients_ms: {timing.median_ms:.0f}",
            f"dashboard_staff_{timing.clients_shown}_clients_queries: {timing.queries}")),
        f"target_ms: {TARGET_MS}",
        f"target_met: {'yes' if met else 'no'}",
    ]


def bench_dashboard_run(*, clients: int, records: int, staff_clients: int, repeat: int,
                        progress: Callable[[str], None]) -> list[str]:
    start = time.perf_counter()
    users = bench_dashboard_seed(clients=clients, records=records, staff_clients=staff_clients)
    seeded = time.perf_counter() - start
    progress(f"seeded in {seeded:.0f} s; timing /admin/")
    everyone, staff_all, staff = bench_dashboard_time(users=users, repeat=repeat)
    return [f"seed_seconds: {seeded:.1f}", *bench_dashboard_lines(everyone=everyone, staff_all=staff_all, staff=staff)]
