"""The firm's dashboard: one row per client the user may see, what needs attention first, firm-wide totals.

Everything is read in a fixed number of queries whatever the number of clients: the clients with their
connections, last run and last successful run (one query, correlated subqueries), the failure counts (one
grouped query), the exported records changed in Odoo since (one grouped query), the poll schedules (one
query) and the staff members for the filter (one query).
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from exports.choices import FINISHED_RUNS, ExportRecordStatus, ExportRunStatus
from exports.models import ExportRecord, ExportRun
from exports.schedules import poll_schedule_name
from integrations.choices import ClientStatus, WebhookStatus
from integrations.formats import moment
from integrations.health import KEY_EXPIRY_WARNING_DAYS
from integrations.models import Client
from mappings.choices import SyncRunStatus
from mappings.models import SyncRun

__all__ = [
    "pleo_webhook_words",
    "STALE_EXPORT_DAYS",
    "MANY_WAITING",
    "ConnectionState",
    "DashboardRow",
    "DashboardFilters",
    "Dashboard",
    "dashboard_filters_parse",
    "dashboard_staff_choices",
    "dashboard_build",
]

# An active client with expenses waiting and no successful export for this long has a stuck export.
STALE_EXPORT_DAYS = 7
# More expenses than this waiting in Pleo's queue: the exports do not keep up.
MANY_WAITING = 100

# What needs attention first: the lower, the sooner. Connection problems stop every export of the client.
CONNECTION, FAILURES, STALE, WAITING, SYNC, FINE = range(6)


@dataclass(frozen=True)
class ConnectionState:
    """One connection's health in words, with the page that shows it."""

    label: str  # "Odoo" or "Pleo"
    state: str  # verified, failing, refused, unverified, verify_failed, key_expiring, missing
    text: str
    url: str

    @property
    def needs_attention(self) -> bool:
        return self.state != "verified"


@dataclass
class DashboardRow:
    client: Client
    url: str
    odoo: ConnectionState
    pleo: ConnectionState
    last_export_at: datetime | None  # the last run that booked, or found nothing to book
    last_export_url: str
    last_sync_at: datetime | None
    last_sync_status: str
    last_sync_url: str
    waiting: int | None
    waiting_checked_at: datetime | None
    failed_24h: int
    failed_7d: int
    failed_24h_url: str
    failed_7d_url: str
    next_run: datetime | None
    changed_in_odoo: int = 0  # exported records the drift check found cancelled, deleted, reset or changed
    changed_in_odoo_url: str = ""
    last_run: dict | None = None  # the last finished run: finished_at, status, exported, failed, skipped
    reasons: list[tuple[int, str, str]] = field(default_factory=list)  # (level, text, the page to see or fix it)
    webhook: str = ""  # what Pleo's webhook does for the client, in a few words
    webhook_problem: str = ""

    @property
    def name(self) -> str:
        return self.client.name

    @property
    def paused(self) -> bool:
        return self.client.status == ClientStatus.PAUSED

    @property
    def connections(self) -> tuple[ConnectionState, ConnectionState]:
        return self.odoo, self.pleo

    @property
    def needs_attention(self) -> bool:
        return bool(self.reasons)

    @property
    def attention(self) -> list[str]:
        return [text for text, _ in self.attention_links]

    @property
    def attention_links(self) -> list[tuple[str, str]]:
        return [(text, url) for _, text, url in sorted(self.reasons, key=lambda reason: reason[0])]

    def sort_key(self) -> tuple:
        return (min((reason[0] for reason in self.reasons), default=FINE), self.name.lower(), self.client.pk)


@dataclass(frozen=True)
class DashboardFilters:
    attention: bool = False
    paused: bool | None = None  # None: paused and active
    staff_id: int | None = None

    def as_params(self, **changes) -> str:
        values = {"attention": self.attention, "paused": self.paused, "staff_id": self.staff_id, **changes}
        params = {}
        if values["attention"]:
            params["attention"] = "1"
        if values["paused"] is not None:
            params["paused"] = "1" if values["paused"] else "0"
        if values["staff_id"]:
            params["staff"] = str(values["staff_id"])
        return f"?{urlencode(params)}" if params else "?"


