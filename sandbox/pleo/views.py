"""HTTP face of the Pleo sandbox: the subset's paths, with Pleo's auth, paging, errors and injected faults.

Choices where the contract is silent (each is also named in the report):
* Paging: default limit 50, maximum 100 (larger limits are clamped and the echo shows the limit used).
  Cursors are base32 of a row key (like the examples' "GEZDGNBVGY3TQOJQ"); `sorting_keys` accepts only
  `createdAt`. Export jobs are listed newest first (as in the examples), everything else oldest first.
* Error bodies are ExceptionInfo {type, message} everywhere, also where the contract declares none.
* A job, tag, tax code or account of a company the token cannot reach answers 404 (it does not exist
  for that caller); an explicit company_id / companyId the token cannot reach answers 403.
* Scopes are enforced where the contract names them (export-jobs, export-items, accounts); missing -> 403.
"""
import base64
import binascii
import json
import sys
import time
import uuid
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from sandbox.pleo import services
from sandbox.pleo.contract import schema_errors
from sandbox.pleo.models import (
    ApiToken,
    BookkeepingAccount,
    Company,
    ExportItem,
    ExportJob,
    ExportJobItem,
    FaultKind,
    File,
    Installation,
    JobStatus,
    Organisation,
    Tag,
    TagGroup,
    TaxCode,
)
from sandbox.pleo.services import SandboxApiError
from sandbox.transport import BROKEN_ANSWER_HEADER

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "export_jobs",
    "export_job",
    "export_job_items",
    "export_job_events",
    "export_items",
    "tag_groups",
    "tag_group",
    "tag_group_tags",
    "tags_search",
    "tags_archive",
    "tag",
    "tax_codes",
    "tax_codes_search",
    "tax_code",
    "accounts",
    "accounts_search",
    "accounts_batch",
    "account",
    "introspect",
    "installation",
    "installation_activate",
    "file_download",
    "not_found",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
JSON_UTF8 = "application/json;charset=UTF-8"
PAGING_PARAMS = {"before", "after", "offset", "limit", "sorting_keys", "sorting_order"}
PAGE_ORDERS = {"ASC", "ASC_NULLS_FIRST", "ASC_NULLS_LAST", "DESC", "DESC_NULLS_FIRST", "DESC_NULLS_LAST"}
SANDBOX_ROOT = "/sandbox/pleo"


# ------------------------------------------------------------------------------------------- plumbing


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return _ts(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"Not JSON serialisable: {type(value).__name__}")


