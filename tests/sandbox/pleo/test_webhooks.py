"""Webhook subscriptions speak the contract, stay with their token, and a new export job is delivered, signed,
to a real local HTTP server; each webhook fault changes the delivery as it says."""
import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from sandbox.pleo import webhooks
from sandbox.pleo.contract import spec
from sandbox.pleo.models import ApiToken, WebhookFault
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import (
    api_token_find,
    export_job_create,
    faults_clear,
    sandbox_company_create,
    sandbox_organisation_create,
)
from sandbox.pleo.webhooks import (
    WEBHOOK_DELIVERIES,
    webhook_deliveries_clear,
    webhook_deliveries_wait,
    webhook_fault_add,
    webhook_faults_clear,
    webhook_signature,
    webhook_subscription_create,
)
from tests.sandbox.pleo.conftest import PleoCaller

# Both databases: the subscribers' query across tokens and organisations, and delivery after a real commit.
pytestmark = pytest.mark.both_databases

UNKNOWN = "00000000-0000-4000-8000-000000000000"
EVENT = "v1.export-job.created"
SECRET_FORMAT = re.compile(r"^whsec_[A-Za-z0-9+/]{32}$")  # 24 bytes are 32 base64 characters, no padding


# ------------------------------------------------------------------------------------------- helpers


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records every request and answers `status` after `delay`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                with receiver._lock:
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._lock:
                    receiver.in_flight -= 1
                    receiver.requests.append({"path": self.path, "body": body,
                                              "headers": {k.lower(): v for k, v in self.headers.items()}})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # a burst of 50 connects at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pleo"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def no_deliveries_left_over():
    webhook_deliveries_wait()
    webhook_deliveries_clear()
    yield
    assert webhook_deliveries_wait(), "a background delivery did not finish"
    webhook_deliveries_clear()


def _expected_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """Written out from the Standard Webhooks scheme, independently of the code under test."""
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, webhook_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def _signed_correctly(request: dict, secret: str) -> bool:
    headers = request["headers"]
    expected = _expected_signature(secret, headers["webhook-id"], headers["webhook-timestamp"], request["body"])
    return hmac.compare_digest(headers["webhook-signature"], expected)


def _subscribe(pleo: PleoCaller, url: str, **extra) -> tuple[dict, str]:
    body = {"endpointUrl": url, "eventTypes": [EVENT], "status": "ACTIVE", **extra}
    sub = pleo("POST", "/v1/subscriptions", "/v1/subscriptions", body=body, expect=200).json()["data"]
    secret = pleo("GET", "/v1/subscriptions/{id}/secret", f"/v1/subscriptions/{sub['id']}/secret",
                  expect=200).json()["data"]["secretKey"]
    return sub, secret


def _job(company, django_capture_on_commit_callbacks, count=2):
    """A new job, with the commit's callbacks run as a real commit would (the test's transaction never commits)."""
    items = export_items_generate(company=company, count=count, seed=1, with_receipts=False)
    with django_capture_on_commit_callbacks(execute=True):
        return export_job_create(company=company, items=items)


def _delivered(receiver: Receiver, n: int) -> list[dict]:
    assert webhook_deliveries_wait(timeout=30)
    assert len(receiver.requests) == n, [json.loads(r["body"])["data"]["id"] for r in receiver.requests]
    return receiver.requests


# ------------------------------------------------------------------------------------------ endpoints


