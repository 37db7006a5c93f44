"""The sandbox speaks the contract: examples validate, and every answer of a full scenario matches its schema."""
import base64
import json

import pytest
import requests

from sandbox.pleo.contract import SPEC_PATH, schema_errors, spec
from sandbox.pleo.scenarios import export_items_generate
from sandbox.pleo.services import export_job_create, sandbox_company_create
from tests.sandbox.pleo.conftest import SHARED_PLEO, PleoCaller

EXAMPLES = {
    "export-jobs-page.json": "CursorPaginatedResponseExportJobV3",
    "export-job.json": "DataResponseExportJobV3",
    "export-job-items-page.json": "CursorPaginatedResponseExportJobItemV3",
    "export-items-page.json": "CursorPaginatedResponseExportItemV3",
    "export-job-event-started.json": "CreateExportJobEvent",
    "export-job-event-completed-with-errors.json": "CreateExportJobEvent",
    "export-job-event-failed.json": "CreateExportJobEvent",
    "update-export-job-items-request.json": "[]UpdateExportJobItemV3",
    "update-export-job-items-response.json": "ExportJobItemUpdateV3",
    "error-missing-contra-accounts.json": "ExceptionInfo",
    "error-export-job-items-update-limit.json": "ExceptionInfo",
    "tag-group.json": "DataResponseTagGroupModel",
    "tag-group-tags-page.json": "CursorPaginatedResponseTagModel",
    "tag-group-create-request.json": "TagGroupCreateModel",
    "tag-create-request.json": "TagCreateModel",
    "tag-update-archive-request.json": "TagUpdateModel",
    "tax-codes-page.json": "CursorPaginatedResponseTaxCodeModel",
    "tax-code-create-request.json": "TaxCodeCreateUpdateModel",
    "chart-of-accounts-page.json": "CursorPaginatedResponseBookkeepingAccountRestModelV1",
}


def test_sandbox_serves_the_same_contract_as_the_shared_folder():
    assert SPEC_PATH.read_bytes() == (SHARED_PLEO / "pleo-subset.openapi.yaml").read_bytes()


@pytest.mark.parametrize("name,schema", sorted(EXAMPLES.items()))
@pytest.mark.parametrize("strict", [False, True], ids=["plain", "strict"])
def test_contract_example_validates(name, schema, strict):
    instance = json.loads((SHARED_PLEO / "examples" / name).read_text())
    assert schema_errors(instance, schema, strict=strict) == []


def test_strict_validation_catches_an_undeclared_field_and_a_bad_enum():
    job = json.loads((SHARED_PLEO / "examples" / "export-job.json").read_text())
    job["data"]["status"] = "COMPLETED"
    job["data"]["itemCount"] = 3
    problems = schema_errors(job, "DataResponseExportJobV3", strict=True)
    assert len(problems) == 2
    assert schema_errors(job, "DataResponseExportJobV3", strict=False) == []


def _served_operations() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, ops in spec()["paths"].items()
        for method in ops if method in ("get", "post", "put", "delete")
    }