@dataclass
class Dashboard:
    rows: list[DashboardRow]
    totals: dict
    filters: DashboardFilters
    staff_choices: list[tuple[int, str]]
    links: dict


def dashboard_filters_parse(params) -> DashboardFilters:
    """The dashboard's GET parameters; anything unreadable is ignored, like an unset filter."""
    paused = {"1": True, "0": False}.get(params.get("paused", ""))
    staff = params.get("staff", "")
    return DashboardFilters(attention=params.get("attention") == "1", paused=paused,
                            staff_id=int(staff) if staff.isdigit() else None)


def dashboard_staff_choices(*, user) -> list[tuple[int, str]]:
    """Staff members handling at least one client the user sees: a staff member learns no one else's clients."""
    users = (get_user_model().objects.filter(clients__in=Client.objects.for_user(user), is_active=True)
             .distinct().order_by("username"))
    return [(person.pk, person.get_full_name() or person.get_username()) for person in users]


_LAST_RUN_FIELDS = ("finished_at", "status", "exported_count", "failed_count", "skipped_count")


def _last_run(client: Client) -> dict | None:
    run = {name: getattr(client, f"last_run_{name}") for name in _LAST_RUN_FIELDS}
    if run["finished_at"] is None:
        return None
    run["status_label"] = ExportRunStatus(run["status"]).label
    return run


def _when(value: datetime | None) -> str:
    return moment(value) if value else ""


def _connection_state(client: Client, attribute: str, label: str) -> ConnectionState:
    connection = getattr(client, attribute, None)
    model_name = f"{label.lower()}connection"
    if connection is None:
        return ConnectionState(label, "missing", "no connection",
                               reverse(f"admin:integrations_{model_name}_add") + f"?client={client.pk}")
    url = reverse(f"admin:integrations_{model_name}_change", args=[connection.pk])
    if connection.credentials_refused_at:
        return ConnectionState(label, "refused", f"key refused since {_when(connection.credentials_refused_at)}: "
                                                 "exports skipped until new credentials", url)
    if connection.failing_since:
        return ConnectionState(label, "failing", f"failing since {_when(connection.failing_since)}: "
                                                 f"{connection.last_failure}", url)
    if connection.verification_passed is None:
        return ConnectionState(label, "unverified", "not verified yet", url)
    if not connection.verification_passed:
        return ConnectionState(label, "verify_failed", f"Verify failed on {_when(connection.verified_at)}", url)
    expires = getattr(connection, "key_expires_at", None)  # Odoo 18+ keys expire
    if expires and expires < timezone.now() + timedelta(days=KEY_EXPIRY_WARNING_DAYS):
        days = (expires - timezone.now()).days
        left = f"in {days} days" if days > 0 else "today" if expires > timezone.now() else "already"
        return ConnectionState(label, "key_expiring", f"API key expires {left} ({_when(expires)}): make a new key in "
                                                      "Odoo and enter it on the connection before exports stop", url)
    return ConnectionState(label, "verified", "verified", url)


def pleo_webhook_words(pleo, *, now: datetime) -> tuple[str, str]:
    """(what Pleo's webhook does for the connection, a problem to fix or ""), for the dashboard and client page."""
    if pleo is None:
        return "", ""
    problem = ""
    if pleo.webhook_status == WebhookStatus.ACTIVE:
        text = (f"webhook: last delivery {_when(pleo.webhook_delivered_at)}" if pleo.webhook_delivered_at
                else "webhook active, no delivery yet")
    elif pleo.webhook_status == WebhookStatus.FAILED:
        text = "webhook not working"
        problem = f"Pleo's webhook is not working ({pleo.webhook_problem.rstrip('.')}): new jobs wait for the poll"
    else:
        text = "no webhook: new jobs are found by the poll"
    if pleo.webhook_refused_at and pleo.webhook_refused_at > now - timedelta(hours=24):
        problem = problem or (f"a Pleo webhook delivery was refused ({_when(pleo.webhook_refused_at)}): its signature, "
                              "time or company did not check out; press Verify to renew the subscription")
    return text, problem