def test_subscription_endpoints_answer_in_the_contracts_shapes(pleo):
    body = {"endpointUrl": "https://portal.example/hooks/1", "eventTypes": [EVENT], "status": "ACTIVE",
            "endpointAuth": {"type": "BASIC", "credentials": {"username": "pleo", "password": "pw"}},
            "customHeaders": {"X-Portal-Client": "42"}}
    sub = pleo("POST", "/v1/subscriptions", "/v1/subscriptions", body=body, expect=200).json()["data"]
    assert {k: sub[k] for k in body} == body
    assert uuid.UUID(sub["id"]) and sub["createdAt"].endswith("Z")
    second = pleo("POST", "/v1/subscriptions", "/v1/subscriptions", expect=200,
                  body={"endpointUrl": "https://portal.example/hooks/2", "eventTypes": [EVENT]}).json()["data"]
    assert second["status"] == "ACTIVE" and second["endpointAuth"] == {"type": "NONE"}  # the defaults

    page = pleo("GET", "/v1/subscriptions", "/v1/subscriptions?limit=1", expect=200).json()
    assert [s["id"] for s in page["data"]] == [sub["id"]] and page["pagination"]["hasNextPage"]
    after = page["pagination"]["endCursor"]
    page = pleo("GET", "/v1/subscriptions", f"/v1/subscriptions?limit=1&after={after}", expect=200).json()
    assert [s["id"] for s in page["data"]] == [second["id"]] and not page["pagination"]["hasNextPage"]
    assert page["pagination"]["total"] == 2

    path = f"/v1/subscriptions/{sub['id']}"
    assert pleo("GET", "/v1/subscriptions/{id}", path, expect=200).json()["data"] == sub
    replaced = pleo("PUT", "/v1/subscriptions/{id}", path, expect=200,
                    body={"endpointUrl": "https://portal.example/hooks/new", "eventTypes": [EVENT, "v1.other"],
                          "status": "INACTIVE"}).json()["data"]
    assert (replaced["endpointUrl"], replaced["status"], replaced["customHeaders"]) == (
        "https://portal.example/hooks/new", "INACTIVE", {})  # PUT replaces: what is left out is gone
    assert replaced["createdAt"] == sub["createdAt"] and replaced["updatedAt"] >= sub["updatedAt"]
    secret = pleo("GET", "/v1/subscriptions/{id}/secret", f"{path}/secret", expect=200).json()
    assert SECRET_FORMAT.match(secret["data"]["secretKey"])
    pleo("DELETE", "/v1/subscriptions/{id}", path, expect=204)
    pleo("GET", "/v1/subscriptions/{id}", path, expect=404)
    pleo("GET", "/v1/subscriptions/{id}/secret", f"{path}/secret", expect=404)

    served = {(m.upper(), p) for p, ops in spec()["paths"].items() if p.startswith("/v1/subscriptions")
              for m in ops if m in ("get", "post", "put", "delete")}
    assert served - {(m, p) for m, p, status in pleo.seen if status < 300} == set()


def test_list_filters_by_status_and_event_types(pleo):
    active, _ = _subscribe(pleo, "https://portal.example/a")
    inactive, _ = _subscribe(pleo, "https://portal.example/b", status="INACTIVE")
    other = pleo("POST", "/v1/subscriptions", "/v1/subscriptions", expect=200,
                 body={"endpointUrl": "https://portal.example/c", "eventTypes": ["v1.expense.created"]}).json()

    def ids(query):
        page = pleo("GET", "/v1/subscriptions", f"/v1/subscriptions?{query}", expect=200).json()
        return [s["id"] for s in page["data"]]

    assert ids("status=ACTIVE") == [active["id"], other["data"]["id"]]
    assert ids("status=INACTIVE") == [inactive["id"]]
    assert ids(f"event_types={EVENT}") == [active["id"], inactive["id"]]
    assert ids(f"event_types={EVENT}&event_types=v1.expense.created&status=ACTIVE") == [active["id"],
                                                                                          other["data"]["id"]]
    assert ids("event_types=v1.nothing") == []
    pleo("GET", "/v1/subscriptions", "/v1/subscriptions?status=ENABLED", expect=400)


@pytest.mark.parametrize("body", [
    {"eventTypes": [EVENT]},  # no endpointUrl
    {"endpointUrl": "https://portal.example/h"},  # no eventTypes
    {"endpointUrl": "https://portal.example/h", "eventTypes": []},
    {"endpointUrl": "https://portal.example/h", "eventTypes": [EVENT, EVENT]},  # uniqueItems
    {"endpointUrl": "ftp://portal.example/h", "eventTypes": [EVENT]},
    {"endpointUrl": "https://portal.example/h", "eventTypes": [EVENT], "status": "ENABLED"},
    {"endpointUrl": "https://portal.example/h", "eventTypes": [EVENT], "secretKey": "whsec_mine"},  # undeclared
    {"endpointUrl": "https://portal.example/h", "eventTypes": [EVENT], "endpointAuth": {"type": "BASIC"}},
], ids=["no-url", "no-types", "empty-types", "repeated-type", "not-http", "bad-status", "undeclared",
        "basic-without-user"])
