"""One test per contract rule the sandbox enforces, plus the faults tests can inject."""
import time
import uuid

import pytest
import requests

from sandbox.pleo.models import ExportJob, JobItemStatus
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import (
    export_job_backdate,
    export_job_create,
    fault_add,
    sandbox_company_create,
    sandbox_organisation_create,
)
from tests.sandbox.pleo.conftest import PleoCaller

# Both databases: the job lifecycle under row locks, and answers over a real socket.
pytestmark = pytest.mark.both_databases

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def job(company):
    return export_job_create(company=company, items=export_items_generate(company=company, count=5, seed=2))


def _start(pleo, job):
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events", body={"jobId": str(job.uuid), "event": "started"},
         expect=202)


def test_unknown_field_in_a_body_is_400(pleo, job):
    r = pleo("POST", "/v3/export-job-events", "/v3/export-job-events", expect=400,
             body={"exportJobId": str(job.uuid), "jobId": str(job.uuid), "event": "started"})
    assert r.json()["type"] == "VALIDATION_ERROR"
    assert "exportJobId" in r.json()["message"]


def test_wrong_type_in_a_body_is_400(pleo, company):
    r = pleo("POST", "/v0/tax-codes", "/v0/tax-codes", expect=400,
             body={"companyId": str(company.uuid), "name": "VAT", "rate": "0.25", "type": "inclusive",
                   "archived": False})
    assert "rate" in r.json()["message"]


def test_missing_required_field_is_400(pleo, company):
    pleo("POST", "/v3/export-jobs", "/v3/export-jobs", body={"companyId": str(company.uuid)}, expect=400)


def test_bad_enum_value_in_an_event_is_400(pleo, job):
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events", expect=400,
         body={"jobId": str(job.uuid), "event": "canceled"})


def test_more_than_100_item_updates_is_413(pleo, job):
    _start(pleo, job)
    body = [{"accountingEntryId": str(uuid.uuid4()), "status": "successful"} for _ in range(101)]
    r = pleo("PUT", "/v3/export-jobs/{jobId}/items", f"/v3/export-jobs/{job.uuid}/items", body=body, expect=413)
    assert r.json()["type"] == "EXPORT_JOB_ITEMS_UPDATE_LIMIT"


def test_unknown_job_is_404_export_not_found(pleo):
    r = pleo("GET", "/v3/export-jobs/{jobId}", f"/v3/export-jobs/{UNKNOWN}", expect=404)
    assert r.json()["type"] == "EXPORT_NOT_FOUND"


def test_job_of_another_company_is_404(pleo, db):
    other, _ = sandbox_company_create(name="Other BV")
    foreign = export_job_create(company=other, items=export_items_generate(company=other, count=1))
    pleo("GET", "/v3/export-jobs/{jobId}", f"/v3/export-jobs/{foreign.uuid}", expect=404)


def test_company_not_reachable_with_the_token_is_403(pleo, db):
    other, _ = sandbox_company_create(name="Other BV")
    r = pleo("GET", "/v3/export-jobs", f"/v3/export-jobs?company_id={other.uuid}", expect=403)
    assert r.json()["type"] == "FORBIDDEN"


def test_organisation_token_reaches_its_companies_and_needs_company_id(client, db):
    org, token = sandbox_organisation_create(name="Group")
    first, _ = sandbox_company_create(name="Entity 1", organisation=org)
    sandbox_company_create(name="Entity 2", organisation=org)
    pleo = PleoCaller(client, token)
    pleo("GET", "/v3/export-jobs", f"/v3/export-jobs?company_id={first.uuid}", expect=200)
    pleo("GET", "/v3/export-jobs", "/v3/export-jobs", expect=400)
    introspection = pleo("GET", "/v1/introspect", "/v1/introspect", expect=200).json()["data"]
    assert introspection["subjectURN"] == f"urn:pleo:organization:{org.uuid}"


def test_bad_cursor_is_400(pleo, job):
    r = pleo("GET", "/v3/export-jobs/{jobId}/items", f"/v3/export-jobs/{job.uuid}/items?after=NOTACURSOR1", expect=400)
    assert r.json()["type"] == "INVALID_CURSOR"


def test_combining_before_after_or_offset_is_400(pleo, job):
    pleo("GET", "/v3/export-jobs/{jobId}/items", f"/v3/export-jobs/{job.uuid}/items?after=GE======&offset=1",
         expect=400)


