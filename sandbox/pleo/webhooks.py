"""Pleo's webhook subscriptions (§10) and their signed deliveries, with faults a receiver must survive.

Choices where the contract is silent (pleo-api README §10, §13 Q11), each made here only:
* Deliveries follow the Standard Webhooks scheme the docs' headers point at: `webhook-id: msg_…`,
  `webhook-timestamp: <unix seconds>`, `webhook-signature: v1,<base64 HMAC-SHA256 over "id.timestamp.body">`,
  keyed with the base64-decoded part of the `whsec_` secret.
* Each delivery is tried once: no retries, whatever the receiver answers.
* A subscription belongs to the token that made it; it hears the events of every company that token
  reaches (an organisation token: all its companies). A revoked token's subscriptions stay silent.
* `GET /v1/subscriptions?event_types=a&event_types=b` lists subscriptions to any of the given types.
* PUT replaces the subscription: a missing status is ACTIVE, missing endpointAuth / customHeaders are
  none. The secret stays. DELETE removes it for good (no deletedAt).
* `endpointAuth` BASIC sends `Authorization: Basic base64(username:password)` with each delivery.
  Custom headers go along, but cannot replace content-type, the webhook-* headers or that Authorization.

Delivery: `export_job_create` calls `export_job_created_deliver`, which waits for the transaction to
commit, reads the subscriptions and faults, builds and signs every delivery in the committing thread,
and sends them with `requests` from background threads (no database access there), so creating the
job returns at once. Tests and benchmarks call `webhook_deliveries_wait()` and read `WEBHOOK_DELIVERIES`.
"""
import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpResponse
from django.utils import timezone

from sandbox.pleo.models import (
    ApiToken,
    Company,
    ExportJob,
    SubscriptionStatus,
    WebhookFault,
    WebhookFaultKind,
    WebhookSubscription,
)
from sandbox.pleo.services import SandboxApiError
from sandbox.pleo.views import _body, _json, _ts, endpoint, paginate

__all__ = [
    "EXPORT_JOB_CREATED",
    "BURST_SIZE",
    "STALE_SECONDS",
    "OUT_OF_ORDER_HOLD_SECONDS",
    "DELIVERY_TIMEOUT",
    "WEBHOOK_DELIVERIES",
    "WebhookDelivery",
    "webhook_secret_generate",
    "webhook_signature",
    "webhook_subscription_create",
    "webhook_fault_add",
    "webhook_faults_clear",
    "export_job_created_deliver",
    "webhook_deliveries_wait",
    "webhook_deliveries_clear",
    "subscriptions",
    "subscription",
    "subscription_secret",
]

logger = logging.getLogger("sandbox.pleo.webhooks")

EXPORT_JOB_CREATED = "v1.export-job.created"
BURST_SIZE = 50
STALE_SECONDS = 10 * 60  # twice Standard Webhooks' five-minute tolerance
OUT_OF_ORDER_HOLD_SECONDS = 2.0  # read at delivery time, so a test may shorten it
DELIVERY_TIMEOUT = 5
SECRET_PREFIX = "whsec_"
RESERVED_HEADERS = {"content-type", "content-length", "host", "webhook-id", "webhook-timestamp",
                    "webhook-signature"}


# ---------------------------------------------------------------------------------------------- secrets


def webhook_secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value: "v1," + base64 HMAC-SHA256 of "id.timestamp.body"."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# ---------------------------------------------------------------------------------------- subscriptions


def _subscription_fields(*, endpoint_url: str, event_types: list[str], status: str = SubscriptionStatus.ACTIVE,
                         endpoint_auth: dict | None = None, custom_headers: dict | None = None) -> dict:
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SandboxApiError(400, "VALIDATION_ERROR", "endpointUrl must be an http(s) URL.")
    if not event_types or not all(event_types):
        raise SandboxApiError(400, "VALIDATION_ERROR", "eventTypes needs at least one event type.")
    if status not in SubscriptionStatus.values:
        raise SandboxApiError(400, "VALIDATION_ERROR", f"status must be one of {SubscriptionStatus.values}.")
    endpoint_auth = endpoint_auth or {"type": "NONE"}
    if endpoint_auth.get("type") == "BASIC" and not (endpoint_auth.get("credentials") or {}).get("username"):
        raise SandboxApiError(400, "VALIDATION_ERROR", "endpointAuth BASIC needs credentials.username.")
    return {"endpoint_url": endpoint_url, "event_types": list(event_types), "status": status,
            "endpoint_auth": endpoint_auth, "custom_headers": dict(custom_headers or {})}