def _failures_url(client_id: int | None, since: datetime) -> str:
    # The same three conditions as the counts, so the list behind a figure holds exactly that many records.
    params = {"status__exact": ExportRecordStatus.FAILED, "updated_at__gte": since.isoformat()}
    if client_id is not None:
        params = {"client__id__exact": client_id, **params}
    return reverse("admin:exports_exportrecord_changelist") + "?" + urlencode(params)


def _reasons(row: DashboardRow, now: datetime) -> list[tuple[int, str, str]]:
    reasons = [(CONNECTION, f"{state.label}: {state.text}", state.url)
               for state in (row.odoo, row.pleo) if state.needs_attention]
    if row.failed_24h:
        exports = "export" if row.failed_24h == 1 else "exports"
        reasons.append((FAILURES, f"{row.failed_24h} failed {exports} in the last 24 hours",
                        reverse("admin:exports_exportrecord_failures") + f"?client__id__exact={row.client.pk}"))
    if row.changed_in_odoo:
        records = "exported record" + (" was" if row.changed_in_odoo == 1 else "s were")
        reasons.append((FAILURES, f"{row.changed_in_odoo} {records} changed in Odoo since (cancelled, deleted, reset "
                                  "or a new total): book them again from the export history", row.changed_in_odoo_url))
    if row.webhook_problem:
        reasons.append((SYNC, row.webhook_problem, row.pleo.url))
    if row.last_sync_status == SyncRunStatus.FAILED:
        reasons.append((SYNC, "the last sync failed", row.last_sync_url))
    if not row.paused:
        # Nothing waiting (0) means nothing to export: a quiet client is not a stuck one.
        stale = row.last_export_at is None or row.last_export_at < now - timedelta(days=STALE_EXPORT_DAYS)
        if stale and row.waiting != 0:
            since = f"since {_when(row.last_export_at)}" if row.last_export_at else "yet"
            reasons.append((STALE, f"no successful export {since}", row.last_export_url))
        if row.waiting is not None and row.waiting > MANY_WAITING:
            reasons.append((WAITING, f"{row.waiting} expenses waiting in Pleo", row.url))
    return reasons


