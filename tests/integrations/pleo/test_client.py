"""PleoClient against the contract: paths, params and bodies it sends, the example payloads it reads,
paging, batching, error mapping, retries, secrecy of the token and receipt downloads."""
import base64
import io
import logging
from decimal import Decimal
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from integrations.pleo import contract
from integrations.pleo.client import ItemUpdateResult, PleoCredentials
from integrations.pleo.errors import (
    PleoAuthenticationError,
    PleoConflictError,
    PleoConnectionError,
    PleoError,
    PleoFileTooLargeError,
    PleoNotFoundError,
    PleoPermissionError,
    PleoRateLimitError,
    PleoServerError,
    PleoValidationError,
)
from tests.integrations.pleo.support import BASE_URL, COMPANY_ID, JOB_ID, TOKEN, body_of, page, query_of

__all__ = []

JOBS_URL = f"{BASE_URL}/v3/export-jobs"
ITEMS_UPDATE_URL = f"{BASE_URL}/v3/export-jobs/{JOB_ID}/items"
EVENTS_URL = f"{BASE_URL}/v3/export-job-events"
RECEIPT_URL = "https://files.example.com/pleo-receipts/c1a2b3c4-01/original.pdf?X-Expires=86400&X-Signature=3b9f0c"


def refused_connection() -> requests.ConnectionError:
    """What requests raises when nothing listens: the request was never sent."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/", reason))


def update_entries(count: int) -> list[dict]:
    return [
        {
            "accountingEntryId": f"00000000-0000-4000-8000-{n:012d}",
            "status": "successful",
            "exportedAt": "2025-03-12T08:58:31Z",
            "externalId": f"MISC/2025/03/{n:04d}",
        }
        for n in range(count)
    ]


def job_items_for(entries: list[dict]) -> dict:
    return {
        "data": [{"exportJobId": JOB_ID, "accountingEntryId": e["accountingEntryId"], "status": e["status"]}
                 for e in entries],
        "errors": [],
    }


# ---------------------------------------------------------------------- auth


def test_calls_carry_the_token_as_bearer_by_default(rsps, client):
    rsps.get(f"{BASE_URL}/v1/introspect",
             json={"data": {"authMethod": "OAUTH2", "clientId": "c", "scope": "export-jobs:read"}})

    assert client.introspect()["authMethod"] == "OAUTH2"
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_an_api_key_goes_as_basic_auth_with_an_empty_password(rsps, make_client):
    rsps.get(f"{BASE_URL}/v1/introspect", json={"data": {"authMethod": "API_KEY", "clientId": "c", "scope": ""}})

    make_client(auth_scheme="basic").introspect()

    sent = rsps.calls[0].request.headers["Authorization"]
    assert sent.startswith("Basic ")
    assert base64.b64decode(sent.removeprefix("Basic ")).decode() == f"{TOKEN}:"


def test_credentials_refuse_a_base_url_that_is_not_http():
    with pytest.raises(ValueError):
        PleoCredentials(base_url="ftp://external.pleo.io", token=TOKEN)


# ---------------------------------------------------------------------- export jobs and paging


def test_export_jobs_reads_all_three_pages_following_the_end_cursor(rsps, client, example):
    first = example("export-jobs-page.json")
    second_job = dict(first["data"][0], id="0b7e1c52-6a3d-4f6a-9c8e-2d5f7a1b3c91", createdAt="2025-03-13T10:00:00Z")
    third_job = dict(first["data"][0], id="0b7e1c52-6a3d-4f6a-9c8e-2d5f7a1b3c92", createdAt="2025-03-01T07:00:00Z")
    rsps.get(JOBS_URL, json=first)
    rsps.get(JOBS_URL, json=page([second_job], end_cursor="GEZDGNBVGY3TQOJSGA======", has_next=True))
    rsps.get(JOBS_URL, json=page([third_job]))

    jobs = client.export_jobs(company_id=COMPANY_ID, statuses=("pending", "in_progress"))

    assert len(rsps.calls) == 3
    queries = [query_of(call) for call in rsps.calls]
    assert all(q["company_id"] == [COMPANY_ID] for q in queries)
    assert all(q["statuses"] == ["pending", "in_progress"] for q in queries)  # form, explode (§4)
    assert "after" not in queries[0]
    assert queries[1]["after"] == [first["pagination"]["endCursor"]]
    assert queries[2]["after"] == ["GEZDGNBVGY3TQOJSGA======"]
    assert len(jobs) == 5
    created = [job["createdAt"] for job in jobs]
    assert created == sorted(created), "oldest job first (§5.3, §13 Q6)"


def test_export_jobs_asks_for_pending_jobs_by_default(rsps, client):
    rsps.get(JOBS_URL, json=page([]))

    assert client.export_jobs(company_id=COMPANY_ID) == []
    assert query_of(rsps.calls[0])["statuses"] == ["pending"]


def test_export_jobs_accepts_one_status_given_as_a_string(rsps, client):
    rsps.get(JOBS_URL, json=page([]))

    client.export_jobs(company_id=COMPANY_ID, statuses="in_progress")

    assert query_of(rsps.calls[0])["statuses"] == ["in_progress"]


def test_export_jobs_leaves_out_company_id_for_a_company_token(rsps, client):
    rsps.get(JOBS_URL, json=page([]))

    client.export_jobs(company_id="")

    assert "company_id" not in query_of(rsps.calls[0])


def test_a_cursor_that_does_not_advance_stops_with_a_server_error(rsps, client, example):
    stuck = example("export-jobs-page.json")
    rsps.get(JOBS_URL, json=stuck)
    rsps.get(JOBS_URL, json=stuck)

    with pytest.raises(PleoServerError, match="endless loop"):
        client.export_jobs(company_id=COMPANY_ID)
    assert len(rsps.calls) == 2


def test_a_next_page_without_a_cursor_stops_with_a_server_error(rsps, client):
    rsps.get(JOBS_URL, json=page([], end_cursor=None, has_next=True))

    with pytest.raises(PleoServerError):
        client.export_jobs(company_id=COMPANY_ID)


def test_export_job_reads_the_contract_example(rsps, client, example):
    rsps.get(f"{JOBS_URL}/{JOB_ID}", json=example("export-job.json"))

    job = client.export_job(JOB_ID)

    assert job["status"] == "in_progress"
    assert job["numberOfItems"] == 6


def test_an_id_cannot_reach_another_endpoint(rsps, client, example):
    rsps.get(f"{JOBS_URL}/..%2Fexport-items", json=example("export-job.json"))

    client.export_job("../export-items")

    assert rsps.calls[0].request.path_url == "/v3/export-jobs/..%2Fexport-items"


def test_export_job_items_reads_every_page(rsps, client, example):
    items = example("export-job-items-page.json")
    rsps.get(ITEMS_UPDATE_URL, json=page(items["data"][:2], end_cursor="GEZDGNBVGY3TQOJRGA======", has_next=True))
    rsps.get(ITEMS_UPDATE_URL, json=items)

    rows = client.export_job_items(JOB_ID)

    assert [r["accountingEntryId"] for r in rows] == [r["accountingEntryId"] for r in items["data"][:2] + items["data"]]
    assert query_of(rsps.calls[1])["after"] == ["GEZDGNBVGY3TQOJRGA======"]


def test_export_items_asks_by_job_id_and_reads_the_example(rsps, client, example):
    rsps.get(f"{BASE_URL}/v3/export-items", json=example("export-items-page.json"))

    items = client.export_items(JOB_ID)

    assert query_of(rsps.calls[0]) == {"job_id": [JOB_ID]}  # no guessed limit (§13 Q6)
    assert len(items) == 6
    assert contract.money_to_decimal(items[0]["amount"]["inWalletCurrency"]) == Decimal("1250.00")
    assert items[0]["files"][0]["type"] == "application/pdf"


@pytest.mark.parametrize(
    "name",
    ["export-job-event-started.json", "export-job-event-completed-with-errors.json", "export-job-event-failed.json"],
)
def test_job_events_send_the_contract_body(rsps, client, example, assert_matches_schema, name):
    expected = example(name)
    rsps.post(EVENTS_URL, status=202)

    client.export_job_event_send(
        job_id=expected["jobId"],
        event=expected["event"],
        failure_reason=expected.get("failureReason"),
        failure_reason_type=expected.get("failureReasonType"),
    )

    sent = body_of(rsps.calls[0])
    assert sent == expected
    assert_matches_schema(sent, "CreateExportJobEvent")


# ---------------------------------------------------------------------- item updates


def test_item_update_sends_the_example_and_keeps_per_entry_errors(rsps, client, example, assert_matches_schema):
    updates = example("update-export-job-items-request.json")
    rsps.put(ITEMS_UPDATE_URL, json=example("update-export-job-items-response.json"))

    result = client.export_job_items_update(JOB_ID, updates)

    sent = body_of(rsps.calls[0])
    assert sent == updates
    assert_matches_schema(sent, "[]UpdateExportJobItemV3")
    assert isinstance(result, ItemUpdateResult)
    assert len(result.updated) == 6
    assert [e["type"] for e in result.errors] == ["ACCOUNTING_ENTRY_DOES_NOT_EXIST"]


def test_250_item_updates_go_in_three_puts_of_at_most_100(rsps, client, assert_matches_schema):
    updates = update_entries(250)
    for batch in (updates[:100], updates[100:200], updates[200:]):
        rsps.put(ITEMS_UPDATE_URL, json=job_items_for(batch))

    result = client.export_job_items_update(JOB_ID, updates)

    sizes = [len(body_of(call)) for call in rsps.calls]
    assert sizes == [100, 100, 50]
    assert_matches_schema(body_of(rsps.calls[2]), "[]UpdateExportJobItemV3")
    assert [r["accountingEntryId"] for r in result.updated] == [u["accountingEntryId"] for u in updates]


def test_per_entry_errors_of_every_batch_are_kept(rsps, client):
    updates = update_entries(150)
    for batch in (updates[:100], updates[100:]):
        body = job_items_for(batch[1:])
        body["errors"] = [{"accountingEntryId": batch[0]["accountingEntryId"], "type": "ACCOUNTING_ENTRY_UPDATE_FAILED",
                           "message": "no"}]
        rsps.put(ITEMS_UPDATE_URL, json=body)

    result = client.export_job_items_update(JOB_ID, updates)

    assert [e["accountingEntryId"] for e in result.errors] == [updates[0]["accountingEntryId"],
                                                               updates[100]["accountingEntryId"]]
    assert len(result.updated) == 148


def test_a_failed_second_batch_does_not_resend_the_first_and_says_what_is_left(rsps, client, example):
    updates = update_entries(250)
    rsps.put(ITEMS_UPDATE_URL, json=job_items_for(updates[:100]))
    rsps.put(ITEMS_UPDATE_URL, status=422,
             json={"type": "EXPORT_JOB_STATUS_UNPROCESSABLE", "message": "Job is finished"})

    with pytest.raises(PleoValidationError) as caught:
        client.export_job_items_update(JOB_ID, updates)

    assert len(rsps.calls) == 2
    assert body_of(rsps.calls[1])[0] == updates[100]
    partial = caught.value.extra["partial_result"]
    assert len(partial.updated) == 100
    assert caught.value.extra["unsent"] == updates[100:]
    assert "partial_result" not in repr(caught.value)


def test_no_updates_send_nothing(rsps, client):
    assert client.export_job_items_update(JOB_ID, []) == ItemUpdateResult()


# ---------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("status", "body_name", "error_class"),
    [
        (400, "error-missing-contra-accounts.json", PleoValidationError),
        (413, "error-export-job-items-update-limit.json", PleoValidationError),
        (422, None, PleoValidationError),
        (404, None, PleoNotFoundError),
        (409, None, PleoConflictError),
        (403, None, PleoPermissionError),
        (401, None, PleoAuthenticationError),
        (429, None, PleoRateLimitError),
        (502, None, PleoConnectionError),
        (503, None, PleoConnectionError),
        (504, None, PleoConnectionError),
        (500, None, PleoServerError),
    ],
)
def test_each_error_status_maps_to_what_the_caller_does_next(rsps, make_client, example, status, body_name,
                                                             error_class):
    bodies = {
        422: {"type": "EXPORT_JOB_STATUS_UNPROCESSABLE", "message": "Export job has finished"},
        404: {"type": "EXPORT_NOT_FOUND", "message": "Export job not found"},
        409: {"type": "EXPORT_ALREADY_IN_PROGRESS", "message": "An export is already in progress"},
    }
    body = example(body_name) if body_name else bodies.get(status, {"type": "SOMETHING", "message": "Pleo says no"})
    rsps.get(f"{BASE_URL}/v3/export-items", status=status, json=body, headers={"X-Request-Id": "req-42"})

    with pytest.raises(error_class) as caught:
        make_client(max_retries=0).export_items(JOB_ID)

    error = caught.value
    assert type(error) is error_class
    assert error.status == status
    assert error.request_id == "req-42"
    assert error.payload == body
    if status in (400, 404, 409, 413, 422):
        assert error.error_type == body["type"]
        assert body["message"] in str(error)
    if status == 401:
        assert str(error).startswith("Pleo refused the API token")
    assert error.should_retry is (status in (429, 502, 503, 504))


def test_a_success_answer_that_is_not_json_is_a_server_error(rsps, client):
    rsps.get(f"{BASE_URL}/v1/introspect", body="<html>maintenance</html>", content_type="text/html")

    with pytest.raises(PleoServerError, match="web page instead of JSON"):
        client.introspect()


def test_an_error_answer_that_is_not_json_keeps_its_status_mapping(rsps, make_client):
    rsps.get(f"{BASE_URL}/v1/introspect", status=502, body="<html>Bad gateway</html>")

    with pytest.raises(PleoConnectionError) as caught:
        make_client(max_retries=0).introspect()
    assert caught.value.payload == "<html>Bad gateway</html>"


def test_a_refused_connection_is_a_connection_error(rsps, make_client):
    rsps.get(f"{BASE_URL}/v1/introspect", body=refused_connection())

    with pytest.raises(PleoConnectionError, match="could not reach Pleo"):
        make_client(max_retries=0).introspect()


# ---------------------------------------------------------------------- retries


def test_429_waits_for_retry_after_then_succeeds(rsps, client, sleeps):
    rsps.get(f"{BASE_URL}/v1/introspect", status=429, headers={"Retry-After": "7"})
    rsps.get(f"{BASE_URL}/v1/introspect", json={"data": {"authMethod": "API_KEY", "clientId": "c", "scope": ""}})

    assert client.introspect()["clientId"] == "c"
    assert sleeps.calls == [7.0]


def test_retry_after_as_an_http_date_is_honoured_and_capped(rsps, make_client, sleeps):
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    late = format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)
    rsps.get(f"{BASE_URL}/v1/introspect", status=429, headers={"Retry-After": soon})
    rsps.get(f"{BASE_URL}/v1/introspect", status=429, headers={"Retry-After": late})
    rsps.get(f"{BASE_URL}/v1/introspect", json={"data": {}})

    make_client(backoff_cap=60).introspect()

    assert 25 <= sleeps.calls[0] <= 30
    assert sleeps.calls[1] == 60


def test_a_write_rejected_with_429_is_retried(rsps, client, sleeps):
    rsps.post(EVENTS_URL, status=429, headers={"Retry-After": "2"})
    rsps.post(EVENTS_URL, status=202)

    client.export_job_event_send(job_id=JOB_ID, event="started")

    assert len(rsps.calls) == 2
    assert sleeps.calls == [2.0]


def test_503_then_success_is_retried_with_backoff(rsps, client, sleeps):
    rsps.put(ITEMS_UPDATE_URL, status=503)
    rsps.put(ITEMS_UPDATE_URL, json=job_items_for(update_entries(1)))

    result = client.export_job_items_update(JOB_ID, update_entries(1))

    assert len(result.updated) == 1
    assert len(sleeps.calls) == 1 and 0.25 <= sleeps.calls[0] <= 0.5


def test_gives_up_after_max_retries(rsps, make_client, sleeps):
    for _ in range(3):
        rsps.get(JOBS_URL, status=503)

    with pytest.raises(PleoConnectionError):
        make_client(max_retries=2).export_jobs(company_id=COMPANY_ID)

    assert len(rsps.calls) == 3
    assert len(sleeps.calls) == 2


def test_backoff_doubles_with_jitter_and_is_capped(rsps, make_client, sleeps):
    for _ in range(5):
        rsps.get(JOBS_URL, status=502)

    with pytest.raises(PleoConnectionError):
        make_client(max_retries=4, backoff_base=1, backoff_cap=5).export_jobs(company_id=COMPANY_ID)

    for delay, full in zip(sleeps.calls, [1, 2, 4, 5], strict=True):
        assert full / 2 <= delay <= full


def test_a_read_that_timed_out_or_got_500_is_retried(rsps, client, sleeps):
    rsps.get(JOBS_URL, body=requests.ReadTimeout("read timed out"))
    rsps.get(JOBS_URL, status=500)
    rsps.get(JOBS_URL, json=page([]))

    assert client.export_jobs(company_id=COMPANY_ID) == []
    assert len(sleeps.calls) == 2


def test_a_search_is_retried_like_a_read(rsps, client):
    rsps.post(f"{BASE_URL}/v0/tax-codes:search", status=500)
    rsps.post(f"{BASE_URL}/v0/tax-codes:search", json=page([]))

    assert client.tax_codes(company_id=COMPANY_ID) == []


def test_a_put_is_not_retried_after_a_read_timeout(rsps, client, sleeps):
    rsps.put(ITEMS_UPDATE_URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(PleoConnectionError, match="did not answer in time"):
        client.export_job_items_update(JOB_ID, update_entries(3))

    assert len(rsps.calls) == 1
    assert sleeps.calls == []


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_write_is_not_retried_after_an_answer_that_may_follow_processing(rsps, client, sleeps, status):
    rsps.post(EVENTS_URL, status=status)

    with pytest.raises(PleoError):
        client.export_job_event_send(job_id=JOB_ID, event="completed")

    assert len(rsps.calls) == 1


def test_a_write_is_not_retried_after_a_dropped_connection(rsps, client):
    rsps.post(EVENTS_URL, body=requests.ConnectionError("Connection aborted: RemoteDisconnected"))

    with pytest.raises(PleoConnectionError):
        client.export_job_event_send(job_id=JOB_ID, event="completed")
    assert len(rsps.calls) == 1


def test_a_write_is_retried_when_the_connection_was_refused(rsps, client):
    rsps.post(EVENTS_URL, body=refused_connection())
    rsps.post(EVENTS_URL, body=requests.ConnectTimeout("connect timed out"))
    rsps.post(EVENTS_URL, status=202)

    client.export_job_event_send(job_id=JOB_ID, event="completed")

    assert len(rsps.calls) == 3


# ---------------------------------------------------------------------- the token stays secret


def test_the_token_never_appears_in_reprs_errors_or_logs(rsps, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(max_retries=1)
    echoed = {"type": "UNAUTHORIZED", "message": f"Bad token Bearer {TOKEN}"}
    rsps.get(f"{BASE_URL}/v1/introspect", status=401, json=echoed, headers={"X-Request-Id": "r1"})
    rsps.get(JOBS_URL, status=503, body=f"upstream saw {TOKEN}")
    rsps.get(JOBS_URL, status=503, body=f"upstream saw {TOKEN}")
    rsps.post(EVENTS_URL, body=requests.ReadTimeout(f"timed out {TOKEN}"))

    errors = []
    for call in (
        client.introspect,
        lambda: client.export_jobs(company_id=COMPANY_ID),
        lambda: client.export_job_event_send(job_id=JOB_ID, event="started"),
    ):
        with pytest.raises(PleoError) as caught:
            call()
        errors.append(caught.value)

    seen = [repr(client), repr(client._credentials), str(client._credentials), caplog.text]
    for error in errors:
        seen += [str(error), repr(error), str(error.payload), str(error.extra)]
    for text in seen:
        assert TOKEN not in text
    assert "pleo GET /v1/introspect -> 401 (attempt 1" in caplog.text
    assert "pleo GET /v3/export-jobs -> 503 (attempt 2" in caplog.text


# ---------------------------------------------------------------------- receipts


def test_a_receipt_is_downloaded_without_the_pleo_token(rsps, client):
    client.session.headers["Authorization"] = "Bearer from-a-shared-session"
    rsps.get(RECEIPT_URL, body=b"%PDF-1.7 receipt", content_type="binary/octet-stream")

    downloaded = client.file_download(RECEIPT_URL, max_bytes=1024, content_type="application/pdf")

    assert "Authorization" not in rsps.calls[0].request.headers
    assert downloaded.content == b"%PDF-1.7 receipt"
    assert downloaded.name == "original.pdf"
    assert downloaded.content_type == "application/pdf"
    assert downloaded.size == 16


def test_a_receipt_without_a_known_type_takes_the_header_and_gets_an_extension(rsps, client):
    url = "https://files.example.com/r/abc123?sig=1"
    rsps.get(url, body=b"\x89PNG", content_type="image/png")

    downloaded = client.file_download(url, max_bytes=1024)

    assert downloaded.content_type == "image/png"
    assert downloaded.name == "abc123.png"


class CountingBody(io.RawIOBase):
    """A response body of `size` bytes that counts how much was read from it."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"x" * count
        self.read_bytes += count
        return count