def webhook_subscription_create(
    *,
    api_token: ApiToken,
    endpoint_url: str,
    event_types: list[str],
    status: str = SubscriptionStatus.ACTIVE,
    endpoint_auth: dict | None = None,
    custom_headers: dict | None = None,
) -> WebhookSubscription:
    """Subscribe `endpoint_url` to `event_types` for this token, with a new secret (POST /v1/subscriptions)."""
    fields = _subscription_fields(endpoint_url=endpoint_url, event_types=event_types, status=status,
                                  endpoint_auth=endpoint_auth, custom_headers=custom_headers)
    now = timezone.now()
    return WebhookSubscription.objects.create(api_token=api_token, secret=webhook_secret_generate(),
                                              created_at=now, updated_at=now, **fields)


def _request_values(data: dict) -> dict:
    """A validated SubscriptionRequest as keyword arguments; PUT replaces, so what is missing is the default."""
    return {"endpoint_url": data["endpointUrl"], "event_types": data["eventTypes"],
            "status": data.get("status", SubscriptionStatus.ACTIVE), "endpoint_auth": data.get("endpointAuth"),
            "custom_headers": data.get("customHeaders")}


def _subscription_json(sub: WebhookSubscription) -> dict:
    return {"id": sub.uuid, "endpointUrl": sub.endpoint_url, "eventTypes": sub.event_types, "status": sub.status,
            "endpointAuth": sub.endpoint_auth or {"type": "NONE"}, "customHeaders": sub.custom_headers or {},
            "createdAt": sub.created_at, "updatedAt": sub.updated_at}


def _own_subscription(api_token: ApiToken, subscription_id: str) -> WebhookSubscription:
    """The token's subscription; another token's, an unknown id or a malformed one is 404 alike."""
    try:
        sub_uuid = uuid.UUID(subscription_id)
    except ValueError:
        sub_uuid = None
    sub = WebhookSubscription.objects.filter(uuid=sub_uuid, api_token=api_token).first() if sub_uuid else None
    if sub is None:
        raise SandboxApiError(404, "NOT_FOUND", "No subscription with this id.")
    return sub


def _subscriptions_list(request, api_token):
    subs = WebhookSubscription.objects.filter(api_token=api_token)
    status = request.GET.get("status")
    if status is not None:
        if status not in SubscriptionStatus.values:
            raise SandboxApiError(400, "VALIDATION_ERROR", f"status must be one of {SubscriptionStatus.values}.")
        subs = subs.filter(status=status)
    wanted = set(request.GET.getlist("event_types"))
    if wanted:  # JSON containment differs per database; a token has a handful of subscriptions
        subs = subs.filter(pk__in=[s.pk for s in subs if wanted & set(s.event_types)])
    rows, info = paginate(request, subs)
    return _json({"data": [_subscription_json(s) for s in rows], "pagination": info})


def _subscription_create(request, api_token):
    values = _request_values(_body(request, "SubscriptionRequest"))
    sub = webhook_subscription_create(api_token=api_token, **values)
    return _json({"data": _subscription_json(sub)})


def _subscription_get(request, api_token, subscription_id):
    return _json({"data": _subscription_json(_own_subscription(api_token, subscription_id))})


def _subscription_put(request, api_token, subscription_id):
    sub = _own_subscription(api_token, subscription_id)
    for name, value in _subscription_fields(**_request_values(_body(request, "SubscriptionRequest"))).items():
        setattr(sub, name, value)
    sub.updated_at = timezone.now()
    sub.save()
    return _json({"data": _subscription_json(sub)})


def _subscription_delete(request, api_token, subscription_id):
    _own_subscription(api_token, subscription_id).delete()
    return HttpResponse(status=204)


def _subscription_secret_get(request, api_token, subscription_id):
    return _json({"data": {"secretKey": _own_subscription(api_token, subscription_id).secret}})


subscriptions = endpoint(GET=(_subscriptions_list, None), POST=(_subscription_create, None))
subscription = endpoint(GET=(_subscription_get, None), PUT=(_subscription_put, None),
                        DELETE=(_subscription_delete, None))
subscription_secret = endpoint(GET=(_subscription_secret_get, None))


# ----------------------------------------------------------------------------------------------- faults