@pytest.mark.django_db
def test_full_scenario_through_every_endpoint_matches_the_contract(client):
    company, token = sandbox_company_create(name="Conformance ApS", currency="DKK", auth_method="OAUTH2")
    pleo = PleoCaller(client, token)
    cid = str(company.uuid)

    # --- introspection and installation
    pleo("GET", "/v1/introspect", "/v1/introspect", expect=200)
    pleo("GET", "/v1/installations/me", "/v1/installations/me", expect=200)
    pleo("POST", "/v1/installations/me", "/v1/installations/me",
         body={"status": "PENDING_INTEGRATION", "metadata": {"portal": {"client": "42"}}}, expect=200)
    pleo("PUT", "/v1/installations/me", "/v1/installations/me",
         body={"status": "ERROR", "errorCode": "AUTH_ERROR", "metadata": {}}, expect=200)

    # --- chart of accounts
    acc_body = {"companyId": cid, "externalId": "901", "code": "6999", "name": "Misc", "archived": False}
    created = pleo("POST", "/v1/chart-of-accounts", "/v1/chart-of-accounts", body=acc_body, expect=201).json()
    pleo("POST", "/v1/chart-of-accounts", "/v1/chart-of-accounts", body=acc_body, expect=200)
    pleo("POST", "/v1/chart-of-accounts", "/v1/chart-of-accounts", body=acc_body | {"name": "Other"}, expect=409)
    acc_id = created["data"]["id"]
    pleo("POST", "/v1/chart-of-accounts/batch", "/v1/chart-of-accounts/batch", expect=201, body={
        "companyId": cid, "items": [{"externalId": "902", "name": "Batch", "archived": False},
                                    {"externalId": "901", "name": "", "archived": False}]})
    page = pleo("POST", "/v1/chart-of-accounts:search", "/v1/chart-of-accounts:search?limit=5", expect=200, body={
        "companyId": cid, "excludeIfAssignedToCategory": False, "excludeIfAssignedToContraAccount": True}).json()
    pleo("POST", "/v1/chart-of-accounts:search",
         f"/v1/chart-of-accounts:search?limit=5&after={page['pagination']['endCursor']}", expect=200,
         body={"companyId": cid, "excludeIfAssignedToCategory": False, "excludeIfAssignedToContraAccount": True})
    pleo("GET", "/v1/chart-of-accounts/{accountId}", f"/v1/chart-of-accounts/{acc_id}", expect=200)
    pleo("PUT", "/v1/chart-of-accounts/{accountId}", f"/v1/chart-of-accounts/{acc_id}", expect=200,
         body={"name": "Misc costs", "archived": False, "taxCodeExternalId": "I25", "metadata": {"odoo": {"id": 5}}})
    pleo("PUT", "/v1/chart-of-accounts/{accountId}", f"/v1/chart-of-accounts/{acc_id}", expect=400,
         body={"name": "Misc costs", "archived": False, "taxCodeExternalId": "NOPE"})
    pleo("DELETE", "/v1/chart-of-accounts/{accountId}", f"/v1/chart-of-accounts/{acc_id}", expect=204)
    pleo("GET", "/v1/chart-of-accounts/{accountId}", f"/v1/chart-of-accounts/{acc_id}", expect=404)

    # --- tag groups and tags
    pleo("GET", "/v0/tag-groups", f"/v0/tag-groups?company_id={cid}&include_tags_count=true", expect=200)
    group = pleo("POST", "/v0/tag-groups", f"/v0/tag-groups?company_id={cid}", expect=200,
                 body={"code": "DEPT", "name": "Departments", "archived": False}).json()["data"]
    gid = group["id"]
    pleo("GET", "/v0/tag-groups/{groupId}", f"/v0/tag-groups/{gid}", expect=200)
    pleo("PUT", "/v0/tag-groups/{groupId}", f"/v0/tag-groups/{gid}", expect=200,
         body={"code": "DEPT", "name": "Departments (Odoo)", "archived": False, "metadata": {"plan": "3"}})
    tag = pleo("POST", "/v0/tag-groups/{groupId}/tags", f"/v0/tag-groups/{gid}/tags", expect=201,
               body={"code": "D-01", "name": "Finance", "archived": False}).json()["data"]
    pleo("POST", "/v0/tag-groups/{groupId}/tags", f"/v0/tag-groups/{gid}/tags", expect=409,
         body={"code": "D-01", "archived": False})
    pleo("GET", "/v0/tag-groups/{groupId}/tags", f"/v0/tag-groups/{gid}/tags?include_archived=true", expect=200)
    pleo("GET", "/v0/tags/{tagId}", f"/v0/tags/{tag['id']}", expect=200)
    pleo("PUT", "/v0/tags/{tagId}", f"/v0/tags/{tag['id']}", expect=200, body={"code": "D-01", "archived": True})
    pleo("POST", "/v0/tags/archive", "/v0/tags/archive", expect=200,
         body={"companyId": cid, "tagIds": [tag["id"]], "archived": False})
    pleo("POST", "/v0/tags:search", f"/v0/tags:search?company_id={cid}&limit=2", expect=200,
         body={"includeArchived": True, "textSearch": "a"})
    pleo("DELETE", "/v0/tags/{tagId}", f"/v0/tags/{tag['id']}", expect=204)
    pleo("DELETE", "/v0/tag-groups/{groupId}", f"/v0/tag-groups/{gid}", expect=204)

    # --- tax codes
    tax_body = {"companyId": cid, "code": "I12", "name": "VAT 12%", "rate": 0.12, "type": "inclusive",
                "archived": False}
    tax = pleo("POST", "/v0/tax-codes", "/v0/tax-codes", body=tax_body, expect=200).json()["data"]
    pleo("GET", "/v0/tax-codes/{taxCodeId}", f"/v0/tax-codes/{tax['id']}", expect=200)
    pleo("PUT", "/v0/tax-codes/{taxCodeId}", f"/v0/tax-codes/{tax['id']}", body=tax_body | {"archived": True},
         expect=200)
    pleo("POST", "/v0/tax-codes:search", f"/v0/tax-codes:search?company_id={cid}", body={}, expect=200)
    pleo("DELETE", "/v0/tax-codes/{taxCodeId}", f"/v0/tax-codes/{tax['id']}", expect=204)

    # --- the export flow, with every item type
    items = export_items_generate(company=company, count=60, seed=3)
    job = export_job_create(company=company, items=items)
    jid = str(job.uuid)
    pleo("GET", "/v3/export-jobs", f"/v3/export-jobs?company_id={cid}&statuses=pending&statuses=in_progress",
         expect=200)
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events", body={"jobId": jid, "event": "started"},
         expect=202)
    pleo("GET", "/v3/export-jobs/{jobId}", f"/v3/export-jobs/{jid}", expect=200)
    job_items, url = [], f"/v3/export-jobs/{jid}/items?limit=25"
    while url:
        page = pleo("GET", "/v3/export-jobs/{jobId}/items", url, expect=200).json()
        job_items += page["data"]
        url = page["pagination"]["hasNextPage"] and f"/v3/export-jobs/{jid}/items?limit=25&after=" + \
            page["pagination"]["endCursor"]
    assert len(job_items) == len(items)
    export, url = [], f"/v3/export-items?job_id={jid}&limit=25"
    while url:
        page = pleo("GET", "/v3/export-items", url, expect=200).json()
        export += page["data"]
        url = page["pagination"]["hasNextPage"] and f"/v3/export-items?job_id={jid}&limit=25&after=" + \
            page["pagination"]["endCursor"]
    assert {e["type"] for e in export} == set(spec()["components"]["schemas"]["ExportItemTypeV3"]["enum"])
    with_file = next(e for e in export if e.get("files"))
    download = client.get(with_file["files"][0]["url"].split("testserver", 1)[1])  # no Authorization header
    assert download.status_code == 200
    assert len(download.content) == with_file["files"][0]["size"]

    updates = [{"accountingEntryId": e["accountingEntryId"], "status": "successful", "externalId": f"MISC/{n}",
                "externalUrl": f"https://odoo.example.com/{n}", "exportedAt": "2025-03-12T08:58:31Z"}
               for n, e in enumerate(export[:-1])]
    updates.append({"accountingEntryId": export[-1]["accountingEntryId"], "status": "failed",
                    "failureReason": "Account 6810 unknown", "failureReasonType": "account_unknown"})
    updates.append({"accountingEntryId": "00000000-0000-4000-8000-000000000000", "status": "successful"})
    for start in range(0, len(updates), 100):
        answer = pleo("PUT", "/v3/export-jobs/{jobId}/items", f"/v3/export-jobs/{jid}/items",
                      body=updates[start: start + 100], expect=200).json()
    assert answer["errors"][-1]["type"] == "ACCOUNTING_ENTRY_DOES_NOT_EXIST"
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events",
         body={"jobId": jid, "event": "completed_with_errors"}, expect=202)
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events", body={"jobId": jid, "event": "started"},
         expect=422)
    pleo("GET", "/v3/export-items", f"/v3/export-items?job_id={jid}", expect=422)
    pleo("PUT", "/v3/export-jobs/{jobId}/items", f"/v3/export-jobs/{jid}/items", body=updates[:1], expect=422)
    pleo("GET", "/v3/export-jobs/{jobId}", "/v3/export-jobs/00000000-0000-4000-8000-000000000000", expect=404)
    created = pleo("POST", "/v3/export-jobs", "/v3/export-jobs", expect=201,
                   body={"companyId": cid, "accountingEntryIds": [str(items[0].uuid)]}).json()["data"]
    pleo("POST", "/v3/export-job-events", "/v3/export-job-events",
         body={"jobId": created["id"], "event": "failed", "failureReason": "Odoo down",
               "failureReasonType": "accounting_system_unreachable"}, expect=202)
    pleo("GET", "/v3/export-jobs", f"/v3/export-jobs?company_id={cid}&limit=1", expect=200)
    pleo("POST", "/v1/installations/me:activate", "/v1/installations/me:activate", expect=200)

    # --- webhook subscriptions (the portal subscribes each connection to new export jobs)
    wanted = {"endpointUrl": "https://portal.example/webhooks/pleo/1/", "eventTypes": ["v1.export-job.created"]}
    subscription = pleo("POST", "/v1/subscriptions", "/v1/subscriptions", body=wanted, expect=200).json()["data"]
    sid = subscription["id"]
    pleo("GET", "/v1/subscriptions", "/v1/subscriptions?event_types=v1.export-job.created", expect=200)
    pleo("GET", "/v1/subscriptions/{id}", f"/v1/subscriptions/{sid}", expect=200)
    pleo("PUT", "/v1/subscriptions/{id}", f"/v1/subscriptions/{sid}", body={**wanted, "status": "INACTIVE"},
         expect=200)
    secret = pleo("GET", "/v1/subscriptions/{id}/secret", f"/v1/subscriptions/{sid}/secret", expect=200)
    assert secret.json()["data"]["secretKey"].startswith("whsec_")
    pleo("DELETE", "/v1/subscriptions/{id}", f"/v1/subscriptions/{sid}", expect=204)
    pleo("GET", "/v1/subscriptions/{id}", f"/v1/subscriptions/{sid}", expect=404)

    seen_ok = {(method, path) for method, path, status in pleo.seen if status < 300}
    assert _served_operations() - seen_ok == set()


@pytest.mark.django_db(transaction=True)
def test_basic_auth_and_live_http_answers_match_the_contract(live_server):
    company, token = sandbox_company_create(name="Live BV", currency="EUR")
    items = export_items_generate(company=company, count=3, seed=0)
    job = export_job_create(company=company, items=items)
    basic = "Basic " + base64.b64encode(f"{token}:".encode()).decode()
    response = requests.get(f"{live_server.url}/sandbox/pleo/v3/export-items", params={"job_id": str(job.uuid)},
                            headers={"Authorization": basic}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert schema_errors(response.json(), "CursorPaginatedResponseExportItemV3") == []
    receipt = next(f for e in response.json()["data"] for f in (e.get("files") or []))
    assert receipt["url"].startswith(live_server.url)
    assert requests.get(receipt["url"], timeout=10).status_code == 200
