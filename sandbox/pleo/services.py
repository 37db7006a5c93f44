"""State changes of the Pleo sandbox: seeding, tokens, the export-job lifecycle, faults and signed files.

Plain functions, used by the views, the tests, the demo and the benchmarks.
"""
import base64
import hashlib
import hmac
import secrets
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from sandbox.pleo.models import (
    ApiToken,
    BookkeepingAccount,
    Company,
    Employee,
    ExportItem,
    ExportJob,
    ExportJobItem,
    FaultKind,
    FaultRule,
    File,
    Installation,
    JobItemStatus,
    JobStatus,
    Organisation,
    Tag,
    TagGroup,
    TaxCode,
    Team,
)

__all__ = [
    "DEFAULT_SCOPE",
    "JOB_EXPIRES_IN",
    "FILE_URL_LIFETIME",
    "SandboxApiError",
    "token_digest",
    "api_token_create",
    "api_token_find",
    "token_companies",
    "company_reachable",
    "sandbox_organisation_create",
    "sandbox_company_create",
    "company_reference_data_seed",
    "export_job_create",
    "export_job_refresh",
    "export_jobs_refresh",
    "export_job_backdate",
    "export_job_event_apply",
    "export_job_items_update",
    "fault_add",
    "faults_clear",
    "fault_take",
    "file_url_sign",
    "file_signature_valid",
    "installation_for_token",
]

DEFAULT_SCOPE = (
    "export-jobs:read export-jobs:write export-items:read accounts:read accounts:write "
    "tags:read tags:write tax-codes:read tax-codes:write"
)
JOB_EXPIRES_IN = 3600  # seconds after lastUpdatedAt (docs: one hour; webhook example: 3600)
FILE_URL_LIFETIME = timedelta(hours=24)  # §6.5: active for 24 hours from the time the item is fetched
ACTIVE_JOB_STATUSES = (JobStatus.PENDING, JobStatus.IN_PROGRESS)
FINAL_EVENT_STATUS = {
    "completed": JobStatus.COMPLETED,
    "completed_with_errors": JobStatus.COMPLETED_WITH_ERRORS,
    "failed": JobStatus.FAILED,
}

# Reference data per wallet currency: country and VAT rates (standard, reduced).
COUNTRY_BY_CURRENCY = {"EUR": "NL", "DKK": "DK", "SEK": "SE", "NOK": "NO", "GBP": "GB", "USD": "US"}
VAT_BY_COUNTRY = {
    "NL": (Decimal("0.21"), Decimal("0.09")),
    "DK": (Decimal("0.25"), Decimal("0.25")),
    "SE": (Decimal("0.25"), Decimal("0.12")),
    "NO": (Decimal("0.25"), Decimal("0.15")),
    "GB": (Decimal("0.20"), Decimal("0.05")),
    "DE": (Decimal("0.19"), Decimal("0.07")),
    "US": (Decimal("0.00"), Decimal("0.00")),
}


class SandboxApiError(Exception):
    """An answer the sandbox gives instead of a success: HTTP status plus an ExceptionInfo body."""

    def __init__(self, status: int, error_type: str, message: str = "", headers: dict | None = None):
        super().__init__(message or error_type)
        self.status = status
        self.error_type = error_type
        self.message = message or error_type
        self.headers = headers or {}


def _sub_uuid(parent: uuid.UUID, name: str) -> uuid.UUID:
    # Seeded ids derive from the company id, so a company re-created with the same id gets the same data.
    return uuid.uuid5(parent, name)


# ---------------------------------------------------------------------------------------------- tokens


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(
    *,
    company: Company | None = None,
    organisation: Organisation | None = None,
    token: str | None = None,
    scope: str = DEFAULT_SCOPE,
    auth_method: str = "API_KEY",
) -> str:
    """Register a token for a company or an organisation and return it (only its digest is stored)."""
    if (company is None) == (organisation is None):
        raise ValueError("A token belongs to exactly one company or one organisation.")
    token = token or f"pleo-sandbox-{secrets.token_urlsafe(24)}"
    ApiToken.objects.create(
        digest=token_digest(token),
        company=company,
        organisation=organisation,
        scope=scope,
        auth_method=auth_method,
    )
    return token


def api_token_find(*, token: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("company", "organisation")
        .filter(digest=token_digest(token), revoked=False)
        .first()
    )


def token_companies(api_token: ApiToken) -> QuerySet[Company]:
    if api_token.company_id:
        return Company.objects.filter(pk=api_token.company_id)
    return Company.objects.filter(organisation_id=api_token.organisation_id)