def test_paging_forwards_and_backwards_visits_every_item_once(pleo, job):
    url = f"/v3/export-jobs/{job.uuid}/items"
    first = pleo("GET", "/v3/export-jobs/{jobId}/items", url + "?limit=2", expect=200).json()
    assert first["pagination"]["hasNextPage"] and not first["pagination"]["hasPreviousPage"]
    assert first["pagination"]["total"] == 5
    second = pleo("GET", "/v3/export-jobs/{jobId}/items",
                  url + "?limit=2&after=" + first["pagination"]["endCursor"], expect=200).json()
    back = pleo("GET", "/v3/export-jobs/{jobId}/items",
                url + "?limit=2&before=" + second["pagination"]["startCursor"], expect=200).json()
    assert back["data"] == first["data"]
    assert second["pagination"]["currentRequestPagination"]["after"] == first["pagination"]["endCursor"]
    ids = [i["accountingEntryId"] for i in first["data"] + second["data"]]
    assert len(set(ids)) == 4


def test_limit_above_the_maximum_is_clamped_to_100(pleo, company):
    items = export_items_generate(company=company, count=120, seed=5)
    job = export_job_create(company=company, items=items)
    page = pleo("GET", "/v3/export-jobs/{jobId}/items", f"/v3/export-jobs/{job.uuid}/items?limit=500",
                expect=200).json()
    assert len(page["data"]) == 100
    assert page["pagination"]["currentRequestPagination"]["limit"] == 100


def test_missing_token_is_401(pleo):
    r = pleo("GET", "/v3/export-jobs", "/v3/export-jobs", token=None, expect=401)
    assert r.json()["type"] == "UNAUTHORIZED"


def test_unknown_token_is_401(pleo):
    pleo("GET", "/v1/introspect", "/v1/introspect", token="not-a-token", expect=401)


def test_token_without_the_scope_is_403(client, db):
    _, token = sandbox_company_create(name="Read only", scope="export-jobs:read")
    pleo = PleoCaller(client, token)
    pleo("GET", "/v3/export-jobs", "/v3/export-jobs", expect=200)
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events", body={"jobId": UNKNOWN, "event": "started"},
         expect=403)


def test_item_update_on_a_finished_job_is_422(pleo, job):
    _start(pleo, job)
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events", body={"jobId": str(job.uuid), "event": "completed"},
         expect=202)
    entry = str(job.items.first().export_item.uuid)
    r = pleo("PUT", "/v3/export-jobs/{jobId}/items", f"/v3/export-jobs/{job.uuid}/items", expect=422,
             body=[{"accountingEntryId": entry, "status": "successful"}])
    assert r.json()["type"] == "EXPORT_JOB_STATUS_UNPROCESSABLE"


def test_changing_a_successful_item_is_reported_in_errors(pleo, job):
    _start(pleo, job)
    entry = str(job.items.first().export_item.uuid)
    url = f"/v3/export-jobs/{job.uuid}/items"
    pleo("PUT", "/v3/export-jobs/{jobId}/items", url, body=[{"accountingEntryId": entry, "status": "successful"}],
         expect=200)
    again = pleo("PUT", "/v3/export-jobs/{jobId}/items", url, expect=200,
                 body=[{"accountingEntryId": entry, "status": "successful"}]).json()
    assert again["errors"] == []
    flipped = pleo("PUT", "/v3/export-jobs/{jobId}/items", url, expect=200,
                   body=[{"accountingEntryId": entry, "status": "failed"}]).json()
    assert flipped["errors"][0]["type"] == "EXPORT_ENTRY_STATUS_UPDATE_FAILED"


def test_invalid_event_is_422(pleo, job):
    r = pleo("POST", "/v3/export-job-events", "/v3/export-job-events", expect=422,
             body={"jobId": str(job.uuid), "event": "completed"})
    assert r.json()["type"] == "INVALID_EXPORT_JOB_STATUS_CHANGE"


def test_second_started_event_is_422(pleo, job):
    _start(pleo, job)
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events", body={"jobId": str(job.uuid), "event": "started"},
         expect=422)


def test_second_job_while_one_is_in_progress_is_409(pleo, company, job):
    _start(pleo, job)
    entry = str(job.items.first().export_item.uuid)
    r = pleo("POST", "/v3/export-jobs", "/v3/export-jobs", expect=409,
             body={"companyId": str(company.uuid), "accountingEntryIds": [entry]})
    assert r.json()["type"] == "EXPORT_ALREADY_IN_PROGRESS"


def test_export_items_of_a_completed_job_are_422(pleo, job):
    _start(pleo, job)
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events", body={"jobId": str(job.uuid), "event": "completed"},
         expect=202)
    r = pleo("GET", "/v3/export-items", f"/v3/export-items?job_id={job.uuid}", expect=422)
    assert r.json()["type"] == "EXPORT_JOB_STATUS_UNPROCESSABLE"


def test_missing_contra_accounts_is_400(pleo, company, job):
    company.missing_contra_account_currencies = ["USD"]
    company.save()
    r = pleo("GET", "/v3/export-items", f"/v3/export-items?job_id={job.uuid}", expect=400)
    assert r.json()["type"] == "MISSING_CONTRA_ACCOUNTS"
    assert "USD" in r.json()["message"]