def test_a_bad_subscription_body_is_400(pleo, body):
    pleo("POST", "/v1/subscriptions", "/v1/subscriptions", body=body, expect=400)
    sub, _ = _subscribe(pleo, "https://portal.example/ok")
    pleo("PUT", "/v1/subscriptions/{id}", f"/v1/subscriptions/{sub['id']}", body=body, expect=400)


def test_a_token_sees_and_changes_only_its_own_subscriptions(pleo, client, db):
    mine, _ = _subscribe(pleo, "https://portal.example/mine")
    _, other_token = sandbox_company_create(name="Other AB", currency="SEK", seed_reference_data=False)
    other = PleoCaller(client, other_token)
    theirs, _ = _subscribe(other, "https://portal.example/theirs")

    assert [s["id"] for s in other("GET", "/v1/subscriptions", "/v1/subscriptions", expect=200).json()["data"]] == [
        theirs["id"]]
    path = f"/v1/subscriptions/{mine['id']}"
    other("GET", "/v1/subscriptions/{id}", path, expect=404)
    other("GET", "/v1/subscriptions/{id}/secret", f"{path}/secret", expect=404)
    other("PUT", "/v1/subscriptions/{id}", path, body={"endpointUrl": "https://evil.example", "eventTypes": [EVENT]},
          expect=404)
    other("DELETE", "/v1/subscriptions/{id}", path, expect=404)
    assert pleo("GET", "/v1/subscriptions/{id}", path, expect=200).json()["data"] == mine  # untouched
    for unknown in (UNKNOWN, "not-a-uuid"):
        pleo("GET", "/v1/subscriptions/{id}", f"/v1/subscriptions/{unknown}", expect=404)
    pleo("GET", "/v1/subscriptions", "/v1/subscriptions", token=None, expect=401)


def test_secret_is_whsec_with_24_random_bytes_and_survives_a_put(pleo):
    first, secret = _subscribe(pleo, "https://portal.example/1")
    _, other_secret = _subscribe(pleo, "https://portal.example/2")
    assert SECRET_FORMAT.match(secret) and len(base64.b64decode(secret[6:])) == 24
    assert secret != other_secret
    pleo("PUT", "/v1/subscriptions/{id}", f"/v1/subscriptions/{first['id']}", expect=200,
         body={"endpointUrl": "https://portal.example/1b", "eventTypes": [EVENT]})
    assert pleo("GET", "/v1/subscriptions/{id}/secret", f"/v1/subscriptions/{first['id']}/secret",
                expect=200).json()["data"]["secretKey"] == secret


def test_signature_reproduces_the_standard_webhooks_test_vector():
    assert webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                             b'{"test": 2432232314}') == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


# ------------------------------------------------------------------------------------------- delivery