def _json(data, status: int = 200, content_type: str = JSON_UTF8, headers: dict | None = None) -> HttpResponse:
    body = json.dumps(data, default=_plain, ensure_ascii=False).encode()
    response = HttpResponse(body, status=status, content_type=content_type)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error(status: int, error_type: str, message: str = "", headers: dict | None = None) -> HttpResponse:
    return _json({"type": error_type, "message": message or error_type}, status=status, headers=headers)


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt_timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uuid(value, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise SandboxApiError(400, "VALIDATION_ERROR", f"{what} is not a UUID.") from None


def _body(request, schema: str, *, variant: str = ""):
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise SandboxApiError(400, "INVALID_JSON", "The request body is not valid JSON.") from None
    problems = schema_errors(data, schema, variant=variant)
    if problems:
        raise SandboxApiError(400, "VALIDATION_ERROR",
                              f"Request body does not match {schema}: " + "; ".join(problems[:5]))
    return data


def _bool_param(request, name: str, default: bool = False) -> bool:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false"):
        raise SandboxApiError(400, "VALIDATION_ERROR", f"{name} must be true or false.")
    return raw.lower() == "true"


def _token_from_header(request) -> str | None:
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        key, _, _password = decoded.partition(":")  # API key as the username, empty password
        return key or None
    return None


def _relative_path(request) -> str:
    path = request.path
    return path.split(SANDBOX_ROOT, 1)[1] if SANDBOX_ROOT in path else path


def _fault_response(request, company_ids: list[int], answer):
    """Apply the first matching fault rule, else call `answer()`."""
    rule = services.fault_take(method=request.method, path=_relative_path(request), company_ids=company_ids)
    if rule is None:
        return answer()
    if rule.kind == FaultKind.HTTP_429:
        return _error(429, "TOO_MANY_REQUESTS", "Rate limit exceeded (sandbox fault).",
                      headers={"Retry-After": str(rule.retry_after or 1)})
    if rule.kind in (FaultKind.HTTP_500, FaultKind.HTTP_502, FaultKind.HTTP_503):
        status = int(rule.kind.split("_")[1])
        return _error(status, "INTERNAL_ERROR" if status == 500 else "SERVICE_UNAVAILABLE",
                      f"Injected {status} (sandbox fault).")
    if rule.kind == FaultKind.SLOW:
        time.sleep(rule.delay_seconds)
        return answer()
    if rule.kind == FaultKind.TIMEOUT:
        # Over a socket the caller's read time-out (shorter than `delay`) fires; in-process the
        # transport raises it from this mark.
        real = answer()
        time.sleep(rule.delay_seconds)
        real[BROKEN_ANSWER_HEADER] = "read_timeout"
        return real
    if rule.kind == FaultKind.HTML_PAGE:
        # A maintenance page or a login wall in front of the API, sent with 200 OK.
        return HttpResponse(b"<!DOCTYPE html><html><head><title>Pleo</title></head><body><h1>We'll be back "
                            b"soon</h1></body></html>", status=200, content_type="text/html; charset=utf-8")
    if rule.kind == FaultKind.TRUNCATED_JSON:
        # The connection stays whole but the body is cut (a proxy's size limit): invalid JSON with 200 OK.
        real = answer()
        content = real.content if not real.streaming else b"".join(real.streaming_content)
        return HttpResponse(content[: max(1, len(content) // 2)], status=200, content_type=real["Content-Type"])
    # drop: promise the whole body, send half of it, then break the stream so the client sees a
    # truncated body (IncompleteRead / ChunkedEncodingError), as when a connection dies mid-response.
    real = answer()
    content = real.content if not real.streaming else b"".join(real.streaming_content)

    def broken():
        yield content[: max(1, len(content) // 2)]
        _close_connection_after_this_response()
        raise ConnectionAbortedError("sandbox fault: connection dropped mid-body")

    response = StreamingHttpResponse(broken(), status=real.status_code, content_type=real["Content-Type"])
    response["Content-Length"] = str(len(content))
    return response


def _close_connection_after_this_response() -> None:
    """Make Django's development/live server close the socket instead of keeping it alive.

    WSGI gives an application no handle on the connection, and after a failed body Django's server
    would wait for the next request on the same socket; the client would then hang rather than see
    the break. Its ServerHandler is on the call stack and points at the request handler, whose
    `close_connection` flag ends the socket. Production-grade servers (gunicorn) close on their own.
    """
    frame = sys._getframe(1)
    while frame is not None:
        request_handler = getattr(frame.f_locals.get("self"), "request_handler", None)
        if request_handler is not None:
            request_handler.close_connection = True
            return
        frame = frame.f_back


def endpoint(**handlers):
    """A view for one path: {method: (handler, scope or None)}. Handles auth, faults and errors."""

    @csrf_exempt
    def view(request, **kwargs):
        if request.method not in handlers:
            return _error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported on this path.")
        handler, scope = handlers[request.method]
        raw_token = _token_from_header(request)
        api_token = services.api_token_find(token=raw_token) if raw_token else None
        company_ids = list(services.token_companies(api_token).values_list("pk", flat=True)) if api_token else []

        def answer():
            if api_token is None:
                return _error(401, "UNAUTHORIZED", "Missing or unknown token.",
                              headers={"WWW-Authenticate": 'Bearer realm="pleo", Basic realm="pleo"'})
            if scope and scope not in api_token.scope.split():
                return _error(403, "FORBIDDEN", f"The token lacks the scope {scope}.")
            try:
                return handler(request, api_token, **kwargs)
            except SandboxApiError as exc:
                return _error(exc.status, exc.error_type, exc.message, headers=exc.headers)

        return _fault_response(request, company_ids, answer)

    return view


# ------------------------------------------------------------------------------------------- paging


def _cursor_encode(key: int) -> str:
    return base64.b32encode(str(key).encode()).decode()


def _cursor_decode(cursor: str) -> int:
    try:
        decoded = base64.b32decode(cursor.replace("~", "="), casefold=False).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = ""
    if not decoded.isdigit():
        raise SandboxApiError(400, "INVALID_CURSOR", "The cursor is not one this API issued.")
    return int(decoded)


def _int_param(request, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise SandboxApiError(400, "VALIDATION_ERROR", f"{name} must be a non-negative integer.")
    return int(raw)


def paginate(request, queryset, *, newest_first: bool = False):
    """Rows of one page and the CursorPageInfo, per §4."""
    after, before, offset = request.GET.get("after"), request.GET.get("before"), _int_param(request, "offset")
    if sum(x is not None for x in (after, before, offset)) > 1:
        raise SandboxApiError(400, "VALIDATION_ERROR", "before, after and offset cannot be combined.")
    limit = _int_param(request, "limit")
    limit = DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT)
    keys, orders = request.GET.getlist("sorting_keys"), request.GET.getlist("sorting_order")
    if any(k != "createdAt" for k in keys) or len(orders) != len(keys) or any(o not in PAGE_ORDERS for o in orders):
        raise SandboxApiError(400, "VALIDATION_ERROR",
                              "sorting_keys accepts createdAt only, with one sorting_order (ASC/DESC...) per key.")
    descending = orders[0].startswith("DESC") if orders else newest_first
    asc, desc = ("pk", "-pk") if not descending else ("-pk", "pk")
    later = "pk__lt" if descending else "pk__gt"
    earlier = "pk__gt" if descending else "pk__lt"
    total = queryset.count()
    if before is not None:
        key = _cursor_decode(before)
        rows = list(queryset.filter(**{earlier: key}).order_by(desc)[: limit + 1])
        has_previous = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        has_next = queryset.filter(**{"pk__gte" if not descending else "pk__lte": key}).exists()
    else:
        base = queryset.order_by(asc)
        if after is not None:
            key = _cursor_decode(after)
            base = base.filter(**{later: key})
        start = offset or 0
        rows = list(base[start: start + limit + 1])
        has_next = len(rows) > limit
        rows = rows[:limit]
        if rows:
            has_previous = queryset.filter(**{earlier: rows[0].pk}).exists()
        else:
            has_previous = start > 0 or after is not None
    echo = {
        "parameters": {k: request.GET.getlist(k) for k in request.GET if k not in PAGING_PARAMS},
        "limit": limit,
    }
    for name, value in (("after", after), ("before", before), ("offset", offset)):
        if value is not None:
            echo[name] = value
    if keys:
        echo["sortingKeys"], echo["sortingOrder"] = keys, orders
    info = {"currentRequestPagination": echo, "hasNextPage": has_next, "hasPreviousPage": has_previous,
            "total": total}
    if rows:
        info["startCursor"], info["endCursor"] = _cursor_encode(rows[0].pk), _cursor_encode(rows[-1].pk)
    return rows, info


# ----------------------------------------------------------------------------------- company scoping


def _company(api_token: ApiToken, company_id, *, required: bool = False) -> Company:
    """The company named by company_id (403 when the token cannot reach it), else the token's own."""
    if company_id:
        company = Company.objects.filter(uuid=_uuid(company_id, "company_id")).first()
        if company is None or not services.company_reachable(api_token=api_token, company=company):
            raise SandboxApiError(403, "FORBIDDEN", "The company is not reachable with this token.")
        return company
    reachable = list(services.token_companies(api_token)[:2])
    if required or len(reachable) != 1:
        raise SandboxApiError(400, "VALIDATION_ERROR", "company_id is required for this token.")
    return reachable[0]


def _companies(api_token: ApiToken, request) -> list[Company]:
    """company_id wins over organization_id; neither means every company of the token."""
    if request.GET.get("company_id"):
        return [_company(api_token, request.GET["company_id"])]
    org_id = request.GET.get("organization_id")
    if org_id:
        org = Organisation.objects.filter(uuid=_uuid(org_id, "organization_id")).first()
        reachable = services.token_companies(api_token)
        if org is None or (api_token.organisation_id != org.pk and not reachable.filter(organisation=org).exists()):
            raise SandboxApiError(403, "FORBIDDEN", "The organisation is not reachable with this token.")
        return list(reachable.filter(organisation=org)) if api_token.company_id else list(org.companies.all())
    return list(services.token_companies(api_token))


def _reachable(api_token: ApiToken, queryset, object_id, company_path: str, not_found: str = "NOT_FOUND"):
    obj = queryset.filter(uuid=_uuid(object_id, "id")).first()
    company_ids = set(services.token_companies(api_token).values_list("pk", flat=True))
    if obj is None or _attr(obj, company_path) not in company_ids:
        raise SandboxApiError(404, not_found, "Not found.")
    return obj


def _attr(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


# ------------------------------------------------------------------------------------------ export API


def _job_json(job: ExportJob, number_of_items: int | None = None) -> dict:
    data = {
        "id": job.uuid, "companyId": job.company.uuid, "status": job.status, "createdAt": job.created_at,
        "createdBy": job.created_by, "startedAt": job.started_at, "lastUpdatedAt": job.last_updated_at,
        "completedAt": job.completed_at, "expiredAt": job.expired_at, "expiresIn": job.expires_in,
        "failureReason": job.failure_reason, "isInteractive": job.is_interactive,
        "numberOfItems": number_of_items if number_of_items is not None else job.items.count(),
        "vendorBasedBookkeeping": job.vendor_based_bookkeeping,
    }
    if job.failure_reason_type:  # declared non-nullable: left out rather than null
        data["failureReasonType"] = job.failure_reason_type
    return data


def _job_item_json(item: ExportJobItem) -> dict:
    data = {
        "accountingEntryId": item.export_item.uuid, "exportJobId": item.job.uuid, "status": item.status,
        "exportedAt": item.exported_at, "externalId": item.external_id, "externalUrl": item.external_url,
        "failureReason": item.failure_reason,
    }
    if item.failure_reason_type:
        data["failureReasonType"] = item.failure_reason_type
    return data


def _job(api_token: ApiToken, job_id) -> ExportJob:
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        raise SandboxApiError(404, "EXPORT_NOT_FOUND", "No export job with this id.") from None
    job = ExportJob.objects.select_related("company").filter(uuid=job_uuid).first()
    if job is None or not services.company_reachable(api_token=api_token, company=job.company):
        raise SandboxApiError(404, "EXPORT_NOT_FOUND", "No export job with this id.")
    return services.export_job_refresh(job=job)


def _missing_contra(company: Company) -> None:
    if company.missing_contra_account_currencies:
        currencies = ", ".join(company.missing_contra_account_currencies)
        raise SandboxApiError(400, "MISSING_CONTRA_ACCOUNTS", f"Contra accounts are missing for: {currencies}.")


def _jobs_list(request, api_token):
    company = _company(api_token, request.GET.get("company_id"))
    statuses = request.GET.getlist("statuses")
    bad = [s for s in statuses if s not in JobStatus.values]
    if bad:
        raise SandboxApiError(400, "VALIDATION_ERROR", f"Unknown statuses: {bad}.")
    services.export_jobs_refresh(company=company)
    jobs = ExportJob.objects.filter(company=company).select_related("company").annotate(n=Count("items"))
    if statuses:
        jobs = jobs.filter(status__in=statuses)
    rows, info = paginate(request, jobs, newest_first=True)
    return _json({"data": [_job_json(job, job.n) for job in rows], "pagination": info})


def _jobs_create(request, api_token):
    data = _body(request, "CreateExportJob")
    company = _company(api_token, data["companyId"])
    _missing_contra(company)
    with transaction.atomic():
        Company.objects.select_for_update().get(pk=company.pk)  # one creation at a time per company
        services.export_jobs_refresh(company=company)
        if ExportJob.objects.filter(company=company, status=JobStatus.IN_PROGRESS).exists():
            raise SandboxApiError(409, "EXPORT_ALREADY_IN_PROGRESS", "An export job of this company is in progress.")
        ids = [uuid.UUID(i) for i in data["accountingEntryIds"]]
        items = list(ExportItem.objects.filter(company=company, uuid__in=ids))
        if not ids or len(items) != len(set(ids)):
            raise SandboxApiError(400, "VALIDATION_ERROR", "Unknown or empty accountingEntryIds.")
        options = data.get("options") or {}
        job = services.export_job_create(
            company=company, items=items,
            is_interactive=data.get("isInteractive") if data.get("isInteractive") is not None else True,
            created_by=data.get("employeeId"),
            vendor_based_bookkeeping=bool(options.get("vendorBasedBookkeeping")),
        )
    return _json({"data": _job_json(job)}, status=201)


def _job_get(request, api_token, job_id):
    return _json({"data": _job_json(_job(api_token, job_id))})


def _job_items_list(request, api_token, job_id):
    job = _job(api_token, job_id)
    items = job.items.select_related("export_item", "job")
    status = request.GET.get("status")
    if status is not None:
        if status not in ("pending", "in_progress", "failed", "successful", "abandoned"):
            raise SandboxApiError(400, "VALIDATION_ERROR", "Unknown status.")
        items = items.filter(status=status)
    rows, info = paginate(request, items)
    return _json({"data": [_job_item_json(item) for item in rows], "pagination": info})


def _job_items_update(request, api_token, job_id):
    job = _job(api_token, job_id)
    try:
        raw = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise SandboxApiError(400, "INVALID_JSON", "The request body is not valid JSON.") from None
    if isinstance(raw, list) and len(raw) > 100:
        raise SandboxApiError(413, "EXPORT_JOB_ITEMS_UPDATE_LIMIT", "Number of items to update is more than 100.")
    problems = schema_errors(raw, "[]UpdateExportJobItemV3")
    if problems:
        raise SandboxApiError(400, "VALIDATION_ERROR", "; ".join(problems[:5]))
    updated, errors = services.export_job_items_update(job=job, updates=raw)
    for item in updated:
        item.job = job
    return _json({"data": [_job_item_json(item) for item in updated], "errors": errors})


def _job_event(request, api_token):
    data = _body(request, "CreateExportJobEvent")
    job = _job(api_token, data["jobId"])
    services.export_job_event_apply(
        job=job, event=data["event"], failure_reason=data.get("failureReason"),
        failure_reason_type=data.get("failureReasonType"),
    )
    return HttpResponse(status=202)


def _export_items_list(request, api_token):
    job_id = request.GET.get("job_id")
    if not job_id:
        raise SandboxApiError(400, "VALIDATION_ERROR", "job_id is required.")
    job = _job(api_token, job_id)
    if job.status not in (JobStatus.PENDING, JobStatus.IN_PROGRESS):
        raise SandboxApiError(422, "EXPORT_JOB_STATUS_UNPROCESSABLE", f"The export job is {job.status}.")
    _missing_contra(job.company)
    job_items = job.items.select_related("export_item").prefetch_related("export_item__files")
    rows, info = paginate(request, job_items)
    base_url = request.build_absolute_uri(SANDBOX_ROOT)
    now = time.time()
    data = []
    for job_item in rows:
        payload = dict(job_item.export_item.payload)
        files = list(job_item.export_item.files.all())
        if files:
            payload["files"] = [
                {"url": services.file_url_sign(file=f, base_url=base_url, now=now), "type": f.mime_type,
                 "size": len(f.content)}
                for f in files
            ]
        data.append(payload)
    return _json({"data": data, "pagination": info})


export_jobs = endpoint(GET=(_jobs_list, "export-jobs:read"), POST=(_jobs_create, "export-jobs:write"))
export_job = endpoint(GET=(_job_get, "export-jobs:read"))
export_job_items = endpoint(GET=(_job_items_list, "export-jobs:read"), PUT=(_job_items_update, "export-jobs:write"))
export_job_events = endpoint(POST=(_job_event, "export-jobs:write"))
export_items = endpoint(GET=(_export_items_list, "export-items:read"))


# ------------------------------------------------------------------------------------------------ tags


def _group_json(group: TagGroup, tags_count: int | None = None) -> dict:
    data = {"id": group.uuid, "companyId": group.company.uuid, "code": group.code, "name": group.name,
            "archived": group.archived, "metadata": group.metadata or {}, "createdAt": group.created_at,
            "updatedAt": group.updated_at}
    if tags_count is not None:
        data["totalTagsCount"] = tags_count
    return data


def _tag_json(tag: Tag) -> dict:
    data = {"id": tag.uuid, "groupId": tag.group.uuid, "code": tag.code, "archived": tag.archived,
            "createdAt": tag.created_at, "updatedAt": tag.updated_at}
    if tag.name is not None:
        data["name"] = tag.name
    return data


def _tag_groups_list(request, api_token):
    if not request.GET.get("company_id") and not request.GET.get("organization_id"):
        raise SandboxApiError(400, "VALIDATION_ERROR", "company_id or organization_id is required.")
    companies = _companies(api_token, request)
    groups = TagGroup.objects.filter(company__in=companies).select_related("company").annotate(n=Count("tags"))
    if not _bool_param(request, "include_archived"):
        groups = groups.filter(archived=False)
    with_count = _bool_param(request, "include_tags_count")
    return _json({"data": [_group_json(g, g.n if with_count else None) for g in groups.order_by("pk")]})


def _code_taken(company: Company, code: str, exclude: TagGroup | None = None) -> bool:
    groups = TagGroup.objects.filter(company=company, code=code)
    return groups.exclude(pk=exclude.pk).exists() if exclude else groups.exists()


def _tag_group_create(request, api_token):
    data = _body(request, "TagGroupCreateModel")
    company = _company(api_token, request.GET.get("company_id"))
    # §13 Q8: uniqueness of a group code is not published; the sandbox refuses duplicates (409).
    if _code_taken(company, data["code"]):
        raise SandboxApiError(409, "CONFLICT", "A tag group with this code exists.")
    now = timezone.now()
    group = TagGroup.objects.create(company=company, code=data["code"], name=data["name"],
                                    archived=data["archived"], metadata=data.get("metadata") or {},
                                    created_at=now, updated_at=now)
    return _json({"data": _group_json(group)})


def _tag_group_get(request, api_token, group_id):
    group = _reachable(api_token, TagGroup.objects.select_related("company"), group_id, "company_id")
    return _json({"data": _group_json(group)})


def _tag_group_put(request, api_token, group_id):
    group = _reachable(api_token, TagGroup.objects.select_related("company"), group_id, "company_id")
    data = _body(request, "TagGroupUpdateModel")
    if _code_taken(group.company, data["code"], exclude=group):
        raise SandboxApiError(409, "CONFLICT", "A tag group with this code exists.")
    group.code, group.name, group.archived, group.metadata = (data["code"], data["name"], data["archived"],
                                                              data["metadata"])
    group.updated_at = timezone.now()
    group.save()
    return _json({"data": _group_json(group)})


def _tag_group_delete(request, api_token, group_id):
    _reachable(api_token, TagGroup.objects.all(), group_id, "company_id").delete()
    return HttpResponse(status=204)


def _group_tags_list(request, api_token, group_id):
    group = _reachable(api_token, TagGroup.objects.all(), group_id, "company_id")
    tags = group.tags.select_related("group")
    if not _bool_param(request, "include_archived"):
        tags = tags.filter(archived=False)
    rows, info = paginate(request, tags)
    return _json({"data": [_tag_json(t) for t in rows], "pagination": info})


def _group_tag_create(request, api_token, group_id):
    group = _reachable(api_token, TagGroup.objects.all(), group_id, "company_id")
    data = _body(request, "TagCreateModel")
    now = timezone.now()
    try:
        with transaction.atomic():
            tag = Tag.objects.create(group=group, code=data["code"], name=data.get("name", ""),
                                     archived=data["archived"],
                                     other_dimension_values=data.get("otherDimensionValues") or [],
                                     created_at=now, updated_at=now)
    except IntegrityError:
        raise SandboxApiError(409, "CONFLICT", "A tag with this code exists in the group.") from None
    return _json({"data": _tag_json(tag)}, status=201)


def _tags_search(request, api_token):
    data = _body(request, "CompositeTagSearchRequest")
    companies = _companies(api_token, request)
    tags = Tag.objects.filter(group__company__in=companies).select_related("group")
    if data.get("archived") is not None:
        tags = tags.filter(archived=data["archived"])
    elif not data.get("includeArchived"):
        tags = tags.filter(archived=False)
    if data.get("tagGroupIds"):
        tags = tags.filter(group__uuid__in=data["tagGroupIds"])
    if data.get("tagIds"):
        tags = tags.filter(uuid__in=data["tagIds"])
    if data.get("textSearch"):
        tags = tags.filter(Q(name__icontains=data["textSearch"]) | Q(code__icontains=data["textSearch"]))
    rows, info = paginate(request, tags)
    return _json({"data": [_tag_json(t) for t in rows], "pagination": info})


def _tags_archive(request, api_token):
    data = _body(request, "BulkTagArchiveModel")
    if not 1 <= len(data["tagIds"]) <= 100:
        raise SandboxApiError(400, "VALIDATION_ERROR", "tagIds takes 1 to 100 ids.")
    company = _company(api_token, data["companyId"])
    tags = Tag.objects.filter(group__company=company, uuid__in=data["tagIds"]).select_related("group")
    if tags.count() != len(set(data["tagIds"])):
        raise SandboxApiError(400, "VALIDATION_ERROR", "Some tagIds are unknown for this company.")
    tags.update(archived=data["archived"], updated_at=timezone.now())
    return _json({"data": [_tag_json(t) for t in tags.order_by("pk")]})


def _tag_get(request, api_token, tag_id):
    return _json({"data": _tag_json(_reachable(api_token, Tag.objects.select_related("group"), tag_id,
                                               "group.company_id"))})


def _tag_put(request, api_token, tag_id):
    tag = _reachable(api_token, Tag.objects.select_related("group"), tag_id, "group.company_id")
    data = _body(request, "TagUpdateModel")
    if Tag.objects.filter(group=tag.group, code=data["code"]).exclude(pk=tag.pk).exists():
        raise SandboxApiError(409, "CONFLICT", "Another tag in the group has this code.")
    tag.code, tag.archived = data["code"], data["archived"]
    if "name" in data:  # missing values are left unchanged on update
        tag.name = data["name"]
    if "otherDimensionValues" in data:
        tag.other_dimension_values = data["otherDimensionValues"]
    tag.updated_at = timezone.now()
    tag.save()
    return _json({"data": _tag_json(tag)})


def _tag_delete(request, api_token, tag_id):
    _reachable(api_token, Tag.objects.select_related("group"), tag_id, "group.company_id").delete()
    return HttpResponse(status=204)


tag_groups = endpoint(GET=(_tag_groups_list, None), POST=(_tag_group_create, None))
tag_group = endpoint(GET=(_tag_group_get, None), PUT=(_tag_group_put, None), DELETE=(_tag_group_delete, None))
tag_group_tags = endpoint(GET=(_group_tags_list, None), POST=(_group_tag_create, None))
tags_search = endpoint(POST=(_tags_search, None))
tags_archive = endpoint(POST=(_tags_archive, None))
tag = endpoint(GET=(_tag_get, None), PUT=(_tag_put, None), DELETE=(_tag_delete, None))


# ------------------------------------------------------------------------------------------- tax codes


def _tax_json(code: TaxCode) -> dict:
    return {"id": code.uuid, "companyId": code.company.uuid, "code": code.code, "name": code.name,
            "rate": code.rate, "type": code.type, "archived": code.archived,
            "ingoingTaxAccount": code.ingoing_tax_account, "outgoingTaxAccount": code.outgoing_tax_account,
            "accountingIntegrationSystem": code.accounting_integration_system,
            "createdAt": code.created_at, "updatedAt": code.updated_at}


def _tax_fields(data: dict) -> dict:
    return {"code": data.get("code"), "name": data["name"], "rate": Decimal(str(data["rate"])),
            "type": data["type"], "archived": data["archived"],
            "ingoing_tax_account": data.get("ingoingTaxAccount"),
            "outgoing_tax_account": data.get("outgoingTaxAccount")}


def _tax_create(request, api_token):
    data = _body(request, "TaxCodeCreateUpdateModel")
    company = _company(api_token, data["companyId"])
    now = timezone.now()
    code = TaxCode.objects.create(company=company, created_at=now, updated_at=now, **_tax_fields(data))
    return _json({"data": _tax_json(code)})


def _tax_get(request, api_token, tax_code_id):
    return _json({"data": _tax_json(_reachable(api_token, TaxCode.objects.select_related("company"),
                                               tax_code_id, "company_id"))})


def _tax_put(request, api_token, tax_code_id):
    code = _reachable(api_token, TaxCode.objects.select_related("company"), tax_code_id, "company_id")
    data = _body(request, "TaxCodeCreateUpdateModel")
    if data["companyId"] != str(code.company.uuid):
        raise SandboxApiError(400, "VALIDATION_ERROR", "companyId does not match the tax code's company.")
    for name, value in _tax_fields(data).items():
        setattr(code, name, value)
    code.updated_at = timezone.now()
    code.save()
    return _json({"data": _tax_json(code)})


def _tax_delete(request, api_token, tax_code_id):
    _reachable(api_token, TaxCode.objects.all(), tax_code_id, "company_id").delete()
    return HttpResponse(status=204)


def _tax_search(request, api_token):
    data = _body(request, "TaxCodeSearchRequest")
    company = _company(api_token, request.GET.get("company_id"))
    codes = TaxCode.objects.filter(company=company).select_related("company")
    if data.get("archived") is not None:
        codes = codes.filter(archived=data["archived"])
    if data.get("code") is not None:
        codes = codes.filter(code=data["code"])
    if data.get("taxCodeIds"):
        codes = codes.filter(uuid__in=data["taxCodeIds"])
    if data.get("type"):
        codes = codes.filter(type=data["type"])
    rows, info = paginate(request, codes)
    return _json({"data": [_tax_json(c) for c in rows], "pagination": info})


tax_codes = endpoint(POST=(_tax_create, None))
tax_codes_search = endpoint(POST=(_tax_search, None))
tax_code = endpoint(GET=(_tax_get, None), PUT=(_tax_put, None), DELETE=(_tax_delete, None))


# ------------------------------------------------------------------------------------ chart of accounts

ACCOUNT_JSON = "application/json"


def _account_json(acc: BookkeepingAccount) -> dict:
    return {"id": acc.uuid, "companyId": acc.company.uuid, "externalId": acc.external_id, "code": acc.code,
            "name": acc.name, "archived": acc.archived, "taxCodeExternalId": acc.tax_code_external_id,
            "metadata": acc.metadata}


def _account_fields(data: dict) -> dict:
    return {"code": data.get("code"), "name": data["name"], "archived": data["archived"],
            "tax_code_external_id": data.get("taxCodeExternalId"), "metadata": data.get("metadata")}


def _account_create(request, api_token):
    data = _body(request, "BookkeepingAccountCreateRequestV1")
    company = _company(api_token, data["companyId"])
    fields = _account_fields(data)
    existing = BookkeepingAccount.objects.filter(company=company, external_id=data["externalId"]).first()
    if existing is not None:
        # §13 Q12: the sandbox answers 200 when the request matches the existing account exactly, else 409.
        if all(getattr(existing, name) == value for name, value in fields.items()):
            return _json({"data": _account_json(existing)}, content_type=ACCOUNT_JSON)
        raise SandboxApiError(409, "CONFLICT", "An account with this externalId exists.")
    acc = BookkeepingAccount.objects.create(company=company, external_id=data["externalId"], **fields)
    return _json({"data": _account_json(acc)}, status=201, content_type=ACCOUNT_JSON)


def _account_batch(request, api_token):
    data = _body(request, "BookkeepingAccountBatchCreateRequestV1", variant="batch")
    company = _company(api_token, data["companyId"])
    taken = set(BookkeepingAccount.objects.filter(company=company).values_list("external_id", flat=True))
    created, failed = [], []
    for item in data["items"]:
        reasons = []
        external_id, name, code = item["externalId"], item["name"], item.get("code")
        if not external_id:
            reasons.append("EXTERNAL_ID_EMPTY")
        elif len(external_id) > 255:
            reasons.append("EXTERNAL_ID_TOO_LONG")
        elif external_id in taken:
            reasons.append("EXTERNAL_ID_ALREADY_EXISTS")
        if not name:
            reasons.append("NAME_EMPTY")
        elif len(name) > 255:
            reasons.append("NAME_TOO_LONG")
        if code and len(code) > 255:
            reasons.append("CODE_TOO_LONG")
        if reasons:
            failed.append({"request": item, "reasons": reasons})
            continue
        taken.add(external_id)
        created.append(BookkeepingAccount.objects.create(company=company, external_id=external_id,
                                                         **_account_fields(item)))
    return _json({"data": {"created": [_account_json(a) for a in created], "failed": failed}}, status=201,
                 content_type=ACCOUNT_JSON)


def _account_get(request, api_token, account_id):
    acc = _reachable(api_token, BookkeepingAccount.objects.select_related("company"), account_id, "company_id")
    return _json({"data": _account_json(acc)}, content_type=ACCOUNT_JSON)


def _account_put(request, api_token, account_id):
    acc = _reachable(api_token, BookkeepingAccount.objects.select_related("company"), account_id, "company_id")
    data = _body(request, "BookkeepingAccountUpdateRequestV1")
    tax_ref = data.get("taxCodeExternalId")
    if tax_ref and not TaxCode.objects.filter(company=acc.company, code=tax_ref).exists():
        raise SandboxApiError(400, "VALIDATION_ERROR", "taxCodeExternalId names no tax code of the company.")
    for name, value in _account_fields(data).items():
        setattr(acc, name, value)
    acc.save()
    return _json({"data": _account_json(acc)}, content_type=ACCOUNT_JSON)


def _account_delete(request, api_token, account_id):
    acc = _reachable(api_token, BookkeepingAccount.objects.all(), account_id, "company_id")
    if acc.linked_to_entries:
        raise SandboxApiError(409, "CONFLICT", "The account is linked to accounting entries; archive it instead.")
    acc.delete()
    return HttpResponse(status=204)


def _account_search(request, api_token):
    data = _body(request, "BookkeepingAccountSearchRequestV1")
    company = _company(api_token, data["companyId"])
    accs = BookkeepingAccount.objects.filter(company=company).select_related("company")
    if data.get("archived") is not None:
        accs = accs.filter(archived=data["archived"])
    codes = [c for c in (data.get("codes") or []) if c is not None] + ([data["code"]] if data.get("code") else [])
    if codes:
        accs = accs.filter(code__in=codes)
    if data.get("externalId") is not None:
        accs = accs.filter(external_id=data["externalId"])
    if data.get("ids"):
        accs = accs.filter(uuid__in=[i for i in data["ids"] if i])
    if data.get("name"):
        accs = accs.filter(name__icontains=data["name"])
    if data["excludeIfAssignedToCategory"]:
        accs = accs.filter(assigned_to_category=False)
    if data["excludeIfAssignedToContraAccount"]:
        accs = accs.filter(is_contra_account=False)
    rows, info = paginate(request, accs)
    return _json({"data": [_account_json(a) for a in rows], "pagination": info}, content_type=ACCOUNT_JSON)


accounts = endpoint(POST=(_account_create, "accounts:write"))
accounts_batch = endpoint(POST=(_account_batch, "accounts:write"))
accounts_search = endpoint(POST=(_account_search, "accounts:read"))
account = endpoint(GET=(_account_get, "accounts:read"), PUT=(_account_put, "accounts:write"),
                   DELETE=(_account_delete, "accounts:write"))


# ------------------------------------------------------------------------- introspection, installation


def _introspect(request, api_token):
    return _json({"data": {"subjectURN": api_token.subject_urn, "scope": api_token.scope,
                           "authMethod": api_token.auth_method, "clientId": api_token.client_id,
                           "applicationName": api_token.application_name}})


def _installation_json(inst: Installation) -> dict:
    data = {"id": inst.uuid, "applicationId": inst.application_id, "resource": inst.resource,
            "status": inst.status, "metadata": inst.metadata or {}, "createdAt": inst.created_at,
            "updatedAt": inst.updated_at}
    if inst.error_code:
        data["errorCode"] = inst.error_code
    return data


def _installation_resource(request, api_token) -> str:
    if request.GET.get("company_id"):
        return f"urn:pleo:company:{_company(api_token, request.GET['company_id']).uuid}"
    return api_token.subject_urn


def _installation_required(request, api_token) -> Installation:
    inst = services.installation_for_token(api_token=api_token, resource=_installation_resource(request, api_token))
    if inst is None:
        raise SandboxApiError(404, "NOT_FOUND", "No installation yet; create it with POST /v1/installations/me.")
    return inst


def _installation_get(request, api_token):
    return _json(_installation_json(_installation_required(request, api_token)))


def _installation_create(request, api_token):
    data = _body(request, "CreateClientInstallationRequest")
    now = timezone.now()
    inst, _ = Installation.objects.get_or_create(
        application_id=api_token.application_id, resource=api_token.subject_urn,
        defaults={"created_at": now, "updated_at": now, "status": "PENDING_INTEGRATION"},
    )
    if "status" in data:
        inst.status = data["status"]
    if "metadata" in data:
        inst.metadata = data["metadata"]
    inst.updated_at = now
    inst.save()
    return _json(_installation_json(inst))


def _installation_put(request, api_token):
    inst = _installation_required(request, api_token)
    data = _body(request, "UpdateInstallationRequest")
    inst.status = data["status"]
    if "metadata" in data:
        inst.metadata = data["metadata"]
    inst.error_code = data.get("errorCode")
    inst.updated_at = timezone.now()
    inst.save()
    return _json(_installation_json(inst))


def _installation_activate(request, api_token):
    inst = _installation_required(request, api_token)
    inst.status, inst.error_code, inst.updated_at = "ACTIVATED", None, timezone.now()
    inst.save()
    return _json(_installation_json(inst))


introspect = endpoint(GET=(_introspect, None))
installation = endpoint(GET=(_installation_get, None), POST=(_installation_create, None),
                        PUT=(_installation_put, None))
installation_activate = endpoint(POST=(_installation_activate, None))


# ----------------------------------------------------------------------------------------------- files


@csrf_exempt
def file_download(request, file_id):
    """Pre-signed receipt download: no Authorization header needed; 403 once the URL has expired."""
    if request.method != "GET":
        return _error(405, "METHOD_NOT_ALLOWED", "Only GET.")
    try:
        file_uuid = uuid.UUID(file_id)
    except ValueError:
        return _error(404, "NOT_FOUND", "No such file.")
    file = File.objects.select_related("export_item").filter(uuid=file_uuid).first()
    if file is None:
        return _error(404, "NOT_FOUND", "No such file.")

    def answer():
        if not services.file_signature_valid(file_uuid=str(file.uuid), expires=request.GET.get("expires", ""),
                                             signature=request.GET.get("signature", "")):
            return _error(403, "SIGNATURE_INVALID", "The download URL is invalid or has expired.")
        response = HttpResponse(bytes(file.content), content_type=file.mime_type)
        response["Content-Disposition"] = f'attachment; filename="{file.name}"'
        return response

    return _fault_response(request, [file.export_item.company_id], answer)


@csrf_exempt
def not_found(request, rest=""):
    return _error(404, "NOT_FOUND", "No such path in the Pleo sandbox.")