def test_job_not_updated_for_an_hour_expires_as_failed_job_expired(pleo, job):
    _start(pleo, job)
    export_job_backdate(job=ExportJob.objects.get(pk=job.pk), seconds=3601)
    data = pleo("GET", "/v3/export-jobs/{jobId}", f"/v3/export-jobs/{job.uuid}", expect=200).json()["data"]
    assert data["status"] == "failed"
    assert data["failureReasonType"] == "job_expired"
    assert data["expiredAt"] is not None
    assert set(job.items.values_list("status", flat=True)) == {JobItemStatus.ABANDONED}
    pleo("GET", "/v3/export-items", f"/v3/export-items?job_id={job.uuid}", expect=422)


def test_item_update_keeps_the_job_alive(pleo, job):
    _start(pleo, job)
    export_job_backdate(job=ExportJob.objects.get(pk=job.pk), seconds=3000)
    entry = str(job.items.first().export_item.uuid)
    pleo("PUT", "/v3/export-jobs/{jobId}/items", f"/v3/export-jobs/{job.uuid}/items", expect=200,
         body=[{"accountingEntryId": entry, "status": "successful"}])
    export_job_backdate(job=ExportJob.objects.get(pk=job.pk), seconds=3000)
    data = pleo("GET", "/v3/export-jobs/{jobId}", f"/v3/export-jobs/{job.uuid}", expect=200).json()["data"]
    assert data["status"] == "in_progress"


def test_receipt_url_works_without_a_token_and_not_after_24_hours(pleo, client, job, monkeypatch):
    page = pleo("GET", "/v3/export-items", f"/v3/export-items?job_id={job.uuid}", expect=200).json()
    url = next(f["url"] for e in page["data"] for f in (e.get("files") or [])).split("testserver", 1)[1]
    assert client.get(url).status_code == 200
    assert client.get(url.replace("signature=", "signature=x")).status_code == 403
    later = time.time() + 24 * 3600 + 1
    monkeypatch.setattr("sandbox.pleo.services.time.time", lambda: later)
    assert client.get(url).status_code == 403


# ------------------------------------------------------------------------------------------- faults


def test_fault_429_answers_with_retry_after_then_recovers(pleo, company, job):
    fault_add(company=company, method="GET", path_prefix="/v3/export-items", kind="http_429", count=1,
              retry_after=7)
    r = pleo("GET", "/v3/export-items", f"/v3/export-items?job_id={job.uuid}", expect=429)
    assert r["Retry-After"] == "7"
    pleo("GET", "/v3/export-items", f"/v3/export-items?job_id={job.uuid}", expect=200)


def test_fault_500_hits_only_the_matching_method_and_path(pleo, company, job):
    fault_add(method="GET", path_prefix="/v3/export-jobs", kind="http_500", count=2)
    pleo("GET", "/v3/export-items", f"/v3/export-items?job_id={job.uuid}", expect=200)
    pleo("GET", "/v3/export-jobs/{jobId}", f"/v3/export-jobs/{job.uuid}", expect=500)
    pleo("GET", "/v3/export-jobs", "/v3/export-jobs", expect=500)
    pleo("GET", "/v3/export-jobs", "/v3/export-jobs", expect=200)


def test_fault_for_another_company_leaves_this_one_alone(pleo, job, db):
    other, _ = sandbox_company_create(name="Other BV")
    fault_add(company=other, method="*", path_prefix="/", kind="http_503", count=5)
    pleo("GET", "/v3/export-jobs", "/v3/export-jobs", expect=200)


def test_fault_slow_delays_the_answer(pleo, company):
    fault_add(company=company, method="GET", path_prefix="/v1/introspect", kind="slow", delay=0.3)
    started = time.monotonic()
    pleo("GET", "/v1/introspect", "/v1/introspect", expect=200)
    assert time.monotonic() - started >= 0.3


@pytest.mark.django_db(transaction=True)
def test_fault_drop_breaks_the_connection_mid_body_for_requests(live_server):
    company, token = sandbox_company_create(name="Live BV")
    job = export_job_create(company=company, items=export_items_generate(company=company, count=4))
    fault_add(company=company, method="GET", path_prefix="/v3/export-items", kind="drop")
    url = f"{live_server.url}/sandbox/pleo/v3/export-items"
    headers = {"Authorization": f"Bearer {token}"}
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, params={"job_id": str(job.uuid)}, headers=headers, timeout=10)
    assert requests.get(url, params={"job_id": str(job.uuid)}, headers=headers, timeout=10).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_fault_slow_makes_a_short_client_timeout_fire(live_server):
    company, token = sandbox_company_create(name="Live BV")
    fault_add(company=company, method="GET", path_prefix="/v1/introspect", kind="slow", delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{live_server.url}/sandbox/pleo/v1/introspect", headers={"Authorization": f"Bearer {token}"},
                     timeout=0.3)