def test_a_receipt_announced_larger_than_the_cap_is_refused_unread(rsps, client):
    body = CountingBody(5_000_000)
    rsps.get(RECEIPT_URL, body=io.BufferedReader(body), headers={"Content-Length": "5000000"})

    with pytest.raises(PleoFileTooLargeError) as caught:
        client.file_download(RECEIPT_URL, max_bytes=1_000_000)

    assert caught.value.size == 5_000_000
    assert body.read_bytes == 0


def test_a_receipt_without_length_stops_being_read_past_the_cap(rsps, client):
    body = CountingBody(5_000_000)
    rsps.get(RECEIPT_URL, body=io.BufferedReader(body))

    with pytest.raises(PleoFileTooLargeError):
        client.file_download(RECEIPT_URL, max_bytes=100_000)

    assert body.read_bytes < 300_000


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://files.example.com/r.pdf", "javascript:alert(1)", "https:///nohost"])
def test_a_receipt_link_that_is_not_http_is_refused_without_a_request(rsps, client, url):
    with pytest.raises(PleoValidationError, match="not an http"):
        client.file_download(url, max_bytes=1024)
    assert len(rsps.calls) == 0


def test_an_expired_receipt_link_maps_like_any_other_answer(rsps, make_client):
    rsps.get(RECEIPT_URL, status=403, body="<Error>Request has expired</Error>")

    with pytest.raises(PleoPermissionError) as caught:
        make_client(max_retries=0).file_download(RECEIPT_URL, max_bytes=1024)
    assert "X-Signature" not in repr(caught.value)