def webhook_fault_add(*, company: Company, kind: str, remaining: int = 1) -> WebhookFault:
    """The next `remaining` deliveries of this company's events go wrong as `kind` (one per subscription).

    kind: bad_signature, stale_timestamp, duplicate, out_of_order, lost or burst (WebhookFaultKind).
    """
    if kind not in WebhookFaultKind.values:
        raise ValueError(f"Unknown webhook fault kind {kind!r}; choose from {WebhookFaultKind.values}.")
    return WebhookFault.objects.create(company=company, kind=kind, remaining=remaining)


def webhook_faults_clear(*, company: Company | None = None) -> int:
    faults = WebhookFault.objects.all() if company is None else WebhookFault.objects.filter(company=company)
    return faults.delete()[0]


def _webhook_fault_take(*, company_id: int) -> str | None:
    """Consume one use of the company's first webhook fault, if any (race-safe decrement)."""
    for fault in WebhookFault.objects.filter(company_id=company_id, remaining__gt=0).order_by("pk"):
        if WebhookFault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            return fault.kind
    return None


# --------------------------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class WebhookDelivery:
    """One delivery made (or lost): `result` is the receiver's HTTP status, "lost", or "error: …"."""

    webhook_id: str
    event_id: str
    job_id: str
    result: int | str
    subscription_id: str
    endpoint_url: str
    fault: str | None = None
    seconds: float | None = None  # from sending to the receiver's answer: the receiver must answer within a second


@dataclass(frozen=True)
class _Message:
    """A delivery built and signed in the committing thread; sending it needs no database."""

    url: str
    body: bytes
    headers: dict
    webhook_id: str
    event_id: str
    job_id: str
    subscription_id: str
    fault: str | None


@dataclass(eq=False)
class _Held:
    message: _Message
    released: threading.Event


WEBHOOK_DELIVERIES: list[WebhookDelivery] = []  # in the order the answers came; tests read and clear it
_lock = threading.Lock()
_idle = threading.Condition()
_pending = 0
_held: dict[tuple[int, int], list[_Held]] = {}  # (company pk, subscription pk) -> deliveries held back


def webhook_deliveries_clear() -> None:
    with _lock:
        WEBHOOK_DELIVERIES.clear()


def webhook_deliveries_wait(timeout: float = 10) -> bool:
    """Block until every background delivery has finished (held ones included); False on time-out."""
    with _idle:
        return _idle.wait_for(lambda: _pending == 0, timeout)


def export_job_created_deliver(*, job: ExportJob, number_of_items: int) -> None:
    """Announce the new job to its company's subscribers once the job's transaction commits."""
    # The docs' delivery data: the job as it was when the event fired, not a full ExportJobV3.
    data = {"companyId": str(job.company.uuid), "createdAt": _ts(job.created_at),
            "createdBy": str(job.created_by) if job.created_by else None, "expiresIn": job.expires_in,
            "id": str(job.uuid), "numberOfItems": number_of_items, "status": job.status}
    company_id, organisation_id = job.company_id, job.company.organisation_id
    transaction.on_commit(lambda: _event_deliver(company_id=company_id, organisation_id=organisation_id,
                                                 event_type=EXPORT_JOB_CREATED, data=data), robust=True)


def _event_deliver(*, company_id: int, organisation_id: int | None, event_type: str, data: dict) -> None:
    try:
        reach = Q(api_token__company_id=company_id)
        if organisation_id is not None:
            reach |= Q(api_token__company__isnull=True, api_token__organisation_id=organisation_id)
        subs = (WebhookSubscription.objects.filter(reach, status=SubscriptionStatus.ACTIVE,
                                                   api_token__revoked=False).order_by("pk"))
        event_id = str(uuid.uuid4())
        for sub in subs:
            if event_type in sub.event_types:
                fault = _webhook_fault_take(company_id=company_id)
                _dispatch(sub, (company_id, sub.pk), event_type, event_id, data, fault)
    except Exception:  # a sandbox problem must never fail the job that was just created
        logger.exception("Webhook deliveries for job %s not made", data.get("id"))


