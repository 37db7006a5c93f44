"""A delivery passes only with the subscription's signature over id.timestamp.body, within five minutes."""
import base64
import hashlib
import hmac
import json

import pytest

from integrations.pleo.webhooks import DeliveryRefused, delivery_read, delivery_verify

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef01234567").decode()
NOW = 1_800_000_000
BODY = json.dumps({"data": {"id": "job-1", "companyId": "c-1", "status": "pending"},
                   "eventType": "v1.export-job.created", "eventId": "e-1"}).encode()


def _signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """Written out from the Standard Webhooks scheme, independently of the code under test."""
    key = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _verify(*, secret=SECRET, webhook_id="msg_1", timestamp=NOW, signatures=None, body=BODY, now=NOW):
    signatures = _signature(SECRET, webhook_id, timestamp, body) if signatures is None else signatures
    delivery_verify(secret=secret, webhook_id=webhook_id, timestamp=str(timestamp), signatures=signatures,
                    body=body, now=now)


def test_a_delivery_signed_with_the_secret_passes():
    _verify()
    _verify(now=NOW + 299)  # clocks a little apart
    _verify(signatures="v1,bm90IGl0 " + _signature(SECRET, "msg_1", NOW, BODY))  # one of several (key rotation)


@pytest.mark.parametrize("change", [
    {"body": BODY.replace(b"job-1", b"job-2"), "signatures": _signature(SECRET, "msg_1", NOW, BODY)},  # changed
    {"webhook_id": "msg_2", "signatures": _signature(SECRET, "msg_1", NOW, BODY)},  # another delivery's signature
    {"secret": "whsec_" + base64.b64encode(b"another connection's key!").decode()},
    {"signatures": ""},
    {"signatures": "v2," + _signature(SECRET, "msg_1", NOW, BODY)[3:]},  # an unknown scheme
    {"now": NOW + 301},  # older than five minutes: a replay
    {"now": NOW - 301},  # from the future
    {"timestamp": "yesterday", "signatures": "v1,x"},
    {"webhook_id": "", "signatures": _signature(SECRET, "", NOW, BODY)},
    {"secret": "whsec_not base64!"},
])
def test_anything_else_is_refused(change):
    with pytest.raises(DeliveryRefused):
        _verify(**change)


def test_a_verified_delivery_says_which_job_of_which_company():
    delivery = delivery_read(body=BODY)
    assert (delivery.job_id, delivery.company_id, delivery.export_job_created) == ("job-1", "c-1", True)
    # The docs spell the event four ways (pleo-api README §12.3): each announces a new job.
    for name in ("v1.export.job-created", "v2.export-job.created", "export-job.created"):
        body = json.dumps({"data": {"id": "j"}, "eventType": name}).encode()
        assert delivery_read(body=body).export_job_created
    other = json.dumps({"data": {"id": "j"}, "eventType": "v1.expense.created"}).encode()
    assert not delivery_read(body=other).export_job_created


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"data": {}}', b'{"eventType": "x"}', b"\xff\xfe"])
def test_a_body_not_in_the_docs_shape_is_an_error(body):
    with pytest.raises(ValueError):
        delivery_read(body=body)