def company_reachable(*, api_token: ApiToken, company: Company) -> bool:
    if api_token.company_id:
        return api_token.company_id == company.pk
    return company.organisation_id is not None and company.organisation_id == api_token.organisation_id


# --------------------------------------------------------------------------------------------- seeding


def sandbox_organisation_create(*, name: str, token: str | None = None) -> tuple[Organisation, str]:
    organisation = Organisation.objects.create(name=name)
    return organisation, api_token_create(organisation=organisation, token=token)


@transaction.atomic
def sandbox_company_create(
    *,
    name: str,
    currency: str = "EUR",
    token: str | None = None,
    country: str | None = None,
    organisation: Organisation | None = None,
    company_id: uuid.UUID | str | None = None,
    auth_method: str = "API_KEY",
    scope: str = DEFAULT_SCOPE,
    seed_reference_data: bool = True,
) -> tuple[Company, str]:
    """A company with a company-scoped token, employees, teams, accounts, tags and tax codes.

    With auth_method="OAUTH2" the installation exists at once (Pleo creates it after the OAuth flow);
    API-key callers create theirs with POST /v1/installations/me.
    """
    company = Company.objects.create(
        uuid=uuid.UUID(str(company_id)) if company_id else uuid.uuid4(),
        name=name,
        currency=currency,
        country=country or COUNTRY_BY_CURRENCY.get(currency, "NL"),
        organisation=organisation,
    )
    plain = api_token_create(company=company, token=token, scope=scope, auth_method=auth_method)
    if auth_method == "OAUTH2":
        api_token = api_token_find(token=plain)
        now = timezone.now()
        Installation.objects.create(
            application_id=api_token.application_id,
            resource=api_token.subject_urn,
            status="AUTHORIZED",
            created_at=now,
            updated_at=now,
        )
    if seed_reference_data:
        company_reference_data_seed(company=company)
    return company, plain


ACCOUNTS = [
    # key, externalId, code, name, tax code key, is category, is contra
    ("office", "142", "6810", "Office supplies", "standard", True, False),
    ("software", "157", "6860", "Software subscriptions", "reverse", True, False),
    ("transport", "171", "7130", "Travel - local transport", "standard", True, False),
    ("hotel", "172", "7140", "Travel - accommodation", "reduced", True, False),
    ("mileage", "175", "7150", "Travel - mileage allowance", None, True, False),
    ("per_diem", "176", "7160", "Travel - per diem allowance", None, True, False),
    ("meals", "181", "7200", "Meals and entertainment", "standard", True, False),
    ("consulting", "190", "6400", "Consulting fees", "exclusive", True, False),
    ("bank_fees", "210", "6900", "Bank fees", None, True, False),
    ("interest", "211", "6910", "Interest expense", None, True, False),
    ("cashback", "230", "8300", "Other income - cashback", None, True, False),
    ("cash", "240", "1100", "Petty cash", None, True, False),
    ("employee_receivable", "241", "1410", "Employee receivable", None, True, False),
    ("payable", "250", "4400", "Accounts payable", None, False, False),
    ("bank", "260", "1200", "Bank account", None, False, False),
    ("wallet", "201", "5820", "Pleo {currency} Wallet", None, False, True),
]
TAG_GROUPS = [
    ("PRJ", "Projects", [("PRJ-ALPHA", "Project Alpha", False), ("PRJ-BETA", "Project Beta", False),
                         ("PRJ-GAMMA", "Project Gamma", False), ("PRJ-LEGACY", "Legacy migration", True)]),
    ("CC", "Cost centres", [("CC-100", "Sales", False), ("CC-200", "Engineering", False),
                            ("CC-300", "Operations", False)]),
]
EMPLOYEES = [
    ("Mette Hansen", "EMP-014", "mette@company.example"),
    ("Jonas Berg", None, "jonas@company.example"),
    ("Sofia de Vries", "EMP-022", "sofia@company.example"),
    ("Liam O'Connor", "EMP-031", "liam@company.example"),
]
TEAMS = [("Sales", "SALES"), ("Engineering", "ENG"), ("Operations", None)]