def test_a_new_job_is_delivered_signed_to_the_subscribed_endpoint(pleo, company, receiver,
                                                                  django_capture_on_commit_callbacks):
    sub, secret = _subscribe(pleo, receiver.url, customHeaders={"X-Portal-Client": "42"})
    before = int(time.time())
    job = _job(company, django_capture_on_commit_callbacks, count=3)

    [request] = _delivered(receiver, 1)
    headers = request["headers"]
    assert request["path"] == "/hooks/pleo"
    assert headers["content-type"] == "application/json"
    assert headers["x-portal-client"] == "42"
    assert re.match(r"^msg_\w+$", headers["webhook-id"])
    assert before <= int(headers["webhook-timestamp"]) <= time.time()
    assert _signed_correctly(request, secret)
    payload = json.loads(request["body"])
    assert request["body"] == json.dumps(payload, separators=(",", ":")).encode()  # compact
    assert payload == {
        "data": {"companyId": str(company.uuid), "createdAt": payload["data"]["createdAt"], "createdBy": None,
                 "expiresIn": 3600, "id": str(job.uuid), "numberOfItems": 3, "status": "pending"},
        "eventType": EVENT, "eventId": payload["eventId"],
    }
    assert uuid.UUID(payload["eventId"]).version == 4
    job_json = pleo("GET", "/v3/export-jobs/{jobId}", f"/v3/export-jobs/{job.uuid}", expect=200).json()["data"]
    assert payload["data"]["createdAt"] == job_json["createdAt"]
    [record] = WEBHOOK_DELIVERIES
    assert (record.webhook_id, record.event_id, record.job_id, record.result, record.subscription_id) == (
        headers["webhook-id"], payload["eventId"], str(job.uuid), 200, sub["id"])


def test_a_job_created_through_the_api_is_delivered_with_basic_auth(pleo, company, receiver,
                                                                    django_capture_on_commit_callbacks):
    _, secret = _subscribe(pleo, receiver.url,
                           endpointAuth={"type": "BASIC", "credentials": {"username": "pleo", "password": "s3"}},
                           customHeaders={"webhook-id": "msg_mine", "Authorization": "Bearer nope"})
    items = export_items_generate(company=company, count=2, seed=4)
    with django_capture_on_commit_callbacks(execute=True):
        created = pleo("POST", "/v3/export-jobs", "/v3/export-jobs", expect=201, body={
            "companyId": str(company.uuid), "accountingEntryIds": [str(i.uuid) for i in items],
            "employeeId": "3f1c2a8e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"}).json()["data"]
    [request] = _delivered(receiver, 1)
    assert request["headers"]["authorization"] == "Basic " + base64.b64encode(b"pleo:s3").decode()
    assert request["headers"]["webhook-id"] != "msg_mine"  # custom headers cannot replace the signed ones
    assert _signed_correctly(request, secret)
    data = json.loads(request["body"])["data"]
    assert (data["id"], data["numberOfItems"], data["createdBy"]) == (
        created["id"], 2, "3f1c2a8e-5b6d-4e7f-8a9b-0c1d2e3f4a5b")


def test_only_active_subscriptions_to_the_event_of_tokens_reaching_the_company_hear_it(
        pleo, client, company, receiver, django_capture_on_commit_callbacks):
    hearing, _ = _subscribe(pleo, receiver.url + "/hearing")
    _subscribe(pleo, receiver.url + "/inactive", status="INACTIVE")
    pleo("POST", "/v1/subscriptions", "/v1/subscriptions", expect=200,
         body={"endpointUrl": receiver.url + "/other-event", "eventTypes": ["v1.expense.created"]})
    _, other_token = sandbox_company_create(name="Other AB", currency="SEK", seed_reference_data=False)
    _subscribe(PleoCaller(client, other_token), receiver.url + "/other-company")
    revoked_company, revoked_token = sandbox_company_create(name="Revoked")
    _subscribe(PleoCaller(client, revoked_token), receiver.url + "/revoked")

    _job(company, django_capture_on_commit_callbacks)
    assert [r["path"] for r in _delivered(receiver, 1)] == ["/hooks/pleo/hearing"]

    ApiToken.objects.filter(company=revoked_company).update(revoked=True)
    _job(revoked_company, django_capture_on_commit_callbacks)
    assert webhook_deliveries_wait() and len(receiver.requests) == 1


def test_an_organisation_token_hears_each_of_its_companies(client, receiver, django_capture_on_commit_callbacks,
                                                           db):
    organisation, org_token = sandbox_organisation_create(name="Group")
    first, _ = sandbox_company_create(name="First", organisation=organisation)
    second, _ = sandbox_company_create(name="Second", organisation=organisation)
    outsider, _ = sandbox_company_create(name="Outsider")
    _, secret = _subscribe(PleoCaller(client, org_token), receiver.url)
    for company in (first, second, outsider):
        _job(company, django_capture_on_commit_callbacks, count=1)
    requests_ = _delivered(receiver, 2)
    assert sorted(json.loads(r["body"])["data"]["companyId"] for r in requests_) == sorted(
        [str(first.uuid), str(second.uuid)])
    assert all(_signed_correctly(r, secret) for r in requests_)


