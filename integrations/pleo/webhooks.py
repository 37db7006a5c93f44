"""Pleo's webhook deliveries: is this one signed by the subscription's secret, and what does it announce.

Pleo's docs show the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature:
v1,<base64>`) and `whsec_` secrets but do not name the algorithm (pleo-api README §10, open question 11).
The portal reads them as Standard Webhooks does: HMAC-SHA256 over `id.timestamp.body` with the secret's
base64 key, compared in constant time, any of several space-separated signatures accepted (key rotation).
"""
import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

__all__ = [
    "EXPORT_JOB_CREATED",
    "DELIVERY_MAX_BYTES",
    "TIMESTAMP_TOLERANCE_SECONDS",
    "Delivery",
    "DeliveryRefused",
    "delivery_verify",
    "delivery_read",
]

EXPORT_JOB_CREATED = "v1.export-job.created"
# The docs spell the event four ways (§12.3); a delivery under any of them announces a new export job.
_EXPORT_JOB_CREATED_NAMES = {EXPORT_JOB_CREATED, "v1.export.job-created", "v2.export-job.created",
                             "export-job.created"}
DELIVERY_MAX_BYTES = 64 * 1024  # the docs' delivery is a few hundred bytes: a job's summary, not its items
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60  # Standard Webhooks' default; an older delivery is a replay


class DeliveryRefused(Exception):
    """The delivery is not Pleo's, or not now: the caller answers without saying which."""


@dataclass(frozen=True)
class Delivery:
    event_type: str
    job_id: str
    company_id: str

    @property
    def export_job_created(self) -> bool:
        return self.event_type in _EXPORT_JOB_CREATED_NAMES


def delivery_verify(*, secret: str, webhook_id: str, timestamp: str, signatures: str, body: bytes,
                    now: float) -> None:
    """Raise DeliveryRefused unless one of `signatures` signs `id.timestamp.body` with `secret` and the
    timestamp is within the tolerance of `now`."""
    try:
        sent_at = int(timestamp)
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (TypeError, ValueError, binascii.Error):
        raise DeliveryRefused("unreadable timestamp or secret") from None
    if not webhook_id or not key or abs(now - sent_at) > TIMESTAMP_TOLERANCE_SECONDS:
        raise DeliveryRefused("missing id or stale timestamp")
    signed = f"{webhook_id}.{sent_at}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for signature in (signatures or "").split():
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
            return
    raise DeliveryRefused("no matching signature")


def delivery_read(*, body: bytes) -> Delivery:
    """What a verified delivery announces; ValueError when the body is not the docs' shape."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("The delivery's body is not JSON.") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not isinstance(payload.get("eventType"), str):
        raise ValueError("The delivery has no eventType and data.")
    return Delivery(event_type=payload["eventType"], job_id=str(data.get("id") or ""),
                    company_id=str(data.get("companyId") or ""))