def _message(sub: WebhookSubscription, event_type: str, event_id: str, data: dict, fault: str | None) -> _Message:
    body = json.dumps({"data": data, "eventType": event_type, "eventId": event_id}, separators=(",", ":"),
                      ensure_ascii=False).encode()
    webhook_id = f"msg_{secrets.token_hex(16)}"
    timestamp = int(time.time()) - (STALE_SECONDS if fault == WebhookFaultKind.STALE_TIMESTAMP else 0)
    key = webhook_secret_generate() if fault == WebhookFaultKind.BAD_SIGNATURE else sub.secret
    auth = sub.endpoint_auth or {}
    reserved = RESERVED_HEADERS | ({"authorization"} if auth.get("type") == "BASIC" else set())
    headers = {name: str(value) for name, value in (sub.custom_headers or {}).items()
               if name.lower() not in reserved}
    if auth.get("type") == "BASIC":
        credentials = auth.get("credentials") or {}
        pair = f"{credentials.get('username', '')}:{credentials.get('password', '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    headers.update({"content-type": "application/json", "webhook-id": webhook_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": webhook_signature(key, webhook_id, timestamp, body)})
    return _Message(url=sub.endpoint_url, body=body, headers=headers, webhook_id=webhook_id, event_id=event_id,
                    job_id=data["id"], subscription_id=str(sub.uuid), fault=fault)


def _dispatch(sub, hold_key, event_type: str, event_id: str, data: dict, fault: str | None) -> None:
    if fault == WebhookFaultKind.BURST:
        messages = [_message(sub, event_type, str(uuid.uuid4()), data, fault) for _ in range(BURST_SIZE)]
    else:
        messages = [_message(sub, event_type, event_id, data, fault)]
    if fault == WebhookFaultKind.LOST:
        logger.info("Webhook %s for job %s to %s lost (sandbox fault)", messages[0].webhook_id,
                    messages[0].job_id, sub.endpoint_url)
        _record(messages[0], "lost")
        return
    if fault == WebhookFaultKind.OUT_OF_ORDER:
        _hold(messages[0], hold_key)
        return
    with _lock:  # deliveries held back for this company go out after this one
        held = _held.pop(hold_key, [])
    for entry in held:
        entry.released.set()
    first = messages[0]
    times = 2 if fault == WebhookFaultKind.DUPLICATE else 1

    def send_then_release():
        for _ in range(times):
            _send(first)
        for entry in held:
            _send(entry.message)

    _spawn(send_then_release)
    for message in messages[1:]:  # the rest of a burst, all at once
        _spawn(lambda message=message: _send(message))


def _hold(message: _Message, hold_key) -> None:
    entry = _Held(message=message, released=threading.Event())
    with _lock:
        _held.setdefault(hold_key, []).append(entry)

    def send_unless_released():
        entry.released.wait(OUT_OF_ORDER_HOLD_SECONDS)
        with _lock:
            waiting = _held.get(hold_key, [])
            mine = entry in waiting
            if mine:
                waiting.remove(entry)
                if not waiting:
                    _held.pop(hold_key, None)
        if mine:  # no later delivery came to carry it
            _send(message)

    _spawn(send_unless_released)


def _spawn(work: Callable[[], None]) -> None:
    global _pending
    with _idle:
        _pending += 1
    threading.Thread(target=_run, args=(work,), name="sandbox-pleo-webhook", daemon=True).start()


def _run(work: Callable[[], None]) -> None:
    global _pending
    try:
        work()
    except Exception:  # pragma: no cover - _send catches what requests raises
        logger.exception("Webhook delivery thread failed")
    finally:
        with _idle:
            _pending -= 1
            if _pending == 0:
                _idle.notify_all()


def _send(message: _Message) -> None:
    started = time.monotonic()
    try:
        response = requests.post(message.url, data=message.body, headers=message.headers,
                                 timeout=DELIVERY_TIMEOUT)
    except requests.RequestException as exc:
        result = f"error: {type(exc).__name__}: {exc}"
        logger.warning("Webhook %s for job %s to %s failed: %s", message.webhook_id, message.job_id,
                       message.url, result)
    else:
        result = response.status_code
        logger.info("Webhook %s for job %s to %s answered %s%s", message.webhook_id, message.job_id, message.url,
                    result, f" ({message.fault})" if message.fault else "")
    _record(message, result, time.monotonic() - started)


def _record(message: _Message, result: int | str, seconds: float | None = None) -> None:
    with _lock:
        WEBHOOK_DELIVERIES.append(WebhookDelivery(
            webhook_id=message.webhook_id, event_id=message.event_id, job_id=message.job_id, result=result,
            subscription_id=message.subscription_id, endpoint_url=message.url, fault=message.fault,
            seconds=seconds))