# ---------------------------------------------------------------------- tag groups and tags


def test_tag_groups_lists_the_company_groups(rsps, client, example):
    group = example("tag-group.json")["data"]
    rsps.get(f"{BASE_URL}/v0/tag-groups", json={"data": [group]})

    assert client.tag_groups(company_id=COMPANY_ID, include_archived=True) == [group]
    assert query_of(rsps.calls[0]) == {"company_id": [COMPANY_ID], "include_archived": ["true"]}


def test_tag_group_create_sends_the_example(rsps, client, example, assert_matches_schema):
    expected = example("tag-group-create-request.json")
    rsps.post(f"{BASE_URL}/v0/tag-groups", json=example("tag-group.json"))

    group = client.tag_group_create(company_id=COMPANY_ID, **expected)

    assert body_of(rsps.calls[0]) == expected
    assert_matches_schema(body_of(rsps.calls[0]), "TagGroupCreateModel")
    assert query_of(rsps.calls[0]) == {"company_id": [COMPANY_ID]}
    assert group["code"] == "PRJ"


def test_tag_group_update_sends_empty_metadata_when_there_is_none(rsps, client, example, assert_matches_schema):
    group = example("tag-group.json")["data"]
    rsps.put(f"{BASE_URL}/v0/tag-groups/{group['id']}", json=example("tag-group.json"))

    client.tag_group_update(group["id"], code="PRJ", name="Projects", archived=True)

    sent = body_of(rsps.calls[0])
    assert sent == {"code": "PRJ", "name": "Projects", "archived": True, "metadata": {}}
    assert_matches_schema(sent, "TagGroupUpdateModel")