@transaction.atomic
def company_reference_data_seed(*, company: Company) -> None:
    """Employees, teams, chart of accounts, tag groups and tax codes with ids derived from the company id."""
    now = timezone.now()
    standard, reduced = VAT_BY_COUNTRY.get(company.country, VAT_BY_COUNTRY["NL"])
    pct = lambda rate: f"{(rate * 100).normalize():f}"  # noqa: E731 - 0.21 -> "21"
    taxes = {
        "standard": (f"I{pct(standard)}", f"Purchase VAT {pct(standard)}%", standard, "inclusive", None, None),
        "reduced": (f"I{pct(reduced)}", f"Purchase VAT reduced {pct(reduced)}%", reduced, "inclusive", None, None),
        "zero": ("I0", "No VAT (0%)", Decimal("0"), "inclusive", None, None),
        "reverse": (f"RC{pct(standard)}", f"Reverse charge VAT {pct(standard)}% (services from abroad)",
                    standard, "reverse", "14610", "14630"),
        "exclusive": (f"E{pct(standard)}", f"VAT {pct(standard)}% on top (invoices)", standard, "exclusive",
                      None, None),
    }
    if reduced == standard:
        taxes.pop("reduced")
    for key, (code, name, rate, kind, ingoing, outgoing) in taxes.items():
        TaxCode.objects.create(
            uuid=_sub_uuid(company.uuid, f"tax:{key}"), company=company, code=code, name=name, rate=rate,
            type=kind, ingoing_tax_account=ingoing, outgoing_tax_account=outgoing, created_at=now, updated_at=now,
        )
    for key, external_id, code, name, tax_key, is_category, is_contra in ACCOUNTS:
        tax = taxes.get(tax_key) if tax_key else None
        BookkeepingAccount.objects.create(
            uuid=_sub_uuid(company.uuid, f"account:{key}"), company=company, external_id=external_id, code=code,
            name=name.format(currency=company.currency), tax_code_external_id=tax[0] if tax else None,
            assigned_to_category=is_category, is_contra_account=is_contra,
        )
    for group_code, group_name, tags in TAG_GROUPS:
        group = TagGroup.objects.create(
            uuid=_sub_uuid(company.uuid, f"taggroup:{group_code}"), company=company, code=group_code,
            name=group_name, metadata={}, created_at=now, updated_at=now,
        )
        for code, name, archived in tags:
            Tag.objects.create(
                uuid=_sub_uuid(company.uuid, f"tag:{code}"), group=group, code=code, name=name,
                archived=archived, created_at=now, updated_at=now,
            )
    for name, code, email in EMPLOYEES:
        Employee.objects.create(
            uuid=_sub_uuid(company.uuid, f"employee:{name}"), company=company, name=name, code=code, email=email
        )
    for name, code in TEAMS:
        Team.objects.create(uuid=_sub_uuid(company.uuid, f"team:{name}"), company=company, name=name, code=code)


# ----------------------------------------------------------------------------------------- export jobs


@transaction.atomic
def export_job_create(
    *,
    company: Company,
    items: list[ExportItem],
    is_interactive: bool = True,
    created_by: uuid.UUID | None = None,
    vendor_based_bookkeeping: bool = False,
    announce: bool = True,
) -> ExportJob:
    """A pending job holding these export items, as when a user clicks Export in Pleo.

    Subscribers to v1.export-job.created hear of it after the commit (sandbox.pleo.webhooks), unless
    `announce` is off: a job made before the portal listens (the demo's month so far)."""
    foreign = [item.uuid for item in items if item.company_id != company.pk]
    if foreign:
        raise SandboxApiError(400, "VALIDATION_ERROR", f"Accounting entries of another company: {foreign[:3]}")
    now = timezone.now()
    job = ExportJob.objects.create(
        company=company,
        created_at=now,
        last_updated_at=now,
        created_by=created_by,
        is_interactive=is_interactive,
        vendor_based_bookkeeping=vendor_based_bookkeeping,
        expires_in=JOB_EXPIRES_IN,
    )
    ExportJobItem.objects.bulk_create([ExportJobItem(job=job, export_item=item) for item in items])
    from sandbox.pleo.webhooks import export_job_created_deliver  # webhooks builds on views, which import us

    if announce:
        export_job_created_deliver(job=job, number_of_items=len(items))  # sent once this transaction commits
    return job


def _job_deadline(job: ExportJob) -> datetime:
    return job.last_updated_at + timedelta(seconds=job.expires_in)


def _job_items_abandon(job: ExportJob) -> None:
    job.items.filter(status__in=[JobItemStatus.PENDING, JobItemStatus.IN_PROGRESS]).update(
        status=JobItemStatus.ABANDONED
    )