def dashboard_build(*, user, filters: DashboardFilters | None = None) -> Dashboard:
    """The rows the user may see, attention first then by name, the firm-wide totals and the filter choices."""
    filters = filters or DashboardFilters()
    now = timezone.now()
    day_ago, week_ago = now - timedelta(hours=24), now - timedelta(days=7)
    last_sync = SyncRun.objects.filter(client=OuterRef("pk")).order_by("-started_at", "-id")
    # A run that booked nothing and failed every expense is not a successful export, whatever it did right.
    last_export = (ExportRun.objects.filter(Q(status=ExportRunStatus.SUCCEEDED)
                                            | Q(status=ExportRunStatus.WITH_FAILURES, exported_count__gt=0),
                                            client=OuterRef("pk"))
                   .order_by("-finished_at").values("finished_at")[:1])
    last_run = ExportRun.objects.filter(client=OuterRef("pk"), status__in=FINISHED_RUNS).order_by("-finished_at", "-id")
    clients = list(
        Client.objects.for_user(user)
        .select_related("odoo_connection", "pleo_connection")
        .annotate(last_export_at=Subquery(last_export),
                  **{f"last_run_{name}": Subquery(last_run.values(name)[:1]) for name in _LAST_RUN_FIELDS},
                  last_sync_at=Subquery(last_sync.values("started_at")[:1]),
                  last_sync_status=Subquery(last_sync.values("status")[:1]))
        .order_by("name")
    )
    visible = Client.objects.for_user(user).values("pk")
    # Records that are failed now, by their last change: what a bookkeeper still has to fix. Failed attempts
    # would also count expenses a later retry exported, which need nothing more.
    failures = {
        row["client_id"]: row
        for row in ExportRecord.objects.filter(client__in=visible, status=ExportRecordStatus.FAILED,
                                               updated_at__gte=week_ago)
        .values("client_id")
        .annotate(week=Count("pk"), day=Count("pk", filter=Q(updated_at__gte=day_ago)))
    }
    changed_in_odoo = dict(ExportRecord.objects.filter(client__in=visible).exclude(odoo_drift="")
                           .values("client_id").annotate(n=Count("pk")).values_list("client_id", "n"))
    names = {poll_schedule_name(client_id=client.pk): client.pk for client in clients}
    next_runs = {
        names[name]: next_run
        for name, next_run in Schedule.objects.filter(name__in=names).exclude(repeats=0).values_list("name", "next_run")
    } if names else {}
    export_runs = reverse("admin:exports_exportrun_changelist")
    sync_runs = reverse("admin:mappings_syncrun_changelist")

    rows = []
    for client in clients:
        counts = failures.get(client.pk, {})
        pleo = getattr(client, "pleo_connection", None)
        row = DashboardRow(
            client=client,
            url=reverse("admin:integrations_client_overview", args=[client.pk]),
            odoo=_connection_state(client, "odoo_connection", "Odoo"),
            pleo=_connection_state(client, "pleo_connection", "Pleo"),
            last_export_at=client.last_export_at,
            last_export_url=f"{export_runs}?client__id__exact={client.pk}",
            last_sync_at=client.last_sync_at,
            last_sync_status=client.last_sync_status or "",
            last_sync_url=f"{sync_runs}?client__id__exact={client.pk}",
            waiting=pleo.queue_waiting if pleo else None,
            waiting_checked_at=pleo.queue_checked_at if pleo else None,
            failed_24h=counts.get("day", 0),
            failed_7d=counts.get("week", 0),
            failed_24h_url=_failures_url(client.pk, day_ago),
            failed_7d_url=_failures_url(client.pk, week_ago),
            next_run=next_runs.get(client.pk) if client.status == ClientStatus.ACTIVE else None,
            changed_in_odoo=changed_in_odoo.get(client.pk, 0),
            last_run=_last_run(client),
            changed_in_odoo_url=reverse("admin:exports_exportrecord_changelist") + "?" + urlencode(
                {"client__id__exact": client.pk, "odoo_drift__gt": ""}),
        )
        row.webhook, row.webhook_problem = pleo_webhook_words(pleo, now=now)
        row.reasons = _reasons(row, now)
        rows.append(row)
    rows.sort(key=DashboardRow.sort_key)

    totals = {
        "clients": len(rows),
        "active": sum(not row.paused for row in rows),
        "paused": sum(row.paused for row in rows),
        "attention": sum(row.needs_attention for row in rows),
        "connections_to_fix": sum(state.needs_attention for row in rows for state in (row.odoo, row.pleo)),
        "failed_24h": sum(row.failed_24h for row in rows),
        "failed_7d": sum(row.failed_7d for row in rows),
        "waiting": sum(row.waiting or 0 for row in rows),
        "changed_in_odoo": sum(row.changed_in_odoo for row in rows),
    }
    if filters.staff_id:
        handled = set(Client.objects.filter(staff=filters.staff_id).values_list("pk", flat=True))
        rows = [row for row in rows if row.client.pk in handled]
    if filters.paused is not None:
        rows = [row for row in rows if row.paused == filters.paused]
    if filters.attention:
        rows = [row for row in rows if row.needs_attention]
    links = {
        "attention": filters.as_params(attention=True),
        "paused": filters.as_params(paused=True),
        "all": "?",
        "failed_24h": _failures_url(None, day_ago),
        "failed_7d": _failures_url(None, week_ago),
        "changed_in_odoo": reverse("admin:exports_exportrecord_changelist") + "?odoo_drift__gt=",
    }
    return Dashboard(rows=rows, totals=totals, filters=filters, staff_choices=dashboard_staff_choices(user=user),
                     links=links)