def test_tags_reads_every_page_including_archived(rsps, client, example):
    tags_page = example("tag-group-tags-page.json")
    group_id = tags_page["data"][0]["groupId"]
    url = f"{BASE_URL}/v0/tag-groups/{group_id}/tags"
    rsps.get(url, json=page(tags_page["data"][:1], end_cursor="plain-cursor-1", has_next=True))
    rsps.get(url, json=tags_page)

    tags = client.tags(group_id, include_archived=True)

    assert len(tags) == 4
    assert query_of(rsps.calls[1]) == {"include_archived": ["true"], "after": ["plain-cursor-1"]}


def test_tag_create_and_update_send_the_examples(rsps, client, example, assert_matches_schema):
    tag = example("tag-group-tags-page.json")["data"][2]
    create = example("tag-create-request.json")
    archive = example("tag-update-archive-request.json")
    rsps.post(f"{BASE_URL}/v0/tag-groups/{tag['groupId']}/tags", status=201, json={"data": tag})
    rsps.put(f"{BASE_URL}/v0/tags/{tag['id']}", json={"data": tag})

    client.tag_create(tag["groupId"], **create)
    updated = client.tag_update(tag["id"], **archive)

    assert body_of(rsps.calls[0]) == create
    assert body_of(rsps.calls[1]) == archive
    assert_matches_schema(body_of(rsps.calls[0]), "TagCreateModel")
    assert_matches_schema(body_of(rsps.calls[1]), "TagUpdateModel")
    assert updated["archived"] is True