def export_job_refresh(*, job: ExportJob, now: datetime | None = None) -> ExportJob:
    """Expire the job when its hour is up.

    §13 Q5 leaves the final status of an expired job open. The sandbox's choice, made here only:
    an expired job ends `failed` with failureReasonType `job_expired`, `expiredAt` set to the deadline
    (lastUpdatedAt + expiresIn), and its unfinished items `abandoned`.
    """
    now = now or timezone.now()
    if job.status in ACTIVE_JOB_STATUSES and now >= _job_deadline(job):
        with transaction.atomic():
            job.status = JobStatus.FAILED
            job.expired_at = _job_deadline(job)
            job.failure_reason_type = "job_expired"
            job.failure_reason = "The job was not updated within the expiry time."
            job.save(update_fields=["status", "expired_at", "failure_reason_type", "failure_reason"])
            _job_items_abandon(job)
    return job


def export_jobs_refresh(*, company: Company) -> None:
    for job in ExportJob.objects.filter(company=company, status__in=ACTIVE_JOB_STATUSES):
        export_job_refresh(job=job)


def export_job_backdate(*, job: ExportJob, seconds: int) -> ExportJob:
    """Move the job's clock back, so tests and demos can make an hour pass instantly."""
    delta = timedelta(seconds=seconds)
    job.created_at -= delta
    job.last_updated_at -= delta
    if job.started_at:
        job.started_at -= delta
    job.save(update_fields=["created_at", "last_updated_at", "started_at"])
    return job


@transaction.atomic
def export_job_event_apply(
    *, job: ExportJob, event: str, failure_reason: str | None = None, failure_reason_type: str | None = None
) -> ExportJob:
    """started: pending -> in_progress; completed / completed_with_errors: in_progress -> final;
    failed: pending or in_progress -> failed (§13 Q5 leaves pending -> failed open; the sandbox allows it).
    Anything else, including a second `started`, is 422 INVALID_EXPORT_JOB_STATUS_CHANGE."""
    job = ExportJob.objects.select_for_update().get(pk=job.pk)
    export_job_refresh(job=job)
    if event != "failed" and (failure_reason is not None or failure_reason_type is not None):
        raise SandboxApiError(400, "VALIDATION_ERROR", "failureReason and failureReasonType go with `failed` only.")

    def invalid(why: str):
        return SandboxApiError(
            422, "INVALID_EXPORT_JOB_STATUS_CHANGE", f"Cannot apply `{event}` to a {job.status} job: {why}"
        )

    now = timezone.now()
    if event == "started":
        if job.status != JobStatus.PENDING:
            raise invalid("only a pending job can be started.")
        others = ExportJob.objects.filter(company_id=job.company_id, status=JobStatus.IN_PROGRESS).exclude(pk=job.pk)
        for other in others:
            export_job_refresh(job=other)
        if others.filter(status=JobStatus.IN_PROGRESS).exists():
            raise invalid("another export job of this company is in progress.")
        job.status = JobStatus.IN_PROGRESS
        job.started_at = now
    elif event in ("completed", "completed_with_errors"):
        if job.status != JobStatus.IN_PROGRESS:
            raise invalid("only a job in progress can be completed.")
        job.status = FINAL_EVENT_STATUS[event]
        job.completed_at = now
        _job_items_abandon(job)
    elif event == "failed":
        if job.status not in ACTIVE_JOB_STATUSES:
            raise invalid("the job is already finished.")
        job.status = JobStatus.FAILED
        job.completed_at = now
        job.failure_reason = failure_reason
        job.failure_reason_type = failure_reason_type
        _job_items_abandon(job)
    else:  # pragma: no cover - the request schema admits only the four events
        raise invalid("unknown event.")
    job.last_updated_at = now
    job.save()
    return job