def test_nothing_is_sent_before_the_commit_nor_after_a_rollback(pleo, company, receiver,
                                                                django_capture_on_commit_callbacks):
    _subscribe(pleo, receiver.url)
    items = export_items_generate(company=company, count=1, seed=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export_job_create(company=company, items=items)
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            export_job_create(company=company, items=items)
            raise RuntimeError("rolled back")
    assert callbacks == []
    assert webhook_deliveries_wait() and receiver.requests == [] and WEBHOOK_DELIVERIES == []


@pytest.mark.django_db(transaction=True)
def test_a_real_commit_delivers_while_job_creation_returns_at_once(receiver):
    company, token = sandbox_company_create(name="Committed BV")
    sub = webhook_subscription_create(api_token=api_token_find(token=token), endpoint_url=receiver.url,
                                      event_types=[EVENT])
    items = export_items_generate(company=company, count=2, seed=1)
    receiver.delay = 1.0  # a slow receiver
    started = time.monotonic()
    job = export_job_create(company=company, items=items)
    assert time.monotonic() - started < 0.9
    [request] = _delivered(receiver, 1)
    assert json.loads(request["body"])["data"]["id"] == str(job.uuid)
    assert _signed_correctly(request, sub.secret)


def test_an_unreachable_endpoint_or_an_error_answer_is_recorded_and_logged(pleo, company, receiver, caplog,
                                                                           django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    _subscribe(pleo, f"http://127.0.0.1:{closed_port}/hooks")
    _subscribe(pleo, receiver.url)
    receiver.status = 500
    caplog.set_level("INFO", logger="sandbox.pleo.webhooks")
    job = _job(company, django_capture_on_commit_callbacks)  # does not raise
    _delivered(receiver, 1)
    results = sorted((str(d.result) for d in WEBHOOK_DELIVERIES), key=len)
    assert results[0] == "500" and results[1].startswith("error: ConnectionError")
    logged = [r for r in caplog.records if r.name == "sandbox.pleo.webhooks"]
    assert {r.levelname for r in logged} == {"INFO", "WARNING"}
    assert all(str(job.uuid) in r.getMessage() for r in logged)


# --------------------------------------------------------------------------------------------- faults


@pytest.fixture
def subscribed(pleo, receiver):
    _, secret = _subscribe(pleo, receiver.url)
    return secret


def test_fault_bad_signature_is_signed_with_another_key(company, receiver, subscribed,
                                                        django_capture_on_commit_callbacks):
    webhook_fault_add(company=company, kind="bad_signature")
    first = _job(company, django_capture_on_commit_callbacks)
    _job(company, django_capture_on_commit_callbacks)
    by_job = {json.loads(r["body"])["data"]["id"]: r for r in _delivered(receiver, 2)}
    bad = by_job.pop(str(first.uuid))
    [good] = by_job.values()
    assert not _signed_correctly(bad, subscribed)
    assert bad["headers"]["webhook-signature"].startswith("v1,")
    assert _signed_correctly(good, subscribed)  # one delivery only


def test_fault_stale_timestamp_is_ten_minutes_old_and_signed_over_it(company, receiver, subscribed,
                                                                     django_capture_on_commit_callbacks):
    webhook_fault_add(company=company, kind="stale_timestamp")
    _job(company, django_capture_on_commit_callbacks)
    [request] = _delivered(receiver, 1)
    age = time.time() - int(request["headers"]["webhook-timestamp"])
    assert 600 <= age < 660
    assert _signed_correctly(request, subscribed)


def test_fault_duplicate_sends_the_same_delivery_twice(company, receiver, subscribed,
                                                       django_capture_on_commit_callbacks):
    webhook_fault_add(company=company, kind="duplicate")
    job = _job(company, django_capture_on_commit_callbacks)
    first, second = _delivered(receiver, 2)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"] and json.loads(first["body"])["data"]["id"] == str(job.uuid)
    assert _signed_correctly(first, subscribed) and _signed_correctly(second, subscribed)
    assert [d.fault for d in WEBHOOK_DELIVERIES] == ["duplicate", "duplicate"]


def test_fault_out_of_order_arrives_after_the_next_delivery(company, receiver, subscribed, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    monkeypatch.setattr(webhooks, "OUT_OF_ORDER_HOLD_SECONDS", 30)  # only the next delivery may release it
    webhook_fault_add(company=company, kind="out_of_order")
    held = _job(company, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    started = time.monotonic()
    later = _job(company, django_capture_on_commit_callbacks)
    requests_ = _delivered(receiver, 2)
    assert time.monotonic() - started < 10
    assert [json.loads(r["body"])["data"]["id"] for r in requests_] == [str(later.uuid), str(held.uuid)]
    assert all(_signed_correctly(r, subscribed) for r in requests_)


def test_fault_out_of_order_goes_out_after_the_hold_when_nothing_follows(company, receiver, subscribed, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    monkeypatch.setattr(webhooks, "OUT_OF_ORDER_HOLD_SECONDS", 0.3)
    webhook_fault_add(company=company, kind="out_of_order")
    started = time.monotonic()
    job = _job(company, django_capture_on_commit_callbacks)
    [request] = _delivered(receiver, 1)
    assert time.monotonic() - started >= 0.3
    assert json.loads(request["body"])["data"]["id"] == str(job.uuid)


def test_fault_lost_is_never_sent_and_recorded_as_lost(company, receiver, subscribed,
                                                       django_capture_on_commit_callbacks):
    webhook_fault_add(company=company, kind="lost")
    lost = _job(company, django_capture_on_commit_callbacks)
    assert webhook_deliveries_wait() and receiver.requests == []
    assert [(d.job_id, d.result, d.fault) for d in WEBHOOK_DELIVERIES] == [(str(lost.uuid), "lost", "lost")]
    _job(company, django_capture_on_commit_callbacks)
    _delivered(receiver, 1)


def test_fault_burst_sends_fifty_distinct_signed_deliveries_at_once(company, receiver, subscribed,
                                                                    django_capture_on_commit_callbacks):
    webhook_fault_add(company=company, kind="burst")
    receiver.delay = 0.2  # long enough for the deliveries to overlap
    started = time.monotonic()
    job = _job(company, django_capture_on_commit_callbacks)
    requests_ = _delivered(receiver, 50)
    assert time.monotonic() - started < 50 * 0.2  # not one after the other
    assert receiver.max_in_flight > 1
    assert len({r["headers"]["webhook-id"] for r in requests_}) == 50
    assert len({json.loads(r["body"])["eventId"] for r in requests_}) == 50
    assert {json.loads(r["body"])["data"]["id"] for r in requests_} == {str(job.uuid)}
    assert all(_signed_correctly(r, subscribed) for r in requests_)


def test_faults_count_down_stay_with_their_company_and_clear(company, receiver, subscribed, db,
                                                             django_capture_on_commit_callbacks):
    other, _ = sandbox_company_create(name="Other AB", seed_reference_data=False)
    webhook_fault_add(company=other, kind="lost", remaining=5)
    webhook_fault_add(company=company, kind="stale_timestamp", remaining=2)
    for _ in range(3):
        _job(company, django_capture_on_commit_callbacks, count=1)
    _delivered(receiver, 3)
    assert sorted(d.fault or "" for d in WEBHOOK_DELIVERIES) == ["", "stale_timestamp", "stale_timestamp"]
    assert WebhookFault.objects.get(company=other).remaining == 5
    faults_clear()  # the HTTP faults' clear leaves webhook faults alone
    assert webhook_faults_clear(company=other) == 1
    assert not WebhookFault.objects.filter(company=other).exists()
    assert webhook_faults_clear() == 1  # the company's spent one
    with pytest.raises(ValueError):
        webhook_fault_add(company=company, kind="http_500")