def test_a_duplicate_tag_code_is_a_conflict(rsps, client):
    rsps.post(f"{BASE_URL}/v0/tag-groups/g1/tags", status=409)

    with pytest.raises(PleoConflictError):
        client.tag_create("g1", code="PRJ-ALPHA", name="Project Alpha")
    assert len(rsps.calls) == 1


def test_tags_archive_sends_at_most_100_ids_per_call(rsps, client, example, assert_matches_schema):
    tag = example("tag-group-tags-page.json")["data"][0]
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(150)]
    rsps.post(f"{BASE_URL}/v0/tags/archive", json={"data": [tag] * 100})
    rsps.post(f"{BASE_URL}/v0/tags/archive", json={"data": [tag] * 50})

    updated = client.tags_archive(COMPANY_ID, ids, True)

    assert [len(body_of(c)["tagIds"]) for c in rsps.calls] == [100, 50]
    assert body_of(rsps.calls[1]) == {"companyId": COMPANY_ID, "tagIds": ids[100:], "archived": True}
    assert_matches_schema(body_of(rsps.calls[0]), "BulkTagArchiveModel")
    assert len(updated) == 150


# ---------------------------------------------------------------------- tax codes and accounts


def test_tax_codes_searches_all_pages(rsps, client, example, assert_matches_schema):
    codes = example("tax-codes-page.json")
    url = f"{BASE_URL}/v0/tax-codes:search"
    rsps.post(url, json=page(codes["data"][:1], end_cursor="c1", has_next=True))
    rsps.post(url, json=page(codes["data"][1:]))

    found = client.tax_codes(company_id=COMPANY_ID, archived=False)

    assert [c["id"] for c in found] == [c["id"] for c in codes["data"]]
    for call in rsps.calls:
        assert body_of(call) == {"archived": False}
        assert_matches_schema(body_of(call), "TaxCodeSearchRequest")
    assert query_of(rsps.calls[1]) == {"company_id": [COMPANY_ID], "after": ["c1"]}