@transaction.atomic
def export_job_items_update(*, job: ExportJob, updates: list[dict]) -> tuple[list[ExportJobItem], list[dict]]:
    """Apply validated UpdateExportJobItemV3 entries; per-entry problems go to the `errors` list.

    An identical resend of a final result is accepted; changing a final result is an error, as is
    setting `pending` or `abandoned` (Pleo's own states).
    """
    job = ExportJob.objects.select_for_update().get(pk=job.pk)
    export_job_refresh(job=job)
    if job.status not in ACTIVE_JOB_STATUSES:
        raise SandboxApiError(422, "EXPORT_JOB_STATUS_UNPROCESSABLE", f"The export job is {job.status}.")
    by_entry = {str(ji.export_item.uuid): ji for ji in job.items.select_related("export_item")}
    updated: dict[int, ExportJobItem] = {}
    errors = []
    for entry in updates:
        entry_id = entry["accountingEntryId"]
        job_item = by_entry.get(entry_id.lower())
        if job_item is None:
            errors.append({
                "accountingEntryId": entry_id, "type": "ACCOUNTING_ENTRY_DOES_NOT_EXIST",
                "message": "The accounting entry is not part of this export job.",
            })
            continue
        status = entry["status"]
        fields = {
            "status": status,
            "exported_at": entry.get("exportedAt"),
            "external_id": entry.get("externalId"),
            "external_url": entry.get("externalUrl"),
            "failure_reason": entry.get("failureReason"),
            "failure_reason_type": entry.get("failureReasonType"),
        }
        final = (JobItemStatus.SUCCESSFUL, JobItemStatus.FAILED)
        if status in (JobItemStatus.PENDING, JobItemStatus.ABANDONED):
            problem = f"An integration cannot set the status `{status}`."
        elif job_item.status in final and job_item.status != status:
            problem = f"The entry is already {job_item.status}."
        elif job_item.status == JobItemStatus.ABANDONED:
            problem = "The entry was abandoned."
        else:
            problem = None
        if problem:
            errors.append({"accountingEntryId": entry_id, "type": "EXPORT_ENTRY_STATUS_UPDATE_FAILED",
                           "message": problem})
            continue
        if fields["exported_at"]:
            fields["exported_at"] = datetime.fromisoformat(fields["exported_at"].replace("Z", "+00:00"))
        for name, value in fields.items():
            setattr(job_item, name, value)
        job_item.save()
        updated[job_item.pk] = job_item
    job.last_updated_at = timezone.now()
    job.save(update_fields=["last_updated_at"])
    return list(updated.values()), errors


# ---------------------------------------------------------------------------------------------- faults


def fault_add(
    *,
    company: Company | None = None,
    method: str = "GET",
    path_prefix: str = "/v3/export-items",
    kind: str = FaultKind.HTTP_429,
    count: int = 1,
    retry_after: int | None = 2,
    delay: float = 0.0,
) -> FaultRule:
    """The next `count` calls matching (method, path prefix[, company]) answer `kind` instead.

    kind: http_429 (with Retry-After: retry_after), http_500, http_502, http_503, slow (sleep `delay`
    seconds, then answer normally), drop (the body breaks off mid-way), timeout (the call is applied, then
    no answer in time: sleep `delay`, in-process a read time-out), html_page (200 with a web page) or
    truncated_json (200 with half of the real body: the call is applied). method "*" matches any method.
    """
    if kind not in FaultKind.values:
        raise ValueError(f"Unknown fault kind {kind!r}; choose from {FaultKind.values}.")
    return FaultRule.objects.create(
        company=company, method=method.upper(), path_prefix=path_prefix, kind=kind, remaining=count,
        retry_after=retry_after if kind == FaultKind.HTTP_429 else None, delay_seconds=delay,
    )


def faults_clear(*, company: Company | None = None) -> int:
    rules = FaultRule.objects.all() if company is None else FaultRule.objects.filter(company=company)
    return rules.delete()[0]


def fault_take(*, method: str, path: str, company_ids: list[int]) -> FaultRule | None:
    """Consume one use of the first rule matching this call, if any (race-safe decrement)."""
    candidates = FaultRule.objects.filter(remaining__gt=0).filter(Q(method=method.upper()) | Q(method="*"))
    candidates = candidates.filter(Q(company__isnull=True) | Q(company_id__in=company_ids))
    for rule in candidates.order_by("pk"):
        if not path.startswith(rule.path_prefix):
            continue
        if FaultRule.objects.filter(pk=rule.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            return rule
    return None


# ----------------------------------------------------------------------------------------------- files


def _file_signature(file_uuid: str, expires: int) -> str:
    key = hashlib.sha256(f"sandbox-pleo-files:{settings.SECRET_KEY}".encode()).digest()
    mac = hmac.new(key, f"{file_uuid}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def file_url_sign(*, file: File, base_url: str, now: float | None = None) -> str:
    """A pre-signed download URL valid for 24 hours; it needs no Authorization header (§13 Q9)."""
    expires = int((now if now is not None else time.time()) + FILE_URL_LIFETIME.total_seconds())
    return f"{base_url}/files/{file.uuid}?expires={expires}&signature={_file_signature(str(file.uuid), expires)}"


def file_signature_valid(*, file_uuid: str, expires: str, signature: str, now: float | None = None) -> bool:
    if not expires.isdigit() or int(expires) < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(_file_signature(file_uuid, int(expires)), signature)


# ------------------------------------------------------------------------------------------ installation


def installation_for_token(*, api_token: ApiToken, resource: str | None = None) -> Installation | None:
    return Installation.objects.filter(
        application_id=api_token.application_id, resource=resource or api_token.subject_urn
    ).first()