def test_tax_codes_without_archived_filter_sends_an_empty_search(rsps, client, example):
    rsps.post(f"{BASE_URL}/v0/tax-codes:search", json=example("tax-codes-page.json"))

    client.tax_codes(company_id=COMPANY_ID)

    assert body_of(rsps.calls[0]) == {}


def test_tax_code_create_and_update_send_the_example_with_a_decimal_rate(rsps, client, example, assert_matches_schema):
    expected = example("tax-code-create-request.json")
    created = {"data": example("tax-codes-page.json")["data"][1]}
    rsps.post(f"{BASE_URL}/v0/tax-codes", json=created)
    rsps.put(f"{BASE_URL}/v0/tax-codes/{created['data']['id']}", json=created)
    fields = dict(
        company_id=COMPANY_ID,
        code="RC25",
        name=expected["name"],
        rate=Decimal("0.25"),
        type="reverse",
        archived=False,
        ingoing_tax_account="14610",
        outgoing_tax_account="14630",
    )

    client.tax_code_create(**fields)
    client.tax_code_update(created["data"]["id"], **fields)

    for call in rsps.calls:
        assert body_of(call) == expected
        assert_matches_schema(body_of(call), "TaxCodeCreateUpdateModel")
    assert b'"rate": 0.25' in rsps.calls[0].request.body


def test_chart_of_accounts_searches_with_the_required_flags(rsps, client, example, assert_matches_schema):
    rsps.post(f"{BASE_URL}/v1/chart-of-accounts:search", json=example("chart-of-accounts-page.json"))

    accounts = client.chart_of_accounts(company_id=COMPANY_ID)

    sent = body_of(rsps.calls[0])
    assert sent == {"companyId": COMPANY_ID, "excludeIfAssignedToCategory": False,
                    "excludeIfAssignedToContraAccount": False}
    assert_matches_schema(sent, "BookkeepingAccountSearchRequestV1")
    assert [a["code"] for a in accounts] == ["6810", "6860", "7130", "7140"]


def test_chart_of_accounts_can_ask_for_active_accounts_only(rsps, client, example):
    rsps.post(f"{BASE_URL}/v1/chart-of-accounts:search", json=example("chart-of-accounts-page.json"))

    client.chart_of_accounts(company_id=COMPANY_ID, archived=False)

    assert body_of(rsps.calls[0])["archived"] is False
